"""The generated top behind a model of the Xilinx AXI DMA in direct-register mode (PG021), driven
with the PYNQ driver's own encode/decode: one MM2S transfer per batch (TLAST on its last beat),
one S2MM transfer armed for the batch's results, which ends at the first TLAST and reports the
bytes it wrote; more bytes than its buffer before a TLAST is the DMA's internal error.

DMA_BATCHES (JSON): per batch, the first image and the image count; a fractional count sends a
transfer that ends inside an image (a buggy host). DMA_RESULT: per batch, the S2MM bytes.
"""
import json
import os

import cocotb
import numpy as np
from cocotb.triggers import RisingEdge
from cocotbext.axi import AxiStreamFrame

from firmware.board.pynq_driver import encode
from sim.axis_tb import TB


def beats(buffer, beat_bytes):
    """Bytes -> beat values, little-endian (the DMA's byte order on the stream)."""
    return [int.from_bytes(bytes(buffer[i : i + beat_bytes]), 'little') for i in range(0, len(buffer), beat_bytes)]


async def s2mm(tb, length, beat_bytes):
    """One S2MM transfer into a buffer of `length` bytes: the bytes written up to TLAST."""
    frame = await tb.sinks['m_axis'].recv()
    data = b''.join(int(v).to_bytes(beat_bytes, 'little') for v in frame.tdata)
    assert len(data) <= length, f'S2MM: {len(data)} bytes before TLAST into a {length}-byte buffer (DMAIntErr)'
    return data


@cocotb.test()
async def run_batches(dut):
    manifest = json.loads(open(os.environ['DMA_MANIFEST']).read())
    images = np.load(os.environ['DMA_IMAGES'])
    batches = json.loads(os.environ['DMA_BATCHES'])
    in_bytes, out_bytes = manifest['input']['beat_bits'] // 8, manifest['output']['beat_bits'] // 8
    image_bytes = out_bytes * manifest['output']['beats_per_image']
    tb = TB(dut)
    await tb.reset()
    tb.pauses(idle=True, backpressure=True)
    results = []
    for first, count in batches:
        whole = int(np.ceil(count))
        stream = encode(images[first : first + whole], manifest)
        stream = stream[: int(round(count * images[0].size)) * in_bytes]  # a short transfer, when count is not whole
        receive = cocotb.start_soon(s2mm(tb, whole * image_bytes, out_bytes))
        await tb.sources['s_axis'].send(AxiStreamFrame(beats(stream, in_bytes)))
        results.append((await receive).hex())
    for _ in range(100):
        await RisingEdge(dut.clk)
    assert tb.sinks['m_axis'].empty(), 'results beyond the batches sent'
    with open(os.environ['DMA_RESULT'], 'w') as f:
        json.dump(results, f)
