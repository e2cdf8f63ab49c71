"""The backend's IR: tensors and nodes read from the hls4ml graph, and the graph queries the
passes share."""
from dataclasses import dataclass, field

import numpy as np

import cli

PADS = ('PAD_T', 'PAD_L', 'PAD_B', 'PAD_R')


class GraphError(cli.InputError):
    """The graph holds something this backend cannot build."""


@dataclass
class Tensor:
    name: str
    shape: tuple  # (H, W, C) or (C,)
    fmt: object  # model.quant.Fixed

    @property
    def lanes(self):
        return self.shape[-1]

    @property
    def pixels(self):
        return int(np.prod(self.shape[:-1])) if len(self.shape) > 1 else 1

    @property
    def bits(self):
        return self.lanes * self.fmt.width


@dataclass
class Node:
    name: str
    module: str
    inputs: list  # tensor names, in port order
    outputs: list
    params: dict = field(default_factory=dict)
    weights: np.ndarray = None  # (C_OUT, N) raw, for convolutions
    bias: np.ndarray = None
    codebook: np.ndarray = None  # shared weights: the raw values the ROM's indices select


def fmt_params(prefix, fmt):
    return {f'{prefix}W': fmt.width, f'{prefix}F': fmt.frac, f'{prefix}SIGNED': int(fmt.signed)}


def cast_params(fmt):
    return {'ROUND': int(fmt.rounding == 'RND'), 'SAT': int(fmt.saturation == 'SAT')}


def raw(values, fmt, what):
    scaled = np.asarray(values, dtype=np.float64) * 2.0**fmt.frac
    ints = np.round(scaled)
    if not np.array_equal(ints, scaled):
        raise GraphError(f'{what}: values are not on the {fmt.hls()} grid')
    return ints.astype(np.int64)


def graph_format(precision):
    # hls.convert loads TensorFlow; the module benches use the cycle models here without it
    from hls import convert

    return convert.graph_format(precision)


def consumers(nodes, tensor):
    return [n for n in nodes if tensor in n.inputs]


def producer(nodes, tensor):
    return next(n for n in nodes if tensor in n.outputs)
