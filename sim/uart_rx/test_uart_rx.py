"""uart_rx: 8N1 on rxd from a UART model (cocotbext-uart), each byte a one-cycle rx_valid pulse;
a frame whose stop bit is low (a break) is dropped. The cases sweep idle time between bytes
(a line has no backpressure: uart_rx has no ready)."""
import random
from pathlib import Path

import cocotb
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.uart import UartSource

from firmware.library import uart_sources
from sim import runner

CLOCK_NS = 10


async def collect(dut, got):
    while True:
        await RisingEdge(dut.clk)
        if dut.rx_valid.value:
            got.append(int(dut.rx_data.value))


async def send_break(dut, bit_cycles):
    """A frame whose stop bit is low: ten bit times of 0."""
    dut.rxd.value = 0
    await ClockCycles(dut.clk, 10 * bit_cycles)
    dut.rxd.value = 1
    await ClockCycles(dut.clk, 2 * bit_cycles)


@cocotb.test(timeout_time=20, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True])
async def run_bytes(dut, idle):
    bit_cycles = int(dut.CLKS_PER_BIT.value)
    Clock(dut.clk, CLOCK_NS, unit='ns').start()
    dut.rxd.value = 1
    dut.rst.value = 1
    await ClockCycles(dut.clk, 3)
    dut.rst.value = 0
    source = UartSource(dut.rxd, baud=1e9 / (CLOCK_NS * bit_cycles))
    source.log.setLevel('WARNING')
    got = []
    cocotb.start_soon(collect(dut, got))
    rng = random.Random(bit_cycles)
    data = bytes(rng.getrandbits(8) for _ in range(20)) + b'\x00\xff'
    for i, value in enumerate(data):
        await source.write(bytes([value]))
        await source.wait()
        if idle:
            await ClockCycles(dut.clk, rng.randrange(3 * bit_cycles))
        if i == 10:
            await send_break(dut, bit_cycles)
    await ClockCycles(dut.clk, 20 * bit_cycles)
    assert bytes(got) == data


@pytest.mark.parametrize('clks_per_bit', [4, 7])
def test_uart_rx(sim, clks_per_bit):
    runner.run('uart_rx', 'test_uart_rx', Path(__file__).parent, dict(CLKS_PER_BIT=clks_per_bit), sim=sim, sources=uart_sources())
