"""axis_fifo: every beat out once, in order, whatever the idle and backpressure."""
import random
from pathlib import Path

import cocotb
import pytest
from sim.axis_tb import TB

from sim import runner


@cocotb.test(timeout_time=5, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_stream(dut, idle, backpressure):
    tb = TB(dut)
    await tb.reset()
    tb.pauses(idle, backpressure)
    width = len(dut.s_axis_tdata)
    beats = [random.getrandbits(width) for _ in range(3 * int(dut.DEPTH.value) + 20)]
    cocotb.start_soon(tb.send(beats))
    assert await tb.recv(len(beats)) == beats
    await tb.idle()


@pytest.mark.parametrize('depth', [1, 2, 7])
def test_axis_fifo(sim, depth):
    runner.run('axis_fifo', 'test_axis_fifo', Path(__file__).parent, dict(WIDTH=13, DEPTH=depth), sim=sim)
