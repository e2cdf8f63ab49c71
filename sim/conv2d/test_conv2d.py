"""conv2d: K x K convolutions of back-to-back images (window + folded dot products)."""
import json
import os
from pathlib import Path

import cocotb
import numpy as np
import pytest

from sim import reference, runner
from sim.pointwise_conv.test_pointwise_conv import FORMATS, check, dense_ref, random_inputs, write_roms

PADS = ('PAD_T', 'PAD_L', 'PAD_B', 'PAD_R')


@cocotb.test(timeout_time=5, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_images(dut, idle, backpressure):
    p = json.loads(os.environ['CASE'])
    images = random_inputs(p, 2, (p['H'], p['W'], p['C_IN']))
    pixels = images.reshape(-1, p['C_IN'])

    def expected(w, b, p):
        win = np.concatenate([reference.windows(im, p['K'], p['S'], *(p[k] for k in PADS)).reshape(-1, w.shape[0]) for im in images])
        return dense_ref(win, w, b, p)

    await check(dut, idle, backpressure, pixels, p['C_IN'], expected)


CASES = {
    'same3x3': dict(FORMATS, H=5, W=6, C_IN=2, C_OUT=4, K=3, S=1, PAD_T=1, PAD_L=1, PAD_B=1, PAD_R=1, PE=2, SIMD=6),
    'valid3x3s2': dict(FORMATS, H=7, W=7, C_IN=1, C_OUT=2, K=3, S=2, PAD_T=0, PAD_L=0, PAD_B=0, PAD_R=0, PE=1, SIMD=9),
}


@pytest.mark.parametrize('case', CASES)
def test_conv2d(sim, case, tmp_path):
    params = write_roms(CASES[case], tmp_path)
    runner.run('conv2d', 'test_conv2d', Path(__file__).parent, params, sim=sim, env={'CASE': json.dumps(CASES[case])})
