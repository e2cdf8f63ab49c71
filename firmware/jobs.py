"""Tool jobs and their cache: what one run of a tool on one module reads, the content key that
names its folder, and the pool that runs the jobs not yet in the cache.

A job's key is a digest of everything it reads (sources, parameters, ROM contents, options,
tool versions), so an unchanged run is never repeated and identical modules (the same module,
parameters and ROMs in several layers, or in two designs) are run once. `make timing` (Yosys and
nextpnr per layer module, firmware.pnr) and `make synth` for a Xilinx board (Yosys per instance)
run their jobs here.
"""
import concurrent.futures
import hashlib
import json
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from cli import tools
from firmware.library import RTL, rtl_sources
from model.store import atomic_dir

@dataclass
class Job:
    """One tool run on `top` (a module of firmware/rtl with `params`, or a whole design), for the
    `layers` (instance names) it stands for. `kind`: module or network. The tool's own settings:
    `clock_mhz`, `yosys` (a script of its own, e.g. a board top), `nextpnr` (its options);
    `design`: the generated design folder whose ROM files its top reads."""

    key: str
    kind: str
    top: str
    sources: list
    clock_mhz: float = None
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


def instance_jobs(instances, rtl_dir, family, *key_parts, jobs=None, **settings):
    """A module job per distinct instance (name, module, params) of a design in `rtl_dir`, keyed
    by the module's files, its parameters, its ROMs and `key_parts` (the tool, its options and
    version); `jobs` ({key: Job}, grown in place) lets several designs share them. Returns
    ({key: Job}, {instance name: key}); `settings` are the jobs' tool settings (clock_mhz)."""
    jobs = {} if jobs is None else jobs
    keys = {}
    for name, module, params in instances:
        rom = Path(rtl_dir) / 'rom'  # a layer with weights has its ROM files there (firmware.generate)
        roms_of = {'WEIGHT_FILE': str(rom / f'{name}_w.mem'), 'BIAS_FILE': str(rom / f'{name}_b.mem')} if (rom / f'{name}_w.mem').exists() else {}
        used = [str(p.relative_to(RTL)).encode() + p.read_bytes() for p in module_files(module, family)]
        key = digest('module', *used, module, params, *roms(rtl_dir, name), *key_parts)
        job = jobs.setdefault(key, Job(key, 'module', module, rtl_sources(family=family), params={**params, **roms_of}, **settings))
        job.layers.append(name)
        keys[name] = key
    return jobs, keys


def longest_first(job):
    """The order that fills a pool best: a whole network first, then the modules with the largest
    parameters (a rough measure of their logic), so that no long run starts last."""
    return (job.kind != 'network', -sum(v for v in job.params.values() if isinstance(v, int)))


def run_jobs(jobs, run_one, cache, workers=1, desc='jobs', status=None):
    """{key: result} of each job: from the cache (cache/<key>/result.json), or run_one(job, work)
    in a fresh folder `work` that enters the cache whole, or not at all, when it returns its result
    (a dict whose `ok` says whether the tool succeeded). `workers` at once, longest first;
    `status(work)`: what a running job is doing, for the progress line. An interrupt or a failure
    stops every tool still running before it propagates."""
    from tqdm import tqdm

    cache = Path(cache)
    results, todo = {}, []
    for job in jobs:
        stored = cache / job.key / 'result.json'
        result = json.loads(stored.read_text()) if stored.exists() else {}
        if result.get('ok'):
            results[job.key] = dict(result, cached=True)
        elif job not in todo:  # a failed run is kept for its logs, and run again next time
            todo.append(job)
    if not todo:
        return results
    todo.sort(key=longest_first)
    running, lock, stopping = {}, threading.Lock(), threading.Event()

    def one(job):
        if stopping.is_set():
            raise KeyboardInterrupt
        with atomic_dir(cache / job.key) as work:
            with lock:
                running[job.key] = (job.layers[0] if job.layers else job.top, work)
            result = dict(run_one(job, work), layers=job.layers, top=job.top)
            (work / 'result.json').write_text(json.dumps(result, indent=1) + '\n')
        with lock:
            running.pop(job.key, None)
        return job.key, result

    bar = tqdm(total=len(todo), desc=desc, unit='run', bar_format='{desc}: {n}/{total} runs, {elapsed} {postfix}')
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=workers)
    futures = []
    try:
        futures = [pool.submit(one, job) for job in todo]
        while True:
            done, pending = concurrent.futures.wait(futures, timeout=2)
            with lock:
                bar.set_postfix_str('; '.join(f'{name}: {status(work)}' if status else name for name, work in running.values()), refresh=False)
            bar.n = len(done)
            bar.refresh()
            if not pending:
                break
        for future in futures:
            key, result = future.result()
            results[key] = result
    except BaseException:
        stopping.set()  # no job starts any more; the running ones' tools are killed until they end
        for future in futures:
            future.cancel()
        while not all(future.done() for future in futures):
            tools.stop_all()
            concurrent.futures.wait(futures, timeout=0.2)
        pool.shutdown()
        raise
    finally:
        bar.close()
    pool.shutdown()
    return results
