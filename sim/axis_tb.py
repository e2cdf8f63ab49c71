"""The test-bench frame every module bench shares: clock, reset, AXI-stream sources and sinks
(cocotbext-axi, one beat per frame), and random idle and backpressure."""
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge
from cocotbext.axi import AxiStreamBus, AxiStreamFrame, AxiStreamSink, AxiStreamSource


def random_pauses(seed, probability=0.3):
    rng = random.Random(seed)
    while True:
        yield rng.random() < probability


class TB:
    def __init__(self, dut, sources=('s_axis',), sinks=('m_axis',)):
        self.dut = dut
        Clock(dut.clk, 10, unit='ns').start()
        self.sources = {
            name: AxiStreamSource(AxiStreamBus.from_prefix(dut, name), dut.clk, dut.rst, byte_lanes=1) for name in sources
        }
        self.sinks = {name: AxiStreamSink(AxiStreamBus.from_prefix(dut, name), dut.clk, dut.rst, byte_lanes=1) for name in sinks}
        for bus in [*self.sources.values(), *self.sinks.values()]:
            bus.log.setLevel('WARNING')

    async def reset(self):
        self.dut.rst.value = 1
        for _ in range(3):
            await RisingEdge(self.dut.clk)
        self.dut.rst.value = 0
        await RisingEdge(self.dut.clk)

    def pauses(self, idle, backpressure, seed=1):
        """Random idle cycles on every input and random backpressure on every output."""
        for i, source in enumerate(self.sources.values()):
            source.set_pause_generator(random_pauses(seed + i) if idle else None)
        for i, sink in enumerate(self.sinks.values()):
            sink.set_pause_generator(random_pauses(seed + 100 + i) if backpressure else None)

    async def send(self, beats, name='s_axis'):
        for beat in beats:
            await self.sources[name].send(AxiStreamFrame([int(beat)]))

    async def recv(self, count, name='m_axis'):
        return [(await self.sinks[name].recv()).tdata[0] for _ in range(count)]

    async def idle(self, cycles=20):
        """Some cycles with nothing sent: a module must not emit anything extra."""
        for _ in range(cycles):
            await RisingEdge(self.dut.clk)
        for name, sink in self.sinks.items():
            assert sink.empty(), f'{name}: unexpected beats'


async def measure_interval(dut, beats_per_image, images, name='m_axis'):
    """Cycles between the first output beats of consecutive images (the first image's fill
    excluded): the steady-state cycles per image."""
    valid, ready = getattr(dut, f'{name}_tvalid'), getattr(dut, f'{name}_tready')
    starts, beats, cycle = [], 0, 0
    while beats < images * beats_per_image:
        await RisingEdge(dut.clk)
        await ReadOnly()
        cycle += 1
        if valid.value and ready.value:
            if beats % beats_per_image == 0:
                starts.append(cycle)
            beats += 1
    return [b - a for a, b in zip(starts[1:], starts[2:])]


async def back_to_back_intervals(dut, pixels_per_image, beats_per_image, images=6):
    """Reset, then `images` images of zeros with no idle cycles and no backpressure: the cycles
    per image measure_interval sees (the model a bench checks them against)."""
    tb = TB(dut)
    await tb.reset()
    cocotb.start_soon(tb.send([0] * (pixels_per_image * images)))
    return await measure_interval(dut, beats_per_image, images=images)


async def check_pass_through(dut, idle, backpressure, count):
    """A module that passes beats on unchanged (a FIFO, a register stage): `count` random beats
    come out once each, in order, whatever the idle and backpressure, and nothing more."""
    tb = TB(dut)
    await tb.reset()
    tb.pauses(idle, backpressure)
    beats = [random.getrandbits(len(dut.s_axis_tdata)) for _ in range(count)]
    cocotb.start_soon(tb.send(beats))
    assert await tb.recv(len(beats)) == beats
    await tb.idle()
