"""Integer reference of each RTL module's arithmetic, for the module benches.

Values are raw fixed-point integers (the value times 2^frac), as the streams carry them.
"""
import numpy as np

from firmware.fixed import wrap


def cast(raw, in_frac, width, frac, signed, rnd=True, sat=True):
    """ap_fixed assignment: round (half up) or truncate, then saturate or wrap."""
    raw = np.asarray(raw, dtype=np.int64)
    shift = in_frac - frac
    if shift > 0:
        raw = (raw + ((1 << (shift - 1)) if rnd else 0)) >> shift
    else:
        raw = raw << -shift
    lo, hi = (-(1 << (width - 1)), (1 << (width - 1)) - 1) if signed else (0, (1 << width) - 1)
    return np.clip(raw, lo, hi) if sat else wrap(raw, width, signed)


def windows(image, k, stride, pad_t, pad_l, pad_b, pad_r):
    """(OH, OW, k*k*C): each output pixel's window, element (ky, kx, c) at (ky*k + kx)*C + c."""
    padded = np.pad(image, ((pad_t, pad_b), (pad_l, pad_r), (0, 0)))
    oh = (padded.shape[0] - k) // stride + 1
    ow = (padded.shape[1] - k) // stride + 1
    out = np.empty((oh, ow, k * k * image.shape[2]), dtype=np.int64)
    for y in range(oh):
        for x in range(ow):
            out[y, x] = padded[y * stride : y * stride + k, x * stride : x * stride + k].reshape(-1)
    return out


def dense(x, weights, bias, in_frac, w_frac, b_frac, acc_frac, acc_width, out, relu):
    """x (..., N) @ weights (N, C_OUT) + bias in the accumulator, ReLU, cast to out (width, frac, signed)."""
    acc = (x @ weights) << (acc_frac - in_frac - w_frac)
    acc = wrap(acc + (bias << (acc_frac - b_frac)), acc_width, True)
    if relu:
        acc = np.maximum(acc, 0)
    return cast(acc, acc_frac, *out)


def max_pool(image, p):
    h, w = image.shape[0] // p * p, image.shape[1] // p * p
    blocks = image[:h, :w].reshape(h // p, p, w // p, p, -1)
    return blocks.max(axis=(1, 3))


def window_max_pool(image, k, stride, pad_t, pad_l, pad_b, pad_r):
    """Max over each k x k window; the padding's zeros take part (unsigned inputs only)."""
    win = windows(image, k, stride, pad_t, pad_l, pad_b, pad_r)
    return win.reshape(*win.shape[:2], k * k, image.shape[2]).max(axis=2)


def global_avg_pool(image, in_frac, acc_frac, acc_width, out):
    """hls4ml's average: exact sum, raw / (H*W) truncated toward zero, cast to out."""
    total = wrap(image.sum(axis=(0, 1)) << (acc_frac - in_frac), acc_width, True)
    n = image.shape[0] * image.shape[1]
    quotient = np.sign(total) * (np.abs(total) // n)
    return cast(quotient, acc_frac, *out)
