"""axis_downsize: packets of wide beats come out as the same packets of narrow beats, least
significant first, tlast only at a packet's end, whatever the idle and backpressure; one
narrow beat per cycle when nothing pauses."""
import random
from pathlib import Path

import cocotb
import pytest
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiStreamFrame

from sim import runner
from sim.axis_tb import TB


def pieces(beat, s_w, m_w):
    return [(beat >> (i * m_w)) & ((1 << m_w) - 1) for i in range(s_w // m_w)]


@cocotb.test(timeout_time=5, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_packets(dut, idle, backpressure):
    tb = TB(dut)
    await tb.reset()
    tb.pauses(idle, backpressure)
    s_w, m_w = len(dut.s_axis_tdata), len(dut.m_axis_tdata)
    rng = random.Random(s_w)
    packets = [[rng.getrandbits(s_w) for _ in range(rng.randint(1, 5))] for _ in range(20)]
    for packet in packets:
        await tb.sources['s_axis'].send(AxiStreamFrame(packet))
    for packet in packets:
        frame = await tb.sinks['m_axis'].recv()
        assert list(frame.tdata) == [p for beat in packet for p in pieces(beat, s_w, m_w)]
    await tb.idle()


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def full_rate(dut):
    tb = TB(dut)
    await tb.reset()
    s_w, m_w = len(dut.s_axis_tdata), len(dut.m_axis_tdata)
    packet = [random.getrandbits(s_w) for _ in range(20)]
    cocotb.start_soon(tb.sources['s_axis'].send(AxiStreamFrame(packet)))
    while not dut.m_axis_tvalid.value:
        await RisingEdge(dut.clk)
    task = cocotb.start_soon(tb.sinks['m_axis'].recv())
    cycles = 0
    while not task.done():
        await RisingEdge(dut.clk)
        cycles += 1
    beats = len(packet) * s_w // m_w
    assert len(task.result().tdata) == beats
    assert cycles <= beats + 2, f'{beats} narrow beats took {cycles} cycles'


@pytest.mark.parametrize('s_w, m_w', [(16, 8), (48, 16), (192, 64)])
def test_axis_downsize(sim, s_w, m_w):
    runner.run('axis_downsize', 'test_axis_downsize', Path(__file__).parent, dict(S_W=s_w, M_W=m_w), sim=sim)
