"""Weight and bias ROM images of pointwise_conv, in $readmemh format, and its codebook."""
import numpy as np

from firmware.fixed import pack


def weight_words(weights, pe, simd, bits):
    """weights (C_OUT, N) raw integers -> ROM words: word nf*SF + sf (SF = ceil(N/simd)) holds
    w[nf*pe + p][sf*simd + s] at lane p*simd + s, zero beyond N (the last pass's spare lanes)."""
    c_out, n = weights.shape
    sf = -(-n // simd)
    weights = np.pad(weights, ((0, 0), (0, sf * simd - n)))
    blocks = weights.reshape(c_out // pe, pe, sf, simd).transpose(0, 2, 1, 3)
    return [pack(block, bits) for block in blocks.reshape(-1, pe * simd)]


def codebook(weights, width):
    """(entries, index bits) of weights that take at most 2^(width-1) distinct values (shared
    weights): the sorted distinct values, the last repeated up to 2^bits entries; else None."""
    entries = np.unique(weights)
    bits = max(1, int(len(entries) - 1).bit_length())
    if bits >= width:
        return None
    return np.pad(entries, (0, (1 << bits) - len(entries)), mode='edge'), bits


def bias_words(bias, pe, bits):
    return [pack(group, bits) for group in bias.reshape(-1, pe)]


# the ROM files of a conv, <layer>_<suffix>.mem, by the parameter that names each
ROM_FILES = {'WEIGHT_FILE': 'w', 'BIAS_FILE': 'b', 'CODEBOOK_FILE': 'c'}


def write_conv_roms(folder, name, weights, bias, p, entries=None):
    """A conv's ROM files in `folder` from its raw weights (C_OUT, N) and biases for parameters
    `p`; with codebook `entries`, the weights as CODE_W-bit indices into them and the codebook's
    own file. Returns {parameter: path} of the files written."""
    files = {param: folder / f'{name}_{suffix}.mem' for param, suffix in ROM_FILES.items()}
    if entries is None:
        del files['CODEBOOK_FILE']
        symbols, width = weights, p['W_W']
    else:  # searchsorted finds the first of equal entries: always a distinct value's own
        symbols, width = np.searchsorted(entries, weights), p['CODE_W']
        write_mem(files['CODEBOOK_FILE'], [pack([v], p['W_W']) for v in entries], p['W_W'])
    write_mem(files['WEIGHT_FILE'], weight_words(symbols, p['PE'], p['SIMD'], width), p['PE'] * p['SIMD'] * width)
    write_mem(files['BIAS_FILE'], bias_words(bias, p['PE'], p['B_W']), p['PE'] * p['B_W'])
    return files


def write_mem(path, words, width):
    digits = (width + 3) // 4
    path.write_text(''.join(f'{w:0{digits}x}\n' for w in words))
