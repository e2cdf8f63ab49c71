"""RTL simulation of the generated network on shipped test images, checked against csim.

    python -m sim.run_network [--images 100] [--sim verilator|icarus]     # what `make sim` runs

Converts the configured model with hls4ml, runs the C simulation, generates the RTL from the
same graph (firmware.generate), streams the images through it with cocotb (random idle cycles
on the input and backpressure on the output after the first, timed, images) and compares every
logit bit for bit with the C simulation. Exit status 1 when any image differs.
"""
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np

import cli
from cli import cluster
from sim import runner



def peak_child_mb():
    """The largest resident size of any finished child process of this one (the simulator's C++
    build, g++)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def step(message):
    print(f'[{time.strftime("%H:%M:%S")}] {message}', flush=True)


def prepare(qmodel, config, x, out, log=step):
    """The C simulation of x and the RTL of the same graph (in out/rtl): (csim logits, manifest)."""
    from firmware.boards import load_board
    from firmware.generate import generate_rtl
    from hls.convert import convert
    from hls.csim import compile_csim, run_csim

    out.mkdir(parents=True, exist_ok=True)
    log(f'hls4ml: converting {qmodel.name} and compiling the C simulation')
    graph = convert(qmodel, config, out / 'hls')
    compile_csim(graph)
    csim = run_csim(graph, x)
    log('firmware: generating the RTL from the same graph')
    return csim, generate_rtl(graph, config, load_board(config['board']), out / 'rtl')


def simulate(qmodel, config, x, out, sim, log=step, cycle_limit=None):
    """csim and RTL simulation of x (float images) through the quantized model's graph.

    Returns dict(csim, rtl: logits (images, classes) as floats; arrivals: cycle of each timed
    image's logits; cycles: simulated; seconds: wall time of the simulation, build excluded; manifest). With cycle_limit,
    a simulation that needs more cycles (a deadlock) fails.
    """
    out = Path(out)
    csim, manifest = prepare(qmodel, config, x, out, log)
    return dict(run_rtl(manifest, out / 'rtl', x, out, sim, log, cycle_limit), csim=csim, manifest=manifest)


SHARD_IMAGES = 250  # images per task of a long run: each worker builds the simulator once, then runs shards


def run_rtl(manifest, rtl_dir, x, out, sim, log=step, cycle_limit=None):
    """The generated design in rtl_dir simulated on x (float images), in shards of SHARD_IMAGES
    images, each a task (cli.cluster) that carries the design's files; the simulators' logs come
    back to out/<sim>. dict(rtl: logits as floats, in order; arrivals, layers: the first shard's
    timed images; cycles, seconds: summed over the shards; build_seconds; shards; wall_seconds)."""
    from firmware.fixed import pack, unpack
    from firmware.jobs import digest
    from firmware.library import rtl_sources

    stream_in, stream_out = manifest['input'], manifest['output']
    pixels = (x * 2.0 ** stream_in['frac']).astype(np.int64).reshape(len(x), -1, stream_in['shape'][-1])
    beats = [[pack(px, stream_in['lane_bits']) for px in image] for image in pixels]
    design = {str(p.relative_to(rtl_dir)): p.read_bytes() for p in sorted(Path(rtl_dir).rglob('*')) if p.is_file()}
    build_key = digest(sim, *sorted(design.items()), *[p.read_bytes() for p in rtl_sources()])
    shards = [beats[i : i + SHARD_IMAGES] for i in range(0, len(beats), SHARD_IMAGES)]
    # a dataflow that deadlocks would otherwise run forever: ten times the modeled time is a failure
    limits = [cycle_limit or 10 * manifest['estimated_interval_cycles'] * (len(shard) + 2) for shard in shards]
    # several shards: the simulator is built once, by a task of its own, and its files go to the
    # shards' workers (builds on every worker at once would share the cores the shards need)
    builder = [cluster.Task(build_key, build_simulator, (design, manifest, sim), label='build')] if len(shards) > 1 else []
    tasks = builder + [
        cluster.Task(digest(build_key, i, shard), simulate_shard, (design, manifest, shard, sim, limit, build_key),
                     needs=tuple(t.key for t in builder), label=f'images {i * SHARD_IMAGES}-{i * SHARD_IMAGES + len(shard) - 1}')
        for i, (shard, limit) in enumerate(zip(shards, limits))]  # fmt: skip
    log(f'{sim}: building and simulating {manifest["top"]} on {len(x)} images' + (f' in {len(shards)} shards' if len(shards) > 1 else ''))
    started = time.time()
    results = cluster.run(tasks, f'{sim}: shards')
    wall = time.time() - started
    named = list(zip(['build'] * len(builder) + [f'shard{i:03d}' for i in range(len(shards))], [results[t.key] for t in tasks]))
    logs = Path(out) / sim
    logs.mkdir(parents=True, exist_ok=True)
    for prefix, result in named:  # a failed run's logs too: those of the tasks that ended
        for name, text in ({} if isinstance(result, cluster.Failed) else result.pop('logs')).items():
            (logs / (name if len(shards) == 1 else f'{prefix}-{name}')).write_bytes(text)
    failed = [result for _, result in named if isinstance(result, cluster.Failed)]
    if failed:
        raise (AssertionError if failed[0].kind == 'AssertionError' else cli.ToolFailed)(failed[0].error)
    built = [results[t.key] for t in builder]
    done = [results[t.key] for t in tasks[len(builder) :]]
    classes = stream_out['shape'][-1]
    raw = [unpack(int(v, 16), classes, stream_out['lane_bits'], stream_out['signed']) for r in done for v in r['logits']]
    return dict(rtl=np.array(raw) / 2.0 ** stream_out['frac'], arrivals=done[0]['arrivals'], layers=done[0]['layers'],
                cycles=sum(r['cycles'] for r in done), seconds=sum(r['seconds'] for r in done),
                build_seconds=max(r['build_seconds'] for r in built + done), peak_mb=max(r['peak_mb'] for r in built + done),
                shards=len(done), wall_seconds=wall)  # fmt: skip


def write_design(scratch, design):
    rtl = scratch / 'rtl'
    for rel, data in design.items():
        (rtl / rel).parent.mkdir(parents=True, exist_ok=True)
        (rtl / rel).write_bytes(data)
    return rtl


def build_simulator(scratch, design, manifest, sim):
    """A task: the design's simulator built in `scratch`; its files (runner.built_files) for the
    shards, its build time and log."""
    rtl = write_design(scratch, design)
    started = time.time()
    runner.build(manifest['top'], scratch / sim, runner.simulator(sim), sources=[rtl / f'{manifest["top"]}.v'])
    return dict(files=runner.built_files(manifest['top'], scratch / sim, sim), build_seconds=time.time() - started,
                peak_mb=peak_child_mb(), logs={'build.log': (scratch / sim / 'build.log').read_bytes()})  # fmt: skip


def simulate_shard(scratch, design, manifest, beats, sim, cycle_limit, build_key, built=None):
    """A task: the design's files into `scratch`, its simulator (`built` by build_simulator, else
    built here; kept by the worker for its next shards in a folder named by what it is built
    from) run on `beats` (per image, its packed input beats); the bench's result with the
    simulator's logs."""
    rtl = write_design(scratch, design)
    (scratch / 'images.json').write_text(json.dumps(beats))
    build = cluster.kept(f'sim-{build_key}') or scratch / sim
    if built and not (build / 'built').exists():
        runner.install_build(built['files'], build)
    result_file = scratch / 'result.json'
    started = time.time()
    runner.run(
        manifest['top'], 'test_network', cli.ROOT / 'sim' / 'network', build_dir=build, sim=sim,
        sources=[rtl / f'{manifest["top"]}.v'], design=rtl, reuse=True,
        env={'NETWORK_IMAGES': str(scratch / 'images.json'), 'NETWORK_RESULT': str(result_file), 'NETWORK_CYCLE_LIMIT': str(cycle_limit or 0),
             'NETWORK_PROBES': json.dumps([[layer['name'], layer['output'], layer['output_beats']] for layer in manifest['layers']])},
    )  # fmt: skip
    result = json.loads(result_file.read_text())
    logs = {name: (build / name).read_bytes() for name in ('build.log', 'sim.log') if (build / name).is_file()}  # an installed build has no build.log
    return dict(result, build_seconds=time.time() - started - result['seconds'], peak_mb=peak_child_mb(), logs=logs)


def layer_rows(manifest, probes, interval):
    """Per layer in dataflow order: folding, multipliers (in LUTs), modeled cycles per image,
    simulated ones (between images' first beats at its output), multipliers busy (its schedule
    over the measured interval) and the cycles its output waited on its consumer."""
    rows = []
    for layer in manifest['layers']:
        p, found = layer['params'], probes.get(layer['name'])
        starts = np.diff(found['starts']) if found and len(found['starts']) > 1 else []
        rows.append(dict(
            layer=layer['name'], module=layer['module'], fold=f'{p["PE"]} x {p["SIMD"]}' if layer['multipliers'] else '',
            multipliers=layer['multipliers'], lut_multipliers=layer.get('lut_multipliers', 0), modeled=layer['cycles'],
            simulated=int(np.median(starts)) if len(starts) else None,
            busy=layer['mac_cycles'] / interval if layer['multipliers'] and interval else None,
            stalled=found['stalled'] / found['cycles'] if found else None,
            sets_interval=layer['cycles'] == manifest['estimated_interval_cycles'],
        ))  # fmt: skip
    return rows


def layer_lines(rows):
    lines = [f'{"layer":<30}{"PE x SIMD":>10}{"mults":>7}{"(LUT)":>7}{"modeled":>9}{"simulated":>11}{"busy":>6}{"stalled":>9}']
    for r in rows:
        cell = lambda v, f: '' if v is None or v == '' else format(v, f)  # noqa: E731
        mark = '  <- sets the interval' if r['sets_interval'] else ''
        lines.append(f'{r["layer"]:<30}{r["fold"]:>10}{cell(r["multipliers"] or None, "d"):>7}{cell(r["lut_multipliers"] or None, "d"):>7}'
                     f'{r["modeled"]:>9,}{cell(r["simulated"], ","):>11}{cell(r["busy"], ".0%"):>6}{cell(r["stalled"], ".0%"):>9}{mark}')  # fmt: skip
    return lines


def timing(arrivals):
    """(interval, latency) in cycles from the arrival cycles of back-to-back images."""
    interval = int(np.median(np.diff(arrivals))) if len(arrivals) > 1 else None
    return interval, arrivals[0]


def main(argv=None):
    parser = cli.Parser(description=__doc__)
    parser.add_argument('--config', default=str(cli.ROOT / 'hls' / 'config.yaml'), help='design point')
    parser.add_argument('--model', default=None, help='quantized .keras model (default: the config\'s)')
    parser.add_argument('--images', type=cli.count, default=100, help='first N test images (default 100)')
    parser.add_argument('--data', default=None, help='evaluation images instead of the config\'s: a folder of class subfolders')
    parser.add_argument('--sim', default=None, help='verilator (default) or icarus; also from SIM')
    parser.add_argument('--out', default=str(cli.ROOT / 'build' / 'sim' / 'network'), help='work folder')
    cluster.add_arguments(parser)
    args = parser.parse_args(argv)
    started = time.time()

    from firmware import evidence
    from firmware.backend.folding import load_folding
    from hls.convert import load_config
    from hls.csim import describe_float_vs_fixed, top1_lines
    from model import data
    from model.store import atomic_dir, load_model, load_quantized

    sim = runner.simulator(args.sim)
    config = load_config(args.config, model=args.model, data=args.data)
    qmodel = load_quantized(config['model'])
    float_model = load_model(config['float_model'])
    load_folding(config['folding'])
    images, labels, classes, what = data.test_set(config['data'], qmodel.input_shape[1:])
    images, labels = images[: args.images], None if labels is None else labels[: args.images]
    data.check_input_shape(qmodel, images)
    data.check_classes(qmodel, classes, what)
    x = data.to_input(images).astype(np.float64)
    floating = float_model.predict(x.astype(np.float32), verbose=0, batch_size=500)
    with atomic_dir(args.out) as work, cluster.session(args.scheduler, args.workers):  # a failed or interrupted run leaves the last one's folder
        r = simulate(qmodel, config, x, work, sim)
        where = cluster.describe()

    differ = int(np.sum(np.any(r['rtl'] != r['csim'], axis=1)))
    interval, latency = timing(r['arrivals'])
    manifest = r['manifest']
    print(f'\nRTL simulation ({sim}) of {config["model"]} on {len(x)} {what}')
    print('\n'.join(top1_lines([('float Keras', floating), ('C simulation', r['csim']), ('RTL', r['rtl'])], labels, what)))
    print(f'  images differing (RTL vs csim, any bit): {differ}')
    print(describe_float_vs_fixed(floating, r['rtl']))
    if interval:
        print(f'  cycles per image: {interval} (interval, back to back), latency {latency} cycles')
        for line in evidence.clock_lines(manifest, Path(args.out) / 'rtl', 1000 / config['clock_period_ns'], interval, config['board']):
            print(f'  {line}')
    print(f'  folding ({config["folding"] if config["folding"] == "auto" else Path(config["folding"]).name}); per layer, cycles per image'
          ' modeled and simulated (back to back), multipliers busy, output stalled by its consumer:')  # fmt: skip
    for line in layer_lines(layer_rows(manifest, r['layers'], interval)):
        print(f'    {line}')
    if interval:
        mults = manifest['multipliers']
        busy = sum(layer['mac_cycles'] * layer['multipliers'] for layer in manifest['layers']) / (mults * interval)
        print(f'  measured: {interval:,} cycles per image, modeled {manifest["estimated_interval_cycles"]:,}; '
              f'{mults} multipliers ({manifest["lut_multipliers"]} in LUTs) busy {busy:.1%} of the cycles')  # fmt: skip
    print(f'  FIFOs (beats): {manifest["fifos"]}')
    print(f'  simulator: {r["cycles"]:,} cycles in {r["seconds"]:.1f} s ({r["cycles"] / r["seconds"]:,.0f} cycles/s per worker); '
          f'build and start {r["build_seconds"]:.0f} s; peak memory of a tool process {r["peak_mb"]:,.0f} MB')
    print(f'  {r["shards"]} shard{"s" * (r["shards"] != 1)} of at most {SHARD_IMAGES} images on {where}: {r["wall_seconds"]:.1f} s wall')  # fmt: skip
    print(f'  wall time: {time.time() - started:.1f} s   work folder: {args.out}')
    print('PASS: RTL == csim bit for bit' if differ == 0 else 'FAIL: the RTL differs from the C simulation')
    return 0 if differ == 0 else 1


if __name__ == '__main__':
    sys.exit(cli.run(main))
