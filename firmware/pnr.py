"""Place-and-route jobs on an ECP5 part and their cache: Yosys synth_ecp5, then nextpnr-ecp5.

A Job says what one run reads; its key (digest of everything it reads: sources, parameters,
ROM contents, clock, part, tool versions) names its folder in the cache, so an unchanged run is
never placed again. `make timing` and the ECP5 board's bitstream flow both run their jobs here.
"""
import concurrent.futures
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from cli import tools
from firmware import nextpnr, yosys
from firmware.library import stage_roms
from model.store import atomic_dir

# what nextpnr's log says -> the phase shown on the progress line (the last match wins)
NEXTPNR_PHASES = (('Packing', 'packing'), ('Running placer', 'placing'), ('HeAP', 'placing'),
                  ('Routing', 'routing'), ('Router1', 'routing'), ('Critical path', 'timing report'))  # fmt: skip


@dataclass
class Job:
    """One synthesis and place and route. `kind`: module (a layer's module out of context) or
    network; `yosys`: a script of its own (a board top), else synth_ecp5 of `top` with `params`;
    `nextpnr`: its nextpnr options (default out of context); `design`: the generated design
    folder whose ROM files its top reads (staged into the run's folder)."""

    key: str
    kind: str
    top: str
    sources: list
    clock_mhz: float
    layers: list = field(default_factory=list)
    params: dict = field(default_factory=dict)
    yosys: str = None
    nextpnr: list = field(default_factory=lambda: ['--out-of-context'])
    design: Path = None


def digest(*parts):
    """A short content hash of bytes and JSON-able values (cache keys and design identities)."""
    h = hashlib.sha256()
    for part in parts:
        h.update(part if isinstance(part, bytes) else json.dumps(part, sort_keys=True, default=str).encode())
    return h.hexdigest()[:16]


def part_key(entry):
    """What of a board-table entry a run depends on, for its key: all but the folding (a path,
    other in every clone; the design's own digest holds what it folds to)."""
    return {k: v for k, v in entry.items() if k != 'folding'}


def tool_versions():
    return {'yosys': yosys.version(), 'nextpnr': nextpnr.version()}


def phase(log):
    """The last thing nextpnr (or Yosys) said it was doing, for the progress line."""
    try:
        text = log.read_text(errors='replace')
    except FileNotFoundError:
        return 'synthesis'
    found = [(text.rfind(key), name) for key, name in NEXTPNR_PHASES if key in text]
    return max(found)[1] if found else 'starting'


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


def run_jobs(jobs, target, cache, workers=1):
    """{key: result} of each job, from the cache or placed and routed (`workers` at once, the
    network first: it takes longest, and the modules fill the other workers meanwhile)."""
    from tqdm import tqdm

    cache = Path(cache)
    results, todo = {}, []
    for job in jobs:
        stored = cache / job.key / 'result.json'
        if stored.exists():
            results[job.key] = dict(json.loads(stored.read_text()), cached=True)
        else:
            todo.append(job)
    if not todo:
        return results
    todo.sort(key=lambda j: (j.kind != 'network', -len(str(j.params))))
    running, lock = {}, threading.Lock()

    def one(job):
        with atomic_dir(cache / job.key) as work:
            with lock:
                running[job.key] = (job.layers[0] if job.layers else job.top, work)
            result = dict(place_and_route(job, target, work), layers=job.layers, top=job.top, clock_mhz=job.clock_mhz)
            (work / 'result.json').write_text(json.dumps(result, indent=1) + '\n')
        with lock:
            running.pop(job.key, None)
        return job.key, result

    bar = tqdm(total=len(todo), desc='place and route', unit='run', bar_format='{desc}: {n}/{total} runs, {elapsed} {postfix}')
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
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
        tools.stop_all()  # nothing outlives the command
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    finally:
        bar.close()
    pool.shutdown()
    return results
