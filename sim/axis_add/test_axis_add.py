"""axis_add: lane-wise exact sum of two formats, cast to the output format."""
import random
from pathlib import Path

import cocotb
import numpy as np
import pytest

from firmware.fixed import pack, unpack
from sim import reference, runner
from sim.axis_tb import TB


def param(dut, name):
    return int(getattr(dut, name).value)


@cocotb.test(timeout_time=5, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_stream(dut, idle, backpressure):
    tb = TB(dut, sources=('a_axis', 'b_axis'))
    await tb.reset()
    tb.pauses(idle, backpressure)
    c = param(dut, 'C')
    fmt = {x: (param(dut, f'{x}_W'), param(dut, f'{x}_F'), bool(param(dut, f'{x}_SIGNED'))) for x in ('A', 'B', 'OUT')}
    n = 100
    lanes = {x: [random.getrandbits(fmt[x][0]) for _ in range(n * c)] for x in ('A', 'B')}
    a = unpack(pack(lanes['A'], fmt['A'][0]), n * c, *fmt['A'][::2]).reshape(n, c)
    b = unpack(pack(lanes['B'], fmt['B'][0]), n * c, *fmt['B'][::2]).reshape(n, c)
    frac = max(fmt['A'][1], fmt['B'][1])
    total = (a << (frac - fmt['A'][1])) + (b << (frac - fmt['B'][1]))
    expected = reference.cast(total, frac, *fmt['OUT'], param(dut, 'ROUND'), param(dut, 'SAT'))
    cocotb.start_soon(tb.send([pack(v, fmt['A'][0]) for v in a], 'a_axis'))
    cocotb.start_soon(tb.send([pack(v, fmt['B'][0]) for v in b], 'b_axis'))
    got = np.array([unpack(beat, c, fmt['OUT'][0], fmt['OUT'][2]) for beat in await tb.recv(n)])
    assert np.array_equal(got, expected)
    await tb.idle()


CASES = {  # Fire simple bypass (unsigned + unsigned), complex bypass (signed conv + unsigned)
    'unsigned': dict(C=4, A_W=8, A_F=5, A_SIGNED=0, B_W=8, B_F=3, B_SIGNED=0, OUT_W=8, OUT_F=3, OUT_SIGNED=0),
    'signed': dict(C=3, A_W=8, A_F=4, A_SIGNED=1, B_W=6, B_F=2, B_SIGNED=0, OUT_W=7, OUT_F=3, OUT_SIGNED=1),
}


@pytest.mark.parametrize('case', CASES)
def test_axis_add(sim, case):
    runner.run('axis_add', 'test_axis_add', Path(__file__).parent, dict(CASES[case], ROUND=1, SAT=1), sim=sim)
