"""max_pool: P x P windows of back-to-back images against the reference."""
from pathlib import Path

import cocotb
import numpy as np
import pytest

from firmware.fixed import pack, unpack
from sim import reference, runner
from sim.axis_tb import TB


@cocotb.test(timeout_time=5, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_images(dut, idle, backpressure):
    tb = TB(dut)
    await tb.reset()
    tb.pauses(idle, backpressure)
    h, w, c, dw, p = (int(getattr(dut, k).value) for k in ('H', 'W', 'C', 'DW', 'P'))
    signed = bool(int(dut.SIGNED.value))
    rng = np.random.default_rng(h * w + c)
    lo, hi = (-(1 << (dw - 1)), 1 << (dw - 1)) if signed else (0, 1 << dw)
    images = rng.integers(lo, hi, (3, h, w, c))
    cocotb.start_soon(tb.send([pack(px, dw) for image in images for px in image.reshape(-1, c)]))
    expected = np.concatenate([reference.max_pool(image, p).reshape(-1, c) for image in images])
    got = np.array([unpack(beat, c, dw, signed) for beat in await tb.recv(len(expected))])
    assert np.array_equal(got, expected)
    await tb.idle()


CASES = {'2x2': dict(H=6, W=8, C=3, DW=8, SIGNED=0, P=2), 'odd-signed': dict(H=7, W=5, C=2, DW=6, SIGNED=1, P=2),
         '3x3': dict(H=6, W=7, C=1, DW=4, SIGNED=0, P=3)}  # fmt: skip


@pytest.mark.parametrize('case', CASES)
def test_max_pool(sim, case):
    runner.run('max_pool', 'test_max_pool', Path(__file__).parent, CASES[case], sim=sim)
