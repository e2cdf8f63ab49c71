"""`make synth` and `make bitstream`: the flow of the board's family, looked up in FLOWS.

    python -m firmware.synth                              # the design point's board (hls/config.yaml: pynq-z2)
    python -m firmware.synth --board zcu102               # another board of firmware/boards.yaml
    python -m firmware.synth --board pynq-z2 --bitstream  # `make bitstream`: Vivado must be on PATH
    python -m firmware.synth --board ulx3s                # an ECP5 board: the open flow to a bitstream

Xilinx boards: firmware.xilinx (Yosys synth_xilinx, fit, Vivado and PYNQ files); ECP5 boards:
firmware.ecp5 (Yosys, nextpnr-ecp5, ecppack). --stop-after names a step of either.
Exit status: 0 fits (ECP5: a bitstream), 1 does not fit (ECP5: clock missed), 2 bad input,
3 a vendor tool is missing, 4 a tool failed.
"""
import sys
import time
from pathlib import Path

import cli
from cli import cluster, steps
from firmware import ecp5, xilinx
from firmware.boards import load_board
from firmware.backend.folding import load_folding

FLOWS = {'xc7': xilinx, 'xcup': xilinx, 'ecp5': ecp5}  # a board's family -> its flow


def main(argv=None):
    parser = cli.Parser(description=__doc__)
    parser.add_argument('--board', default=None, help="a board of firmware/boards.yaml (default: the design point's)")
    parser.add_argument('--config', default=str(cli.ROOT / 'hls' / 'config.yaml'), help='design point')
    parser.add_argument('--out', default=None, help='output folder (default build/synth/<board>)')
    parser.add_argument('--bitstream', action='store_true', help='also run Vivado (it must be on PATH)')
    parser.add_argument('--stop-after', default=None, metavar='STEP', help='stop after this step of the board\'s flow')
    cluster.add_arguments(parser)
    args = parser.parse_args(argv)

    from hls.convert import load_config
    from model.store import load_quantized

    if args.board:
        load_board(args.board)
    config = load_config(args.config, board=args.board)
    board = load_board(config['board'])
    flow = FLOWS.get(board['family'])
    if flow is None:
        raise cli.InputError(f'{board["name"]}: no flow for family {board["family"]!r} (known: {", ".join(FLOWS)})')
    steps.select(flow.STEPS, stop=args.stop_after)
    load_folding(board.get('folding') or config['folding'])
    load_quantized(config['model'])
    print(f'board: {board["name"]} ({board["part"]})' + (', given by --board over the design point' if args.board else ''))
    out_dir = Path(args.out or cli.ROOT / 'build' / 'synth' / board['name'])
    out_dir.mkdir(parents=True, exist_ok=True)
    started = time.time()
    with cluster.session(args.scheduler, args.workers):  # the per-instance Yosys runs' workers
        status = flow.run(board, config, out_dir, args.bitstream, args.stop_after)
    print(f'reports: {out_dir / "utilization.txt"}   wall time: {time.time() - started:.0f} s')
    return status


if __name__ == '__main__':
    sys.exit(cli.run(main))
