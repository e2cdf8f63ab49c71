"""axis_concat: beat i of a and beat i of b make output beat i = {b, a}."""
import random
from pathlib import Path

import cocotb
import pytest

from sim import runner
from sim.axis_tb import TB


@cocotb.test(timeout_time=5, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_stream(dut, idle, backpressure):
    tb = TB(dut, sources=('a_axis', 'b_axis'))
    await tb.reset()
    tb.pauses(idle, backpressure)
    a_width = len(dut.a_axis_tdata)
    a = [random.getrandbits(a_width) for _ in range(150)]
    b = [random.getrandbits(len(dut.b_axis_tdata)) for _ in range(150)]
    cocotb.start_soon(tb.send(a, 'a_axis'))
    cocotb.start_soon(tb.send(b, 'b_axis'))
    assert await tb.recv(len(a)) == [(y << a_width) | x for x, y in zip(a, b)]
    await tb.idle()


@pytest.mark.parametrize('widths', [(8, 8), (16, 40)])
def test_axis_concat(sim, widths):
    runner.run('axis_concat', 'test_axis_concat', Path(__file__).parent, dict(A_WIDTH=widths[0], B_WIDTH=widths[1]), sim=sim)
