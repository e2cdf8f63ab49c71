"""The stages a sweep point runs, each a task (cli.cluster) that carries its design point's files.

A stage is stage(scratch, point, options, *results of the stages it needs) on a worker, in the
scratch folder the task runs in: the point's files are written there (carry/unpack), its output
goes to a log that comes back with its result, and what it measured is a small dict. A stage that
fails returns ok False with its one-line error (never raises), so that the sweep goes on.
"""
import contextlib
import io
import traceback
from pathlib import Path

import numpy as np

from firmware.jobs import digest

FILE_KEYS = ('model', 'float_model', 'folding', 'data')  # design point keys naming a file a task needs


def carry(config):
    """(the design point with its files named by key, {key: bytes}): what a task takes along."""
    sent, files = dict(config), {}
    for key in FILE_KEYS:
        path = Path(str(config.get(key)))
        if path.is_file():
            files[key] = (path.name, path.read_bytes())
            sent[key] = None
        elif key != 'data' and str(config.get(key)) != 'auto' and path.is_absolute():
            sent[key] = str(path)  # missing: the stage fails, naming it
    return {k: str(v) if isinstance(v, Path) else v for k, v in sent.items()}, files


def unpack(scratch, point):
    """The design point on the worker: its files in scratch/in, its hls4ml project in scratch/hls."""
    config, files = point
    config = dict(config, output_dir=str(scratch / 'hls'))
    for key, (name, data) in files.items():
        path = scratch / 'in' / key / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        config[key] = path
    for key in ('model', 'float_model'):
        config[key] = Path(config[key])
    return config


def point_key(point):
    config, files = point
    return digest(config, {k: (name, digest(data)) for k, (name, data) in files.items()})


def logged(stage):
    """stage as a task: its printing into a log that comes back as result['log'], and an exception
    turned into ok False with its last line (the traceback in the log)."""

    def run(scratch, *args):
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                result = dict(ok=True, **stage(scratch, *args))
        except Exception as err:  # noqa: BLE001  a point's failure is its row, not the sweep's end
            out.write(traceback.format_exc())
            result = dict(ok=False, error=' '.join(f'{type(err).__name__}: {err}'.split())[:300])
        return dict(result, log=out.getvalue())

    run.__name__ = stage.__name__
    return run


def csim(scratch, point, options):
    """Accuracy of the C simulation on the first N test images, and quantized Keras == csim."""
    from hls.csim import simulate
    from model import data
    from model.compress import size_report
    from model.store import load_quantized

    config = unpack(scratch, point)
    qmodel = load_quantized(config['model'])
    images, labels, _, what = data.test_set(config['data'], qmodel.input_shape[1:])
    images = images[: options['images']]
    data.check_input_shape(qmodel, images)
    x = data.to_input(images).astype(np.float64)
    r = simulate(qmodel, config, x, scratch / 'hls', testbench=False)
    top1 = r['csim'].argmax(axis=1)
    size = size_report(qmodel)
    return dict(images=len(x), what=what, accuracy=None if labels is None else float(np.mean(top1 == labels[: len(x)])),
                keras_differ=int(np.sum(np.any(r['quantized'] != r['csim'], axis=1))), logits=r['csim'].tolist(),
                params=size['params'], bits=size['bits'], weights_kb=size['dense_bytes'] / 1024,
                compile_s=round(r['compile_s'], 1), csim_s=round(r['csim_s'], 1))  # fmt: skip


def sim(scratch, point, options, csim_result):
    """RTL simulation (Verilator) of the first M images: images differing from csim, cycles per image."""
    from firmware.boards import load_board
    from firmware.generate import generate_rtl
    from hls.convert import convert
    from model import data
    from model.store import load_quantized
    from sim.run_network import run_rtl, timing

    if not csim_result['ok']:
        raise RuntimeError(f'not run: its csim failed ({csim_result["error"]})')
    config = unpack(scratch, point)
    qmodel = load_quantized(config['model'])
    images = data.test_set(config['data'], qmodel.input_shape[1:])[0][: options['images']]
    x = data.to_input(images).astype(np.float64)
    graph = convert(qmodel, config, scratch / 'hls')
    manifest = generate_rtl(graph, config, load_board(config['board']), scratch / 'rtl')
    r = run_rtl(manifest, scratch / 'rtl', x, scratch, 'verilator', log=print)
    interval, latency = timing(r['arrivals'])
    differ = int(np.sum(np.any(r['rtl'] != np.array(csim_result['logits'])[: len(x)], axis=1)))
    return dict(images=len(x), differ=differ, cycles=interval, latency=latency, modeled=manifest['estimated_interval_cycles'],
                multipliers=manifest['multipliers'], sim_s=round(r['seconds'], 1))  # fmt: skip


def synth(scratch, point, options):
    """Yosys synth_xilinx for the point's board, per instance (firmware.xilinx): resources and the fit."""
    import json

    from cli import steps
    from firmware import xilinx
    from firmware.boards import load_board

    config = unpack(scratch, point)
    board = load_board(config['board'])
    if board['family'] not in ('xc7', 'xcup'):
        raise ValueError(f'the synth stage is Yosys for Xilinx boards; {board["name"]} is {board["family"]} (use the pnr stage)')
    (scratch / 'synth').mkdir()
    ctx = xilinx.Context(board, config, scratch / 'synth')
    steps.run_steps(xilinx.STEPS, ctx, stop='report')
    used = scratch / 'synth' / 'utilization.json'
    found = json.loads(used.read_text()) if used.exists() else {}
    total = found.get('per_layer', {}).get('total', {})
    return dict(board=board['name'], fits=bool(ctx.fits), **{k: total.get(k) for k in ('LUT', 'FF', 'DSP', 'BRAM36')},
                modeled_cycles=ctx.manifest['estimated_interval_cycles'])  # fmt: skip


def pnr(scratch, point, options):
    """The whole network, folded for the ECP5-85F, placed and routed out of context: Fmax.
    `options`: the point's seed, router and clock_mhz (None: the part's, firmware/boards.yaml)."""
    from dataclasses import replace

    from firmware import evidence, pnr as place, timing
    from firmware.boards import timing_part

    config = unpack(scratch, point)
    part = timing_part()
    clock = options['clock_mhz'] or part['timing']['network_mhz']
    ctx = timing.Context(config, part, scratch, clock, part['timing']['module_mhz'], tools=place.tool_versions(), sources=evidence.sources_digest())
    timing.step_generate(ctx)
    if '(network)' in ctx.too_big:
        raise ValueError(f'not placed on the {part["part"]}: {ctx.too_big["(network)"]}')
    job = timing.network_job(ctx)
    options = list(job.nextpnr)
    if options['seed'] is not None:
        if '--seed' in options:
            del options[options.index('--seed') : options.index('--seed') + 2]
        options += ['--seed', str(options['seed'])]
    if options['router']:
        options += ['--router', options['router']]
    job = replace(job, nextpnr=options, key=digest(job.key, options))
    r = place.run_jobs([job], part, scratch / 'cache')[job.key]
    if not r['ok']:
        raise RuntimeError(r['error'])
    return dict(fmax_mhz=r['fmax_mhz'], clock_mhz=clock, part=part['part'], nextpnr=' '.join(map(str, options)),
                ecp5_cycles=ctx.designs['ecp5'].manifest['estimated_interval_cycles'], luts4=r['used'].get('TRELLIS_COMB'),
                pnr_s=r['pnr_s'], synth_s=r['synth_s'])  # fmt: skip


STAGES = {'csim': csim, 'sim': sim, 'synth': synth, 'pnr': pnr}
