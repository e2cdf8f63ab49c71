"""axis_select: each beat's lanes that KEEP names, in order; valid and ready pass through."""
import random
from pathlib import Path

import cocotb
import pytest

from sim import runner
from sim.axis_tb import TB


@cocotb.test(timeout_time=5, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_stream(dut, idle, backpressure):
    tb = TB(dut)
    await tb.reset()
    tb.pauses(idle, backpressure)
    lanes, lane_w, keep = (int(getattr(dut, k).value) for k in ('LANES', 'LANE_W', 'KEEP'))
    kept = [j for j in range(lanes) if keep >> j & 1]
    beats = [[random.getrandbits(lane_w) for _ in range(lanes)] for _ in range(150)]
    cocotb.start_soon(tb.send([sum(v << (j * lane_w) for j, v in enumerate(beat)) for beat in beats]))
    expected = [sum(beat[j] << (i * lane_w) for i, j in enumerate(kept)) for beat in beats]
    assert await tb.recv(len(beats)) == expected
    await tb.idle()


CASES = {  # every lane; a few, the first and last dropped; one; more lanes than 32 bits of KEEP
    'all': (4, 8, 0b1111), 'some': (6, 5, 0b011010), 'one': (3, 8, 0b100), 'wide': (40, 4, (1 << 39) | 0xF0F0F0F0F),
}


@pytest.mark.parametrize('case', CASES)
def test_axis_select(sim, case):
    lanes, lane_w, keep = CASES[case]
    params = dict(LANES=lanes, LANE_W=lane_w, KEEP=keep, KEPT=bin(keep).count('1'))
    runner.run('axis_select', 'test_axis_select', Path(__file__).parent, params, sim=sim)
