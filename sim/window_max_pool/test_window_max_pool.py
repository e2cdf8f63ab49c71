"""window_max_pool: overlapping and padded K x K / S pools of back-to-back images against the reference."""
from pathlib import Path

import cocotb
import numpy as np
import pytest

from firmware.fixed import pack, unpack
from sim import reference, runner
from firmware.backend.modules import pool_cycles
from sim.axis_tb import TB, back_to_back_intervals

PADS = ('PAD_T', 'PAD_L', 'PAD_B', 'PAD_R')


@cocotb.test(timeout_time=5, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_images(dut, idle, backpressure):
    tb = TB(dut)
    await tb.reset()
    tb.pauses(idle, backpressure)
    h, w, c, dw, k, s = (int(getattr(dut, name).value) for name in ('H', 'W', 'C', 'DW', 'K', 'S'))
    pads = [int(getattr(dut, name).value) for name in PADS]
    signed = bool(int(dut.SIGNED.value))
    rng = np.random.default_rng(h * w + c + k)
    lo, hi = (-(1 << (dw - 1)), 1 << (dw - 1)) if signed else (0, 1 << dw)
    images = rng.integers(lo, hi, (3, h, w, c))
    cocotb.start_soon(tb.send([pack(px, dw) for image in images for px in image.reshape(-1, c)]))
    expected = np.concatenate([reference.window_max_pool(image, k, s, *pads).reshape(-1, c) for image in images])
    got = np.array([unpack(beat, c, dw, signed) for beat in await tb.recv(len(expected))])
    assert np.array_equal(got, expected)
    await tb.idle()


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def run_interval(dut):
    """Back-to-back images, never stalled: the cycles per image the generator models, within 3%."""
    p = {n: int(getattr(dut, n).value) for n in ('H', 'W', 'C', 'LANES', 'K', 'S', *PADS)}
    windows = reference.window_max_pool(np.zeros((p['H'], p['W'], 1)), p['K'], p['S'], *(p[n] for n in PADS)).shape[0:2]
    intervals = await back_to_back_intervals(dut, p['H'] * p['W'], windows[0] * windows[1])
    dut._log.info(f'cycles per image {intervals}, modeled {pool_cycles(p)}')
    assert max(intervals) <= pool_cycles(p) * 1.03, f'cycles per image {intervals}, modeled {pool_cycles(p)}'


def case(h, w, k, s, pads=(0, 0, 0, 0), c=2, dw=8, signed=0, lanes=None):
    return dict(H=h, W=w, C=c, LANES=lanes or c, DW=dw, SIGNED=signed, K=k, S=s, **dict(zip(PADS, pads)))


# SqueezeNet's 3x3/2 (valid on odd sizes, the ceil-mode 'same' pad on even ones), 2x2/1, 3x3/1
# 'same', a signed valid pool
CASES = {
    '3x3s2-valid': case(9, 7, 3, 2), '3x3s2-same': case(8, 6, 3, 2, (0, 0, 1, 1)),
    '2x2s1-valid': case(5, 6, 2, 1, c=3), '3x3s1-same': case(6, 5, 3, 1, (1, 1, 1, 1), dw=5),
    '2x2s2-same': case(5, 7, 2, 2, (0, 0, 1, 1)), '3x3s2-signed': case(7, 7, 3, 2, signed=1, dw=6),
    # channels compared a group per cycle: 2 of 6, 1 of 4, 2 of 4; rows and columns no window needs
    '3x3s2-lanes2': case(9, 7, 3, 2, c=6, lanes=2), '3x3s1-same-lanes1': case(6, 5, 3, 1, (1, 1, 1, 1), c=4, lanes=1),
    '3x3s2-same-lanes2': case(8, 6, 3, 2, (0, 0, 1, 1), c=4, lanes=2), '2x2s2-valid-odd': case(5, 7, 2, 2, c=3, lanes=1),
    # 12 groups: the group select's two blocks of 8, the second with 4 spare
    '3x3s2-groups12': case(7, 5, 3, 2, (0, 0, 1, 1), c=12, dw=4, lanes=1),
    # maxima down the rows in block RAM (6 windows x 12 groups = 72 words, more than 64)
    '3x3s2-block-ram': case(5, 13, 3, 2, c=12, dw=4, lanes=1),
}  # fmt: skip


@pytest.mark.parametrize('case', CASES)
def test_window_max_pool(sim, case):
    runner.run('window_max_pool', 'test_window_max_pool', Path(__file__).parent, CASES[case], sim=sim)
