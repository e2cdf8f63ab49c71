"""Every parameter constraint a module's header states is checked when it is built: a bad
parameter stops Verilator and Yosys at elaboration with the module's message ($error); Icarus 11,
which has no elaboration-time $error, stops at time 0 with the same message ($fatal)."""
import subprocess

import pytest

import cli
from cli import tools
from firmware.library import LINT_WAIVERS, rtl_sources, uart_sources
from sim import runner

MULT18X18D = cli.ROOT / 'sim' / 'mul_pipe' / 'MULT18X18D.v'
LIBRARY, ECP5, UART = rtl_sources(), rtl_sources(MULT18X18D, family='ecp5'), [*rtl_sources(), *uart_sources()]

CHECKS = {  # name: (module, sources, parameters, message)
    'pe': ('pointwise_conv', LIBRARY, dict(C_OUT=4, PE=3), 'C_OUT must be a multiple of PE'),
    'simd': ('pointwise_conv', LIBRARY, dict(N=8, SIMD=9), 'SIMD must be 1 to N'),
    'lut-muls': ('pointwise_conv', LIBRARY, dict(PE=1, SIMD=2, LUT_MULS=3), 'LUT_MULS must be at most PE*SIMD'),
    'code-w': ('pointwise_conv', LIBRARY, dict(W_W=6, CODE_W=6), 'CODE_W must be 0 (no codebook) or 1 to W_W-1'),
    'pair-widths': ('mul_pair', LIBRARY, dict(A_W=9, B_W=8), 'A_W + 2*B_W + 1 must be at most 25 and A at most 18 bits signed (DSP48E1)'),
    'window-rows': ('sliding_window', LIBRARY, dict(H=2, W=6, K=5), 'K must be at most H + PAD_T + PAD_B'),
    'window-columns': ('sliding_window', LIBRARY, dict(H=6, W=2, K=5), 'K must be at most W + PAD_L + PAD_R'),
    'window-stride': ('sliding_window', LIBRARY, dict(S=0), 'S must be at least 1'),
    'fifo-depth': ('axis_fifo', LIBRARY, dict(DEPTH=0), 'DEPTH must be at least 1'),
    'select-kept': ('axis_select', LIBRARY, dict(LANES=4, KEEP=5, KEPT=3), 'KEPT must be the number of set bits of KEEP, at least 1'),
    'downsize-multiple': ('axis_downsize', LIBRARY, dict(S_W=65, M_W=16), 'S_W must be a multiple of M_W, at least 2 M_W'),
    'downsize-one-beat': ('axis_downsize', LIBRARY, dict(S_W=16, M_W=16), 'S_W must be a multiple of M_W, at least 2 M_W'),
    'pool': ('max_pool', LIBRARY, dict(H=4, W=4, P=5), 'P must be at least 1 and at most H and W'),
    'window-pool-signed-pad': ('window_max_pool', LIBRARY, dict(SIGNED=1), 'padding takes zeros, so the input must be unsigned (SIGNED 0)'),
    'window-pool-pad': ('window_max_pool', LIBRARY, dict(K=2, PAD_T=2), 'each padding must be below K'),
    'window-pool-size': ('window_max_pool', LIBRARY, dict(H=2, K=5, PAD_T=0, PAD_B=0), 'K must be at most the padded image'),
    'window-pool-stride': ('window_max_pool', LIBRARY, dict(S=0), 'S must be at least 1'),
    'mul18-a': ('mul_pipe', ECP5, dict(A_W=18, A_SIGNED=0), 'A_W + !A_SIGNED must be at most 18'),
    'mul18-b': ('mul_pipe', ECP5, dict(B_W=18, B_SIGNED=0), 'B_W + !B_SIGNED must be at most 18'),
    'mul18-p': ('mul_pipe', ECP5, dict(P_W=37), 'P_W must be at most 36'),
    'frame-rx-dw': ('uart_frame_rx', UART, dict(DW=12), 'DW must be a multiple of 8'),
    'frame-tx-rw': ('uart_frame_tx', UART, dict(RW=12), 'RW must be a multiple of 8'),
}
TOOLS = ('verilator', 'yosys', 'icarus')


def build(tool, top, sources, parameters, cwd):
    """Elaborate `top` with `tool` (Icarus: compile and run); (exit status, output)."""
    files = [str(s) for s in sources]
    for rom in ('weights.mem', 'bias.mem', 'codebook.mem'):  # pointwise_conv's default ROM files, read at elaboration
        (cwd / rom).write_text('0\n' * 64)
    if tool == 'verilator':
        runner.simulator('verilator')
        cmds = [['verilator', '--lint-only', str(LINT_WAIVERS), *[f'-G{k}={v}' for k, v in parameters.items()], *files, '--top-module', top]]
    elif tool == 'yosys':
        chparam = ''.join(f' -chparam {k} {v}' for k, v in parameters.items())
        cmds = [[tools.find('yosys', 'apt-get install yosys'), '-q', '-p', f'read_verilog -defer {" ".join(files)}; hierarchy -top {top}{chparam}']]
    else:
        runner.simulator('icarus')
        cmds = [['iverilog', '-g2012', '-s', top, *[f'-P{top}.{k}={v}' for k, v in parameters.items()], '-o', 'top.vvp', *files], ['vvp', '-n', 'top.vvp']]  # fmt: skip
    output = ''
    for cmd in cmds:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
        output += done.stdout + done.stderr
        if done.returncode:
            return done.returncode, output
    return 0, output


@pytest.mark.parametrize('tool', TOOLS)
@pytest.mark.parametrize('check', CHECKS)
def test_a_bad_parameter_stops_the_build_with_its_message(tool, check, tmp_path):
    top, sources, parameters, message = CHECKS[check]
    status, output = build(tool, top, sources, parameters, tmp_path)
    assert status != 0, f'{tool} built {top} with {parameters}'
    assert f'{top}: {message}' in output, output[-2000:]


@pytest.mark.parametrize('tool', TOOLS)
@pytest.mark.parametrize('top, sources', sorted({(m, tuple(s)) for m, s, _, _ in CHECKS.values()}), ids=lambda c: c if isinstance(c, str) else '')
def test_the_default_parameters_pass_every_check(tool, top, sources, tmp_path):
    status, output = build(tool, top, sources, {}, tmp_path)
    assert status == 0, output[-2000:]
