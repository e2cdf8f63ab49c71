"""conv2d: K x K convolutions of back-to-back images (window + folded dot products)."""
import json
import os
from pathlib import Path

import cocotb
import numpy as np
import pytest

from firmware.backend.modules import conv2d_cycles, conv_size
from sim import reference, runner
from sim.axis_tb import back_to_back_intervals
from sim.mac import FORMATS, check, dense_ref, random_inputs, write_roms

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



@cocotb.test(timeout_time=5, timeout_unit="ms")
async def run_interval(dut):
    """Back-to-back images, never stalled: cycles per image as the generator models them."""
    p = json.loads(os.environ['CASE'])
    oh, ow = conv_size(p)
    intervals = await back_to_back_intervals(dut, p['H'] * p['W'], oh * ow)
    assert set(intervals) == {conv2d_cycles(p)}, f'cycles per image {intervals}, modeled {conv2d_cycles(p)}'


CASES = {  # the multipliers set the pace; the input does; the windows do (one per cycle)
    'same3x3': dict(FORMATS, H=5, W=6, C_IN=2, C_OUT=4, K=3, S=1, PAD_T=1, PAD_L=1, PAD_B=1, PAD_R=1, PE=2, SIMD=6),
    'valid3x3s2': dict(FORMATS, H=7, W=7, C_IN=1, C_OUT=2, K=3, S=2, PAD_T=0, PAD_L=0, PAD_B=0, PAD_R=0, PE=1, SIMD=9),
    'same3x3-full': dict(FORMATS, H=5, W=6, C_IN=2, C_OUT=3, K=3, S=1, PAD_T=1, PAD_L=1, PAD_B=1, PAD_R=1, PE=3, SIMD=18, LUT_MULS=20),
    # 18 window inputs in passes of 7: the last takes 4, and zeros
    'same3x3-partial': dict(FORMATS, H=5, W=6, C_IN=2, C_OUT=4, K=3, S=1, PAD_T=1, PAD_L=1, PAD_B=1, PAD_R=1, PE=2, SIMD=7),
    # shared weights: 4-bit codebook indices in the ROM
    'same3x3-codebook': dict(FORMATS, H=5, W=6, C_IN=2, C_OUT=4, K=3, S=1, PAD_T=1, PAD_L=1, PAD_B=1, PAD_R=1, PE=2, SIMD=6, CODE_W=4),
}


@pytest.mark.parametrize('case', CASES)
def test_conv2d(sim, case, tmp_path):
    params = write_roms(CASES[case], tmp_path)
    runner.run('conv2d', 'test_conv2d', Path(__file__).parent, params, sim=sim, env={'CASE': json.dumps(CASES[case])})
