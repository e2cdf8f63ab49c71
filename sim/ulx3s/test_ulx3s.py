"""The ULX3S top as the board sees it: frames from the host driver's own framing code into its
FTDI pin through a UART model (cocotbext-uart), answers read from the other pin. Between good
images: a frame with a bad checksum and a frame cut short; each must be answered with a
rejection and cost nothing else.

ULX3S_MANIFEST, ULX3S_IMAGES (uint8 .npy): the design and the images; ULX3S_RESULT: the answers
(kind and payload hex) in order.
"""
import json
import os

import cocotb
import numpy as np
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles
from cocotbext.uart import UartSink, UartSource

from firmware.board.pynq_driver import encode
from firmware.board.uart_driver import Responses, frame

CLOCK_NS = 10


async def answers(sink, parser, count):
    found = []
    while len(found) < count:
        found += parser.feed(await sink.read())
    return found


@cocotb.test()
async def run_frames(dut):
    manifest = json.loads(open(os.environ['ULX3S_MANIFEST']).read())
    images = np.load(os.environ['ULX3S_IMAGES'])
    baud = 1e9 / (CLOCK_NS * int(dut.CLKS_PER_BIT.value))
    Clock(dut.clk_25mhz, CLOCK_NS, unit='ns').start()
    dut.ftdi_txd.value = 1
    dut.btn.value = 0
    source, sink = UartSource(dut.ftdi_txd, baud=baud), UartSink(dut.ftdi_rxd, baud=baud)
    source.log.setLevel('WARNING'), sink.log.setLevel('WARNING')
    await ClockCycles(dut.clk_25mhz, 20)
    parser = Responses(manifest['output']['beat_bits'] // 8)
    frames = [frame(encode(image[None], manifest)) for image in images]
    bad_checksum = frames[1][:-1] + bytes([frames[1][-1] ^ 1])
    cut_short = frames[1][: len(frames[1]) // 3]
    got = []
    await source.write(frames[0])
    got += await answers(sink, parser, 1)
    for malformed in (bad_checksum, cut_short):  # each answered before the next frame goes
        await source.write(malformed)
        got += await answers(sink, parser, 1)
    for good in frames[1:]:  # two in flight, as the driver sends them
        await source.write(good)
    got += await answers(sink, parser, len(frames) - 1)
    with open(os.environ['ULX3S_RESULT'], 'w') as f:
        json.dump([[kind, payload.hex() if payload else None] for kind, payload in got], f)
