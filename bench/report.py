"""`make bench`: the paper's two tables on the shipped dataset, and the hardware, measured now.

    python -m bench.report [--images 1000] [--out build/bench]

Uses the trained design points (model/default, model/results/*, from `make train` and
`make tables`). For each fixed-point point: top-1 of its exact Keras twin on all 10,000 test
images, and the C simulation (hls4ml, g++) on the first --images of them, which must agree bit
for bit, so the table's fixed-point accuracies are the hardware's. For the default design: RTL
simulation (cycles per image, multiplier activity) and open synthesis (resources per layer).
Writes report.md, results.json and PNG plots into --out.
"""
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

import cli

RESULTS = cli.ROOT / 'model' / 'results'
DEFAULT = cli.ROOT / 'model' / 'default'
# (row label, folder, fixed point?, the paper's row: its size reduction against AlexNet) of the
# compression table, smallest change first
COMPRESSION = [
    ('AlexNet-style, float32', RESULTS / 'alexnet', False, 'AlexNet 32-bit: 1x (240 MB)'),
    ('SqueezeNet, float32', DEFAULT, False, 'SqueezeNet 32-bit: 50x (4.8 MB)'),
    ('SqueezeNet, 8-bit', DEFAULT, True, ''),
    ('SqueezeNet, 6-bit', RESULTS / 'q6', True, ''),
    ('SqueezeNet, 4-bit', RESULTS / 'q4', True, ''),
    ('SqueezeNet, pruned 50% + 8-bit', RESULTS / 'pruned-q8', True, ''),
    ('SqueezeNet, pruned 50% + 6-bit', RESULTS / 'pruned-q6', True, ''),
    ('SqueezeNet, pruned 50% + 8-bit, 6-bit shared (Deep Compression)', RESULTS / 'pruned-shared6', True, 'SqueezeNet DC 6-bit: 510x (0.47 MB)'),
    ('SqueezeNet, pruned 50% + 8-bit, 4-bit shared (Deep Compression)', RESULTS / 'pruned-shared4', True, ''),
    ('SqueezeNet, 25% of input channels pruned + 8-bit', RESULTS / 'channels-q8', True, ''),
]
CHANNELS = RESULTS / 'channels-q8'  # the point whose pruned channels the hardware skips
# the stored parts of a point (model.compress.size_report), raw and Huffman-coded
PARTS = [('weight symbols, dense', 'dense_bits', 'dense_huffman_bits'), ('weight symbols, sparse', 'sparse_bits', 'sparse_huffman_bits'),
         ('relative indices', 'relative_bits', 'relative_huffman_bits'), ('codebooks', 'codebook_bits', None), ('biases', 'bias_bits', None)]
VARIANTS = [('vanilla', DEFAULT), ('simple bypass', RESULTS / 'simple'), ('complex bypass', RESULTS / 'complex')]


def step(message):
    print(f'[{time.strftime("%H:%M:%S")}] {message}', flush=True)


def top1(logits, labels):
    return float(np.mean(np.argmax(logits, axis=1) == labels))


class Evaluator:
    """Accuracy, size and csim of design points, each model evaluated once."""

    def __init__(self, config, images, labels, csim_images, work):
        from model import data

        self.config, self.labels, self.work = config, labels, work
        self.x = data.to_input(images)
        self.n_csim = csim_images
        self.cache = {}
        self.timings = []
        self.graphs = {}

    def float_point(self, folder):
        from model.compress import size_report
        from model.store import load_model

        key = (folder, False)
        if key not in self.cache:
            model = load_model(folder / 'float.keras')
            logits = model.predict(self.x, verbose=0, batch_size=500)
            self.cache[key] = dict(top1=top1(logits, self.labels), logits=logits, **size_report(model))
        return self.cache[key]

    def fixed_point(self, folder):
        from hls.convert import convert
        from hls.csim import compile_csim, run_csim
        from model.compress import size_report
        from model.quant import exact
        from model.store import load_model

        key = (folder, True)
        if key not in self.cache:
            qmodel = load_model(folder / 'quantized.keras')
            x = self.x.astype(np.float64)
            twin = exact(qmodel).predict(x, verbose=0, batch_size=500)
            started = time.time()
            graph = convert(qmodel, self.config, self.work / 'hls' / folder.name)
            compile_csim(graph)
            self.graphs[folder] = graph
            compiled = time.time()
            n = self.n_csim
            csim = run_csim(graph, x[:n])
            self.timings.append(dict(point=folder.name, compile_s=compiled - started, csim_s=time.time() - compiled, images=n))
            self.cache[key] = dict(
                top1=top1(twin, self.labels), csim_top1=top1(csim, self.labels[:n]), csim_images=n,
                csim_differ=int(np.sum(np.any(csim != twin[:n], axis=1))), twin_logits=twin, csim_logits=csim, **size_report(qmodel),
            )  # fmt: skip
        return self.cache[key]


def csim_throughput(ev, folder, rounds=2):
    """Images/s of the C simulation of one design point, in one process and in one per core, on
    the same images (the results must be equal): the best of `rounds` runs each, taken in turn,
    since a shared machine's speed drifts over a run."""
    import os

    from hls.csim import run_csim

    x = ev.x[: ev.n_csim].astype(np.float64)
    rates = {}
    for _ in range(rounds):
        for workers in (1, os.cpu_count()):
            started = time.time()
            logits = run_csim(ev.graphs[folder], x, workers)
            rates[workers] = max(rates.get(workers, 0), len(x) / (time.time() - started))
            if not np.array_equal(logits, ev.fixed_point(folder)['csim_logits']):
                raise AssertionError(f'csim with {workers} processes differs from the first run')
    return dict(images=len(x), rates=rates, rounds=rounds)


def compression_table(ev):
    rows = []
    alexnet = ev.float_point(RESULTS / 'alexnet')
    squeeze = ev.float_point(DEFAULT)
    for label, folder, fixed, paper in COMPRESSION:
        r = ev.fixed_point(folder) if fixed else ev.float_point(folder)
        size = r['huffman_bytes'] if fixed else r['dense_bytes']  # float weights are not coded
        rows.append(dict(
            point=label, params=r['params'], nonzero=r['nonzero'], bits=r['bits'], dense_kb=r['dense_bytes'] / 1024,
            sparse_kb=r['sparse_bytes'] / 1024, compressed_kb=size / 1024, paper=paper,
            vs_float=squeeze['dense_bytes'] / size, vs_alexnet=alexnet['dense_bytes'] / size,
            parts={key: r[key] for _, *keys in PARTS for key in keys if key},
            top1=r['top1'], csim_top1=r.get('csim_top1'), csim_differ=r.get('csim_differ'), csim_images=r.get('csim_images'),
        ))  # fmt: skip
    return rows


def variants_table(ev):
    rows = []
    for label, folder in VARIANTS:
        f, q = ev.float_point(folder), ev.fixed_point(folder)
        rows.append(dict(
            variant=label, params=f['params'], kb_8bit=q['dense_bytes'] / 1024, float_top1=f['top1'], top1_8bit=q['top1'],
            csim_top1=q['csim_top1'], csim_differ=q['csim_differ'], csim_images=q['csim_images'],
        ))  # fmt: skip
    return rows


def hardware(config, work, images):
    """RTL simulation and open synthesis of the default design."""
    from cli import steps
    from firmware import xilinx
    from firmware.boards import load_board
    from firmware.evidence import clock_lines
    from model import data
    from model.store import load_model
    from sim import runner
    from sim.run_network import layer_rows, simulate, timing

    x = data.to_input(images).astype(np.float64)
    sim = runner.simulator()
    r = simulate(load_model(config['model']), config, x, work / 'rtl_sim', sim, log=step)
    interval, latency = timing(r['arrivals'])
    manifest = r['manifest']
    # a conv's multipliers work `mac_cycles` (its schedule) of every measured interval
    layers = layer_rows(manifest, r['layers'], interval)
    busy = {row['layer']: row['busy'] for row in layers if row['busy'] is not None}
    mults = {row['layer']: row['multipliers'] for row in layers if row['multipliers']}
    overall = sum(busy[n] * mults[n] for n in busy) / sum(mults.values())

    step('yosys: open synthesis of the default design')
    board = load_board(config['board'])
    ctx = xilinx.Context(board, config, work / 'synth', say=lambda m: None)
    ctx.out.mkdir(parents=True, exist_ok=True)
    synth_s = sum(steps.run_steps(xilinx.STEPS, ctx, stop='report', say=lambda m: None).values())
    util = json.loads((ctx.out / 'utilization.json').read_text())
    differ = int(np.sum(np.any(r['rtl'] != r['csim'], axis=1)))
    return dict(
        interval=interval, latency=latency, clock_lines=clock_lines(manifest, work / 'rtl_sim' / 'rtl', 1000 / config['clock_period_ns'], interval, config['board']), rtl_images=len(x), rtl_differ=differ,
        rtl_cycles_per_s=r['cycles'] / r['seconds'], rtl_seconds=r['seconds'], simulator=sim, busy=busy,
        busy_overall=overall, multipliers=manifest['multipliers'], lut_multipliers=manifest['lut_multipliers'], layers=layers,
        modeled=manifest['estimated_interval_cycles'], folding=str(config['folding'] if config['folding'] == 'auto' else Path(config['folding']).relative_to(cli.ROOT)),
        utilization=util, synth_s=synth_s, board=board, pruning=pruning_figures(manifest),
    )  # fmt: skip


def pruning_figures(manifest):
    """What a design spends that pruned channels save: multipliers, weight ROM, dropped inputs."""
    rom = sum(m['depth'] * m['width'] * m['count'] for layer in manifest['layers'] for m in layer['memories'] if m['what'] == 'weights')
    return dict(multipliers=manifest['multipliers'], rom_kbit=rom / 1024, selects=sum(layer['module'] == 'axis_select' for layer in manifest['layers']))


def pruned_hardware(config, work, images, dense):
    """RTL simulation of the channel-pruned point beside the default design's (`dense`, from
    hardware): its dead input channels neither stored nor multiplied (the backend's prune pass)."""
    from model import data
    from model.store import load_model
    from sim import runner
    from sim.run_network import simulate, timing

    x = data.to_input(images).astype(np.float64)
    r = simulate(load_model(CHANNELS / 'quantized.keras'), config, x, work / 'rtl_channels', runner.simulator(), log=step)
    pruned = dict(interval=timing(r['arrivals'])[0], differ=int(np.sum(np.any(r['rtl'] != r['csim'], axis=1))), **pruning_figures(r['manifest']))
    rows = {
        'dense (model/default)': dict(interval=dense['interval'], differ=dense['rtl_differ'], **dense['pruning']),
        '25% of input channels pruned (channels-q8)': pruned,
    }
    return dict(images=len(x), rows=rows)


def plots(out, compression, variants, hw, confusion):
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    files = {}
    fig, ax = plt.subplots(figsize=(5, 3.5))
    dense = [r for r in compression if r['point'].startswith('SqueezeNet') and 'pruned' not in r['point']]
    pruned = [r for r in compression if 'pruned' in r['point'] and 'shared' not in r['point']]
    shared = [r for r in compression if 'shared' in r['point']]
    ax.plot([r['bits'] for r in dense], [r['top1'] for r in dense], 'o-', label='SqueezeNet')
    ax.plot([r['bits'] for r in pruned], [r['top1'] for r in pruned], 's--', label='pruned 50%')
    ax.plot([r['bits'] for r in shared], [r['top1'] for r in shared], '^:', label='pruned 50%, shared weights')
    ax.set(xlabel='bits per weight (shared: index bits)', ylabel='top-1 (test)', title='Accuracy against bits')
    ax.set_xscale('log', base=2)
    ax.set_xticks([4, 6, 8, 32], ['4', '6', '8', '32'])
    ax.legend()
    files['accuracy_vs_bits'] = 'accuracy_vs_bits.png'
    fig.tight_layout(), fig.savefig(out / files['accuracy_vs_bits'], dpi=120), plt.close(fig)

    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    for r in compression:
        ax.scatter(r['compressed_kb'], r['top1'])
        ax.annotate(r['point'].replace('SqueezeNet, ', '').replace(' (Deep Compression)', ''), (r['compressed_kb'], r['top1']), fontsize=7)
    ax.set(xscale='log', xlabel='stored size, Huffman-coded (KB)', ylabel='top-1 (test)', title='Size against accuracy')
    files['size_vs_accuracy'] = 'size_vs_accuracy.png'
    fig.tight_layout(), fig.savefig(out / files['size_vs_accuracy'], dpi=120), plt.close(fig)

    layers = {k: v for k, v in hw['utilization']['per_layer'].items() if k not in ('total', '(top glue)') and v['LUT'] > 0}
    fig, axes = plt.subplots(1, 2, figsize=(9, 4.5), sharey=True)
    names = list(layers)
    for ax, resource in zip(axes, ('LUT', 'DSP')):
        ax.barh(names, [layers[n][resource] for n in names])
        ax.set(xlabel=resource, title=f'{resource} per layer')
    axes[0].tick_params(axis='y', labelsize=7)
    files['resources_per_layer'] = 'resources_per_layer.png'
    fig.tight_layout(), fig.savefig(out / files['resources_per_layer'], dpi=120), plt.close(fig)

    rows = [r for r in hw['layers'] if r['multipliers'] or r['module'] in ('max_pool', 'global_avg_pool')]
    fig, ax = plt.subplots(figsize=(9, 4))
    at = np.arange(len(rows))
    ax.bar(at - 0.2, [r['modeled'] for r in rows], 0.4, label='modeled')
    ax.bar(at + 0.2, [r['simulated'] or 0 for r in rows], 0.4, label='simulated (RTL)')
    ax.axhline(hw['interval'], color='k', lw=0.8, ls='--', label=f'measured interval {hw["interval"]:,}')
    ax.set_xticks(at, [r['layer'] for r in rows], rotation=60, ha='right', fontsize=7)
    ax.set(ylabel='cycles per image', title='Cycles per image per layer, in dataflow order')
    ax.legend(fontsize=7)
    files['cycles_per_layer'] = 'cycles_per_layer.png'
    fig.tight_layout(), fig.savefig(out / files['cycles_per_layer'], dpi=120), plt.close(fig)

    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.imshow(confusion, cmap='Blues')
    for (i, j), v in np.ndenumerate(confusion):
        ax.text(j, i, str(v), ha='center', va='center', fontsize=6, color='white' if v > confusion.max() / 2 else 'black')
    ax.set(xlabel='predicted', ylabel='true', title='Confusion, default 8-bit design', xticks=range(10), yticks=range(10))
    files['confusion'] = 'confusion.png'
    fig.tight_layout(), fig.savefig(out / files['confusion'], dpi=120), plt.close(fig)
    return files


def fmt_acc(v):
    return '' if v is None else f'{v:.4f}'


def compression_lines(compression):
    """The compression table, its notes and what each point stores (Markdown lines)."""
    lines = ['## Compression (the paper\'s Deep Compression table)', '',
             '| design point | parameters | non-zero | bits | dense KB | sparse KB | + Huffman KB | x smaller than float SqueezeNet | x smaller than AlexNet-style | the paper (ImageNet) | top-1 | csim top-1 | csim images differing |',
             '|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|']  # fmt: skip
    for r in compression:
        csim = f"{fmt_acc(r['csim_top1'])} ({r['csim_images']})" if r['csim_top1'] is not None else '-'
        differ = '-' if r['csim_differ'] is None else str(r['csim_differ'])
        lines.append(f"| {r['point']} | {r['params']:,} | {r['nonzero']:,} | {r['bits']} | {r['dense_kb']:.1f} | {r['sparse_kb']:.1f} | {r['compressed_kb']:.1f} "
                     f"| {r['vs_float']:.2g} | {r['vs_alexnet']:.0f} | {r['paper']} | {r['top1']:.4f} | {csim} | {differ} |")  # fmt: skip
    lines += ['', 'Bits: per stored weight symbol (the ap_fixed value, or with shared weights the codebook index). '
              'Dense KB: every weight\'s symbol, the codebooks (8-bit entries) and the biases. Sparse KB: each layer '
              'in the smaller of the dense form and Deep Compression\'s sparse one (symbol plus a 4-bit relative '
              'index, a filler entry per 16 zeros). + Huffman: the same with the weight symbols and the relative '
              'indices Huffman-coded per layer (code tables not counted, as in the paper); the x columns are of '
              'this size. Top-1 of a fixed-point point is its exact Keras twin on the whole test set; csim top-1 '
              'is the hls4ml C simulation on the first images (count in brackets), which must differ from the '
              'twin in no bit.', '',
              '### What is stored, in KB (raw / Huffman-coded)', '',
              '| design point | ' + ' | '.join(name for name, *_ in PARTS) + ' |', '|---|' + '---:|' * len(PARTS)]  # fmt: skip
    for r in compression:
        cells = [f"{r['parts'][raw] / 8192:.1f}" + (f" / {r['parts'][coded] / 8192:.1f}" if coded else '') for _, raw, coded in PARTS]
        lines.append(f"| {r['point']} | " + ' | '.join(cells) + ' |')
    return lines


def markdown(compression, variants, hw, pruned, timings, throughput, agreement, files, n_test, seconds):
    lines = ['# SqueezeNet on the PYNQ-Z2: benchmark report', '',
             f'Fashion-MNIST test set ({n_test:,} images). Every number below was measured by this run of `make bench`.', '',
             *compression_lines(compression)]
    lines += ['',
              '## Variants (the paper\'s bypass table)', '',
              '| variant | parameters | 8-bit KB | float top-1 | 8-bit top-1 | csim top-1 | csim images differing |',
              '|---|---:|---:|---:|---:|---:|---:|']  # fmt: skip
    for r in variants:
        lines.append(f"| {r['variant']} | {r['params']:,} | {r['kb_8bit']:.1f} | {r['float_top1']:.4f} | {r['top1_8bit']:.4f} "
                     f"| {fmt_acc(r['csim_top1'])} ({r['csim_images']}) | {r['csim_differ']} |")  # fmt: skip
    util, board = hw['utilization'], hw['board']
    total, share = util['per_layer']['total'], util['share']
    lines += ['', f"## Hardware: the default design (model/default, folding: {hw['folding']})", '',
              f"- RTL simulation ({hw['simulator']}, {hw['rtl_images']} images back to back, the first timed without stalls, "
              f"then random idle and backpressure): {hw['rtl_differ']} images differ from csim in any bit",
              f"- cycles per image (interval): {hw['interval']:,}; latency of the first image: {hw['latency']:,} cycles",
              *[f"- {line.strip()}" for line in hw['clock_lines']],
              f"- cycles per image modeled by the generator: {hw['modeled']:,}",
              f"- multipliers: {hw['multipliers']} ({hw['lut_multipliers']} in LUTs); busy {hw['busy_overall']:.1%} of the cycles on average (from the schedule at the measured interval)",
              f"- open synthesis (Yosys synth_xilinx, {board['part']}): LUT {total['LUT']:,.0f} ({share['LUT']:.1%}), "
              f"FF {total['FF']:,.0f} ({share['FF']:.1%}), DSP {total['DSP']:,.0f} ({share['DSP']:.1%}), "
              f"BRAM36 {total['BRAM36']:.1f} ({share['BRAM36']:.1%}); fits: {'yes' if util['fits'] else 'NO'}", '',
              '| layer | LUT | FF | DSP | BRAM36 | multipliers busy |', '|---|---:|---:|---:|---:|---:|']  # fmt: skip
    for name, used in util['per_layer'].items():
        busy = f"{hw['busy'][name]:.0%}" if name in hw['busy'] else ''
        lines.append(f"| {name} | {used['LUT']:,.0f} | {used['FF']:,.0f} | {used['DSP']:,.0f} | {used['BRAM36']:.1f} | {busy} |")
    lines += ['', 'Per layer, in dataflow order: cycles per image modeled by the generator and simulated (between '
              "consecutive images' first beats at the layer's output, back to back), and the share of the timed "
              "cycles in which its output waited on its consumer.", '',
              '| layer | PE x SIMD | multipliers (in LUTs) | modeled | simulated | busy | output stalled |', '|---|---:|---:|---:|---:|---:|---:|']  # fmt: skip
    for r in hw['layers']:
        mark = ' (sets the interval)' if r['sets_interval'] else ''
        mults = f"{r['multipliers']} ({r['lut_multipliers']})" if r['multipliers'] else ''
        busy = '' if r['busy'] is None else f"{r['busy']:.0%}"
        stalled = '' if r['stalled'] is None else f"{r['stalled']:.0%}"
        simulated = '' if r['simulated'] is None else f"{r['simulated']:,}"
        lines.append(f"| {r['layer']}{mark} | {r['fold']} | {mults} | {r['modeled']:,} | {simulated} | {busy} | {stalled} |")
    lines += ['', f"## Pruned channels in hardware (RTL simulation, {pruned['images']} images each)", '',
              '| design | cycles per image | multipliers | weight ROM Kbit | convs with dropped channels | images differing from csim |',
              '|---|---:|---:|---:|---:|---:|']  # fmt: skip
    for label, r in pruned['rows'].items():
        lines.append(f"| {label} | {r['interval']:,} | {r['multipliers']} | {r['rom_kbit']:.1f} | {r['selects']} | {r['differ']} |")
    lines += ['', '## C simulation throughput', '',
              f"The default design point's compiled C simulation on the first {throughput['images']:,} test images, "
              f"the same images and logits each way (best of {throughput['rounds']} runs each, taken in turn):", '', '| processes | images/s |', '|---:|---:|']
    for workers, rate in throughput['rates'].items():
        lines.append(f'| {workers} | {rate:.0f} |')
    one, every = throughput['rates'][1], throughput['rates'][max(throughput['rates'])]
    lines += ['', f'Speed-up: {every / one:.2f}x on {max(throughput["rates"])} cores.', '',
              f"Float vs fixed, default design point (C simulation, {throughput['images']:,} images): same class on "
              f"{agreement['same_class']:.2%} of the images; |logit error| median {agreement['error_median']:.4f}, "
              f"99th percentile {agreement['error_p99']:.4f}."]  # fmt: skip
    lines += ['', '## Flow timings', '', '| step | seconds | rate |', '|---|---:|---:|']
    for t in timings:
        lines.append(f"| csim {t['point']}: compile | {t['compile_s']:.1f} | |")
        lines.append(f"| csim {t['point']}: {t['images']} images | {t['csim_s']:.1f} | {t['images'] / t['csim_s']:.0f} images/s |")
    lines.append(f"| RTL simulation, {hw['rtl_images']} images | {hw['rtl_seconds']:.1f} | {hw['rtl_cycles_per_s']:,.0f} cycles/s |")
    lines.append(f"| Yosys synth_xilinx (with RTL generation) | {hw['synth_s']:.1f} | |")
    lines.append(f'| whole report | {seconds:.0f} | |')
    lines += ['', '## Plots', ''] + [f'![{name}]({path})' for name, path in files.items()] + ['']
    return '\n'.join(lines)


def main(argv=None):
    parser = cli.Parser(description=__doc__)
    parser.add_argument('--images', type=cli.count, default=10000, help='test images per C simulation (default all 10,000)')
    parser.add_argument('--rtl-images', type=cli.count, default=10, help='test images through the RTL simulation')
    parser.add_argument('--out', default=str(cli.ROOT / 'build' / 'bench'), help='report folder (replaced on success)')
    args = parser.parse_args(argv)
    started = time.time()

    from hls.convert import load_config
    from hls.csim import float_vs_fixed
    from model import data
    from model.store import atomic_dir

    folders = {f for _, f, *_ in COMPRESSION} | {f for _, f in VARIANTS}
    missing = sorted(str(f) for f in folders if not (f / 'build.json').exists())
    if missing:
        raise cli.InputError(f'design points not trained: {missing}; run `make tables`')
    config = load_config()
    images, labels = data.load('test')
    with atomic_dir(args.out) as out:
        ev = Evaluator(config, images, labels, args.images, out / 'work')
        step('compression table: evaluating and running the C simulation of each point')
        compression = compression_table(ev)
        step('variants table')
        variants = variants_table(ev)
        step('hardware: RTL simulation of the default design')
        hw = hardware(config, out / 'work', images[: args.rtl_images])
        step('hardware: RTL simulation of the channel-pruned point')
        pruned = pruned_hardware(config, out / 'work', images[: args.rtl_images], hw)
        default = ev.fixed_point(DEFAULT)
        step('C simulation throughput: one process, then one per core')
        throughput = csim_throughput(ev, DEFAULT)
        agreement = float_vs_fixed(ev.float_point(DEFAULT)['logits'][: args.images], default['csim_logits'])
        confusion = np.zeros((10, 10), dtype=int)
        np.add.at(confusion, (labels, default['twin_logits'].argmax(1)), 1)
        files = plots(out, compression, variants, hw, confusion)
        report = markdown(compression, variants, hw, pruned, ev.timings, throughput, agreement, files, len(labels), time.time() - started)
        (out / 'report.md').write_text(report)
        results = dict(compression=compression, variants=variants, hardware={k: v for k, v in hw.items() if k != 'board'}, pruned_hardware=pruned,
                       timings=ev.timings, csim_throughput=throughput, float_vs_fixed=agreement)  # fmt: skip
        (out / 'results.json').write_text(json.dumps(results, indent=1, default=float) + '\n')
        shutil.rmtree(out / 'work')  # hls4ml projects and simulator builds: large, and rebuilt each run
    print(report)
    print(f'\nreport: {Path(args.out) / "report.md"}')
    return 0


if __name__ == '__main__':
    sys.exit(cli.run(main))
