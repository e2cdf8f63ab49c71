"""fixed_cast: ap_fixed rounding and saturation, against the integer reference, every input."""
import random
from pathlib import Path

import cocotb
import pytest
from cocotb.triggers import Timer

from firmware.fixed import wrap
from sim import reference, runner


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def run_cast(dut):
    p = {k: int(getattr(dut, k).value) for k in ('IN_W', 'IN_F', 'IN_SIGNED', 'OUT_W', 'OUT_F', 'OUT_SIGNED', 'ROUND', 'SAT')}
    values = range(1 << p['IN_W']) if p['IN_W'] <= 12 else [random.getrandbits(p['IN_W']) for _ in range(4000)]
    for bits in values:
        dut.in_raw.value = bits
        await Timer(1, 'ns')
        raw = wrap(bits, p['IN_W'], bool(p['IN_SIGNED']))
        expected = reference.cast(raw, p['IN_F'], p['OUT_W'], p['OUT_F'], bool(p['OUT_SIGNED']), p['ROUND'], p['SAT'])
        got = wrap(int(dut.out_raw.value), p['OUT_W'], bool(p['OUT_SIGNED']))
        assert got == expected, f'{raw} -> {got}, expected {expected}'


FORMATS = [  # (IN_W, IN_F, IN_SIGNED, OUT_W, OUT_F, OUT_SIGNED, ROUND, SAT)
    (12, 6, 1, 8, 3, 0, 1, 1),  # accumulator to a ReLU output: round, clip
    (12, 6, 1, 8, 3, 1, 0, 1),  # truncate, signed saturation
    (10, 2, 1, 6, 4, 1, 1, 0),  # more fractional bits out, wrapping
    (24, 12, 1, 16, 9, 1, 0, 1),  # wide, as the logits
]


@pytest.mark.parametrize('fmt', FORMATS, ids=lambda f: '-'.join(map(str, f)))
def test_fixed_cast(sim, fmt):
    names = ('IN_W', 'IN_F', 'IN_SIGNED', 'OUT_W', 'OUT_F', 'OUT_SIGNED', 'ROUND', 'SAT')
    runner.run('fixed_cast', 'test_fixed_cast', Path(__file__).parent, dict(zip(names, fmt)), sim=sim)
