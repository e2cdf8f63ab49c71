"""axis_register: every beat out once, in order, whatever the idle and backpressure, and one
beat per cycle when nothing pauses (the skid register keeps the registered ready at full rate)."""
import random
from pathlib import Path

import cocotb
import pytest
from cocotb.triggers import RisingEdge
from sim.axis_tb import TB, check_pass_through

from sim import runner


@cocotb.test(timeout_time=5, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_stream(dut, idle, backpressure):
    await check_pass_through(dut, idle, backpressure, 300)


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def full_rate(dut):
    tb = TB(dut)
    await tb.reset()
    beats = [random.getrandbits(len(dut.s_axis_tdata)) for _ in range(100)]
    cocotb.start_soon(tb.send(beats))
    while not dut.m_axis_tvalid.value:
        await RisingEdge(dut.clk)
    cycles = 0
    received = tb.recv(len(beats))
    task = cocotb.start_soon(received)
    while not task.done():
        await RisingEdge(dut.clk)
        cycles += 1
    assert task.result() == beats
    assert cycles <= len(beats) + 2, f'{len(beats)} beats took {cycles} cycles'


@pytest.mark.parametrize('width', [1, 13, 200])
def test_axis_register(sim, width):
    runner.run('axis_register', 'test_axis_register', Path(__file__).parent, dict(WIDTH=width), sim=sim)
