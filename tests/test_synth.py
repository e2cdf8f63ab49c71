"""make synth: board table, open synthesis and its report, fit check, vendor scripts, driver."""
import json
from pathlib import Path

import numpy as np
import pytest

import cli
from firmware import boards, synth, vivado, xilinx, yosys
from firmware.board import pynq_driver
from firmware.fixed import pack, unpack


def test_board_table_has_pynq_z2_and_the_hls4ml_boards():
    import json

    import hls4ml

    board = boards.load_board('pynq-z2')
    assert board['part'] == 'xc7z020clg400-1' and board['family'] == 'xc7'
    assert board['resources'] == {'LUT': 53200, 'FF': 106400, 'DSP': 220, 'BRAM36': 140}
    supported = json.loads((Path(hls4ml.__file__).parent / 'backends' / 'vivado_accelerator' / 'supported_boards.json').read_text())
    for name, spec in supported.items():
        assert boards.load_board(name)['part'] == spec['part']


def test_unknown_board_lists_the_boards_and_writes_nothing(tmp_path, capsys):
    assert cli.run(synth.main, ['--board', 'nosuchboard', '--out', str(tmp_path / 'out')]) == 2
    err = capsys.readouterr().err
    assert "unknown board 'nosuchboard'" in err and 'pynq-z2' in err and 'zcu102' in err
    assert not (tmp_path / 'out').exists()


STAT = r"""
=== $paramod$abc\conv2d ===

   Number of wires:                 10
   Number of cells:                 12
     DSP48E1                         2
     FDRE                           40
     LUT6                           30
     RAM64M                          2
     RAMB18E1                        1

=== squeezenet_top ===

   Number of cells:                  4
     $paramod$abc\conv2d           2
     IBUF                            3
     LUT2                            5

=== design hierarchy ===

   squeezenet_top                    1
"""
CELLS = r"""
  cell $paramod$abc\conv2d \conv1
  cell $paramod$abc\conv2d \conv2
  cell IBUF $iopadmap$x
"""


def test_utilization_counts_per_layer_and_in_total():
    per_layer = yosys.utilization(STAT, CELLS, 'squeezenet_top')
    assert per_layer['conv1'] == {'LUT': 38, 'FF': 40, 'DSP': 2, 'BRAM36': 0.5}
    assert per_layer['total'] == {'LUT': 2 * 38 + 5, 'FF': 80, 'DSP': 4, 'BRAM36': 1.0}
    assert per_layer['(top glue)']['LUT'] == 5


def test_fit_check():
    board = boards.load_board('pynq-z2')
    fits, share = boards.fit({'LUT': 40000, 'FF': 1000, 'DSP': 220, 'BRAM36': 10}, board)
    assert fits and share['DSP'] == 1.0
    assert not boards.fit({'LUT': 45000, 'FF': 1000, 'DSP': 10, 'BRAM36': 10}, board)[0]  # LUT above 80%
    assert not boards.fit({'LUT': 100, 'FF': 1000, 'DSP': 221, 'BRAM36': 10}, board)[0]


def test_yosys_synthesizes_a_module_for_xc7(tmp_path):
    sources = [cli.ROOT / 'firmware' / 'rtl' / 'axis_fifo.v']
    (tmp_path / 'synth.ys').write_text(yosys.script(sources, 'axis_fifo', 'synth_xilinx -family xc7', after=[yosys.dump_cells('axis_fifo')]))
    yosys.run(tmp_path)
    per_layer = yosys.utilization((tmp_path / 'stat.txt').read_text(), (tmp_path / 'top_cells.il').read_text(), 'axis_fifo')
    assert per_layer['total']['LUT'] > 0 and per_layer['total']['FF'] > 0


@pytest.mark.parametrize('board', ['pynq-z2', 'zcu102'])
def test_vivado_script_names_the_board_part(board, tmp_path):
    spec = boards.load_board(board)
    manifest = {'top': 'squeezenet_top', 'input': {'beat_bits': 8}, 'output': {'beat_bits': 256}}
    (tmp_path / 'rtl' / 'rom').mkdir(parents=True)
    (tmp_path / 'rtl' / 'squeezenet_top.v').write_text('module squeezenet_top; endmodule\n')
    (tmp_path / 'rtl' / 'rom' / 'conv1_w.mem').write_text('00\n')
    tcl = vivado.write_project(tmp_path / 'vivado', spec, manifest, tmp_path / 'rtl', 10).read_text()
    # the project folder holds every source it reads, named relative to the script
    assert str(tmp_path) not in tcl and (tmp_path / 'vivado' / 'src' / 'rom' / 'conv1_w.mem').is_file()
    assert (tmp_path / 'vivado' / 'src' / 'squeezenet_top.v').is_file() and (tmp_path / 'vivado' / 'src' / 'axis_fifo.v').is_file()
    assert f'-part {spec["part"]}' in tcl and f'board_part {spec["board_part"]}' in tcl
    assert 'create_bd_cell -type module -reference squeezenet_top accelerator' in tcl
    assert 'c_s_axis_s2mm_tdata_width {256}' in tcl and 'write_bitstream' in tcl
    # negative slack fails the build before the bitstream is copied out
    assert tcl.index('timing not met at 100 MHz') < tcl.index('file copy -force')


MANIFEST = {
    'input': {'shape': [2, 2, 1], 'format': 'ap_ufixed<8,0,AP_RND,AP_SAT>', 'frac': 8, 'signed': False, 'lane_bits': 8, 'beat_bits': 8},
    'output': {'shape': [10], 'format': 'ap_ufixed<16,8>', 'frac': 8, 'signed': False, 'lane_bits': 16, 'beat_bits': 64, 'beats_per_image': 3},
}


def test_pynq_driver_speaks_the_stream_format():
    images = np.array([[[1, 2], [3, 250]]], dtype=np.uint8)
    assert list(pynq_driver.encode(images, MANIFEST)) == [1, 2, 3, 250]
    logits = np.arange(10) * 37 + 5
    beat = pack(logits, 16)  # what the RTL sends, low lane first, in three 64-bit beats (the last padded)
    buffer = np.frombuffer(beat.to_bytes(24, 'little') * 2, dtype=np.uint8)
    np.testing.assert_array_equal(pynq_driver.decode(buffer, MANIFEST, 2), [logits / 256] * 2)
    np.testing.assert_array_equal(unpack(beat, 10, 16, False), logits)
    with pytest.raises(ValueError, match='expected uint8 images of shape'):
        pynq_driver.encode(np.zeros((1, 3, 3, 1), dtype=np.uint8), MANIFEST)


@pytest.mark.slow
def test_make_synth_default_fits_pynq_z2(tmp_path, capsys):
    assert synth.main(['--board', 'pynq-z2', '--out', str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert 'fit on pynq-z2: FITS' in out and 'Vivado is not on PATH' in out
    assert 'xc7z020clg400-1' in (tmp_path / 'hls4ml_accelerator' / 'project.tcl').read_text()
    assert (tmp_path / 'pynq' / 'manifest.json').is_file()


def test_report_says_when_the_design_does_not_fit(tmp_path):
    (tmp_path / 'yosys').mkdir()
    per_layer = yosys.utilization(STAT, CELLS, 'squeezenet_top')
    (tmp_path / 'yosys' / 'per_layer.json').write_text(json.dumps(dict(per_layer=per_layer)))
    tiny = dict(boards.load_board('pynq-z2'), resources={'LUT': 100, 'FF': 1000, 'DSP': 3, 'BRAM36': 10})
    said = []
    manifest = {'top': 'squeezenet_top', 'estimated_interval_cycles': 1000, 'layers': [], 'multipliers': 0, 'stream_modules': []}
    ctx = xilinx.Context(tiny, {'model': Path('m.keras'), 'clock_period_ns': 10, 'folding': 'auto'}, tmp_path, say=said.append, manifest=manifest)
    xilinx.step_report(ctx)
    assert not ctx.fits and 'DOES NOT FIT' in said[-1]
    assert "Vivado's timing is the authority" in said[0] and 'images/s at the 100 MHz target (estimated interval): 100,000' in said[0]
    assert 'conv1' in (tmp_path / 'utilization.txt').read_text() and 'folding (auto):' in said[0]


def test_yosys_runs_each_distinct_instance_once_and_a_rerun_none(tmp_path):
    manifest = {
        'stream_modules': [{'name': 'batch', 'module': 'axis_batch', 'params': {'DW': 8, 'RW': 16, 'PIXELS': 4, 'DEPTH': 4}}],
        'layers': [{'name': f'fifo{i}', 'module': 'axis_fifo', 'params': {'WIDTH': 8, 'DEPTH': 4}} for i in range(2)],
    }
    (tmp_path / 'rtl').mkdir()
    said = []
    ctx = xilinx.Context(boards.load_board('pynq-z2'), {'model': Path('m.keras')}, tmp_path, say=said.append, manifest=manifest)
    xilinx.step_yosys(ctx)
    per_layer = json.loads((tmp_path / 'yosys' / 'per_layer.json').read_text())['per_layer']
    assert list(per_layer) == ['batch', 'fifo0', 'fifo1', 'total']
    assert per_layer['fifo0'] == per_layer['fifo1'] and per_layer['fifo0']['FF'] > 0
    assert per_layer['total'] == {r: per_layer['batch'][r] + 2 * per_layer['fifo0'][r] for r in boards.RESOURCES}
    assert said[-1].startswith('Yosys: 2 distinct modules for 3 instances (0 from the cache)')
    assert len(list((tmp_path / 'cache').iterdir())) == 2
    xilinx.step_yosys(ctx)
    assert said[-1].startswith('Yosys: 2 distinct modules for 3 instances (2 from the cache)')
    assert json.loads((tmp_path / 'yosys' / 'per_layer.json').read_text())['per_layer'] == per_layer
