"""axis_batch: a packet of N images' pixels gives a packet of N results; a packet that ends inside
an image is completed with zero pixels, and the packets after it stay aligned."""
import random
from pathlib import Path

import cocotb
import pytest
from cocotbext.axi import AxiStreamFrame

from sim import runner
from sim.axis_tb import TB


async def network(tb, pixels, width):
    """Stands in for the network: one result per image, the sum of its pixels."""
    while True:
        image = [await tb.recv(1, 'm_img') for _ in range(pixels)]
        await tb.send([sum(beat[0] for beat in image) % (1 << width)], 's_res')


@cocotb.test(timeout_time=5, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_packets(dut, idle, backpressure):
    tb = TB(dut, sources=('s_axis', 's_res'), sinks=('m_img', 'm_axis'))
    await tb.reset()
    tb.pauses(idle, backpressure)
    pixels, dw, rw = (int(getattr(dut, n).value) for n in ('PIXELS', 'DW', 'RW'))
    cocotb.start_soon(network(tb, pixels, rw))
    rng = random.Random(pixels)
    # whole images, then packets that end inside an image (a wrong-sized packet from a buggy
    # host), each followed by whole images that must come back as before
    sizes = [1, 3, 7, 1, 2 + 1 / pixels, 2, 1 - 1 / pixels, 4, 1 / pixels, 1]
    packets = [[rng.getrandbits(dw) for _ in range(max(1, round(size * pixels)))] for size in sizes]
    for packet in packets:
        await tb.sources['s_axis'].send(AxiStreamFrame(packet))
    for packet in packets:
        images = [packet[i : i + pixels] for i in range(0, len(packet), pixels)]
        expected = [sum(image) % (1 << rw) for image in images]  # the missing pixels are zeros
        frame = await tb.sinks['m_axis'].recv()
        assert list(frame.tdata) == expected, f'packet of {len(packet)} pixels: {list(frame.tdata)}, expected {expected}'
    await tb.idle()


@pytest.mark.parametrize('params', [dict(PIXELS=5, DEPTH=2), dict(PIXELS=1, DEPTH=4), dict(PIXELS=16, DEPTH=16)], ids=['5px-depth2', '1px', '16px'])
def test_axis_batch(sim, params):
    runner.run('axis_batch', 'test_axis_batch', Path(__file__).parent, dict(params, DW=8, RW=12), sim=sim)
