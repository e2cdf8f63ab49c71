"""The whole network: shipped test images streamed back to back through the generated top.

Phase 1 streams the first images with no idle cycles and no backpressure and times them
(interval between logits, latency of the first) and every layer's output stream (NETWORK_PROBES:
[layer, tensor, beats per image]: when each image's first beat left, and the cycles in which the
layer held a beat its consumer did not take); phase 2 streams the rest with random idle
cycles on the input and random backpressure on the output. Every image's logits are written
to NETWORK_RESULT (the images come from NETWORK_IMAGES) for sim/run_network.py to compare with the C simulation.
"""
import json
import os
import time

import cocotb
from cocotb.triggers import RisingEdge, with_timeout
from cocotb.utils import get_sim_time
from cocotbext.axi import AxiStreamFrame

from sim.axis_tb import TB

TIMED_IMAGES = 6


def cycle():
    return int(get_sim_time('ns')) // 10


async def stream(tb, images):
    for beats in images:
        await tb.sources['s_axis'].send(AxiStreamFrame([int(b) for b in beats]))


@cocotb.test()
async def run_network(dut):
    """All images through; with NETWORK_CYCLE_LIMIT set, fail (a deadlock) if they take longer."""
    limit = int(os.environ.get('NETWORK_CYCLE_LIMIT', 0))
    if limit:
        await with_timeout(stream_all(dut), limit * 10, 'ns')
    else:
        await stream_all(dut)


async def probe(dut, probes, done, found):
    """Per probed layer: the cycle of each image's first output beat, and the stalled cycles."""
    streams = [
        (name, getattr(dut, f'{tensor}_tvalid'), getattr(dut, f'{tensor}_tready'), beats)
        for name, tensor, beats in probes
        if hasattr(dut, f'{tensor}_tvalid')  # the last layer's output is the top's m_axis
    ]
    for name, *_ in streams:
        found[name] = dict(starts=[], stalled=0)
    counts = [0] * len(streams)
    while not done:
        await RisingEdge(dut.clk)
        now = cycle()
        for i, (name, valid, ready, beats) in enumerate(streams):
            if valid.value:
                if ready.value:
                    if counts[i] % beats == 0:
                        found[name]['starts'].append(now)
                    counts[i] += 1
                else:
                    found[name]['stalled'] += 1


async def image_logits(tb, width):
    """One image's logits: the beats of its packet (each image is its own batch), little-endian."""
    beats = (await tb.sinks['m_axis'].recv()).tdata
    return sum(int(b) << (i * width) for i, b in enumerate(beats))


async def stream_all(dut):
    with open(os.environ['NETWORK_IMAGES']) as f:
        beats = json.load(f)  # per image, one packed beat per pixel
    tb = TB(dut)
    width = len(dut.m_axis_tdata)
    started = time.time()
    await tb.reset()
    timed = min(TIMED_IMAGES, len(beats))
    logits, arrivals = [], []
    start = cycle()
    done, layers = [], {}
    cocotb.start_soon(probe(dut, json.loads(os.environ.get('NETWORK_PROBES', '[]')), done, layers))
    cocotb.start_soon(stream(tb, beats[:timed]))
    for _ in range(timed):
        logits.append(await image_logits(tb, width))
        arrivals.append(cycle() - start)
    done.append(True)
    for found in layers.values():
        found['starts'] = [c - start for c in found['starts']]
        found['cycles'] = arrivals[-1]
    tb.pauses(idle=True, backpressure=True)
    cocotb.start_soon(stream(tb, beats[timed:]))
    for _ in range(len(beats) - timed):
        logits.append(await image_logits(tb, width))
    for _ in range(50):
        await RisingEdge(dut.clk)
    assert tb.sinks['m_axis'].empty(), 'logits beyond the images sent'
    result = dict(logits=[f'{v:x}' for v in logits], arrivals=arrivals, layers=layers, cycles=cycle(), seconds=time.time() - started)
    with open(os.environ['NETWORK_RESULT'], 'w') as f:
        json.dump(result, f)
