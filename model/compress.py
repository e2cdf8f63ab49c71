"""Deep Compression on our models (Han et al.): magnitude pruning with retraining, trained
quantization with weight sharing, and the stored size with and without Huffman coding.

Pruning zeroes the smallest weights of each kernel (or its weakest input channels whole) and
keeps them zero through retraining and QAT. Weight sharing (`share_weights`) replaces each conv's weights by 2**b codebook entries (b-bit
indices; entry 0 is zero), clustered by k-means with linear initialisation and then fine-tuned
(model.quant.QConv2D's shared_bits). The quantized values stay on the layer's ap_fixed grid, so
the chain's bit-exactness does not depend on how the weights were chosen.

Sizes (`size_report`) count what a decoder needs: per weight its symbol (a b-bit index, or the
fixed-point value where nothing is shared), the codebooks, the biases; stored sparse, each kept
weight carries a relative index of INDEX_BITS bits (a gap beyond 15 zeros costs a filler entry),
as Han et al. count it. Huffman coding is applied, as in the paper, to the weight symbols and the
relative indices separately, per layer; the code tables are not counted (the paper does not).
"""
import heapq
from collections import Counter

import numpy as np

INDEX_BITS = 4  # relative index per stored weight; a gap beyond 15 zeros costs a filler entry


def conv_kernels(model):
    import keras

    return [layer for layer in model.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))]


def magnitude_masks(model, fraction):
    """Per layer, keep the (1 - fraction) largest-magnitude kernel weights."""
    masks = {}
    for layer in conv_kernels(model):
        kernel = np.abs(layer.kernel.numpy())
        threshold = np.quantile(kernel, fraction)
        masks[layer.name] = (kernel > threshold).astype(np.float32)
    return masks


def channel_masks(model, fraction):
    """Per layer, keep the (1 - fraction) input channels of the largest L2 norm (over the kernel
    window and the outputs) and zero the others whole, at least one kept: structured pruning,
    which the hardware turns into fewer inputs (firmware.backend.passes.prune) instead of
    stored zeros. The layers that read the image keep its channels."""
    masks = {}
    for layer in conv_kernels(model):
        kernel = layer.kernel.numpy()
        if any(layer.input is x for x in model.inputs):
            continue
        norms = np.sqrt((kernel.reshape(-1, *kernel.shape[-2:]) ** 2).sum(axis=(0, 2)))
        keep = max(1, int(round(len(norms) * (1 - fraction))))
        kept = np.zeros(len(norms), np.float32)
        kept[np.argsort(-norms, kind='stable')[:keep]] = 1
        masks[layer.name] = np.broadcast_to(kept[:, None], kernel.shape).astype(np.float32)
    return masks


PRUNE_BY = {'weight': magnitude_masks, 'channel': channel_masks}


def apply_masks(model, masks):
    for name, mask in masks.items():
        kernel = model.get_layer(name).kernel
        kernel.assign(kernel * mask)


def keep_pruned(masks):
    """A callback that zeroes the pruned weights again after every training step."""
    import keras

    class KeepPruned(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            apply_masks(self.model, masks)

    return KeepPruned()


def linear_kmeans(values, k, iterations=30):
    """1-D k-means of `values` into k centroids, first spaced evenly between the extremes: Han et
    al. found this initialisation best, since it gives the rare large weights, which matter most,
    centroids of their own. Returns the centroids and each value's centroid index."""
    centroids = np.linspace(values.min(), values.max(), k)
    for _ in range(iterations):
        nearest = nearest_centroid(values, centroids)
        sums = np.bincount(nearest, values, minlength=k)
        counts = np.bincount(nearest, minlength=k)
        moved = np.where(counts > 0, sums / np.maximum(counts, 1), centroids)
        if np.array_equal(moved, centroids):
            break
        centroids = moved
    return centroids, nearest_centroid(values, centroids)


def nearest_centroid(values, centroids):
    order = np.argsort(centroids)
    ordered = centroids[order]
    bounds = (ordered[1:] + ordered[:-1]) / 2
    return order[np.searchsorted(bounds, values)]


def share_weights(qmodel, bits):
    """A copy of the quantized model whose every conv shares 2**bits weight values: per layer,
    its non-zero weights clustered into 2**bits - 1 codebook entries, entry 0 kept for the zeros
    (pruned weights stay pruned). Fine-tune it with model.training.fit, then write_shared_kernels."""
    from model.quant import QConv2D

    shared = {layer.name for layer in qmodel.layers if isinstance(layer, QConv2D)}
    config = qmodel.get_config()
    for layer in config['layers']:
        if layer['config']['name'] in shared:
            layer['config']['shared_bits'] = bits
    model = qmodel.__class__.from_config(config)
    for source in qmodel.layers:
        target = model.get_layer(source.name)
        if source.name not in shared:
            target.set_weights(source.get_weights())
            continue
        kernel, bias = np.asarray(source.shared_kernel()), source.bias.numpy()
        kept = kernel != 0
        assignment = np.zeros(kernel.shape, np.int32)
        codebook = np.zeros(2**bits - 1, kernel.dtype)
        if kept.any():
            codebook, nearest = linear_kmeans(kernel[kept].astype(np.float64), 2**bits - 1)
            assignment[kept] = nearest + 1
        entries = np.concatenate([[0.0], codebook])
        target.set_weights([entries[assignment].astype(kernel.dtype), bias, codebook.astype(kernel.dtype), assignment])
    return model


def write_shared_kernels(model):
    """Each shared conv's kernel variable rewritten with the values it computes with (after the
    codebooks were fine-tuned), so that readers of `layer.kernel` see them."""
    for layer in conv_kernels(model):
        if getattr(layer, 'shared_bits', None):
            layer.kernel.assign(layer.shared_kernel())


def huffman_bits(symbols):
    """Bits of the symbols Huffman-coded (code table not counted); a lone symbol costs 1 bit."""
    counts = Counter(np.asarray(symbols).reshape(-1).tolist())
    if len(counts) <= 1:
        return sum(counts.values())
    heap = list(counts.values())
    heapq.heapify(heap)
    total = 0
    while len(heap) > 1:  # each merge adds one bit to every symbol below it: its count
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        total += merged
        heapq.heappush(heap, merged)
    return total


def sparse_streams(symbols):
    """Han et al.'s sparse form of a kernel's symbols (0 = pruned): the stored symbols and their
    relative indices (zeros skipped before each, at most 2**INDEX_BITS - 1; a longer gap is
    bridged by filler entries holding symbol 0)."""
    flat = np.asarray(symbols).reshape(-1)
    positions = np.flatnonzero(flat)
    gaps = np.diff(np.concatenate([[-1], positions])) - 1
    longest = (1 << INDEX_BITS) - 1
    stored, relative = [], []
    for position, gap in zip(positions, gaps):
        fillers, rest = divmod(int(gap), longest + 1)
        stored += [0] * fillers + [int(flat[position])]
        relative += [longest] * fillers + [rest]
    return np.array(stored, np.int64), np.array(relative, np.int64)


def layer_symbols(layer):
    """(symbols, bits per symbol, codebook bits) of a layer's kernel as the hardware stores it:
    b-bit codebook indices where weights are shared, else the ap_fixed raw values (float: 32)."""
    if getattr(layer, 'shared_bits', None):
        codebook_bits = (2**layer.shared_bits - 1) * layer.weight_fmt.width
        return layer.assignment.numpy(), layer.shared_bits, codebook_bits
    if hasattr(layer, 'quantized_weights'):
        kernel = layer.quantized_weights()[0]
        return np.round(kernel / layer.weight_fmt.lsb).astype(np.int64), layer.weight_fmt.width, 0
    return layer.kernel.numpy(), 32, 0


def size_report(model):
    """Parameters, non-zero parameters, bits per weight symbol, and bytes stored: dense, sparse
    (relative indices), and both with Huffman coding; the parts of each (indices, codebooks,
    sparse indices, biases) as *_bits. Quantized layers count their formats' widths; float 32."""
    parts = Counter()
    params = nonzero = 0
    widths = set()
    for layer in conv_kernels(model):
        symbols, bits, codebook_bits = layer_symbols(layer)
        if hasattr(layer, 'quantized_weights'):
            bias, b_bits = layer.quantized_weights()[1], layer.bias_fmt.width
        else:
            bias, b_bits = layer.bias.numpy(), 32
        widths.add(bits)
        params += symbols.size + bias.size
        nonzero += int(np.count_nonzero(symbols)) + int(np.count_nonzero(bias))
        stored, relative = sparse_streams(symbols)
        layer_parts = dict(
            dense_bits=symbols.size * bits, dense_huffman_bits=huffman_bits(symbols),
            sparse_bits=len(stored) * bits, sparse_huffman_bits=huffman_bits(stored),
            relative_bits=len(relative) * INDEX_BITS, relative_huffman_bits=huffman_bits(relative),
            codebook_bits=codebook_bits, bias_bits=bias.size * b_bits,
        )  # fmt: skip
        parts.update(layer_parts)
        fixed = codebook_bits + bias.size * b_bits
        # each layer stored in the smaller of its two forms, as a decoder would be told per layer
        parts.update(
            dense=layer_parts['dense_bits'] + fixed,
            sparse=min(layer_parts['sparse_bits'] + layer_parts['relative_bits'], layer_parts['dense_bits']) + fixed,
            huffman=min(layer_parts['sparse_huffman_bits'] + layer_parts['relative_huffman_bits'], layer_parts['dense_huffman_bits']) + fixed,
        )  # fmt: skip
    totals = {f'{form}_bytes': parts.pop(form) / 8 for form in ('dense', 'sparse', 'huffman')}
    return dict(params=params, nonzero=nonzero, bits=max(widths), **totals, **dict(parts))
