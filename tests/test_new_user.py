"""What a new user hit on a clean clone (issue 20's seven defects), each as it was met."""
import os
import subprocess

import numpy as np
import pytest
import yaml

import cli
from tests.test_user_flow import image_folder


def float_model_with_pool(pool, strides, padding='valid', shape=(16, 16, 1)):
    import keras

    x = inp = keras.Input(shape)
    x = keras.layers.Conv2D(4, 3, activation='relu', padding='same')(x)
    x = keras.layers.MaxPooling2D(pool, strides, padding=padding, name='pool1')(x)
    x = keras.layers.Conv2D(3, 1)(x)
    return keras.Model(inp, keras.layers.GlobalAveragePooling2D()(x))


@pytest.mark.parametrize('pool, strides', [((3, 2), (2, 2)), ((2, 2), (1, 2))])
def test_1_a_pool_the_chain_cannot_run_is_refused_by_quantize(pool, strides, tmp_path, capsys):
    """Overlapping and padded pools run now (hls/pooling.py, window_max_pool); what the RTL
    window pool cannot take is still refused by quantize, with the layer named."""
    from model.quantize import main
    from model.store import save_model

    save_model(float_model_with_pool(pool, strides), tmp_path / 'pool.keras')
    argv = ['--model', str(tmp_path / 'pool.keras'), '--data', str(image_folder(tmp_path / 'images')), '--out', str(tmp_path / 'out')]
    assert cli.run(main, argv) == cli.BAD_INPUT
    err = capsys.readouterr().err
    assert "layer 'pool1' (MaxPooling2D)" in err and 'the RTL window pool takes square pools and strides' in err
    assert not (tmp_path / 'out').exists()


@pytest.mark.parametrize('pool, strides, padding', [(3, 2, 'valid'), (2, 2, 'same'), (3, 1, 'valid'), (3, 2, 'same')])
def test_1_overlapping_and_padded_pools_are_taken(pool, strides, padding):
    from model.quantize import check_supported

    assert check_supported(float_model_with_pool(pool, strides, padding)) == {}


def test_1_a_c_simulation_worker_that_aborts_ends_the_run_at_once(tmp_path):
    """An assert inside the compiled design (hls4ml's pooling asserts are one) kills the worker:
    the run stops with one error (exit 4) instead of waiting for it."""
    from types import SimpleNamespace

    from hls.csim import run_csim

    (tmp_path / 'abort.cpp').write_text('#include <cstdlib>\nextern "C" void top_double(double *, double *) { std::abort(); }\n')
    subprocess.run(['g++', '-shared', '-fPIC', '-o', 'abort.so', 'abort.cpp'], cwd=tmp_path, check=True)
    graph = SimpleNamespace(
        _top_function_lib=SimpleNamespace(_name=str(tmp_path / 'abort.so')),
        config=SimpleNamespace(get_project_name=lambda: 'top'),
        get_output_variables=lambda: [SimpleNamespace(size=lambda: 3)],
    )  # fmt: skip
    for workers in (1, 2):
        with pytest.raises(cli.ToolFailed, match='a worker process died'):
            run_csim(graph, np.zeros((120, 4)), workers)


def test_2_training_on_own_images_needs_an_output_folder(tmp_path, capsys):
    from model.train import main

    shipped = (cli.ROOT / 'model' / 'default' / 'quantized.keras').read_bytes()
    assert cli.run(main, ['--data', str(image_folder(tmp_path / 'images')), '--epochs', '1']) == cli.BAD_INPUT
    assert 'give an output folder' in capsys.readouterr().err
    assert (cli.ROOT / 'model' / 'default' / 'quantized.keras').read_bytes() == shipped


def test_2_a_model_whose_outputs_are_not_the_data_classes_is_refused(tmp_path, capsys):
    from hls.csim import main
    from model.quantize import calibrate, quantized_twin
    from model.store import save_model

    model = float_model_with_pool(2, 2, shape=(28, 28, 1))  # Fashion-MNIST's input, 3 outputs
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)
    save_model(model, tmp_path / 'float.keras')
    save_model(quantized_twin(model, calibrate(model, x, 8, 8)), tmp_path / 'quantized.keras')
    config = yaml.safe_load((cli.ROOT / 'hls' / 'config.yaml').read_text())
    config.update(model=str(tmp_path / 'quantized.keras'), float_model=str(tmp_path / 'float.keras'), output_dir=str(tmp_path / 'hls'))
    (tmp_path / 'config.yaml').write_text(yaml.safe_dump(config))
    assert cli.run(main, ['--config', str(tmp_path / 'config.yaml'), '--images', '4']) == cli.BAD_INPUT
    err = capsys.readouterr().err
    assert 'the model has 3 outputs' in err and '10 classes' in err
    assert not (tmp_path / 'hls').exists()


def test_3_make_says_the_commands_own_exit_status(tmp_path):
    env = dict(os.environ, MAKEFLAGS='')
    done = subprocess.run(['make', '-s', 'csim', f'CONFIG={tmp_path / "missing.yaml"}'], cwd=cli.ROOT, capture_output=True, text=True, env=env)
    assert done.returncode != 0
    assert 'config file not found' in done.stderr and 'make csim: exit status 2 (docs/errors.md)' in done.stderr


def test_4_the_design_point_is_written_as_data(tmp_path):
    from model.training import design_point

    out = tmp_path / 'a_model_folder_with_a_long_name_my_shapes'
    design_point(tmp_path, out, 'fashion-mnist')
    config = yaml.safe_load((tmp_path / 'config.yaml').read_text())
    assert config['output_dir'].endswith('build/a_model_folder_with_a_long_name_my_shapes/hls')
    assert config['model'] == str(out / 'quantized.keras') and 'part' not in config


@pytest.mark.parametrize('contents', [bytes(range(256)), b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe'])
def test_5_a_config_that_is_not_text_is_one_line(contents, tmp_path, capsys):
    from hls.csim import main

    (tmp_path / 'model.png').write_bytes(contents)
    assert cli.run(main, ['--config', str(tmp_path / 'model.png')]) == cli.BAD_INPUT
    assert 'not a text file' in capsys.readouterr().err


def test_6_an_empty_class_folder_is_an_error(tmp_path):
    from model import data

    root = image_folder(tmp_path / 'images')
    (root / 'empty').mkdir()
    with pytest.raises(data.ImageFolderError, match=r"class folder\(s\) \['empty'\] have no PNG or JPEG images"):
        data.read_image_folder(root, (16, 16, 1))


def test_6_images_in_a_nested_folder_are_an_error(tmp_path):
    from model import data

    root = image_folder(tmp_path / 'images')
    (root / 'spot' / 'more').mkdir()
    (root / 'spot' / '1.png').rename(root / 'spot' / 'more' / '1.png')
    with pytest.raises(data.ImageFolderError, match='a folder inside a class folder is not read'):
        data.read_image_folder(root, (16, 16, 1))


def test_7_make_synth_takes_the_board_of_the_config(tmp_path, capsys):
    from firmware import synth

    config = yaml.safe_load((cli.ROOT / 'hls' / 'config.yaml').read_text())
    (tmp_path / 'zcu102.yaml').write_text(yaml.safe_dump(dict(config, board='zcu102', output_dir=str(tmp_path / 'hls'))))
    argv = ['--config', str(tmp_path / 'zcu102.yaml'), '--out', str(tmp_path / 'out'), '--stop-after', 'generate']
    assert cli.run(synth.main, argv) == 0
    assert 'board: zcu102 (xczu9eg-ffvb1156-2-e)' in capsys.readouterr().out
    manifest = yaml.safe_load((tmp_path / 'out' / 'rtl' / 'manifest.json').read_text())
    assert manifest['multiplier_budget'] == 2520


def test_7_a_part_other_than_the_boards_is_refused(tmp_path, capsys):
    from hls.convert import ConfigError, load_config

    config = yaml.safe_load((cli.ROOT / 'hls' / 'config.yaml').read_text())
    (tmp_path / 'c.yaml').write_text(yaml.safe_dump(dict(config, part='xczu9eg-ffvb1156-2-e')))
    with pytest.raises(ConfigError, match="is not the part of board pynq-z2"):
        load_config(tmp_path / 'c.yaml')
    assert load_config(tmp_path / 'c.yaml', board='zcu102')['part'] == 'xczu9eg-ffvb1156-2-e'


def test_papercuts_a_savedmodel_folder_and_a_quantized_model_get_a_hint(tmp_path, capsys):
    from model.quantize import main

    (tmp_path / 'saved_model').mkdir()
    assert cli.run(main, ['--model', str(tmp_path / 'saved_model'), '--out', str(tmp_path / 'out')]) == cli.BAD_INPUT
    assert 'a folder (a TensorFlow SavedModel?)' in capsys.readouterr().err
    quantized = str(cli.ROOT / 'model' / 'default' / 'quantized.keras')
    assert cli.run(main, ['--model', quantized, '--out', str(tmp_path / 'out')]) == cli.BAD_INPUT
    assert 'the model is already quantized: give its float model' in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()


def test_papercuts_errors_under_make_name_the_make_variables(monkeypatch, capsys):
    makefile = (cli.ROOT / 'Makefile').read_text()
    for option, variable in cli.MAKE_VARIABLES.items():
        assert f'{option} "$({variable})"' in makefile or f'{option} $({variable})' in makefile, option
    message = 'argument --model: expected a file; --set and --help stay'
    monkeypatch.delenv('CLI_FROM_MAKE', raising=False)
    assert cli.for_user(message) == message  # a command-line user sees the option typed
    monkeypatch.setenv('CLI_FROM_MAKE', '1')
    assert cli.for_user(message) == 'argument MODEL= (--model): expected a file; --set and --help stay'
    parser = cli.Parser()
    parser.add_argument('--images', type=cli.count)
    with pytest.raises(SystemExit):
        parser.parse_args(['--images', '-1'])
    assert 'argument IMAGES= (--images)' in capsys.readouterr().err
