"""axis_fifo: every beat out once, in order, whatever the idle and backpressure."""
from pathlib import Path

import cocotb
import pytest
from sim.axis_tb import check_pass_through

from sim import runner


@cocotb.test(timeout_time=5, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_stream(dut, idle, backpressure):
    await check_pass_through(dut, idle, backpressure, 3 * int(dut.DEPTH.value) + 20)


@pytest.mark.parametrize('depth', [1, 2, 7])
def test_axis_fifo(sim, depth):
    runner.run('axis_fifo', 'test_axis_fifo', Path(__file__).parent, dict(WIDTH=13, DEPTH=depth), sim=sim)
