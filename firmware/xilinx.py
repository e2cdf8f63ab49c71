"""The Xilinx flow of `make synth`: open synthesis for a Xilinx board, the fit, the vendor projects.

Steps (STEPS), each a small function of one Context:
  generate   the hls4ml graph of the configured model and the RTL from it (firmware.generate)
  memory     on-chip memory per layer (firmware.memory) against the board's block RAM: a network
             whose weights do not fit ends here, with the table of what takes it (exit 1)
  yosys      synth_xilinx for the board's family, each distinct instance of the top once (cached)
  report     LUT / FF / DSP / BRAM36 per layer and in total, as a share of the board; the fit
  vendor     the hls4ml VivadoAccelerator project, a Vivado project for the generated RTL (Zynq
             PS, AXI DMA, the accelerator, clock, bitstream) and the PYNQ driver
  bitstream  Vivado on the RTL project, only when asked and only where vivado is on PATH
Exit status (firmware.synth): 0 fits, 1 does not fit, 2 bad input, 3 a vendor tool is missing,
4 a tool failed.
"""
import json
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import cli
from cli import cluster, steps, tools
from firmware import evidence, jobs, memory, vivado, yosys
from firmware.boards import RESOURCES, fit, format_table, verdict_line
from firmware.backend.folding import folding_lines
from firmware.generate import generate_rtl
from model.store import atomic_dir

VIVADO_PROJECT = 'Vivado project of the generated RTL (bitstream)'


@dataclass
class Context:
    board: dict
    config: dict
    out: Path
    bitstream: bool = False  # run Vivado
    say: object = print
    manifest: dict = None
    fits: bool = None
    scripts: dict = field(default_factory=dict)  # what -> path of the vendor scripts written
    missing_tool: bool = False
    yosys_cost: str = ''

    @property
    def model_name(self):
        model = Path(self.config['model'])
        return f'{model.parent.name}/{model.name}'


# Each step writes its own folder through atomic_dir: complete, or left as the last run made it.


def step_generate(ctx):
    from hls.convert import convert
    from model.store import load_quantized

    graph = convert(load_quantized(ctx.config['model']), ctx.config, ctx.out / 'hls')
    ctx.manifest = generate_rtl(graph, ctx.config, ctx.board, ctx.out / 'rtl')


def step_memory(ctx):
    rows = memory.per_layer(ctx.manifest)
    text = memory.table(rows, ctx.board)
    (ctx.out / 'memory.txt').write_text(text + '\n')
    total, have = rows['total']['bram36'], ctx.board['resources']['BRAM36']
    if memory.fits(rows, ctx.board):
        ctx.say(f'on-chip memory: {total:,} BRAM36 of {have:,} at most (weight ROMs, line buffers, FIFOs)')
        return None
    ctx.fits = False
    ctx.say(f'\n{ctx.model_name}: weights and buffers need {rows["total"]["kb"]:,.0f} KB on chip; {ctx.board["name"]} has '
            f'{memory.board_kb(ctx.board):,.0f} KB of block RAM:\n{text}')  # fmt: skip
    ctx.say(f'fit on {ctx.board["name"]}: DOES NOT FIT (block RAM); synthesis not run. A part with more block RAM '
            '(BOARD=zcu102), fewer or narrower weights (make quantize --bits 6, pruning), or weights streamed from DDR (not built).')  # fmt: skip
    return steps.STOP


def step_yosys(ctx):
    """Yosys per instance of the top, not the top at once: a module's run is cached by content
    (firmware.jobs; the same module, parameters and ROMs run once), the runs share the cores, and
    none holds the whole network (a whole v1.1 at 224x224 took 82 minutes and 6.8 GB in one
    process). The top only connects its instances, so their sum is the design."""
    manifest, family = ctx.manifest, ctx.board['family']
    instances = [(m['name'], m['module'], m['params']) for m in [*manifest['stream_modules'], *manifest['layers']]]
    synth = f'synth_xilinx -family {family} -noiopad'  # out of context: a module's ports are not pins
    found, keys = jobs.instance_jobs(instances, ctx.out / 'rtl', None, synth, yosys.version())
    started = time.time()
    results = jobs.run_jobs(list(found.values()), lambda job, work: yosys.synthesize_module(work, job.sources, job.top, synth, job.params),
                            ctx.out / 'cache', 'yosys')  # fmt: skip
    failed = [r for r in results.values() if not r['ok']]
    if failed:
        raise cli.ToolFailed(f'{", ".join(failed[0]["layers"])}: {failed[0]["error"]}')
    per_layer = {name: results[keys[name]]['used'] for name, _, _ in instances}
    per_layer['total'] = {r: sum(used[r] for used in per_layer.values()) for r in RESOURCES}
    ran = [r for r in results.values() if not r.get('cached')]
    ctx.yosys_cost = (f'Yosys: {len(found)} distinct modules for {len(instances)} instances ({len(found) - len(ran)} from the cache), '
                      f'on {cluster.describe()}: {time.time() - started:,.0f} s wall, {sum(r["cpu_s"] or 0 for r in ran):,.0f} s CPU'
                      + (f', largest run {max(r["peak_mb"] or 0 for r in ran):,.0f} MB' if ran else ''))  # fmt: skip
    with atomic_dir(ctx.out / 'yosys') as out:
        (out / 'per_layer.json').write_text(json.dumps(dict(per_layer=per_layer, cost=ctx.yosys_cost), indent=1) + '\n')
    ctx.say(ctx.yosys_cost)


def step_report(ctx):
    per_layer = json.loads((ctx.out / 'yosys' / 'per_layer.json').read_text())['per_layer']
    ctx.fits, share = fit(per_layer['total'], ctx.board)
    clock_mhz = 1000 / ctx.config['clock_period_ns']
    interval = ctx.manifest['estimated_interval_cycles']
    folding = ctx.config['folding'] if ctx.config['folding'] == 'auto' else Path(ctx.config['folding']).name
    table = format_table(per_layer, ctx.board, share)
    table += f'\nfolding ({folding}):\n' + '\n'.join(folding_lines(ctx.manifest))
    table += f'\nthroughput: {interval:,} cycles per image (modeled; `make sim` measures it)\n'
    table += (ctx.yosys_cost + '\n') if ctx.yosys_cost else ''
    table += '\n'.join(evidence.clock_lines(ctx.manifest, ctx.out / 'rtl', clock_mhz, interval, ctx.board['name'], estimated=True))
    (ctx.out / 'utilization.txt').write_text(table + '\n')
    (ctx.out / 'utilization.json').write_text(json.dumps(dict(per_layer=per_layer, share=share, fits=ctx.fits), indent=1) + '\n')
    ctx.say(f'\nOpen synthesis (Yosys synth_xilinx -family {ctx.board["family"]}, per instance) of {ctx.model_name}:\n{table}')
    ctx.say(verdict_line(ctx.board, ctx.fits))


def step_vendor(ctx):
    from hls.convert import convert
    from model.store import load_quantized

    out = ctx.out
    with atomic_dir(out / 'hls4ml_accelerator') as prj:
        convert(load_quantized(ctx.config['model']), dict(ctx.config, backend='VivadoAccelerator'), prj).write()
    ctx.scripts = {'hls4ml VivadoAccelerator (vivado_hls -f, then vivado -source design.tcl)': out / 'hls4ml_accelerator' / 'build_prj.tcl'}
    if ctx.board['ps']:
        with atomic_dir(out / 'vivado') as prj:
            vivado.write_project(prj, ctx.board, ctx.manifest, out / 'rtl', ctx.config['clock_period_ns'])
        ctx.scripts[VIVADO_PROJECT] = out / 'vivado' / vivado.SCRIPT
    with atomic_dir(out / 'pynq') as pynq:
        shutil.copy(cli.ROOT / 'firmware' / 'board' / 'pynq_driver.py', pynq / 'pynq_driver.py')
        shutil.copy(out / 'rtl' / 'manifest.json', pynq / 'manifest.json')
    ctx.scripts['PYNQ driver'] = out / 'pynq' / 'pynq_driver.py'


def step_bitstream(ctx):
    tcl = ctx.scripts.get(VIVADO_PROJECT)
    if tcl is None:
        ctx.say(f'{ctx.board["name"]} has no processing system here: build it with the hls4ml VivadoAccelerator project')
        return
    if not shutil.which('vivado'):
        ctx.say(f'bitstream: Vivado is not on PATH, so no bitstream was built. Where it is installed, run:\n'
                f'  vivado -mode batch -source {tcl}')  # fmt: skip
        ctx.missing_tool = True
        return
    if not ctx.bitstream:
        ctx.say(f'bitstream: not requested; `make bitstream BOARD={ctx.board["name"]}` runs  vivado -mode batch -source {tcl}')
        return
    tools.run(['vivado', '-mode', 'batch', '-source', tcl], tcl.parent, 'vivado.out')


STEPS = [('generate', step_generate), ('memory', step_memory), ('yosys', step_yosys), ('report', step_report), ('vendor', step_vendor), ('bitstream', step_bitstream)]


def run(board, config, out, bitstream=False, stop_after=None):
    """The steps up to `stop_after`; the exit status."""
    ctx = Context(board, config, out, bitstream)
    steps.run_steps(STEPS, ctx, stop=stop_after, times=out / 'time_per_step.json')
    if ctx.scripts:
        print('\nvendor scripts:')
        for what, path in ctx.scripts.items():
            print(f'  {what}: {path}')
    if ctx.fits is False:
        return 1
    return 3 if ctx.missing_tool and bitstream else 0
