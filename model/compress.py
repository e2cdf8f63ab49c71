"""Deep Compression's first two stages on our models: magnitude pruning with retraining, and the
size of the result (dense, and sparse with relative indices as Han et al. count it).

Quantization is model.quant's (QAT to a bit width); weight sharing (k-means) and Huffman coding
are not applied, so the compressed sizes here are upper bounds of what Deep Compression reports.
"""
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


def sparse_bits(kernel, bits):
    """Bits of a kernel stored as (value, relative index) pairs, fillers included."""
    positions = np.flatnonzero(kernel.reshape(-1))
    gaps = np.diff(np.concatenate([[-1], positions])) - 1
    fillers = int(np.sum(gaps // (1 << INDEX_BITS)))
    return (len(positions) + fillers) * (bits + INDEX_BITS)


def size_report(model):
    """Parameters, non-zero parameters, bits per weight, dense and sparse sizes in bytes.

    Quantized layers count their formats' widths; float layers 32 bits."""
    params = nonzero = dense = sparse = 0
    widths = set()
    for layer in conv_kernels(model):
        kernel, bias = (w.numpy() for w in (layer.kernel, layer.bias))
        if hasattr(layer, 'quantized_weights'):
            kernel, bias = layer.quantized_weights()
            w_bits, b_bits = layer.weight_fmt.width, layer.bias_fmt.width
        else:
            w_bits = b_bits = 32
        widths.add(w_bits)
        params += kernel.size + bias.size
        nonzero += int(np.count_nonzero(kernel)) + int(np.count_nonzero(bias))
        dense += kernel.size * w_bits + bias.size * b_bits
        sparse += min(sparse_bits(kernel, w_bits), kernel.size * w_bits) + bias.size * b_bits
    return dict(params=params, nonzero=nonzero, bits=max(widths), dense_bytes=dense / 8, sparse_bytes=sparse / 8)
