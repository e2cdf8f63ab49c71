"""`make sweep SWEEP=file.yaml`: every point of a sweep file through its stages, on Dask.

    python -m sweep.run sweeps/folding.yaml                    # a LocalCluster, a worker per core
    python -m sweep.run sweeps/seeds.yaml --scheduler tcp://host:8786

Each point x stage is a task (cli.cluster), carrying the point's files; a stage starts when the
ones it needs are done (sim after csim). A point that fails is a row with its one-line error and
its log's path; the others go on. Every finished task is kept in build/sweep/<name>/tasks/<key>
by its content key (the design point, the model files' contents, the stage's options, the RTL
sources): a rerun runs only what changed or failed. Writes build/sweep/<name>/results.csv,
results.md, images_per_s_vs_lut.png and accuracy_vs_size.png (Pareto fronts marked) and the
stages' logs in logs/. Exit status: 0 every task passed, 1 a task failed, 2 bad input.
"""
import csv
import io
import json
import sys
import time
from pathlib import Path

import cli
from cli import cluster
from firmware.evidence import sources_digest
from firmware.jobs import digest
from sweep import stages as stage_functions
from sweep.plan import NEEDS, load_sweep

COLUMNS = ('point', 'accuracy', 'keras_differ', 'bit_exact', 'cycles', 'fmax_mhz', 'clock', 'images_per_s',
           'LUT', 'FF', 'DSP', 'BRAM36', 'fits', 'weights_kb', 'error', 'log')  # fmt: skip


def tasks_of(sweep):
    """{(point name, stage): Task}, each keyed by what it reads, the stages it needs first."""
    rtl = sources_digest()
    found = {}
    for point in sweep.points:
        payload = stage_functions.carry(point.config)
        base = stage_functions.point_key(payload)
        for stage, options in sweep.stages.items():
            options = {**options, **point.pnr} if stage == 'pnr' else options
            needs = [found[(point.name, need)] for need in NEEDS.get(stage, ())]
            key = digest(stage, base, options, rtl, *[t.key for t in needs])
            found[(point.name, stage)] = cluster.Task(key, stage_functions.logged(stage_functions.STAGES[stage]), (payload, options),
                                                      needs=tuple(t.key for t in needs), label=f'{stage} {point.name}')  # fmt: skip
    return found


def write_whole(path, text):
    """The file `path` replaced only once `text` is written in full (nothing half-written)."""
    partial = path.with_name(f'.{path.name}.partial')
    partial.write_text(text)
    partial.replace(path)


def run_sweep(sweep, out, scheduler=None, workers=None):
    """{(point, stage): result} of every task: kept ones from out/tasks, the rest run on the
    session's cluster and kept when they pass. A task needed by one to run is loaded too."""
    kept = out / 'tasks'
    kept.mkdir(parents=True, exist_ok=True)
    tasks = tasks_of(sweep)
    done = {}
    for task in tasks.values():
        stored = kept / f'{task.key}.json'
        if stored.exists():
            done[task.key] = json.loads(stored.read_text())
    todo = [t for t in tasks.values() if t.key not in done]
    # a kept result that a task to run needs goes in as a task that returns it
    for task in todo:
        for need in task.needs:
            if need in done and need not in [t.key for t in todo]:
                todo.append(cluster.Task(need, _kept, (done[need],), label='kept'))
    print(f'{sweep.name}: {len(sweep.points)} points x {len(sweep.stages)} stages = {len(tasks)} tasks, '
          f'{len(tasks) - len([t for t in todo if t.label != "kept"])} kept from an earlier run')  # fmt: skip

    def keep(key, result):  # as each task ends: a stopped sweep keeps the tasks that ended
        if isinstance(result, cluster.Failed):
            result = dict(ok=False, error=result.error, log='')
        done[key] = result
        if result['ok']:
            write_whole(kept / f'{key}.json', json.dumps(result))

    if todo:
        with cluster.session(scheduler, workers):
            print(f'on {cluster.describe()}')
            cluster.run(todo, f'sweep {sweep.name}', on_done=keep)
    logs = out / 'logs'
    for (point, stage), task in tasks.items():
        result = done[task.key]
        log = logs / safe(point) / f'{stage}.log'
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(result.get('log', ''))
        result['log_path'] = str(log)
    return {name: done[task.key] for name, task in tasks.items()}


def _kept(scratch, result):
    return result


def safe(name):
    return ''.join(c if c.isalnum() or c in '-_.=' else '_' for c in name.replace(', ', '_'))


def rows_of(sweep, results):
    rows = []
    for point in sweep.points:
        got = {stage: results[(point.name, stage)] for stage in sweep.stages}
        c, s, y, p = (got.get(k) if got.get(k, {}).get('ok') else {} for k in ('csim', 'sim', 'synth', 'pnr'))
        failed = [(stage, r) for stage, r in got.items() if not r['ok']]
        row = dict(point=point.name, **point.values, accuracy=c.get('accuracy'), keras_differ=c.get('keras_differ'),
                   bit_exact=None if not s else f'{s["images"] - s["differ"]}/{s["images"]}',
                   cycles=s.get('cycles') or y.get('modeled_cycles'), LUT=y.get('LUT'), FF=y.get('FF'), DSP=y.get('DSP'),
                   BRAM36=y.get('BRAM36'), fits=y.get('fits'), weights_kb=c.get('weights_kb'), fmax_mhz=p.get('fmax_mhz'),
                   error='; '.join(f'{stage}: {r["error"]}' for stage, r in failed) or None,
                   log=failed[0][1]['log_path'] if failed else None)  # fmt: skip
        # images/s only at a clock somebody measured where one was: the post-route Fmax of the
        # ECP5 design (its folding's cycles); else the design point's target clock, said so
        if p:
            row['clock'], row['images_per_s'] = f'{p["fmax_mhz"]} MHz post-route ({p["part"]})', p['fmax_mhz'] * 1e6 / p['ecp5_cycles']
        elif row['cycles']:
            mhz = 1000 / point.config['clock_period_ns']
            row['clock'], row['images_per_s'] = f'{mhz:g} MHz target (not placed)', mhz * 1e6 / row['cycles']
        rows.append(row)
    return rows


def csv_text(rows, axes):
    text = io.StringIO()
    writer = csv.DictWriter(text, ['point', *axes, *COLUMNS[1:]], extrasaction='ignore')
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def cell(value, column):
    if value is None:
        return ''
    if column == 'accuracy':
        return f'{value:.4f}'
    if column in ('images_per_s', 'weights_kb'):
        return f'{value:,.1f}'
    if isinstance(value, int) and not isinstance(value, bool):
        return f'{value:,}'
    return str(value)


def markdown(sweep, rows):
    columns = [c for c in (*sweep.axes, *COLUMNS[1:-1]) if any(r.get(c) is not None for r in rows)]
    lines = [f'# Sweep {sweep.name} ({sweep.path.name}): {len(rows)} points, stages {", ".join(sweep.stages)}', '',
             '| ' + ' | '.join(columns) + ' |', '|' + '---|' * len(columns)]  # fmt: skip
    for row in rows:
        lines.append('| ' + ' | '.join(cell(row.get(c), c).replace('|', '/') for c in columns) + ' |')
    fmax = [r['fmax_mhz'] for r in rows if r.get('fmax_mhz')]
    if len(fmax) > 1:
        fmax.sort()
        lines += ['', f'post-route Fmax over {len(fmax)} points: min {fmax[0]:.1f}, median {fmax[len(fmax) // 2] if len(fmax) % 2 else (fmax[len(fmax) // 2 - 1] + fmax[len(fmax) // 2]) / 2:.1f}, max {fmax[-1]:.1f} MHz']
    failed = [r for r in rows if r['error']]
    for row in failed:
        lines += ['', f'- {row["point"]}: FAILED: {row["error"]} (log: {row["log"]})']
    return '\n'.join(lines) + '\n'


def pareto(points, higher_x_better, higher_y_better):
    """The points (x, y) no other point beats in both."""
    sign = lambda v, better: v if better else -v  # noqa: E731
    front = []
    for x, y in points:
        if not any(sign(a, higher_x_better) >= sign(x, higher_x_better) and sign(b, higher_y_better) >= sign(y, higher_y_better)
                   and (a, b) != (x, y) for a, b in points):  # fmt: skip
            front.append((x, y))
    return sorted(front)


def plot(rows, out):
    """images/s vs LUT and accuracy vs weight size, each point labelled, the Pareto front marked."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    made = []
    for name, x_key, y_key, xlabel, ylabel, hx in (
        ('images_per_s_vs_lut', 'LUT', 'images_per_s', 'LUT (Yosys)', 'images/s', False),
        ('accuracy_vs_size', 'weights_kb', 'accuracy', 'weights (KB)', 'top-1 (csim)', False),
    ):
        found = [(r[x_key], r[y_key], r['point']) for r in rows if r.get(x_key) is not None and r.get(y_key) is not None]
        path = out / f'{name}.png'
        if not found:
            path.unlink(missing_ok=True)
            continue
        fig, ax = plt.subplots(figsize=(6.4, 4.4))
        ax.scatter([f[0] for f in found], [f[1] for f in found], color='tab:blue', zorder=3)
        for x, y, label in found:
            ax.annotate(label, (x, y), fontsize=7, xytext=(4, 4), textcoords='offset points')
        front = pareto([(f[0], f[1]) for f in found], hx, True)
        ax.plot([f[0] for f in front], [f[1] for f in front], color='tab:red', marker='o', label='Pareto front', zorder=2)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend()
        fig.tight_layout()
        partial = path.with_name(f'.{path.stem}.partial.png')
        fig.savefig(partial, dpi=120)
        plt.close(fig)
        partial.replace(path)
        made.append(path)
    return made


def main(argv=None):
    parser = cli.Parser(description=__doc__)
    parser.add_argument('sweep', help='a sweep file (sweeps/folding.yaml, sweeps/seeds.yaml)')
    parser.add_argument('--out', default=None, help='results folder (default build/sweep/<name>)')
    cluster.add_arguments(parser)
    args = parser.parse_args(argv)
    sweep = load_sweep(args.sweep)
    out = Path(args.out or cli.ROOT / 'build' / 'sweep' / sweep.name)
    out.mkdir(parents=True, exist_ok=True)
    started = time.time()
    results = run_sweep(sweep, out, args.scheduler, args.workers)
    rows = rows_of(sweep, results)
    write_whole(out / 'results.csv', csv_text(rows, sweep.axes))
    write_whole(out / 'results.md', markdown(sweep, rows))
    plots = plot(rows, out)
    print('\n' + (out / 'results.md').read_text())
    print(f'results: {out / "results.csv"}, {out / "results.md"}' + ''.join(f', {out / p.name}' for p in plots))
    print(f'wall time: {time.time() - started:.0f} s')
    failed = [r for r in rows if r['error']]
    if failed:
        print(f'FAIL: {len(failed)} of {len(rows)} points had a stage fail (see above)')
        return 1
    print(f'PASS: {len(rows)} points, every stage done')
    return 0


if __name__ == '__main__':
    sys.exit(cli.run(main))
