"""Tool jobs and their cache: what one run of a tool on one module reads, the content key that
names its folder, and the tasks (cli.cluster) that run the jobs not yet in the cache.

A job's key is a digest of everything it reads (sources, parameters, ROM contents, options,
tool versions), so an unchanged run is never repeated and identical modules (the same module,
parameters and ROMs in several layers, or in two designs) are run once. `make timing` (Yosys and
nextpnr per layer module, firmware.pnr) and `make synth` for a Xilinx board (Yosys per instance)
run their jobs here.
"""
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

from cli import cluster
from firmware.library import RTL, rtl_sources
from firmware.rom import ROM_FILES
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
        roms_of = {param: str(rom / f'{name}_{suffix}.mem') for param, suffix in ROM_FILES.items() if (rom / f'{name}_{suffix}.mem').exists()}
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


def pack(job):
    """What a task takes to a worker: the job with its paths relative to the folder it runs in,
    and the files it reads there ({relative path: bytes}: its sources, ROMs and option files)."""
    files, named = {}, {}

    def carry(path, folder):
        rel = f'{folder}/{Path(path).name}'
        files[rel] = Path(path).read_bytes()
        named[str(path)] = rel
        return rel

    sources = [carry(s, 'src') for s in job.sources]
    params = {k: carry(v, 'rom') if k.endswith('_FILE') else v for k, v in job.params.items()}
    if job.design is not None:
        for rom in sorted((Path(job.design) / 'rom').glob('*.mem')):
            carry(rom, 'rom')
    nextpnr = [carry(o, 'in') if Path(str(o)).is_absolute() and Path(str(o)).is_file() else o for o in job.nextpnr]
    script = job.yosys
    for path, rel in sorted(named.items(), key=lambda item: -len(item[0])):
        script = script.replace(path, rel) if script else script
    return replace(job, sources=sources, params=params, yosys=script, nextpnr=nextpnr, design=None), files


def _run_packed(scratch, run_one, job, files):
    """On a worker: the job's files into its scratch folder, run_one there; (result, the files it
    wrote, the scratch folder's path)."""
    for rel, data in files.items():
        (scratch / rel).parent.mkdir(parents=True, exist_ok=True)
        (scratch / rel).write_bytes(data)
    result = run_one(job, scratch)
    made = {str(p.relative_to(scratch)): p.read_bytes() for p in sorted(scratch.rglob('*')) if p.is_file() and str(p.relative_to(scratch)) not in files}
    return result, made, str(scratch)


def run_jobs(jobs, run_one, cache, desc='jobs'):
    """{key: result} of each job: from the cache (cache/<key>/result.json), or run_one(job, work)
    as a task (cli.cluster: on the session's workers, in a scratch folder of its own, the job's
    files carried to it by pack), whose files and result enter cache/<key> whole, or not at all.
    `run_one` returns a dict whose `ok` says whether the tool succeeded; a task that raised is
    ok False with its error. The longest jobs go first, so that none starts last."""
    cache = Path(cache)
    results, todo = {}, []
    for job in jobs:
        stored = cache / job.key / 'result.json'
        result = json.loads(stored.read_text()) if stored.exists() else {}
        if result.get('ok'):
            results[job.key] = dict(result, cached=True)
        elif job not in todo:  # a failed run is kept for its logs, and run again next time
            todo.append(job)
    todo.sort(key=longest_first)
    by_key = {job.key: job for job in todo}

    def keep(key, outcome):  # as each job ends: an interrupted run keeps the jobs that ended
        job = by_key[key]
        result, made, scratch = (dict(ok=False, error=outcome.error), {}, None) if isinstance(outcome, cluster.Failed) else outcome
        with atomic_dir(cache / key) as work:
            for rel, data in made.items():
                (work / rel).parent.mkdir(parents=True, exist_ok=True)
                (work / rel).write_bytes(data)
            if scratch:  # the logs a result names are in the cache now, not on the worker
                result = json.loads(json.dumps(result).replace(scratch, str(cache / key)))
            result = dict(result, layers=job.layers, top=job.top)
            (work / 'result.json').write_text(json.dumps(result, indent=1) + '\n')
        results[key] = result

    tasks = [cluster.Task(job.key, _run_packed, (run_one, *pack(job)), label=job.layers[0] if job.layers else job.top) for job in todo]
    cluster.run(tasks, desc, on_done=keep)
    return results
