"""uart_tx: bytes in over AXI-Stream, 8N1 on txd, read back by a UART model (cocotbext-uart).
A line has no backpressure: the cases sweep idle on the input."""
import random
from pathlib import Path

import cocotb
import pytest
from cocotb.triggers import ClockCycles
from cocotbext.uart import UartSink

from firmware.library import uart_sources
from sim import runner
from sim.axis_tb import TB

CLOCK_NS = 10


@cocotb.test(timeout_time=20, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True])
async def run_bytes(dut, idle):
    tb = TB(dut, sinks=())
    sink = UartSink(dut.txd, baud=1e9 / (CLOCK_NS * int(dut.CLKS_PER_BIT.value)))
    sink.log.setLevel('WARNING')
    await tb.reset()
    tb.pauses(idle, False)
    data = bytes(random.getrandbits(8) for _ in range(24)) + b'\x00\xff\x55\xaa'
    cocotb.start_soon(tb.send(data))
    got = bytearray()
    while len(got) < len(data):
        got += await sink.read()
    assert bytes(got) == data
    await ClockCycles(dut.clk, 20 * int(dut.CLKS_PER_BIT.value))
    assert sink.empty() and dut.txd.value == 1, 'the line must idle high after the last stop bit'


@pytest.mark.parametrize('clks_per_bit', [4, 7])
def test_uart_tx(sim, clks_per_bit):
    runner.run('uart_tx', 'test_uart_tx', Path(__file__).parent, dict(CLKS_PER_BIT=clks_per_bit), sim=sim, sources=uart_sources())
