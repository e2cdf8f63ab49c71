"""A user's own images and model: training on an image folder, quantizing a model the builder
did not make, and the design point they produce going through csim and RTL simulation."""
import json

import numpy as np
import pytest
import yaml
from PIL import Image

import cli
from hls.convert import load_config
from model import data

TINY = ['input_shape=[16, 16, 1]', 'n_fire=2', 'base_e=8', 'incr_e=8', 'conv1_filters=8', 'pool_after=[1]']
CLASSES = ('stripes', 'columns', 'spot')


def image_folder(root, per_class=8, classes=CLASSES):
    """Class subfolders of PNG and JPEG images of other sizes, RGB and grayscale, that a small
    network can tell apart."""
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:24, 0:20]
    patterns = {'stripes': (y // 3) % 2, 'columns': (x // 3) % 2, 'spot': (y - 12) ** 2 + (x - 10) ** 2 < 40}
    for c in classes:
        (root / c).mkdir(parents=True)
        for i in range(per_class):
            pixels = np.clip(patterns[c] * 200 + rng.integers(0, 50, (24, 20)), 0, 255).astype(np.uint8)
            image = Image.fromarray(pixels).convert('RGB' if i % 2 else 'L')
            image.save(root / c / (f'{i}.png' if i % 3 else f'{i}.jpg'))
    return root


def train(*args):
    from model.train import main

    return cli.run(main, ['--epochs', '1', '--qat-epochs', '1', '--batch-size', '8', *[a for s in TINY for a in ('--set', s)], *args])


def test_training_on_an_image_folder_writes_a_design_point(tmp_path):
    out = tmp_path / 'mine'
    assert train('--data', str(image_folder(tmp_path / 'images')), '--out', str(out)) == 0
    build = json.loads((out / 'build.json').read_text())
    assert build['build']['num_classes'] == 3 and build['classes'] == sorted(CLASSES)
    images, labels, classes = data.load_heldout(out / 'heldout.npz')
    # a fifth of each class of 8, rounded: 2 each, at the design's input size
    assert images.shape == (6, 16, 16, 1) and sorted(labels) == [0, 0, 1, 1, 2, 2] and classes == sorted(CLASSES)
    config = load_config(out / 'config.yaml')
    assert config['model'] == out / 'quantized.keras' and config['data'] == out / 'heldout.npz'
    assert yaml.safe_load((out / 'config.yaml').read_text())['folding'] == 'auto'


def corrupt(root):
    (root / 'spot' / '3.png').write_bytes(b'\x89PNG not really')


@pytest.mark.parametrize('case, setup, extra, message', [
    ('empty', lambda root: root.mkdir(), [], 'no class subfolders with PNG or JPEG images'),
    ('one class', lambda root: image_folder(root, classes=('spot',)), [], "only one class ('spot')"),
    ('unreadable image', lambda root: corrupt(image_folder(root)), [], 'spot/3.png: cannot read image'),
    ('too small', image_folder, ['--set', 'input_shape=[1, 1, 1]'], 'input 1x1 is too small for the design'),
    ('missing', lambda root: None, [], 'image folder not found'),
])  # fmt: skip
def test_bad_image_folders_are_one_line_and_write_nothing(tmp_path, capsys, case, setup, extra, message):
    root = tmp_path / 'images'
    setup(root)
    assert train('--data', str(root), '--out', str(tmp_path / 'mine'), *extra) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1
    assert not (tmp_path / 'mine').exists() and [p.name for p in tmp_path.iterdir()] == (['images'] if root.exists() else [])


def foreign_model():
    """A float model the builder did not make: a separate ReLU, explicit padding before a valid
    3x3 conv, a concat and an add of two branches, dropout, global average pooling. (Every fork
    is two-way: the generator's FIFO pass sizes two-way forks; a three-way one deadlocked.)"""
    import keras

    keras.utils.set_random_seed(5)
    inputs = keras.Input((16, 16, 1), name='pixels')
    x = keras.layers.Conv2D(8, 3, padding='same', name='stem')(inputs)
    x = keras.layers.ReLU(name='stem_relu')(x)
    x = keras.layers.MaxPooling2D(2, name='down')(x)
    a = keras.layers.Conv2D(4, 1, activation='relu', name='left')(x)
    b = keras.layers.ZeroPadding2D(1, name='pad')(x)
    b = keras.layers.Conv2D(4, 3, activation='relu', name='right')(b)
    y = keras.layers.Concatenate(name='join')([a, b])
    y = keras.layers.Add(name='skip')([y, keras.layers.Conv2D(8, 1, name='bypass')(y)])
    y = keras.layers.Dropout(0.2, name='drop')(y)
    y = keras.layers.Conv2D(3, 1, activation='relu', name='classes')(y)
    return keras.Model(inputs, keras.layers.GlobalAveragePooling2D(name='average')(y), name='foreign')


def pooling_model():
    """SqueezeNet's pools and their kin: 3x3/2 valid (an odd input), 3x3/2 'same' (the ceil-mode
    pool on an even input), 2x2/1 valid, on 17x17 pixels."""
    import keras

    keras.utils.set_random_seed(6)
    x = inputs = keras.Input((17, 17, 1), name='pixels')
    x = keras.layers.Conv2D(6, 3, padding='same', activation='relu', name='conv1')(x)
    x = keras.layers.MaxPooling2D(3, 2, name='pool1')(x)  # 17 -> 8
    x = keras.layers.Conv2D(8, 1, activation='relu', name='conv2')(x)
    x = keras.layers.MaxPooling2D(3, 2, padding='same', name='pool2')(x)  # 8 -> 4
    x = keras.layers.Conv2D(8, 3, padding='same', activation='relu', name='conv3')(x)
    x = keras.layers.MaxPooling2D(2, 1, name='pool3')(x)  # 4 -> 3
    x = keras.layers.Conv2D(3, 1, activation='relu', name='classes')(x)
    return keras.Model(inputs, keras.layers.GlobalAveragePooling2D(name='average')(x), name='pools')


def test_quantizing_a_model_the_builder_did_not_make(tmp_path):
    from model.quantize import main
    from model.store import load_model, save_model

    save_model(foreign_model(), tmp_path / 'foreign.keras')
    out = tmp_path / 'foreign'
    folder = image_folder(tmp_path / 'images')
    assert main(['--model', str(tmp_path / 'foreign.keras'), '--data', str(folder), '--out', str(out), '--qat-epochs', '1']) == 0
    qmodel = load_model(out / 'quantized.keras')
    kinds = {layer.name: layer.__class__.__name__ for layer in qmodel.layers}
    assert 'stem_relu' not in kinds and qmodel.get_layer('stem').relu and not qmodel.get_layer('bypass').relu
    assert kinds['skip'] == 'QAdd' and kinds['average'] == 'QGlobalAveragePooling2D' and kinds['pad'] == 'ZeroPadding2D'
    assert qmodel.get_layer('left').output_fmt == qmodel.get_layer('right').output_fmt  # one concat, one format


def test_an_unsupported_layer_is_named(tmp_path, capsys):
    import keras

    from model.quantize import main
    from model.store import save_model

    inputs = keras.Input((16, 16, 1))
    x = keras.layers.BatchNormalization(name='norm')(keras.layers.Conv2D(3, 3, activation='relu', name='conv')(inputs))
    save_model(keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x)), tmp_path / 'bn.keras')
    assert cli.run(main, ['--model', str(tmp_path / 'bn.keras'), '--out', str(tmp_path / 'out'), '--data', str(image_folder(tmp_path / 'images'))]) == 2
    err = capsys.readouterr().err
    assert "layer 'norm' (BatchNormalization) is not supported (only right after a Conv2D without activation" in err
    assert not (tmp_path / 'out').exists()


def test_batch_normalization_after_a_conv_is_folded_into_it():
    """The SqueezeNet ports' conv -> BatchNormalization -> ReLU: the canonical model has no
    BatchNormalization and computes what the model computes."""
    import keras

    from model.quantize import canonical

    keras.utils.set_random_seed(7)
    x = inputs = keras.Input((12, 12, 3))
    x = keras.layers.Conv2D(4, 3, use_bias=False, name='conv')(x)
    x = keras.layers.ReLU(name='relu')(keras.layers.BatchNormalization(name='bn')(x))
    x = keras.layers.Conv2D(5, 1, name='head')(x)
    model = keras.Model(inputs, keras.layers.GlobalAveragePooling2D(name='average')(x))
    rng = np.random.default_rng(0)
    bn = model.get_layer('bn')
    bn.set_weights([rng.uniform(0.5, 2, 4), rng.normal(0, 1, 4), rng.normal(0, 1, 4), rng.uniform(0.1, 3, 4)])
    folded = canonical(model)
    assert 'bn' not in [layer.name for layer in folded.layers] and folded.get_layer('conv').get_config()['activation'] == 'relu'
    images = rng.uniform(0, 1, (4, 12, 12, 3))
    assert np.allclose(folded.predict(images, verbose=0), model.predict(images, verbose=0), rtol=1e-4, atol=1e-5)


@pytest.mark.slow
@pytest.mark.parametrize('source', ['trained', 'foreign', 'pools'])
def test_a_users_design_point_goes_through_csim_and_rtl_bit_exact(tmp_path, source):
    from hls.csim import main as csim
    from model.quantize import main as quantize
    from model.store import save_model
    from sim.run_network import main as sim

    folder = image_folder(tmp_path / 'images')
    out = tmp_path / source
    if source == 'trained':
        assert train('--data', str(folder), '--out', str(out)) == 0
    else:
        save_model(foreign_model() if source == 'foreign' else pooling_model(), tmp_path / 'foreign.keras')
        assert quantize(['--model', str(tmp_path / 'foreign.keras'), '--data', str(folder), '--out', str(out), '--qat-epochs', '0']) == 0
    config = out / 'config.yaml'
    assert csim(['--config', str(config), '--output-dir', str(tmp_path / 'hls')]) == 0
    assert sim(['--config', str(config), '--images', '6', '--out', str(tmp_path / 'sim')]) == 0


def test_the_design_file_lists_every_builder_argument_at_its_default():
    from model.squeezenet import DEFAULT
    from model.train import read_design

    design = read_design(cli.ROOT / 'model' / 'design.yaml', [])
    assert {k: tuple(v) if isinstance(v, list) else v for k, v in design.items()} == dict(DEFAULT, bypass='vanilla')
