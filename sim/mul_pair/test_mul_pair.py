"""mul_pair: two exact products of a shared operand, two cycles after the operands: one packed
DSP48E1 multiply in the portable form (its guard bits and the added half proven here on every
sign corner), two MULT18X18D on ECP5 (through sim/mul_pipe's behavioural model)."""
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


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def run_products(dut):
    p = {k: int(getattr(dut, k).value) for k in ('A_W', 'A_SIGNED', 'B_W', 'P_W')}
    cocotb.start_soon(Clock(dut.clk, 10, 'ns').start())
    rng = random.Random(sum(p.values()))
    # every combination of the extremes (the low product's sign is what the added half must
    # absorb), then random operands
    a_edges = (0, 1, (1 << p['A_W']) - 1, 1 << (p['A_W'] - 1), (1 << (p['A_W'] - 1)) - 1)
    b_edges = (0, 1, (1 << p['B_W']) - 1, 1 << (p['B_W'] - 1), (1 << (p['B_W'] - 1)) - 1)
    operands = [(a, b0, b1) for a in a_edges for b0 in b_edges for b1 in b_edges]
    operands += [(rng.getrandbits(p['A_W']), rng.getrandbits(p['B_W']), rng.getrandbits(p['B_W'])) for _ in range(1000)]
    await RisingEdge(dut.clk)
    for cycle in range(len(operands) + 1):
        if cycle < len(operands):
            dut.a.value, dut.b0.value, dut.b1.value = operands[cycle]
        await RisingEdge(dut.clk)
        await ReadOnly()
        if cycle >= LATENCY - 1:
            a, b0, b1 = operands[cycle - (LATENCY - 1)]
            a = wrap(a, p['A_W'], p['A_SIGNED'])
            for port, b in (('p0', b0), ('p1', b1)):
                expected = wrap(a * wrap(b, p['B_W'], True), p['P_W'], True)
                got = wrap(int(getattr(dut, port).value), p['P_W'], True)
                assert got == expected, f'{port}: {a} * {wrap(b, p["B_W"], True)} -> {got}, expected {expected}'
        await Timer(1, 'ns')


CASES = {  # (A_W, A_SIGNED, B_W, P_W)
    'u8-s8-17': (8, 0, 8, 17),  # activations after a ReLU times 8-bit weights: the common pair
    's8-s8-24': (8, 1, 8, 24),  # signed activations (a bypass), sign-extended into a wide tree
    'u6-s4-8': (6, 0, 4, 8),  # narrow formats (a 4-bit model), the 10-bit products wrapped to 8
}
FORMS = {'portable': None, 'ecp5': 'ecp5'}


@pytest.mark.parametrize('form', FORMS)
@pytest.mark.parametrize('case', CASES)
def test_mul_pair(sim, case, form):
    family = FORMS[form]
    params = dict(zip(('A_W', 'A_SIGNED', 'B_W', 'P_W'), CASES[case]))
    model = [cli.ROOT / 'sim' / 'mul_pipe' / 'MULT18X18D.v'] if family else []
    build = cli.ROOT / 'build' / 'sim' / 'mul_pair' / f'{sim}-{case}-{form}'
    runner.run('mul_pair', 'test_mul_pair', Path(__file__).parent, params, build_dir=build, sim=sim, sources=model, family=family)
