"""uart_frame_rx: frames of the host driver's own framing (firmware/board/uart_driver.py) as
line bytes in, the pixels of each good frame out (AXI-Stream, tlast on the last pixel); a bad
checksum and a frame cut short (a gap over TIMEOUT) are each one nak pulse and cost no good frame.
Idle (gaps between line bytes) and backpressure (on the pixel output) are swept."""
import random
from pathlib import Path

import cocotb
import pytest
from cocotb.triggers import ClockCycles, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamSink

from firmware.board.uart_driver import frame
from firmware.library import uart_sources
from sim import runner
from sim.axis_tb import TB, random_pauses


async def line(dut, data, rng, idle):
    """Bytes as uart_rx hands them on: a one-cycle rx_valid each, a gap between them."""
    for value in data:
        dut.rx_data.value = value
        dut.rx_valid.value = 1
        await RisingEdge(dut.clk)
        dut.rx_valid.value = 0
        await ClockCycles(dut.clk, 1 + (rng.randrange(8) if idle else 0))


async def count_naks(dut, naks):
    while True:
        await RisingEdge(dut.clk)
        naks[0] += int(dut.nak.value)


@cocotb.test(timeout_time=20, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_frames(dut, idle, backpressure):
    pixels, dw, timeout = (int(getattr(dut, k).value) for k in ('PIXELS', 'DW', 'TIMEOUT'))
    dut.rx_valid.value = 0
    tb = TB(dut, sources=(), sinks=())
    sink = AxiStreamSink(AxiStreamBus.from_prefix(dut, 'm_axis'), dut.clk, dut.rst, byte_lanes=1)
    sink.log.setLevel('WARNING')
    sink.set_pause_generator(random_pauses(5) if backpressure else None)
    await tb.reset()
    naks = [0]
    cocotb.start_soon(count_naks(dut, naks))
    rng = random.Random(pixels * dw)
    images = [[rng.getrandbits(dw) for _ in range(pixels)] for _ in range(4)]
    frames = [frame(b''.join(p.to_bytes(dw // 8, 'little') for p in image)) for image in images]
    bad_checksum = frames[1][:-1] + bytes([frames[1][-1] ^ 1])

    async def expect(image):
        got = await sink.recv()
        assert list(got.tdata) == image

    await line(dut, frames[0], rng, idle)
    await line(dut, frames[1], rng, idle)  # both buffers: two frames in flight
    await expect(images[0])
    await expect(images[1])
    await line(dut, bad_checksum, rng, idle)
    await line(dut, frames[2][: len(frames[2]) // 2], rng, idle)  # cut short: the gap times out
    await ClockCycles(dut.clk, timeout + 10)
    await line(dut, b'\x00\x13' + frames[3], rng, idle)  # noise before a frame is skipped
    await expect(images[3])
    await ClockCycles(dut.clk, 20)
    assert naks[0] == 2 and sink.empty()


@pytest.mark.parametrize('pixels, dw', [(5, 8), (3, 16)])
def test_uart_frame_rx(sim, pixels, dw):
    params = dict(PIXELS=pixels, DW=dw, TIMEOUT=60)
    runner.run('uart_frame_rx', 'test_uart_frame_rx', Path(__file__).parent, params, sim=sim, sources=uart_sources())
