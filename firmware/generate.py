"""The RTL backend: hls4ml ModelGraph -> streaming Verilog top, weight ROMs and a manifest.

    python -m firmware.generate [--config hls/config.yaml] [--out build/rtl]   # the RTL alone
    python -m firmware.generate --list-passes          # the passes; --stop-after PASS prints the nodes

It reads what the C++ backend reads (layer types and shapes, per-layer precisions, weights) and
re-derives none of it; it is laid out as an hls4ml backend is (firmware/backend/): the IR
(ir.py: tensors and nodes), the module registry (modules.py, MODULES: one class per module of
firmware/rtl, named after its file: its layers, ports, cycle model and beat dependencies), the
folding (folding.py) and the passes (passes.py, PASSES) that run over the nodes:
  fuse          ZeroPadding2D into the convolution after it, a ReLU Activation into its convolution;
  fold          PE/SIMD per convolution, from a folding file or chosen for the multiplier budget;
  insert_fifos  a FIFO on the short branch of every fork, as deep as the branches' lag in beats,
                and after every module that emits in bursts (a pool: a row at a time);
then the writer (top.py) writes the top (AXI4-Stream in and out), and this module a ROM file per
convolution, the manifest and the folding chosen (folding.yaml: name it in a design point to pin
the design).
"""
import json
import sys
from pathlib import Path

import cli
from firmware.backend.folding import folding_lines, load_folding
from firmware.backend.modules import MODULES, channel_folded, mac_cycles, multipliers
from firmware.backend.passes import PASSES, run_passes
from firmware.backend.top import TOP, beat_bits, lane_bits, result_beats, stream_info, stream_modules, write_top
from firmware import manifest as manifests
from firmware.boards import load_board, multiplier_budget
from firmware.fixed import pack
from firmware.rom import bias_words, codebook_indices, weight_words, write_mem


def build(graph, folding, out_dir, budget=None, lut_budget=0, stream_bits=None, weight_sharing=False):
    """Nodes of the graph after every pass, written as the top, ROMs and manifest.json into
    out_dir. The top names its ROM files relative to the folder, `rom/<layer>_w.mem`, so that the
    design moves as a whole: a tool runs with the folder's rom/ in its working folder
    (firmware.library.stage_roms).
    `budget`, `lut_budget`: the DSP and LUT multipliers folding may use (see fold); `stream_bits`:
    the widest result beat the board's DMA takes (None: one beat per image); `weight_sharing`:
    codebooks where the weights take few values (the share pass)."""
    tensors, nodes = run_passes(graph, folding, budget, lut_budget, weight_sharing=weight_sharing)
    image = tensors[graph.inputs[0]]
    logits = tensors[graph.outputs[0]]
    out_beat, out_beats = result_beats(logits, stream_bits)
    out_dir = Path(out_dir)
    (out_dir / 'rom').mkdir(parents=True, exist_ok=True)
    for node in nodes:
        if node.weights is None:
            continue
        p = node.params
        w_file, b_file = out_dir / 'rom' / f'{node.name}_w.mem', out_dir / 'rom' / f'{node.name}_b.mem'
        if node.codebook is None:
            write_mem(w_file, weight_words(node.weights, p['PE'], p['SIMD'], p['W_W']), p['PE'] * p['SIMD'] * p['W_W'])
        else:
            c_file = out_dir / 'rom' / f'{node.name}_c.mem'
            indices = codebook_indices(node.weights, node.codebook)
            write_mem(w_file, weight_words(indices, p['PE'], p['SIMD'], p['CODE_W']), p['PE'] * p['SIMD'] * p['CODE_W'])
            write_mem(c_file, [pack([v], p['W_W']) for v in node.codebook], p['W_W'])
            p['CODEBOOK_FILE'] = f'rom/{c_file.name}'
        write_mem(b_file, bias_words(node.bias, p['PE'], p['B_W']), p['PE'] * p['B_W'])
        p.update(WEIGHT_FILE=f'rom/{w_file.name}', BIAS_FILE=f'rom/{b_file.name}')
    layers = [
        dict(name=n.name, module=n.module, cycles=MODULES[n.module].cycles(n, tensors), mac_cycles=mac_cycles(n, tensors), multipliers=multipliers(n),
             lut_multipliers=n.params.get('LUT_MULS', 0), output=n.outputs[0], output_beats=tensors[n.outputs[0]].pixels,
             params={k: v for k, v in n.params.items() if not k.endswith('_FILE')},
             memories=MODULES[n.module].memories(n.params))
        for n in nodes
    ]  # fmt: skip
    interval = max(layer['cycles'] for layer in layers)
    manifest = dict(
        top=TOP,
        input=stream_info(image, beat_bits(image), image.pixels),
        output=stream_info(logits, out_beat, out_beats),
        estimated_interval_cycles=interval,
        multipliers=sum(layer['multipliers'] for layer in layers),
        lut_multipliers=sum(layer['lut_multipliers'] for layer in layers),
        multiplier_budget=budget,
        lut_multiplier_budget=lut_budget,
        fifos={n.inputs[0]: n.params['DEPTH'] for n in nodes if n.module == 'axis_fifo'},
        layers=layers,
        stream_modules=[dict(name=name, module=module, params=params) for name, module, params in stream_modules(image, logits, stream_bits)],
    )
    doc = [
        f'{TOP}: generated by firmware/generate.py from the hls4ml graph of {graph.config.get_project_name()}; do not edit.',
        f'  s_axis: one {beat_bits(image)}-bit beat per pixel, raster order, {image.lanes} lane(s) of {lane_bits(image.fmt)} bits,',
        f'          each the low {image.fmt.width} bits of {image.fmt.hls()}; tlast on the last pixel of a batch.',
        f'  m_axis: {out_beats} {out_beat}-bit beat(s) per image, {logits.lanes} logits in lanes of {lane_bits(logits.fmt)} bits',
        '          (little-endian across the beats),',
        f'          each {logits.fmt.hls()}, {"sign" if logits.fmt.signed else "zero"}-extended; tlast on the last beat of a batch.',
        '          A batch that ends inside an image is completed with zero pixels (axis_batch). Softmax/argmax: host.',
        f'  Estimated interval: {interval} cycles per image; multipliers: {manifest["multipliers"]} ({manifest["lut_multipliers"]} in LUTs).',
    ]
    write_top(out_dir / f'{TOP}.v', tensors, nodes, image, logits, doc, stream_bits)
    manifest = manifests.write(out_dir, manifest)
    chosen = [f'{n.name}: {{pe: {n.params["PE"]}, simd: {n.params["SIMD"]}}}' for n in nodes if n.weights is not None]
    chosen += [f'{n.name}: {{lanes: {n.params["LANES"]}}}' for n in channel_folded(nodes)]
    (out_dir / 'folding.yaml').write_text('# The folding of this design (generated; `folding: <this file>` in a design point pins it).\n'
                                          + ''.join(line + '\n' for line in chosen))  # fmt: skip
    return manifest


def generate_rtl(graph, config, board, folder):
    """The RTL of `graph` for `board` into `folder` (replaced only on success): the board's own
    folding when it names one (one known to fit and route there), else the design point's, within
    the board's multiplier budget; the manifest. Every flow generates its RTL here."""
    from model.store import atomic_dir

    with atomic_dir(folder) as rtl:
        return build(graph, load_folding(board.get('folding') or config['folding']), rtl, **multiplier_budget(board, config),
                     stream_bits=board.get('stream_bits'), weight_sharing=config['weight_sharing'])


def main(argv=None):
    parser = cli.Parser(description=__doc__)
    parser.add_argument('--config', default=str(cli.ROOT / 'hls' / 'config.yaml'), help='design point')
    parser.add_argument('--model', default=None, help='quantized .keras model (default: the config\'s)')
    parser.add_argument('--out', default=str(cli.ROOT / 'build' / 'rtl'), help='output folder (replaced only on success)')
    parser.add_argument('--list-passes', action='store_true', help='list the passes over the graph and exit')
    parser.add_argument('--stop-after', default=None, metavar='PASS', help='print the nodes after this pass (as JSON) instead of writing the RTL')
    args = parser.parse_args(argv)
    if args.list_passes:
        print('\n'.join(f'{name:<14}{" ".join(run.__doc__.split()).split("; `options`")[0].split(". ")[0]}' for name, run in PASSES))
        return 0

    from hls.convert import convert, load_config
    from model.store import load_quantized

    config = load_config(args.config, model=args.model)
    qmodel = load_quantized(config['model'])
    load_folding(config['folding'])
    out = Path(args.out)
    graph = convert(qmodel, config, out.parent / f'{out.name}-hls')
    board = load_board(config['board'])
    if args.stop_after:
        _, nodes = run_passes(graph, load_folding(board.get('folding') or config['folding']), **multiplier_budget(board, config), stop_after=args.stop_after,
                               weight_sharing=config['weight_sharing'])
        print(json.dumps([dict(name=n.name, module=n.module, inputs=n.inputs, outputs=n.outputs, params=n.params) for n in nodes], indent=1))
        return 0
    manifest = generate_rtl(graph, config, board, out)
    print('\n'.join(folding_lines(manifest)))
    print(f'RTL written to {args.out}: {len(manifest["layers"])} modules, {manifest["multipliers"]} multipliers, '
          f'about {manifest["estimated_interval_cycles"]} cycles per image')  # fmt: skip
    return 0


if __name__ == '__main__':
    sys.exit(cli.run(main))
