"""Weight and bias ROM images of pointwise_conv, in $readmemh format."""
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


def bias_words(bias, pe, bits):
    return [pack(group, bits) for group in bias.reshape(-1, pe)]


def write_mem(path, words, width):
    digits = (width + 3) // 4
    path.write_text(''.join(f'{w:0{digits}x}\n' for w in words))
