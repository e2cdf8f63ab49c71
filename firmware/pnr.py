"""Place-and-route jobs on an ECP5 part and their cache: Yosys synth_ecp5, then nextpnr-ecp5.

A job (firmware.jobs.Job) says what one run reads; its key (sources, parameters, ROM contents,
clock, part, tool versions) names its folder in the cache, so an unchanged run is never placed
again. `make timing` and the ECP5 board's bitstream flow both run their jobs here.
"""
import json
import time
from pathlib import Path

from cli import tools
from firmware import nextpnr, yosys
from firmware.jobs import run_jobs as run
from firmware.library import stage_roms

def part_key(entry):
    """What of a board-table entry a run depends on, for its key: all but the folding (a path,
    other in every clone; the design's own digest holds what it folds to)."""
    return {k: v for k, v in entry.items() if k != 'folding'}


def tool_versions():
    return {'yosys': yosys.version(), 'nextpnr': nextpnr.version()}


def place_and_route(job, target, work):
    """Synthesis and place and route of one job in the folder `work`; its result as a dict
    (ok False with the tool's error when synthesis or place and route failed)."""
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    script = job.yosys or yosys.script(job.sources, job.top, 'synth_ecp5', job.params, after=['write_json top.json'])
    (work / 'synth.ys').write_text(script)
    if job.design is not None:
        stage_roms(job.design, work)
    started = time.time()
    if yosys.run(work, check=False):
        return dict(ok=False, error=f'yosys failed{tools.last_error(work / "yosys.out")}; see {work / "yosys.log"}')
    synth_s = time.time() - started
    cmd = [
        nextpnr.command('nextpnr-ecp5'), f'--{target["device"]}', '--speed', target['speed'], '--package', target['package'],
        '--json', 'top.json', *job.nextpnr, '--freq', job.clock_mhz,
        '--report', 'report.json', '--timing-allow-fail', '-q', '-l', 'nextpnr.log',
    ]  # fmt: skip
    if '--seed' not in job.nextpnr:
        cmd += ['--seed', target['seed']]
    code = tools.run(cmd, work, 'nextpnr.out', check=False, see='nextpnr.log')
    pnr_s = time.time() - started - synth_s
    if code:
        log = work / 'nextpnr.log' if (work / 'nextpnr.log').exists() else work / 'nextpnr.out'
        return dict(ok=False, error=f'nextpnr failed{tools.last_error(log)}; see {log}', synth_s=synth_s, pnr_s=pnr_s)
    report = json.loads((work / 'report.json').read_text())
    return dict(ok=True, **summarize(report), synth_s=round(synth_s, 1), pnr_s=round(pnr_s, 1), clock_mhz=job.clock_mhz)


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


def run_jobs(jobs, target, cache):
    """{key: result} of each job (firmware.jobs: from the cache or placed and routed as tasks on
    the scheduler's workers, the network first)."""
    return run(jobs, lambda job, work: place_and_route(job, target, work), cache, 'place and route')
