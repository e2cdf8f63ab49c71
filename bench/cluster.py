"""`make bench-cluster`: the RTL simulation fanned out on Dask, 1 worker against N, side by side.

    python -m bench.cluster [--images 2000] [--workers 2]

Runs `make sim`'s command (sim.run_network) on the same images twice, on a LocalCluster of one
worker and then of --workers, each in a fresh folder (the per-worker simulator builds included),
and prints both wall times, the speed-up and whether every logit still matched the C
simulation, beside the machine's own ceiling: the speed-up of --workers copies of a fixed
CPU-bound loop run at once over one alone (virtual cores that share a physical one, or a host
that throttles, give less than the core count). Writes build/bench-cluster/report.md.
"""
import contextlib
import io
import sys
import time
from pathlib import Path

import cli
from cli import cluster

TARGET_SPEEDUP = 1.8  # issue 22: 2,000 images, 1 vs 2 workers


def spin(_=None):
    """Seconds of a fixed pure-Python loop: one core's worth of work, nothing shared."""
    started, total = time.perf_counter(), 0
    for i in range(20_000_000):
        total += i * i
    return time.perf_counter() - started


def parallel_ceiling(workers):
    """The speed-up `workers` processes at once can have on this machine: the work of `workers`
    loops (spin) done one alone, over the same done by all at once (their longest)."""
    from concurrent.futures import ProcessPoolExecutor

    alone = spin()
    with ProcessPoolExecutor(workers) as pool:
        together = max(pool.map(spin, range(workers)))
    return workers * alone / together


def timed_sim(images, workers, out):
    from sim import run_network

    text = io.StringIO()
    started = time.time()
    with contextlib.redirect_stdout(text):
        code = run_network.main(['--images', str(images), '--workers', str(workers), '--out', str(out)])
    wall = time.time() - started
    lines = [line for line in text.getvalue().splitlines() if 'shard' in line or 'differing' in line or 'PASS' in line or 'FAIL' in line]
    return code, wall, lines


def main(argv=None):
    parser = cli.Parser(description=__doc__)
    parser.add_argument('--images', type=cli.count, default=2000, help='test images')
    parser.add_argument('--workers', type=cli.count, default=cluster.workers_default(), help='the workers to compare with one')
    parser.add_argument('--out', default=str(cli.ROOT / 'build' / 'bench-cluster'), help='work folder')
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    runs = {}
    for workers in (1, args.workers):
        print(f'[{time.strftime("%H:%M:%S")}] make sim IMAGES={args.images} on a LocalCluster of {workers} worker(s)', flush=True)
        runs[workers] = timed_sim(args.images, workers, out / f'workers{workers}')
        print('\n'.join(f'  {line.strip()}' for line in runs[workers][2]) + f'\n  wall time {runs[workers][1]:.1f} s', flush=True)
    speedup = runs[1][1] / runs[args.workers][1]
    ceiling = parallel_ceiling(args.workers)
    ok = all(code == 0 for code, _, _ in runs.values())
    report = [f'# make sim IMAGES={args.images}: 1 worker vs {args.workers} (LocalCluster, {time.strftime("%Y-%m-%d")})', '',
              '| workers | wall s | bit-exact |', '|---|---|---|',
              *[f'| {w} | {wall:.1f} | {"yes" if code == 0 else "NO"} |' for w, (code, wall, _) in runs.items()], '',
              f'speed-up {speedup:.2f}x (target {TARGET_SPEEDUP}x: {"met" if speedup >= TARGET_SPEEDUP else "MISSED"}); '
              f'the machine has {cluster.workers_default()} cores; {args.workers} CPU-bound processes at once run '
              f'{ceiling:.2f}x the work of one alone here (the ceiling for any fan-out on it)']  # fmt: skip
    (out / 'report.md').write_text('\n'.join(report) + '\n')
    print('\n'.join(report))
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(cli.run(main))
