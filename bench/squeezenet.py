"""`make bench-squeezenet`: the paper's network at 224x224 through every tool, measured now.

    python -m bench.squeezenet [--rtl-images 3] [--csim-images 16] [--skip-synth] [--out build/bench-squeezenet]

For SqueezeNet v1.1 (hls/squeezenet_v1_1.yaml, the ZCU102) and v1.0 (hls/squeezenet_v1_0.yaml):
the C simulation against the quantized Keras model (bit for bit; g++ compile time, images/s),
for v1.1 the RTL simulation against the C simulation (bit for bit; Verilator build time, the
simulator's cycles/s, cycles per image measured back to back, images/s at the design point's
clock, multipliers busy) and open synthesis for the ZCU102 (resources, the fit, Yosys's wall
time and peak memory), and the PYNQ-Z2's on-chip memory verdict. Peak memory is the largest
child process's (g++, Verilator's C++ build, Yosys). Writes report.md and results.json.
"""
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np

import cli

POINTS = {'v1.1': cli.ROOT / 'hls' / 'squeezenet_v1_1.yaml', 'v1.0': cli.ROOT / 'hls' / 'squeezenet_v1_0.yaml'}
TARGET_IMAGES_PER_S = 650  # issue 21: the ZCU102 at 100 MHz from RTL-simulated cycles


def step(message):
    print(f'[{time.strftime("%H:%M:%S")}] {message}', flush=True)


def loader(work, n=3):
    """v1.1's weights written in torchvision's layout and read back by the loader (the ImageNet
    preprocessing folded into conv1) against the float reference: the same weights unfolded, on
    preprocessed pixels. Figures: the largest logit difference and the largest logit."""
    from model import data
    from model.pretrained import TORCH_MEAN, TORCH_STD, load_weights, torchvision_state
    from model.squeezenet import squeezenet_v1_1

    work.mkdir(parents=True, exist_ok=True)
    path = work / 'squeezenet1_1.npz'
    np.savez(path, **torchvision_state(squeezenet_v1_1(), '1.1'))
    pixels = data.sample_images((224, 224, 3), n).astype(np.float64)
    got = load_weights(squeezenet_v1_1(), path).predict(pixels / 256, verbose=0)
    want = load_weights(squeezenet_v1_1(), path, 'none').predict((pixels / 255 - TORCH_MEAN) / TORCH_STD, verbose=0)
    return dict(images=n, max_abs_diff=float(np.abs(got - want).max()), max_logit=float(np.abs(want).max()))


def csim(config, n, work):
    """The C simulation of n sample images against the quantized model: figures."""
    from hls.csim import simulate
    from model import data
    from model.store import load_quantized
    from sim.run_network import peak_child_mb

    qmodel = load_quantized(config['model'])
    x = data.to_input(data.test_set(config['data'], qmodel.input_shape[1:])[0][:n]).astype(np.float64)
    r = simulate(qmodel, config, x, work, testbench=False)
    return dict(images=n, differ=int(np.sum(np.any(r['csim'] != r['quantized'], axis=1))), compile_s=r['compile_s'],
                images_per_s=n / r['csim_s'], parameters=qmodel.count_params(), peak_mb=peak_child_mb())  # fmt: skip


def rtl(config, n, work):
    """The RTL simulation of n sample images against the C simulation: figures."""
    from model import data
    from model.store import load_quantized
    from sim import runner
    from sim.run_network import layer_rows, peak_child_mb, simulate, timing

    qmodel = load_quantized(config['model'])
    x = data.to_input(data.test_set(config['data'], qmodel.input_shape[1:])[0][:n]).astype(np.float64)
    r = simulate(qmodel, config, x, work, runner.simulator(), log=step)
    interval, latency = timing(r['arrivals'])
    manifest = r['manifest']
    rows = layer_rows(manifest, r['layers'], interval)
    mults = manifest['multipliers']
    busy = sum(layer['mac_cycles'] * layer['multipliers'] for layer in manifest['layers']) / (mults * interval)
    mhz = 1000 / config['clock_period_ns']
    return dict(
        images=n, differ=int(np.sum(np.any(r['rtl'] != r['csim'], axis=1))), interval=interval, latency=latency,
        modeled=manifest['estimated_interval_cycles'], images_per_s=mhz * 1e6 / interval, mhz=mhz, multipliers=mults, busy=busy,
        cycles=r['cycles'], sim_s=r['seconds'], cycles_per_s=r['cycles'] / r['seconds'],
        build_s=r['build_seconds'], peak_mb=peak_child_mb(), layers=rows,
        beats_per_image=manifest['output']['beats_per_image'], beat_bits=manifest['output']['beat_bits'],
    )  # fmt: skip


def synth(config, board_name, work):
    """The Xilinx flow up to the fit (the memory verdict, then Yosys): figures."""
    from cli import steps
    from firmware import memory, xilinx
    from firmware.boards import load_board

    board = load_board(board_name)
    ctx = xilinx.Context(board, dict(config, board=board_name), work, say=lambda m: None)
    work.mkdir(parents=True, exist_ok=True)
    started = time.time()
    took = steps.run_steps(xilinx.STEPS, ctx, stop='report', say=lambda m: None)
    rows = memory.per_layer(ctx.manifest)
    result = dict(board=board_name, fits=ctx.fits, wall_s=time.time() - started, steps=took, memory_kb=rows['total']['kb'],
                  memory_bram36=rows['total']['bram36'], board_bram36=board['resources']['BRAM36'], interval=ctx.manifest['estimated_interval_cycles'])  # fmt: skip
    if (work / 'utilization.json').exists() and 'yosys' in took:
        util = json.loads((work / 'utilization.json').read_text())
        result.update(total=util['per_layer']['total'], share=util['share'], yosys=ctx.yosys_cost)
    return result


def markdown(results):
    lines = ['# SqueezeNet at 224x224: the tools and the hardware, measured', '']
    w = results['loader']
    lines.append(f'- loader (torchvision layout, preprocessing folded): {w["images"]} images, largest logit difference from the '
                 f'float reference {w["max_abs_diff"]:.2e} (logits up to {w["max_logit"]:.2f})')  # fmt: skip
    for version, c in results['csim'].items():
        lines.append(f'- csim {version} ({c["parameters"]:,} parameters): {c["images"]} images, {c["differ"]} differing from the '
                     f'quantized Keras model; g++ compile {c["compile_s"]:.0f} s, {c["images_per_s"]:.2f} images/s')  # fmt: skip
    r = results.get('rtl')
    if r:
        lines += [
            f'- RTL v1.1 (Verilator): {r["images"]} images, {r["differ"]} differing from csim; {r["interval"]:,} cycles per image '
            f'measured (modeled {r["modeled"]:,}), {r["images_per_s"]:,.0f} images/s at {r["mhz"]:.0f} MHz '
            f'(target {TARGET_IMAGES_PER_S}); {r["multipliers"]:,} multipliers busy {r["busy"]:.1%}',
            f'- Verilator: build {r["build_s"]:.0f} s, {r["cycles"]:,} cycles in {r["sim_s"]:.0f} s '
            f'({r["cycles_per_s"]:,.0f} cycles/s); peak memory of a tool process so far {r["peak_mb"]:,.0f} MB',
            f'- results: {r["beats_per_image"]} beats of {r["beat_bits"]} bits per image',
        ]  # fmt: skip
    for s in results.get('synth', []):
        verdict = 'FITS' if s['fits'] else 'DOES NOT FIT'
        line = f'- {s["board"]}: {verdict}; on-chip memory {s["memory_kb"]:,.0f} KB, {s["memory_bram36"]:,} BRAM36 of {s["board_bram36"]:,}'
        if 'total' in s:
            t, sh = s['total'], s['share']
            line += (f'; Yosys: LUT {t["LUT"]:,.0f} ({sh["LUT"]:.1%}), FF {t["FF"]:,.0f} ({sh["FF"]:.1%}), DSP {t["DSP"]:,.0f} '
                     f'({sh["DSP"]:.1%}), BRAM36 {t["BRAM36"]:,.1f} ({sh["BRAM36"]:.1%}); {s["yosys"]}')  # fmt: skip
        lines.append(line)
    lines += ['', f'wall time {results["seconds"]:.0f} s']
    return '\n'.join(lines) + '\n'


def main(argv=None):
    parser = cli.Parser(description=__doc__)
    parser.add_argument('--csim-images', type=cli.count, default=16)
    parser.add_argument('--rtl-images', type=cli.count, default=3)
    parser.add_argument('--skip-synth', action='store_true', help='no Yosys run for the ZCU102 (the memory verdicts still run)')
    parser.add_argument('--out', default=str(cli.ROOT / 'build' / 'bench-squeezenet'))
    args = parser.parse_args(argv)
    started = time.time()

    from hls.convert import load_config
    from model.store import atomic_dir

    configs = {version: load_config(path) for version, path in POINTS.items()}
    results = dict(csim={})
    with atomic_dir(args.out) as out:
        step('loader: torchvision-layout weights against the float reference')
        results['loader'] = loader(out / 'loader')
        for version, config in configs.items():
            step(f'csim: SqueezeNet {version}')
            results['csim'][version] = csim(config, args.csim_images, out / f'hls-{version}')
        step('RTL simulation: SqueezeNet v1.1')
        results['rtl'] = rtl(configs['v1.1'], args.rtl_images, out / 'rtl-v1.1')
        results['synth'] = [synth(configs['v1.1'], 'pynq-z2', out / 'synth-pynq-z2')]
        if not args.skip_synth:
            step('open synthesis: SqueezeNet v1.1 for the ZCU102 (Yosys)')
            results['synth'].append(synth(configs['v1.1'], 'zcu102', out / 'synth-zcu102'))
        results['seconds'] = time.time() - started
        report = markdown(results)
        (out / 'report.md').write_text(report)
        (out / 'results.json').write_text(json.dumps(results, indent=1, default=float) + '\n')
        for folder in out.iterdir():
            if folder.is_dir():
                shutil.rmtree(folder)  # projects and simulator builds: large, rebuilt each run
    print(report)
    print(f'report: {Path(args.out) / "report.md"}')
    return 0


if __name__ == '__main__':
    sys.exit(cli.run(main))
