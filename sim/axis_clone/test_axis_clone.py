"""axis_clone: both outputs get every beat, in order, each with its own backpressure."""
import random
from pathlib import Path

import cocotb
import pytest

from sim import runner
from sim.axis_tb import TB


@cocotb.test(timeout_time=5, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_stream(dut, idle, backpressure):
    tb = TB(dut, sinks=('m0_axis', 'm1_axis'))
    await tb.reset()
    tb.pauses(idle, backpressure)
    beats = [random.getrandbits(len(dut.s_axis_tdata)) for _ in range(200)]
    cocotb.start_soon(tb.send(beats))
    got1 = cocotb.start_soon(tb.recv(len(beats), 'm1_axis'))
    assert await tb.recv(len(beats), 'm0_axis') == beats
    assert await got1 == beats
    await tb.idle()


@pytest.mark.parametrize('width', [1, 24])
def test_axis_clone(sim, width):
    runner.run('axis_clone', 'test_axis_clone', Path(__file__).parent, dict(WIDTH=width), sim=sim)
