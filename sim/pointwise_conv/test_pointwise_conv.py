"""pointwise_conv: folded dot products with bias, ReLU and cast, against the reference."""
import json
import os
from pathlib import Path

import cocotb
import pytest

from sim import runner
from sim.axis_tb import back_to_back_intervals
from sim.mac import FORMATS, check, dense_ref, random_inputs, write_roms


@cocotb.test(timeout_time=5, timeout_unit="ms")
@cocotb.parametrize(idle=[False, True], backpressure=[False, True])
async def run_pixels(dut, idle, backpressure):
    p = json.loads(os.environ['CASE'])
    x = random_inputs(p, 40, (p['N'],))
    await check(dut, idle, backpressure, x, p['N'], lambda w, b, p: dense_ref(x, w, b, p))


@cocotb.test(timeout_time=5, timeout_unit="ms")
async def run_interval(dut):
    """Back to back, never stalled: (C_OUT/PE)*ceil(N/SIMD) cycles per beat, the generator's model."""
    p = json.loads(os.environ['CASE'])
    intervals = await back_to_back_intervals(dut, 1, 1, images=12)
    assert set(intervals) == {(p['C_OUT'] // p['PE']) * -(-p['N'] // p['SIMD'])}, intervals


CASES = {  # folding: everything in one cycle, partly folded (some multipliers in LUTs), fully
    # serial; a signed linear (bypass) layer with LUT multipliers
    'pe4-simd8': dict(FORMATS, N=8, C_OUT=4, PE=4, SIMD=8),
    'pe2-simd4': dict(FORMATS, N=16, C_OUT=6, PE=2, SIMD=4, LUT_MULS=3),
    'pe1-simd1': dict(FORMATS, N=5, C_OUT=3, PE=1, SIMD=1),
    # SIMD not dividing N: the last pass takes 2 (of 3) and 1 (of 4) inputs, the rest zeros
    'pe2-simd3-partial': dict(FORMATS, N=8, C_OUT=4, PE=2, SIMD=3), 'pe1-simd4-partial': dict(FORMATS, N=5, C_OUT=3, PE=1, SIMD=4, LUT_MULS=2),
    'signed-linear': dict(FORMATS, N=6, C_OUT=4, PE=2, SIMD=3, IN_SIGNED=1, RELU=0, OUT_SIGNED=1, OUT_W=9, LUT_MULS=6),
    # shared weights: 3-bit codebook indices in the ROM, one codebook per layer (Deep Compression)
    'codebook-pe2-simd4': dict(FORMATS, N=16, C_OUT=6, PE=2, SIMD=4, LUT_MULS=3, CODE_W=3),
    'codebook-serial': dict(FORMATS, N=5, C_OUT=3, PE=1, SIMD=1, CODE_W=1),
}


@pytest.mark.parametrize('case', CASES)
def test_pointwise_conv(sim, case, tmp_path):
    params = write_roms(CASES[case], tmp_path)
    runner.run('pointwise_conv', 'test_pointwise_conv', Path(__file__).parent, params, sim=sim, env={'CASE': json.dumps(CASES[case])})
