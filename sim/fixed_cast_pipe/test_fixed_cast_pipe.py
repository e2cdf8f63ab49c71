"""fixed_cast_pipe: fixed_cast in two registered stages, against the integer reference, with a new
input every cycle (it has no handshake: the pipelines around it never stall, so there is no idle
or backpressure to sweep; every cycle carries a value instead)."""
import random
from pathlib import Path

import cocotb
import pytest
from cocotb.clock import Clock
from cocotb.triggers import FallingEdge

from firmware.fixed import wrap
from sim import reference, runner

LATENCY = 2
NAMES = ('IN_W', 'IN_F', 'IN_SIGNED', 'OUT_W', 'OUT_F', 'OUT_SIGNED', 'ROUND', 'SAT')


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def run_stream(dut):
    p = {k: int(getattr(dut, k).value) for k in NAMES}
    Clock(dut.clk, 10, unit='ns').start()
    values = [random.getrandbits(p['IN_W']) for _ in range(3000)] + [0, (1 << p['IN_W']) - 1, 1 << (p['IN_W'] - 1)]
    for cycle in range(len(values) + LATENCY):
        await FallingEdge(dut.clk)  # the output of the value set LATENCY cycles ago, settled
        if cycle >= LATENCY:
            raw = wrap(values[cycle - LATENCY], p['IN_W'], bool(p['IN_SIGNED']))
            expected = reference.cast(raw, p['IN_F'], p['OUT_W'], p['OUT_F'], bool(p['OUT_SIGNED']), p['ROUND'], p['SAT'])
            got = wrap(int(dut.out_raw.value), p['OUT_W'], bool(p['OUT_SIGNED']))
            assert got == expected, f'{raw} -> {got}, expected {expected}'
        if cycle < len(values):
            dut.in_raw.value = values[cycle]


FORMATS = [  # (IN_W, IN_F, IN_SIGNED, OUT_W, OUT_F, OUT_SIGNED, ROUND, SAT)
    (24, 10, 1, 8, 3, 0, 1, 1),  # an accumulator to a ReLU output: round, clip
    (24, 12, 1, 16, 9, 1, 0, 1),  # to the logits: truncate, signed saturation
    (12, 2, 1, 8, 4, 1, 1, 0),  # more fractional bits out, wrapping
    (10, 6, 0, 6, 2, 0, 1, 1),  # unsigned in
]


@pytest.mark.parametrize('fmt', FORMATS, ids=lambda f: '-'.join(map(str, f)))
def test_fixed_cast_pipe(sim, fmt):
    runner.run('fixed_cast_pipe', 'test_fixed_cast_pipe', Path(__file__).parent, dict(zip(NAMES, fmt)), sim=sim)
