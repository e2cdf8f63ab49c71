"""Post-route timing with the open tools: Yosys synth_ecp5, then nextpnr-ecp5, out of context.

    python -m firmware.timing                       # what `make timing` runs
    python -m firmware.timing --modules-only        # every layer's module, not the whole network

The figures are nextpnr's own static timing analysis after placement and routing on the timing
part of firmware/boards.yaml (lfe5u-85f: LFE5U-85F, speed grade 6), not a Xilinx part: for a
Xilinx board Vivado's timing is the authority, and this is the evidence beside its target clock.

Steps (STEPS):
  generate  the hls4ml graph of the configured model and the RTL from it, twice: for the design
            point's board and for the timing part (its folding fits the 85F)
  place_and_route
            every distinct layer module of both, out of context, at --module-clock-mhz, and the
            whole network for the timing part, out of context, at --clock-mhz (in parallel)
  report    Fmax, utilization and the critical path (which layers it starts and ends in)
Every place-and-route run is cached under build/timing/cache (firmware.pnr): an unchanged module
is not placed again. The result is written to build/timing/timing.json and to the evidence file
(firmware.evidence), which `make sim`, `make synth` and `make bench` read.
Exit status: 0 every clock met, 1 a clock missed or a design does not fit, 2 bad input,
3 a tool is missing, 4 a tool failed.
"""
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import cli
from cli import cluster, steps
from firmware import evidence, jobs, memory, pnr
from firmware.boards import load_board, timing_part
from firmware.backend.folding import load_folding
from firmware.backend.ir import GraphError
from firmware.generate import generate_rtl
from firmware.library import rtl_sources


@dataclass
class Design:
    manifest: dict
    rtl: Path
    folding: str  # auto or the folding file, relative to the repository
    digest: str


@dataclass
class Context:
    config: dict
    part: dict  # the timing part's entry of the board table
    out: Path
    clock_mhz: float
    module_mhz: float
    modules_only: bool = False
    layers: list = field(default_factory=list)  # only these layers' modules (no network, no evidence)
    tools: dict = field(default_factory=dict)
    sources: str = ''
    designs: dict = field(default_factory=dict)  # board, ecp5 -> Design
    results: dict = field(default_factory=dict)  # job key -> result
    network_key: str = None
    too_big: dict = field(default_factory=dict)  # what is not placed (a layer, '(network)') -> why
    met: bool = False


def step_generate(ctx):
    """Both designs; the timing part's is kept only if it fits the part (the default network
    does, folded by the part's folding file; SqueezeNet v1.1's 1.2 M weights do not)."""
    from hls.convert import convert
    from model.store import load_quantized

    graph = convert(load_quantized(ctx.config['model']), ctx.config, ctx.out / 'hls')
    for name, board in (('board', load_board(ctx.config['board'])), ('ecp5', ctx.part)):
        folder = ctx.out / f'rtl-{name}'
        manifest = generate_rtl(graph, ctx.config, board, folder)
        folding = board.get('folding') or ctx.config['folding']
        label = folding if folding == 'auto' else str(Path(folding).resolve().relative_to(cli.ROOT))
        if name == 'ecp5':
            rows = memory.per_layer(manifest)
            why = beyond(ctx.part, rows['total'], manifest['multipliers'] - manifest['lut_multipliers'])
            if why:
                ctx.too_big['(network)'] = f'folded by {label}, {why}'
                continue
        ctx.designs[name] = Design(manifest, folder, label, evidence.design_digest(manifest, folder))


def beyond(part, memory_row, dsp_multipliers):
    """Why a design or module does not fit the timing part (its memories or multipliers), or ''."""
    have = part['resources']
    why = []
    if memory_row and memory_row['bram36'] > have['BRAM36']:
        why.append(f'its memories need {memory_row["kb"]:,.0f} KB in {memory_row["bram36"]:,} BRAM36-equivalents, '
                   f'the {part["part"]} has {have["BRAM36"]:,} ({memory.board_kb(part):,.0f} KB)')  # fmt: skip
    if dsp_multipliers > have['DSP']:
        why.append(f'its {dsp_multipliers:,} multipliers exceed the {have["DSP"]} MULT18X18D')
    return '; '.join(why)


def module_jobs(ctx):
    known = {layer['name'] for d in ctx.designs.values() for layer in d.manifest['layers']}
    if set(ctx.layers) - known:
        raise GraphError(f'--layer: no such layer {sorted(set(ctx.layers) - known)}; layers: {", ".join(sorted(known))}')
    found = {}
    module_part = {k: v for k, v in pnr.part_key(ctx.part).items() if k != 'timing'}  # network_nextpnr is the network's
    for design in ctx.designs.values():
        rows = memory.per_layer(design.manifest)
        layers = []
        for layer in design.manifest['layers']:
            if ctx.layers and layer['name'] not in ctx.layers:
                continue
            why = beyond(ctx.part, rows.get(layer['name']), layer['multipliers'] - layer['lut_multipliers'])
            if why:
                ctx.too_big[layer['name']] = why
            else:
                layers.append(layer)
        instances = [(layer['name'], layer['module'], layer['params']) for layer in layers]
        _, keys = jobs.instance_jobs(instances, design.rtl, ctx.part['family'], ctx.module_mhz, module_part, ctx.tools, jobs=found, clock_mhz=ctx.module_mhz)
        for layer in layers:
            layer['timing_key'] = keys[layer['name']]
    return list(found.values())


def network_job(ctx):
    design = ctx.designs['ecp5']
    top = design.rtl / f'{design.manifest["top"]}.v'
    key = jobs.digest('network', design.digest, ctx.clock_mhz, pnr.part_key(ctx.part), ctx.tools)
    options = ['--out-of-context', *ctx.part['timing'].get('network_nextpnr', [])]
    return jobs.Job(key, 'network', design.manifest['top'], rtl_sources(top, family=ctx.part['family']), ctx.clock_mhz, ['(network)'], nextpnr=options, design=design.rtl)


def step_place_and_route(ctx):
    """The layer modules and (unless told not to) the whole network, all in one pool; what does
    not fit the part is not placed (the report says why)."""
    todo = module_jobs(ctx)
    if not (ctx.modules_only or ctx.layers or '(network)' in ctx.too_big):
        network = network_job(ctx)
        ctx.network_key = network.key
        todo.append(network)
    ctx.results.update(pnr.run_jobs(todo, ctx.part, ctx.out / 'cache'))


def verdict(result, clock_mhz):
    """FAIL, MET or MISSED; a module with no path from a register to a register (a join, such as
    axis_concat) has no Fmax and meets any clock."""
    if not result['ok']:
        return 'FAIL'
    return 'MET' if result['fmax_mhz'] is None or result['fmax_mhz'] >= clock_mhz else 'MISSED'


def format_report(ctx):
    t = ctx.part
    rows = [f'Post-route timing, nextpnr-ecp5 out of context on {t["part"]} (speed grade {t["speed"]}); not the Xilinx part.']
    for name, design in ctx.designs.items():
        rows.append(f'\nlayer modules, folding {design.folding}, target {ctx.module_mhz:g} MHz')
        rows.append(f'{"layer":<30}{"module":<16}{"PExSIMD":>8}{"Fmax MHz":>10}{"LUT4":>8}{"FF":>8}{"MULT":>6}{"EBR":>5}  verdict  critical path')
        for layer in design.manifest['layers']:
            if layer['name'] in ctx.too_big:
                rows.append(f'{layer["name"]:<30}{layer["module"]:<16}{"":>8}{"-":>10}  NOT PLACED: {ctx.too_big[layer["name"]]}')
            if 'timing_key' not in layer:
                continue
            r = ctx.results[layer['timing_key']]
            p = layer['params']
            fold = f'{p["PE"]}x{p["SIMD"]}' if 'PE' in p else '-'
            if r['ok']:
                u = r['used']
                fmax = '-' if r['fmax_mhz'] is None else f'{r["fmax_mhz"]:.1f}'
                path = f'{short(r["path_from"])} -> {short(r["path_to"])}' if r['fmax_mhz'] is not None else 'no register-to-register path'
                rows.append(f'{layer["name"]:<30}{layer["module"]:<16}{fold:>8}{fmax:>10}{u.get("TRELLIS_COMB", 0):>8,}{u.get("TRELLIS_FF", 0):>8,}'
                            f'{u.get("MULT18X18D", 0):>6}{u.get("DP16KD", 0):>5}  {verdict(r, ctx.module_mhz):<7}  {path}')  # fmt: skip
            else:
                rows.append(f'{layer["name"]:<30}{layer["module"]:<16}{fold:>8}{"-":>10}  FAIL: {r["error"]}')
    if '(network)' in ctx.too_big:
        rows.append(f'\nwhole network: NOT PLACED on the {t["part"]}: {ctx.too_big["(network)"]}')
    if ctx.network_key:
        r = ctx.results[ctx.network_key]
        design = ctx.designs['ecp5']
        rows.append(f'\nwhole network, folding {design.folding}, target {ctx.clock_mhz:g} MHz')
        if r['ok']:
            rows.append(f'  post-route Fmax: {r["fmax_mhz"]:.1f} MHz  ({verdict(r, ctx.clock_mhz)})')
            for res in ('TRELLIS_COMB', 'TRELLIS_FF', 'MULT18X18D', 'DP16KD', 'TRELLIS_RAMW'):
                if res in r['used']:
                    rows.append(f'  {res:<13}{r["used"][res]:>8,} of {r["available"][res]:>7,}  ({r["used"][res] / r["available"][res]:.0%})')
            layers = ' -> '.join(dict.fromkeys(r['path_layers'])) or '(top)'
            rows.append(f'  critical path: {r["path_from"]} -> {r["path_to"]}')
            rows.append(f'    layers: {layers}; {r["path_logic_ns"]:.2f} ns logic + {r["path_routing_ns"]:.2f} ns routing')
            rows.append(f'  synthesis {r["synth_s"]:.0f} s, place and route {r["pnr_s"]:.0f} s{" (cached)" if r.get("cached") else ""}')
        else:
            rows.append(f'  FAIL: {r["error"]}')
    return '\n'.join(rows)


def short(cell, width=34):
    return cell if len(cell) <= width else cell[: width - 3] + '...'


def summary(ctx):
    """What other reports need: per design, the slowest module and the network's Fmax."""
    out = dict(part=ctx.part['part'], speed=ctx.part['speed'], sources=ctx.sources, tools=ctx.tools,
               module_mhz=ctx.module_mhz, clock_mhz=ctx.clock_mhz, measured=time.strftime('%Y-%m-%d'), designs={})  # fmt: skip
    network = {'network_not_placed': ctx.too_big['(network)']} if '(network)' in ctx.too_big else {}
    if ctx.network_key:  # the same model and RTL, folded for the 85F: evidence for both designs
        r = ctx.results[ctx.network_key]
        network = dict(network_folding=ctx.designs['ecp5'].folding, network_mhz=r.get('fmax_mhz') if r['ok'] else None,
                       network_used=r.get('used'), network_pnr_s=r.get('pnr_s'))  # fmt: skip
    for design in ctx.designs.values():
        placed = [layer for layer in design.manifest['layers'] if 'timing_key' in layer]
        mods = [ctx.results[layer['timing_key']] for layer in placed]
        slowest = min((r['fmax_mhz'] for r in mods if r['ok'] and r['fmax_mhz'] is not None), default=None)
        out['designs'][design.digest] = dict(
            folding=design.folding, slowest_module_mhz=slowest, modules_ok=all(r['ok'] for r in mods),
            modules={layer['name']: ctx.results[layer['timing_key']].get('fmax_mhz') for layer in placed},
            modules_not_placed={name: why for name, why in ctx.too_big.items() if name != '(network)'}, **network,
        )  # fmt: skip
    return out


def step_report(ctx):
    text = format_report(ctx)
    print('\n' + text)
    (ctx.out / 'timing.txt').write_text(text + '\n')
    if not ctx.layers:  # a run of some layers only is no evidence for the design
        record = summary(ctx)
        (ctx.out / 'timing.json').write_text(json.dumps(record, indent=1) + '\n')
        evidence.update_evidence(record)
    module_results = [ctx.results[layer['timing_key']] for d in ctx.designs.values() for layer in d.manifest['layers'] if 'timing_key' in layer]
    ok = all(verdict(r, ctx.module_mhz) == 'MET' for r in module_results)
    if ctx.network_key:
        ok = ok and verdict(ctx.results[ctx.network_key], ctx.clock_mhz) == 'MET'
    ctx.met = ok



STEPS = [('generate', step_generate), ('place_and_route', step_place_and_route), ('report', step_report)]


def main(argv=None):
    part = timing_part()
    targets = part['timing']
    parser = cli.Parser(description=__doc__)
    parser.add_argument('--config', default=str(cli.ROOT / 'hls' / 'config.yaml'), help='design point')
    parser.add_argument('--clock-mhz', type=cli.positive, default=targets['network_mhz'], help='whole-network target')
    parser.add_argument('--module-clock-mhz', type=cli.positive, default=targets['module_mhz'], help='per-module target')
    parser.add_argument('--modules-only', action='store_true', help='skip the whole network (about half an hour)')
    parser.add_argument('--layer', action='append', default=[], help='only this layer\'s module (repeatable; no network, no evidence)')
    cluster.add_arguments(parser)
    parser.add_argument('--out', default=str(cli.ROOT / 'build' / 'timing'), help='work folder (and cache)')
    steps.add_arguments(parser, STEPS)
    args = parser.parse_args(argv)

    from hls.convert import load_config
    from model.store import load_quantized

    config = load_config(args.config)
    load_folding(config['folding'])
    load_quantized(config['model'])
    load_folding(part['folding'])
    steps.select(STEPS, stop=args.stop_after)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = Context(config, part, out, args.clock_mhz, args.module_clock_mhz, args.modules_only, args.layer,
                  tools=pnr.tool_versions(), sources=evidence.sources_digest())  # fmt: skip
    started = time.time()
    with cluster.session(args.scheduler, args.workers):
        steps.run_steps(STEPS, ctx, stop=args.stop_after, times=out / 'time_per_step.json')
    if args.stop_after and args.stop_after != STEPS[-1][0]:
        print(f'stopped after step {args.stop_after}: {out}')
        return 0
    print(f'\nreport: {out / "timing.txt"}   evidence: {evidence.EVIDENCE.relative_to(cli.ROOT)}   wall time: {time.time() - started:.0f} s')
    if ctx.too_big:
        print(f'not placed, too big for the {part["part"]} (see above): {", ".join(ctx.too_big)}')
    if not ctx.met:
        print('FAIL: a clock was missed or a design does not fit (see above)')
        return 1
    print('PASS: every clock met' + (' (of what was placed)' if ctx.too_big else ''))
    return 0


if __name__ == '__main__':
    sys.exit(cli.run(main))
