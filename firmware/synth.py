"""Open synthesis for a board, the fit check, and the vendor projects.

    python -m firmware.synth --board pynq-z2                # what `make synth BOARD=pynq-z2` runs
    python -m firmware.synth --board pynq-z2 --bitstream    # `make bitstream`: Vivado must be on PATH
    python -m firmware.synth --board ulx3s                  # an ECP5 board: the open flow to a bitstream (firmware.open_flow)

The build is a list of named steps (STEPS), each a small function of one context:
  generate   the hls4ml graph of the configured model and the RTL from it (firmware.generate)
  yosys      synth_xilinx for the board's family: cells per module
  report     LUT / FF / DSP / BRAM36 per layer and in total, as a share of the board; the fit
  vendor     the hls4ml VivadoAccelerator project, a Vivado project for the generated RTL (Zynq
             PS, AXI DMA, the accelerator, clock, bitstream) and the PYNQ driver
  bitstream  Vivado on the RTL project, only with --bitstream and only where vivado is on PATH
Exit status: 0 fits, 1 does not fit, 2 bad input, 3 a vendor tool is missing.
"""
import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

import cli
from firmware import vivado
from firmware.generate import build, folding_lines, load_folding
from firmware.library import rtl_sources
from model.store import atomic_dir

ROOT = Path(__file__).resolve().parent.parent
BOARDS = ROOT / 'firmware' / 'boards.yaml'
RESOURCES = ('LUT', 'FF', 'DSP', 'BRAM36')
# place and route rarely closes above this LUT share on a small part; the others may fill up
LIMITS = {'LUT': 0.80, 'FF': 1.0, 'DSP': 1.0, 'BRAM36': 1.0}
# Xilinx primitives -> (resource, amount): LUT RAMs and shift registers occupy LUTs
CELLS = {
    **{f'LUT{i}': ('LUT', 1) for i in range(1, 7)}, 'LUT6_2': ('LUT', 1),
    'RAM32M': ('LUT', 4), 'RAM64M': ('LUT', 4), 'RAM32M16': ('LUT', 8), 'RAM64M8': ('LUT', 8),
    'RAM32X1D': ('LUT', 2), 'RAM64X1D': ('LUT', 2), 'RAM128X1D': ('LUT', 4), 'RAM32X1S': ('LUT', 1),
    'RAM64X1S': ('LUT', 1), 'RAM128X1S': ('LUT', 2), 'RAM256X1S': ('LUT', 4), 'SRL16E': ('LUT', 1), 'SRLC32E': ('LUT', 1),
    'FDRE': ('FF', 1), 'FDSE': ('FF', 1), 'FDCE': ('FF', 1), 'FDPE': ('FF', 1),
    'DSP48E1': ('DSP', 1), 'DSP48E2': ('DSP', 1),
    'RAMB36E1': ('BRAM36', 1), 'RAMB36E2': ('BRAM36', 1), 'RAMB18E1': ('BRAM36', 0.5), 'RAMB18E2': ('BRAM36', 0.5),
}  # fmt: skip


class BoardError(cli.InputError):
    pass


def load_board(name, path=BOARDS):
    boards = yaml.safe_load(Path(path).read_text())
    if name not in boards:
        raise BoardError(f'unknown board {name!r}; known boards: {", ".join(boards)}')
    return dict(boards[name], name=name)


def multiplier_budget(config):
    """What automatic folding may use (firmware.generate.build's budget arguments): the board's
    DSPs, and the config's lut_multipliers beyond them."""
    return dict(budget=load_board(config['board'])['resources']['DSP'], lut_budget=config['lut_multipliers'])


# -- yosys ----------------------------------------------------------------------------------------


def yosys_script(sources, top, family):
    """Synthesis and the two reports, written next to the script (run it from its folder)."""
    return '\n'.join([
        'read_verilog -defer ' + ' '.join(f'"{s}"' for s in sources),
        f'synth_xilinx -family {family} -top {top}',
        'tee -q -o stat.txt stat',
        f'tee -q -o top_cells.il dump {top}/c:*',
    ]) + '\n'  # fmt: skip


def run_yosys(folder):
    """folder/synth.ys, with Yosys's current pass shown on one line (minutes on a whole network)."""
    from tqdm import tqdm

    if not shutil.which('yosys'):
        raise cli.ToolMissing('yosys not found: apt-get install yosys (make setup does as root)')
    log = folder / 'yosys.log'
    process = subprocess.Popen(
        ['yosys', '-q', '-l', 'yosys.log', '-s', 'synth.ys'], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    with tqdm(desc='yosys', bar_format='{desc}: {elapsed} {postfix}', leave=False) as bar:
        while process.poll() is None:
            time.sleep(1)
            passes = re.findall(r'^\d+(?:\.\d+)*\. Executing (\S+)', log.read_text() if log.exists() else '', re.M)
            bar.set_postfix_str(passes[-1] if passes else '')
            bar.update()
    if process.returncode:
        tail = ''.join(process.stdout.readlines()[-10:]) if process.stdout else ''
        raise RuntimeError(f'yosys failed (exit {process.returncode}), see {log}\n{tail}')


def parse_stat(text):
    """{module: {cell type: count}} from Yosys `stat` output."""
    modules, current, in_cells = {}, None, False
    for line in text.splitlines():
        header = re.match(r'^=== (.+) ===$', line.strip())
        if header:
            current = None if header.group(1) == 'design hierarchy' else header.group(1)
            if current:
                modules[current] = {}
            in_cells = False
        elif current and 'Number of cells' in line:
            in_cells = True
        elif current and in_cells:
            cell = re.match(r'^\s+(\S+)\s+(\d+)$', line)
            if cell:
                modules[current][cell.group(1)] = int(cell.group(2))
            elif line.strip():
                in_cells = False
    return modules


def parse_instances(text):
    """{instance name: module} of the top's cells, from a Yosys RTLIL dump."""
    return {m.group(2).lstrip('\\'): m.group(1).lstrip('\\') for m in re.finditer(r'^\s*cell (\S+) (\S+)$', text, re.M)}


def resources(cells, modules, primitives=CELLS):
    """LUT/FF/DSP/BRAM36 of a cell-count dict, submodules included; `primitives`: the family's
    cells as (resource, amount)."""
    used = dict.fromkeys(RESOURCES, 0)
    for cell, count in cells.items():
        if cell in modules:
            for key, value in resources(modules[cell], modules, primitives).items():
                used[key] += value * count
        elif cell in primitives:
            resource, amount = primitives[cell]
            used[resource] += amount * count
    return used


def utilization(stat_text, cells_text, top, primitives=CELLS):
    """Per layer (instance of the top) and 'total' resources."""
    modules = parse_stat(stat_text)
    instances = parse_instances(cells_text)
    key = next(m for m in modules if m.lstrip('\\') == top)
    per_layer = {name: resources({module: 1}, modules, primitives) for name, module in instances.items() if module in modules}
    glue = {cell: n for cell, n in modules[key].items() if cell not in modules}
    per_layer['(top glue)'] = resources(glue, modules, primitives)
    per_layer['total'] = resources(modules[key], modules, primitives)
    return per_layer


def fit(total, board):
    """(fits, {resource: share of the board})."""
    share = {r: total[r] / board['resources'][r] for r in RESOURCES}
    return all(share[r] <= LIMITS[r] for r in RESOURCES), share


def format_table(per_layer, board, share):
    rows = [f'{"layer":<34}' + ''.join(f'{r:>10}' for r in RESOURCES)]
    for name, used in per_layer.items():
        if name == 'total':
            rows.append('-' * (34 + 10 * len(RESOURCES)))
        rows.append(f'{name:<34}' + ''.join(f'{used[r]:>10,.0f}' if r != 'BRAM36' else f'{used[r]:>10,.1f}' for r in RESOURCES))
    rows.append(f'{board["name"] + " (" + board["part"] + ")":<34}' + ''.join(f'{board["resources"][r]:>10,}' for r in RESOURCES))
    rows.append(f'{"used":<34}' + ''.join(f'{share[r]:>10.1%}' for r in RESOURCES))
    rows.append(f'{"limit":<34}' + ''.join(f'{LIMITS[r]:>10.0%}' for r in RESOURCES))
    return '\n'.join(rows)


# -- steps ----------------------------------------------------------------------------------------


# Each step writes its own folder through atomic_dir: complete, or left as the last run made it.


def step_generate(ctx):
    from hls.convert import convert
    from model.store import load_quantized

    graph = convert(load_quantized(ctx['config']['model']), ctx['config'], ctx['out'] / 'hls')
    with atomic_dir(ctx['out'] / 'rtl') as rtl:
        ctx['manifest'] = build(graph, load_folding(ctx['config']['folding']), rtl, ctx['out'] / 'rtl', **multiplier_budget(ctx['config']))


def step_yosys(ctx):
    sources = rtl_sources(ctx['out'] / 'rtl' / f'{ctx["manifest"]["top"]}.v')
    with atomic_dir(ctx['out'] / 'yosys') as out:
        (out / 'synth.ys').write_text(yosys_script(sources, ctx['manifest']['top'], ctx['board']['family']))
        run_yosys(out)


def step_report(ctx):
    out = ctx['out'] / 'yosys'
    per_layer = utilization((out / 'stat.txt').read_text(), (out / 'top_cells.il').read_text(), ctx['manifest']['top'])
    ctx['fits'], share = fit(per_layer['total'], ctx['board'])
    from firmware.timing import clock_lines

    clock_mhz = 1000 / ctx['config']['clock_period_ns']
    interval = ctx['manifest']['estimated_interval_cycles']
    table = format_table(per_layer, ctx['board'], share)
    table += '\nfolding (' + str(ctx['config']['folding'] if ctx['config']['folding'] == 'auto' else Path(ctx['config']['folding']).name) + '):\n'
    table += '\n'.join(folding_lines(ctx['manifest']))
    table += f'\nthroughput: {interval:,} cycles per image (modeled; `make sim` measures it)\n'
    table += '\n'.join(clock_lines(ctx['manifest'], ctx['out'] / 'rtl', clock_mhz, interval, ctx['board']['name'], estimated=True))
    (ctx['out'] / 'utilization.txt').write_text(table + '\n')
    (ctx['out'] / 'utilization.json').write_text(json.dumps(dict(per_layer=per_layer, share=share, fits=ctx['fits']), indent=1) + '\n')
    ctx['say'](f'\nOpen synthesis (Yosys synth_xilinx -family {ctx["board"]["family"]}) of {ctx["config"]["model"].name}:\n{table}')
    verdict = 'FITS' if ctx['fits'] else 'DOES NOT FIT'
    ctx['say'](f'fit on {ctx["board"]["name"]}: {verdict} (limits: ' + ', '.join(f'{r} {LIMITS[r]:.0%}' for r in RESOURCES) + ')')


def step_vendor(ctx):
    from hls.convert import convert
    from model.store import load_quantized

    out = ctx['out']
    with atomic_dir(out / 'hls4ml_accelerator') as prj:
        qmodel = load_quantized(ctx['config']['model'])
        convert(qmodel, dict(ctx['config'], backend='VivadoAccelerator'), prj).write()
    ctx['scripts'] = {'hls4ml VivadoAccelerator (vivado_hls -f, then vivado -source design.tcl)': out / 'hls4ml_accelerator' / 'build_prj.tcl'}
    if ctx['board']['ps']:
        with atomic_dir(out / 'vivado') as prj:
            vivado.write_project(prj, ctx['board'], ctx['manifest'], out / 'rtl', ctx['config']['clock_period_ns'])
        ctx['scripts']['Vivado project of the generated RTL (bitstream)'] = out / 'vivado' / vivado.SCRIPT
    with atomic_dir(out / 'pynq') as pynq:
        shutil.copy(ROOT / 'firmware' / 'board' / 'pynq_driver.py', pynq / 'pynq_driver.py')
        shutil.copy(out / 'rtl' / 'manifest.json', pynq / 'manifest.json')
    ctx['scripts']['PYNQ driver'] = out / 'pynq' / 'pynq_driver.py'


def step_bitstream(ctx):
    tcl = ctx['scripts'].get('Vivado project of the generated RTL (bitstream)')
    if tcl is None:
        ctx['say'](f'{ctx["board"]["name"]} has no processing system here: build it with the hls4ml VivadoAccelerator project')
        return
    if not shutil.which('vivado'):
        ctx['say'](f'bitstream: Vivado is not on PATH, so no bitstream was built. Where it is installed, run:\n'
                   f'  vivado -mode batch -source {tcl}')  # fmt: skip
        ctx['missing_tool'] = True
        return
    if not ctx['bitstream']:
        ctx['say'](f'bitstream: not requested; `make bitstream BOARD={ctx["board"]["name"]}` runs  vivado -mode batch -source {tcl}')
        return
    subprocess.run(['vivado', '-mode', 'batch', '-source', str(tcl)], cwd=tcl.parent, check=True)


STEPS = [('generate', step_generate), ('yosys', step_yosys), ('report', step_report), ('vendor', step_vendor), ('bitstream', step_bitstream)]


def run_steps(steps, ctx):
    """Each named step in order, its start time printed."""
    for name, step in steps:
        print(f'[{time.strftime("%H:%M:%S")}] step {name}', flush=True)
        step(ctx)


def main(argv=None):
    parser = cli.Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--board', default='pynq-z2', help='a board of firmware/boards.yaml')
    parser.add_argument('--config', default=str(ROOT / 'hls' / 'config.yaml'), help='design point')
    parser.add_argument('--out', default=None, help='output folder (default build/synth/<board>)')
    parser.add_argument('--bitstream', action='store_true', help='also run Vivado (it must be on PATH)')
    args = parser.parse_args(argv)

    from hls.convert import load_config
    from model.store import load_quantized

    board = load_board(args.board)
    # a board that names a folding (one known to fit and route on it) overrides the config's
    config = load_config(args.config, board=args.board, part=board['part'], folding=board.get('folding'))
    load_folding(config['folding'])
    load_quantized(config['model'])
    out_dir = Path(args.out or ROOT / 'build' / 'synth' / args.board)
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    if board['family'] == 'ecp5':
        from firmware import open_flow

        status = open_flow.main(board, config, out_dir)
        print(f'reports: {out_dir / "utilization.txt"}   wall time: {time.time() - started:.0f} s')
        return status
    ctx = dict(board=board, config=config, out=out_dir, bitstream=args.bitstream, say=print, missing_tool=False)
    run_steps(STEPS, ctx)
    print('\nvendor scripts:')
    for what, path in ctx['scripts'].items():
        print(f'  {what}: {path}')
    print(f'reports: {out_dir / "utilization.txt"}   wall time: {time.time() - started:.0f} s')
    if not ctx['fits']:
        return 1
    return 3 if ctx['missing_tool'] and args.bitstream else 0


if __name__ == '__main__':
    sys.exit(cli.run(main))
