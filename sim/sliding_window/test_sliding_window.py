"""sliding_window: every K x K window of back-to-back images, with padding and stride."""
from pathlib import Path

import cocotb
import numpy as np
import pytest

from firmware.fixed import pack, unpack
from firmware.backend.modules import window_cycles
from sim import reference, runner
from sim.axis_tb import TB, back_to_back_intervals

PADS = ('PAD_T', 'PAD_L', 'PAD_B', 'PAD_R')


@cocotb.test(timeout_time=5, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_images(dut, idle, backpressure):
    tb = TB(dut)
    await tb.reset()
    tb.pauses(idle, backpressure)
    h, w, c, dw, k, s = (int(getattr(dut, n).value) for n in ('H', 'W', 'C', 'DW', 'K', 'S'))
    pads = [int(getattr(dut, n).value) for n in PADS]
    images = np.random.default_rng(h + w).integers(0, 1 << dw, (3, h, w, c))
    cocotb.start_soon(tb.send([pack(px, dw) for image in images for px in image.reshape(-1, c)]))
    expected = np.concatenate([reference.windows(image, k, s, *pads).reshape(-1, k * k * c) for image in images])
    got = np.array([unpack(beat, k * k * c, dw, False) for beat in await tb.recv(len(expected))])
    assert np.array_equal(got, expected)
    await tb.idle()


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def run_interval(dut):
    """Back-to-back images, never stalled: cycles per image as the generator models them."""
    p = {n: int(getattr(dut, n).value) for n in ('H', 'W', 'K', 'S', *PADS)}
    windows = reference.windows(np.zeros((p['H'], p['W'], 1)), p['K'], p['S'], *(p[n] for n in PADS)).shape[0:2]
    intervals = await back_to_back_intervals(dut, p['H'] * p['W'], windows[0] * windows[1])
    assert set(intervals) == {window_cycles(p)}, f'cycles per image {intervals}, modeled {window_cycles(p)}'


CASES = {
    'same3x3': dict(H=5, W=6, C=2, DW=4, K=3, S=1, PAD_T=1, PAD_L=1, PAD_B=1, PAD_R=1),
    'valid3x3s2': dict(H=7, W=6, C=1, DW=8, K=3, S=2, PAD_T=0, PAD_L=0, PAD_B=0, PAD_R=0),
    'same5x5s2': dict(H=6, W=7, C=2, DW=3, K=5, S=2, PAD_T=1, PAD_L=2, PAD_B=2, PAD_R=2),
}


@pytest.mark.parametrize('out_reg', [1, 0])
@pytest.mark.parametrize('case', CASES)
def test_sliding_window(sim, case, out_reg):
    runner.run('sliding_window', 'test_sliding_window', Path(__file__).parent, dict(CASES[case], OUT_REG=out_reg), sim=sim)
