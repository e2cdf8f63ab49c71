"""global_avg_pool: hls4ml's truncating average of back-to-back images against the reference."""
from pathlib import Path

import cocotb
import numpy as np
import pytest

from firmware.fixed import pack, unpack
from sim import reference, runner
from sim.axis_tb import TB


def param(dut, name):
    return int(getattr(dut, name).value)


@cocotb.test(timeout_time=5, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_images(dut, idle, backpressure):
    tb = TB(dut)
    await tb.reset()
    tb.pauses(idle, backpressure)
    h, w, c, in_w, in_f, acc_w, acc_f = (param(dut, k) for k in ('H', 'W', 'C', 'IN_W', 'IN_F', 'ACC_W', 'ACC_F'))
    signed = bool(param(dut, 'IN_SIGNED'))
    out = (param(dut, 'OUT_W'), param(dut, 'OUT_F'), bool(param(dut, 'OUT_SIGNED')), param(dut, 'ROUND'), param(dut, 'SAT'))
    rng = np.random.default_rng(c)
    lo, hi = (-(1 << (in_w - 1)), 1 << (in_w - 1)) if signed else (0, 1 << in_w)
    images = rng.integers(lo, hi, (4, h, w, c))
    cocotb.start_soon(tb.send([pack(px, in_w) for image in images for px in image.reshape(-1, c)]))
    expected = [reference.global_avg_pool(image, in_f, acc_f, acc_w, out[:3] + out[3:]) for image in images]
    got = [unpack(beat, c, out[0], out[2]) for beat in await tb.recv(len(images))]
    assert np.array_equal(np.array(got), np.array(expected))
    await tb.idle()


LOGITS = dict(H=7, W=7, C=10, IN_W=8, IN_F=1, IN_SIGNED=0, ACC_W=23, ACC_F=9, OUT_W=16, OUT_F=9, OUT_SIGNED=0)
CASES = {  # conv10 -> logits as in the default model, all lanes at once, 2 and 1 per cycle; a
    # signed input with a saturating output; a single pixel;
    'logits': dict(LOGITS, LANES=10), 'logits-lanes2': dict(LOGITS, LANES=2), 'logits-lanes1': dict(LOGITS, LANES=1),
    'signed': dict(H=3, W=5, C=3, LANES=3, IN_W=6, IN_F=2, IN_SIGNED=1, ACC_W=12, ACC_F=4, OUT_W=6, OUT_F=4, OUT_SIGNED=1),
    'pixel': dict(H=1, W=1, C=4, LANES=2, IN_W=8, IN_F=0, IN_SIGNED=0, ACC_W=10, ACC_F=0, OUT_W=8, OUT_F=0, OUT_SIGNED=0),
    # the most groups whose sums stay in registers, and the fewest read ahead from the RAM
    'groups3': dict(LOGITS, C=6, LANES=2), 'groups4': dict(LOGITS, C=8, LANES=2),
}  # fmt: skip


@pytest.mark.parametrize('case', CASES)
def test_global_avg_pool(sim, case):
    params = dict(CASES[case], ROUND=0, SAT=1)
    runner.run('global_avg_pool', 'test_global_avg_pool', Path(__file__).parent, params, sim=sim)
