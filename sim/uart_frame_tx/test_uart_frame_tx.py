"""uart_frame_tx: results (AXI-Stream, RW bits) and rejections (nak pulses) out as the frames the
host driver parses (firmware/board/uart_driver.py Responses), in order: a rejection waits while
images before it are in flight. Idle (on the results) and backpressure (on the bytes) are swept."""
import random
from pathlib import Path

import cocotb
import pytest
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiStreamFrame

from firmware.board.uart_driver import Responses
from firmware.library import uart_sources
from sim import runner
from sim.axis_tb import TB


async def nak(dut):
    dut.nak.value = 1
    await RisingEdge(dut.clk)
    dut.nak.value = 0


async def answers(tb, parser, count):
    found = []
    while len(found) < count:
        found += parser.feed(bytes((await tb.sinks['m_axis'].recv()).tdata))
    return found


@cocotb.test(timeout_time=20, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_answers(dut, idle, backpressure):
    size = int(dut.RW.value) // 8
    dut.nak.value = 0
    dut.in_flight.value = 0
    tb = TB(dut)
    await tb.reset()
    tb.pauses(idle, backpressure)
    parser = Responses(size)
    rng = random.Random(size)
    results = [bytes(rng.getrandbits(8) for _ in range(size)) for _ in range(3)]
    for result in results[:2]:
        await tb.sources['s_axis'].send(AxiStreamFrame([int.from_bytes(result, 'little')]))
    await tb.sources['s_axis'].wait()
    await nak(dut)
    await nak(dut)
    assert await answers(tb, parser, 4) == [('result', results[0]), ('result', results[1]), ('nak', None), ('nak', None)]
    # a rejection while an image is in flight is answered after that image's result
    dut.in_flight.value = 1
    await nak(dut)
    await ClockCycles(dut.clk, 50)
    assert tb.sinks['m_axis'].empty(), 'a rejection overtook an image in flight'
    await tb.sources['s_axis'].send(AxiStreamFrame([int.from_bytes(results[2], 'little')]))
    await tb.sources['s_axis'].wait()
    dut.in_flight.value = 0
    assert await answers(tb, parser, 2) == [('result', results[2]), ('nak', None)]
    await tb.idle()


@pytest.mark.parametrize('rw', [8, 32])
def test_uart_frame_tx(sim, rw):
    runner.run('uart_frame_tx', 'test_uart_frame_tx', Path(__file__).parent, dict(RW=rw), sim=sim, sources=uart_sources())
