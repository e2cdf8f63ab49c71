"""The open bitstream flow of an ECP5 board (the ULX3S) for `make synth`: Yosys, nextpnr-ecp5 and
ecppack.

Steps (STEPS), each a small function of one Context:
  generate          the RTL of the configured model, folded as the board table says
  pll               ecppll: the board's clock from its oscillator (pll.v)
  place_and_route   Yosys synth_ecp5 of the board top (firmware/board/<board>/: the UART, the
                    PLL, the network), the resources per layer, then nextpnr-ecp5 with the
                    board's pins at the PLL clock; a job of firmware.pnr, cached like `make timing`'s
  report            utilization per layer and of the whole part, post-route Fmax against the
                    PLL clock: a missed clock fails the build, and no bitstream is written
  bitstream         ecppack: build/synth/<board>/<board>.bit
Exit status (firmware.synth): 0 a bitstream, 1 the clock was missed, 2 bad input, 3 a tool is
missing, 4 a tool failed.
"""
from dataclasses import dataclass
from pathlib import Path

import cli
from cli import steps
from firmware import jobs, nextpnr, pnr, yosys
from firmware.boards import BoardError, fit, format_table
from firmware.generate import generate_rtl
from firmware.library import rtl_sources, uart_sources
from model.store import atomic_dir


@dataclass
class Context:
    board: dict
    config: dict
    out: Path
    say: object = print
    manifest: dict = None
    result: dict = None  # the board top's place-and-route result
    work: Path = None  # its folder in the cache
    met: bool = False
    bitstream: Path = None


def board_files(board):
    return cli.ROOT / 'firmware' / 'board' / board['name']


def top_params(ctx):
    manifest, board = ctx.manifest, ctx.board
    return dict(
        CLKS_PER_BIT=round(board['clock_mhz'] * 1e6 / board['baud']), PIXELS=manifest['input']['shape'][0] * manifest['input']['shape'][1],
        DW=manifest['input']['beat_bits'], RW=manifest['output']['beat_bits'],
    )  # fmt: skip


def step_generate(ctx):
    from hls.convert import convert
    from model.store import load_quantized

    graph = convert(load_quantized(ctx.config['model']), ctx.config, ctx.out / 'hls')
    ctx.manifest = generate_rtl(graph, ctx.config, ctx.board, ctx.out / 'rtl')


def step_pll(ctx):
    board = ctx.board
    with atomic_dir(ctx.out / 'pll') as out:
        made = nextpnr.ecppll(out, board['oscillator_mhz'], board['clock_mhz'])
        if abs(made - board['clock_mhz']) > 1e-6:
            raise BoardError(f'{board["name"]}: the PLL makes {made} MHz, not clock_mhz {board["clock_mhz"]}; choose one it can make')


def step_place_and_route(ctx):
    board, manifest = ctx.board, ctx.manifest
    files = board_files(board)
    sources = rtl_sources(ctx.out / 'rtl' / f'{manifest["top"]}.v', *uart_sources(), *sorted(files.glob('*.v')), ctx.out / 'pll' / 'pll.v', family='ecp5')
    top = f'{board["name"]}_top'
    # the hierarchy kept for the per-layer table, then flattened for nextpnr
    script = yosys.script(sources, top, 'synth_ecp5 -noflatten', top_params(ctx), after=[yosys.dump_cells(manifest['top']), 'flatten', 'write_json top.json'])
    lpf = files / f'{board["name"]}.lpf'
    roms = [rom.read_bytes() for rom in sorted((ctx.out / 'rtl' / 'rom').glob('*.mem'))]
    # the script names the sources by absolute path, the key by name (their contents are keyed too),
    # so that a checkout in another folder finds the same cache entry
    named = script
    for source in sources:
        named = named.replace(str(source), Path(source).name)
    key = jobs.digest('board', named, *[Path(s).read_bytes() for s in sources], lpf.read_bytes(), *roms, pnr.part_key(board), pnr.tool_versions())
    job = jobs.Job(key, 'network', top, sources, board['clock_mhz'], [f'({board["name"]} top)'], yosys=script,
                   nextpnr=['--lpf', str(lpf), '--textcfg', 'top.config'], design=ctx.out / 'rtl')  # fmt: skip
    ctx.result = pnr.run_jobs([job], board, ctx.out / 'cache')[key]
    ctx.work = ctx.out / 'cache' / key
    if not ctx.result['ok']:
        raise cli.ToolFailed(ctx.result['error'])


def step_report(ctx):
    board, result, work = ctx.board, ctx.result, ctx.work
    per_layer = yosys.utilization((work / 'stat.txt').read_text(), (work / 'top_cells.il').read_text(), ctx.manifest['top'], 'ecp5')
    _, share = fit(per_layer['total'], board)
    table = format_table(per_layer, board, share)
    placed = ', '.join(f'{k} {v:,} of {result["available"][k]:,} ({v / result["available"][k]:.0%})' for k, v in result['used'].items())
    ctx.met = result['fmax_mhz'] is not None and result['fmax_mhz'] >= board['clock_mhz']
    lines = [
        f'Open flow for {board["name"]} ({board["part"]}): Yosys synth_ecp5, nextpnr-ecp5, ecppack',
        table, '', f'placed (the whole board top): {placed}',
        f'post-route Fmax {result["fmax_mhz"]} MHz, PLL clock {board["clock_mhz"]} MHz: {"met" if ctx.met else "MISSED"}'
        f'   (critical path {result["path_from"]} -> {result["path_to"]})',
        f'UART: {board["baud"]:,} baud 8N1, {top_params(ctx)["CLKS_PER_BIT"]} clocks per bit; '
        f'Yosys {result["synth_s"]:.0f} s, nextpnr {result["pnr_s"]:.0f} s' + (' (cached)' if result.get('cached') else ''),
    ]  # fmt: skip
    (ctx.out / 'utilization.txt').write_text('\n'.join(lines) + '\n')
    ctx.say('\n'.join(lines))


def step_bitstream(ctx):
    bit = ctx.out / f'{ctx.board["name"]}.bit'
    if not ctx.met:
        bit.unlink(missing_ok=True)
        ctx.say(f'no bitstream: post-route Fmax {ctx.result["fmax_mhz"]} MHz is below the {ctx.board["clock_mhz"]} MHz clock')
        return
    partial = bit.with_suffix('.bit.partial')
    try:
        nextpnr.ecppack(ctx.work / 'top.config', partial)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(bit)
    ctx.bitstream = bit
    ctx.say(f'bitstream: {bit} ({bit.stat().st_size:,} bytes); `make board-run BOARD={ctx.board["name"]} PORT=/dev/ttyUSB0` programs and runs it')


STEPS = [('generate', step_generate), ('pll', step_pll), ('place_and_route', step_place_and_route), ('report', step_report), ('bitstream', step_bitstream)]


def run(board, config, out, bitstream=False, stop_after=None):
    """The steps up to `stop_after` (the bitstream is this flow's last step: `bitstream` asks for
    nothing more); the exit status."""
    ctx = Context(board, config, out)
    steps.run_steps(STEPS, ctx, stop=stop_after, times=out / 'time_per_step.json')
    return 0 if ctx.met or stop_after not in (None, 'report', 'bitstream') else 1
