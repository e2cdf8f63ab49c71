"""Yosys: the synthesis script of every flow, its run, and what its reports say (cells per
module, and so resources per layer in the board table's units)."""
import json
import re
import time
from pathlib import Path

from cli import tools
from firmware.boards import RESOURCES
from firmware.library import verilog_value

INSTALL = 'apt-get install yosys (make setup does as root)'
# a family's cells -> (resource, amount) in the board table's units
PRIMITIVES = {
    'xilinx': {
        **{f'LUT{i}': ('LUT', 1) for i in range(1, 7)}, 'LUT6_2': ('LUT', 1),
        'RAM32M': ('LUT', 4), 'RAM64M': ('LUT', 4), 'RAM32M16': ('LUT', 8), 'RAM64M8': ('LUT', 8),
        'RAM32X1D': ('LUT', 2), 'RAM64X1D': ('LUT', 2), 'RAM128X1D': ('LUT', 4), 'RAM32X1S': ('LUT', 1),
        'RAM64X1S': ('LUT', 1), 'RAM128X1S': ('LUT', 2), 'RAM256X1S': ('LUT', 4), 'RAM256X1D': ('LUT', 8), 'RAM512X1S': ('LUT', 8), 'SRL16E': ('LUT', 1), 'SRLC32E': ('LUT', 1),
        'FDRE': ('FF', 1), 'FDSE': ('FF', 1), 'FDCE': ('FF', 1), 'FDPE': ('FF', 1),
        'DSP48E1': ('DSP', 1), 'DSP48E2': ('DSP', 1),
        'RAMB36E1': ('BRAM36', 1), 'RAMB36E2': ('BRAM36', 1), 'RAMB18E1': ('BRAM36', 0.5), 'RAMB18E2': ('BRAM36', 0.5),
    },
    'ecp5': {
        'LUT4': ('LUT', 1), 'CCU2C': ('LUT', 2), 'TRELLIS_DPR16X4': ('LUT', 4), 'TRELLIS_FF': ('FF', 1),
        'MULT18X18D': ('DSP', 1), 'DP16KD': ('BRAM36', 0.5),
    },
}  # fmt: skip


def yosys():
    return tools.find('yosys', INSTALL)


def version():
    return tools.version([yosys(), '-V'])


def parameter(value):
    return json.dumps(value) if isinstance(value, str) else verilog_value(value)


def script(sources, top, synth, params=None, after=()):
    """Read the sources, set the top's parameters, `synth` (e.g. 'synth_ecp5') it, cell counts
    to stat.txt, then the `after` commands; run from the folder it is written in."""
    lines = ['read_verilog -defer ' + ' '.join(f'"{s}"' for s in sources)]
    if params:
        lines.append('chparam ' + ' '.join(f'-set {k} {parameter(v)}' for k, v in params.items()) + f' {top}')
    lines += [f'{synth} -top {top}', 'tee -q -o stat.txt stat', *after]
    return '\n'.join(lines) + '\n'


def dump_cells(module):
    """The script command that writes `module`'s cells (the layers of a top) to top_cells.il."""
    return f'tee -q -o top_cells.il dump {module}/c:*'


def run(folder, progress=False, check=True):
    """folder/synth.ys, its exit status (see cli.tools.run); with `progress`, Yosys's current pass
    on one line (minutes on a whole network)."""
    cmd = [yosys(), '-q', '-l', 'yosys.log', '-s', 'synth.ys']
    if not progress:
        return tools.run(cmd, folder, 'yosys.out', check=check, see='yosys.log')
    with tools.progress('yosys', lambda: current_pass(folder)) as tick:
        return tools.run(cmd, folder, 'yosys.out', check=check, watch=tick, see='yosys.log')


def current_pass(folder):
    """The pass the Yosys run in `folder` is in (its log's last 'Executing', at most two levels
    deep), for a progress line."""
    log = Path(folder) / 'yosys.log'
    try:
        passes = re.findall(r'^\d+(?:\.\d+)?\. Executing (\S+)', log.read_text(errors='replace'), re.M)  # not a techmap file's frontend
    except FileNotFoundError:
        return 'starting'
    return passes[-1].lower() if passes else 'starting'


def synthesize_module(work, sources, top, synth, params, family='xilinx'):
    """`synth` (e.g. 'synth_xilinx -family xcup') of one module with `params`, in the folder
    `work`: dict(ok, used: its resources, wall_s, cpu_s, peak_mb), or ok False and the error."""
    work = Path(work)
    (work / 'synth.ys').write_text(script(sources, top, synth, params))
    started = time.time()
    if run(work, check=False):
        return dict(ok=False, error=f'yosys failed{tools.last_error(work / "yosys.out")}; see {work / "yosys.log"}')
    modules = parse_stat((work / 'stat.txt').read_text())
    key = next(m for m in modules if m.lstrip('\\') == top)
    spent = cost((work / 'yosys.log').read_text(errors='replace')) or (None, None)
    return dict(ok=True, used=resources(modules[key], modules, PRIMITIVES[family]), wall_s=round(time.time() - started, 1), cpu_s=spent[0], peak_mb=spent[1])


def cost(log_text):
    """(CPU seconds, peak memory MB) Yosys reports at the end of its log, or None."""
    found = re.findall(r'CPU: user ([\d.]+)s system ([\d.]+)s, MEM: ([\d.]+) MB peak', log_text)
    if not found:
        return None
    user, system, peak = map(float, found[-1])
    return user + system, peak


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


def resources(cells, modules, primitives):
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


def utilization(stat_text, cells_text, top, family='xilinx'):
    """Per layer (instance of the top) and 'total' resources."""
    primitives = PRIMITIVES[family]
    modules = parse_stat(stat_text)
    instances = parse_instances(cells_text)
    key = next(m for m in modules if m.lstrip('\\') == top)
    per_layer = {name: resources({module: 1}, modules, primitives) for name, module in instances.items() if module in modules}
    glue = {cell: n for cell, n in modules[key].items() if cell not in modules}
    per_layer['(top glue)'] = resources(glue, modules, primitives)
    per_layer['total'] = resources(modules[key], modules, primitives)
    return per_layer
