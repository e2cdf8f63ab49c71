"""Raw fixed-point integers (value * 2^frac) as the RTL holds them: wrapping, packing into stream
beats (lane i of a beat is bits [i*width +: width])."""
import numpy as np


def wrap(raw, width, signed):
    """The two's complement (signed) or plain value of the low `width` bits."""
    raw = np.asarray(raw, dtype=np.int64) & ((1 << width) - 1)
    return np.where(signed & (raw >> (width - 1) == 1), raw - (1 << width), raw)


def pack(lanes, width):
    beat = 0
    for i, v in enumerate(np.asarray(lanes).reshape(-1).tolist()):
        beat |= (int(v) & ((1 << width) - 1)) << (i * width)
    return beat


def unpack(beat, n, width, signed):
    lanes = [(int(beat) >> (i * width)) & ((1 << width) - 1) for i in range(n)]
    return wrap(np.array(lanes, dtype=np.int64), width, signed)
