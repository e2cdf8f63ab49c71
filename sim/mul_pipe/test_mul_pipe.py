"""mul_pipe and mul_lut: exact products two cycles after the operands, in the portable form, on
ECP5's MULT18X18D (through a behavioural model of the primitive, MULT18X18D.v here) and in LUTs."""
import random
from pathlib import Path

import cocotb
import pytest
from cocotb.clock import Clock
from cocotb.triggers import ReadOnly, RisingEdge, Timer

import cli
from firmware.fixed import wrap
from sim import runner

LATENCY = 2


@cocotb.test(timeout_time=1, timeout_unit="ms")
async def run_products(dut):
    p = {k: int(getattr(dut, k).value) for k in ('A_W', 'A_SIGNED', 'B_W', 'B_SIGNED', 'P_W')}
    cocotb.start_soon(Clock(dut.clk, 10, 'ns').start())
    rng = random.Random(sum(p.values()))
    # the extremes first (the sign extension is where a wrapper goes wrong), then random operands
    edges = [(a, b) for a in (0, 1, (1 << p['A_W']) - 1, 1 << (p['A_W'] - 1)) for b in (0, 1, (1 << p['B_W']) - 1, 1 << (p['B_W'] - 1))]
    operands = edges + [(rng.getrandbits(p['A_W']), rng.getrandbits(p['B_W'])) for _ in range(2000)]
    await RisingEdge(dut.clk)
    # operands set before edge c are registered at c; the product registered at c+1 is read once
    # that edge has settled (ReadOnly: through the wrapper's wires too)
    for cycle in range(len(operands) + 1):
        if cycle < len(operands):
            dut.a.value, dut.b.value = operands[cycle]
        await RisingEdge(dut.clk)
        await ReadOnly()
        if cycle >= LATENCY - 1:
            a, b = operands[cycle - (LATENCY - 1)]
            expected = wrap(wrap(a, p['A_W'], p['A_SIGNED']) * wrap(b, p['B_W'], p['B_SIGNED']), p['P_W'], True)
            got = wrap(int(dut.p.value), p['P_W'], True)
            assert got == expected, f'{a} * {b} -> {got}, expected {expected}'
        await Timer(1, 'ns')  # out of the read-only phase before the next operands are set

CASES = {  # (A_W, A_SIGNED, B_W, B_SIGNED, P_W)
    'u8-s8-17': (8, 0, 8, 1, 17),  # activations after a ReLU times weights
    's8-s8-24': (8, 1, 8, 1, 24),  # signed activations, the product sign-extended into a wide tree
    's6-s6-9': (6, 1, 6, 1, 9),  # a product wrapped to a narrow accumulator
    's7-u5-13': (7, 1, 5, 0, 13),  # an odd signed A: its top partial product is a pair of its own
    'u17-s18-36': (17, 0, 18, 1, 36),  # the widest operands the primitive takes
}


FORMS = {  # (module, family)
    'portable': ('mul_pipe', None),
    'ecp5': ('mul_pipe', 'ecp5'),
    'lut': ('mul_lut', None),
}


@pytest.mark.parametrize('form', FORMS)
@pytest.mark.parametrize('case', CASES)
def test_mul_pipe(sim, case, form):
    module, family = FORMS[form]
    params = dict(zip(('A_W', 'A_SIGNED', 'B_W', 'B_SIGNED', 'P_W'), CASES[case]))
    model = [Path(__file__).parent / 'MULT18X18D.v'] if family else []
    build = cli.ROOT / 'build' / 'sim' / 'mul_pipe' / f'{sim}-{case}-{form}'
    runner.run(module, 'test_mul_pipe', Path(__file__).parent, params, build_dir=build, sim=sim, sources=model, family=family)
