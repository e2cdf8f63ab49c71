"""What the benches of the multiply-accumulate modules share (pointwise_conv, and conv2d, whose
beats are the windows of sliding_window): random weights and inputs within a parameter set's
formats (with CODE_W, drawn from a random codebook of 2^CODE_W entries), its ROM files, the
reference dot product, and the check of a run against it."""
import json
import os

import cocotb
import numpy as np

from firmware.fixed import pack, unpack
from firmware.rom import codebook, write_conv_roms
from sim import reference
from sim.axis_tb import TB

FORMATS = dict(IN_W=8, IN_F=3, IN_SIGNED=0, W_W=8, W_F=6, B_W=8, B_F=7, ACC_W=22, ACC_F=9, OUT_W=8, OUT_F=4, OUT_SIGNED=0, ROUND=1, SAT=1, RELU=1)


def case_data(params, seed=0):
    """Random weights, biases and inputs within the formats of a parameter set."""
    rng = np.random.default_rng(seed)
    n = params.get('N') or params['K'] ** 2 * params['C_IN']
    values = 1 << params.get('CODE_W', params['W_W'])
    entries = rng.choice(np.arange(-(1 << (params['W_W'] - 1)), 1 << (params['W_W'] - 1)), values, replace=False)
    w = entries[rng.integers(0, values, (n, params['C_OUT']))]
    b = rng.integers(-(1 << (params['B_W'] - 1)), 1 << (params['B_W'] - 1), params['C_OUT'])
    return w, b


def write_roms(params, build_dir):
    """The ROM files of a parameter set (with CODE_W, the generator's codebook of its weights, as
    the network's layers get it); returns the parameters with their paths."""
    build_dir.mkdir(parents=True, exist_ok=True)
    w, b = case_data(params)
    entries = None
    if params.get('CODE_W'):
        entries, bits = codebook(w, params['W_W'])
        assert bits == params['CODE_W']
    files = write_conv_roms(build_dir, 'case', w.T, b, params, entries)
    return dict(params, **{param: str(path) for param, path in files.items()})


async def check(dut, idle, backpressure, beats_in, n_in, expected_from):
    """Send `beats_in` raw lane vectors, compare the outputs with expected_from(weights, biases)."""
    tb = TB(dut)
    await tb.reset()
    tb.pauses(idle, backpressure)
    params = json.loads(os.environ['CASE'])
    w, b = case_data(params)
    cocotb.start_soon(tb.send([pack(v, params['IN_W']) for v in beats_in]))
    expected = expected_from(w, b, params)
    got = np.array([unpack(beat, params['C_OUT'], params['OUT_W'], params['OUT_SIGNED']) for beat in await tb.recv(len(expected))])
    assert np.array_equal(got, expected)
    await tb.idle()


def dense_ref(x, w, b, p):
    return reference.dense(
        x, w, b, p['IN_F'], p['W_F'], p['B_F'], p['ACC_F'], p['ACC_W'], (p['OUT_W'], p['OUT_F'], bool(p['OUT_SIGNED']), p['ROUND'], p['SAT']), p['RELU']
    )


def random_inputs(p, count, shape):
    rng = np.random.default_rng(1)
    lo, hi = (-(1 << (p['IN_W'] - 1)), 1 << (p['IN_W'] - 1)) if p['IN_SIGNED'] else (0, 1 << p['IN_W'])
    return rng.integers(lo, hi, (count, *shape))
