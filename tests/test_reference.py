"""The paper's networks as design points (model.reference): made once from `network:`, made
again when the spec or the weights change, refused with one line when the spec is wrong; the
sample images they calibrate on when no folder is given."""
import json

import numpy as np
import pytest
import yaml

import cli
from hls.convert import load_config
from model import data


def design_point(tmp_path, **network):
    config = yaml.safe_load((cli.ROOT / 'hls' / 'squeezenet_v1_1.yaml').read_text())
    config['network'] = {**config['network'], 'input_size': 48, **network}
    config['model'] = str(tmp_path / 'net' / 'quantized.keras')
    config['float_model'] = str(tmp_path / 'net' / 'float.keras')
    path = tmp_path / 'config.yaml'
    path.write_text(yaml.safe_dump(config))
    return path


def test_sample_images_are_natural_photo_crops_of_the_input_shape():
    images = data.sample_images((40, 40, 3), count=8)
    assert images.shape == (8, 40, 40, 3) and images.dtype == np.uint8
    assert len({image.tobytes() for image in images}) == 8  # every crop differs
    assert images.std() > 20  # a photograph, not a flat or empty image
    images, labels, classes, what = data.test_set('sample-images', (40, 40, 1))
    assert images.shape[1:] == (40, 40, 1) and labels is None and classes is None and 'grace_hopper' in what


def test_a_network_design_point_makes_its_model_once_and_again_when_the_spec_changes(tmp_path, capsys):
    from model.store import load_quantized

    path = design_point(tmp_path)
    config = load_config(path)
    assert 'network: making' in capsys.readouterr().out
    qmodel = load_quantized(config['model'])
    assert qmodel.input_shape == (None, 48, 48, 3) and qmodel.output_shape == (None, 1000)
    assert qmodel.count_params() == 1_235_496
    load_config(path)
    assert 'network: making' not in capsys.readouterr().out  # made from the same spec: reused
    load_config(design_point(tmp_path, seed=2))
    assert 'network: making' in capsys.readouterr().out


def test_a_compressed_network_is_pruned_and_shares_its_weights(tmp_path):
    from model.store import load_quantized

    qmodel = load_quantized(load_config(design_point(tmp_path, prune=0.5, share=3))['model'])
    kernel = qmodel.get_layer('fire9_expand3x3').quantized_weights()[0]
    assert len(np.unique(kernel)) <= 8 and 0.45 < np.mean(kernel == 0) < 0.55


@pytest.mark.parametrize('network, message', [
    (dict(version='2.0'), "network version must be '1.0' or '1.1', got '2.0'"),
    (dict(input_size=16), 'network input_size must be a whole number >= 32'),
    (dict(bits=12), 'network bits must be 4 to 8'),
    (dict(weights='missing.npz'), 'network weights file not found'),
    (dict(colour=True), "unknown network key(s) ['colour']"),
    (dict(prune=1), 'network prune must be a fraction >= 0 and < 1'),
    (dict(share=1), 'network share must be null or codebook index bits, 2 to 8'),
    (dict(share=9), 'network share must be null or codebook index bits, 2 to 8'),
])  # fmt: skip
def test_a_bad_network_spec_is_one_line_naming_the_key(tmp_path, network, message):
    with pytest.raises(cli.InputError) as err:
        load_config(design_point(tmp_path, **network))
    assert message in str(err.value) and not (tmp_path / 'net').exists()


@pytest.mark.slow
def test_v1_1_with_its_full_weights_goes_through_csim_and_rtl_bit_exact(tmp_path, capsys):
    """The whole v1.1 (1.2 M weights, 1000 logits in 64-bit beats) at 64x64 on the ZCU102's folding."""
    from hls.csim import main as csim
    from sim.run_network import main as sim

    config = design_point(tmp_path, input_size=64)
    assert csim(['--config', str(config), '--output-dir', str(tmp_path / 'hls'), '--images', '8']) == 0
    out = capsys.readouterr().out
    assert 'images differing (quantized Keras vs csim, any bit): 0' in out and 'top-1: not measured' in out
    assert sim(['--config', str(config), '--images', '3', '--out', str(tmp_path / 'sim')]) == 0
    out = capsys.readouterr().out
    assert 'images differing (RTL vs csim, any bit): 0' in out
    manifest = json.loads((tmp_path / 'sim' / 'rtl' / 'manifest.json').read_text())
    assert manifest['output']['beat_bits'] == 64 and manifest['output']['beats_per_image'] == 250


def test_the_v1_1_top_lints_clean(tmp_path):
    """RGB in, 1000 logits out in 64-bit beats, 3x3/2 pools: verilator -Wall has nothing to say."""
    from firmware.boards import load_board
    from firmware.generate import generate_rtl
    from firmware.library import rtl_sources
    from hls.convert import convert
    from model.store import load_quantized
    from tests.test_lint import lint

    config = load_config(design_point(tmp_path))
    graph = convert(load_quantized(config['model']), config, tmp_path / 'hls')
    manifest = generate_rtl(graph, config, load_board(config['board']), tmp_path / 'rtl')
    lint(manifest['top'], rtl_sources(tmp_path / 'rtl' / f'{manifest["top"]}.v'))


def test_v1_1_on_the_pynq_z2_says_what_does_not_fit_and_by_how_much(tmp_path, capsys):
    from firmware import synth

    assert synth.main(['--config', str(design_point(tmp_path)), '--board', 'pynq-z2', '--out', str(tmp_path / 'synth')]) == 1
    out = capsys.readouterr().out
    assert 'fit on pynq-z2: DOES NOT FIT (block RAM); synthesis not run' in out
    assert 'conv10' in out and 'short by' in out and 'pynq-z2 block RAM' in out and '630.0' in out
    assert not (tmp_path / 'synth' / 'yosys').exists() and (tmp_path / 'synth' / 'memory.txt').is_file()
