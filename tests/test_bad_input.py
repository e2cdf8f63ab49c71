"""Every input a user can get wrong: one line naming it, exit status 2, nothing written.

One parametrized test per class of input (docs/errors.md lists the rows): command-line values,
config files, folding files, model files, dataset files; image folders are in test_user_flow.
"""
import gzip
import zipfile

import numpy as np
import pytest

import cli
from bench import report
from firmware import generate, synth, timing
from firmware.board import pynq_driver
from firmware.board import run as board_run
from hls import csim
from model import data, quantize, tables, train
from sim import run_network

CONFIG = (cli.ROOT / 'hls' / 'config.yaml').read_text()


def check(capsys, tmp_path, main, argv, message):
    """main(argv) exits 2 with one line on stderr holding `message`, and writes nothing."""
    before = sorted(p.name for p in tmp_path.iterdir())
    assert cli.run(main, argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err, err
    assert len(err.splitlines()) == 1, err
    assert 'Traceback' not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before


# (entry point, arguments, what the message says); each also gets an output folder in tmp_path
COMMAND_LINE = [
    (csim, ['--images', '0'], "argument --images: must be a whole number >= 1, got '0'"),
    (csim, ['--images', '-5'], "argument --images: must be a whole number >= 1, got '-5'"),
    (csim, ['--images', 'abc'], "argument --images: must be a whole number >= 1, got 'abc'"),
    (csim, ['--workers', '0'], "argument --workers: must be a whole number >= 1, got '0'"),
    (csim, ['--config', 'nosuch.yaml'], 'config file not found: nosuch.yaml'),
    (csim, ['--model', 'nosuch.keras'], 'model file not found'),
    (run_network, ['--images', '0'], "argument --images: must be a whole number >= 1, got '0'"),
    (run_network, ['--sim', 'modelsim'], 'modelsim'),
    (synth, ['--board', 'nosuchboard'], "unknown board 'nosuchboard'"),
    (timing, ['--clock-mhz', '-5'], "argument --clock-mhz: must be a number > 0, got '-5'"),
    (timing, ['--clock-mhz', 'fast'], "argument --clock-mhz: must be a number > 0, got 'fast'"),
    (timing, ['--workers', '0'], "argument --workers: must be a whole number >= 1, got '0'"),
    (train, ['--epochs', '-1'], "argument --epochs: must be a whole number >= 0, got '-1'"),
    (train, ['--bits', '1'], "argument --bits: must be a whole number >= 2 and <= 16, got '1'"),
    (train, ['--bits', '17'], "argument --bits: must be a whole number >= 2 and <= 16, got '17'"),
    (train, ['--prune', '1.5'], "argument --prune: must be a number >= 0 and < 1, got '1.5'"),
    (train, ['--prune', 'nan'], "argument --prune: must be a number >= 0 and < 1, got 'nan'"),
    (train, ['--seed', '-1'], "argument --seed: must be a whole number >= 0, got '-1'"),
    (train, ['--lr', '0'], "argument --lr: must be a number > 0, got '0'"),
    (train, ['--batch-size', '0'], "argument --batch-size: must be a whole number >= 1, got '0'"),
    (train, ['--data', 'nosuch_folder'], 'image folder not found: nosuch_folder'),
    (train, ['--design', 'nosuch.yaml'], 'design file not found: nosuch.yaml'),
    (train, ['--set', 'fire_count=3'], "unknown design argument(s) ['fire_count']"),
    (train, ['--set', 'sr=2'], 'sr must be a fraction in (0, 1], got 2'),
    (train, ['--bypass', 'partial'], "argument --bypass: invalid choice: 'partial'"),
    (quantize, ['--model', 'nosuch.keras'], 'model file not found: nosuch.keras'),
    (quantize, ['--bits', '0', '--model', 'm.keras'], "argument --bits: must be a whole number >= 2 and <= 16, got '0'"),
    (tables, ['--only', 'q5'], "unknown point(s) ['q5']"),
    (report, ['--images', '0'], "argument --images: must be a whole number >= 1, got '0'"),
    (board_run, ['--images', '0'], "argument --images: must be a whole number >= 1, got '0'"),
    (board_run, ['--board', 'pynq-z2'], 'pynq-z2 is not run over a UART here'),
]  # fmt: skip
OUT = {csim: '--output-dir', run_network: '--out', synth: '--out', timing: '--out', train: '--out', quantize: '--out', report: '--out'}


@pytest.mark.parametrize('main, argv, message', COMMAND_LINE, ids=[f'{m.__name__.split(".")[-1]} {" ".join(a)}' for m, a, _ in COMMAND_LINE])
def test_command_line_values(capsys, tmp_path, monkeypatch, main, argv, message):
    monkeypatch.chdir(cli.ROOT)
    out = [OUT[main], str(tmp_path / 'out')] if main in OUT else []
    check(capsys, tmp_path, main.main, [*argv, *out], message)


CONFIGS = [
    ('clock_period_ns: 10', 'clock_period_ns: fast', "clock_period_ns must be a number of nanoseconds > 0 (10 is 100 MHz), got 'fast'"),
    ('clock_period_ns: 10', 'clock_period_ns: -4', 'clock_period_ns must be a number of nanoseconds > 0'),
    ('reuse_factor: 16', 'reuse_factor: -1', 'reuse_factor must be a whole number >= 1, got -1'),
    ('reuse_factor: 16', 'reuse_factor: 2.5', 'reuse_factor must be a whole number >= 1, got 2.5'),
    ('strategy: Resource', 'strategy: Fast', "strategy must be Latency or Resource, got 'Fast'"),
    ('backend: Vivado', 'backend: Quartus', "backend must be Vivado, Vitis or VivadoAccelerator, got 'Quartus'"),
    ('io_type: io_stream', 'io_type: io_parallel', "io_type must be io_stream (the Fire dataflow), got 'io_parallel'"),
    ('lut_multipliers: 16', 'lut_multipliers: -3', 'lut_multipliers must be a whole number >= 0, got -3'),
    ('folding: auto', 'folding: nosuch.yaml', 'folding file not found'),
    ('model: model/default/quantized.keras', 'model: model/default/float.keras', 'a float model; this step needs the quantized one'),
    ('model: model/default/quantized.keras', 'model: [1, 2]', 'model must be a .keras file path, got [1, 2]'),
    ('output_dir: build/hls', 'output_dir: build/hls\nfold_factor: 4', "unknown config key(s) ['fold_factor']"),
    ('board: pynq-z2', 'board: pynq-z2\npart: xczu9eg-ffvb1156-2-e', "is not the part of board pynq-z2 (xc7z020clg400-1); drop `part:`"),
    ('board: pynq-z2', 'board: nosuchboard', "board: unknown board 'nosuchboard'; known boards: pynq-z2"),
    ('board: pynq-z2', 'board: pynq-z2\ndata: nosuch/heldout.npz', 'held-out images not found'),
    ('board: pynq-z2', 'board: [pynq', 'not valid YAML'),
    (None, '- a list\n- of things', 'expected a mapping of keys to values'),
]  # fmt: skip


def readers(new):
    """The commands that read what this config row gets wrong."""
    if 'data:' in new:
        return [csim, run_network]  # the images; synthesis and timing read none
    if new.startswith('folding'):
        return [run_network, generate, synth, timing]  # csim builds no RTL
    return [csim, run_network, generate, synth, timing]


CONFIG_CASES = [(main, *row) for row in CONFIGS for main in readers(row[1])]


@pytest.mark.parametrize('main, old, new, message', CONFIG_CASES,
                         ids=[f'{m.__name__.split(".")[-1]} {c[1].split(chr(10))[-1] or "no " + c[0]}' for m, *c in CONFIG_CASES])
def test_config_files(capsys, tmp_path, monkeypatch, main, old, new, message):
    monkeypatch.chdir(cli.ROOT)
    config = tmp_path / 'config.yaml'
    config.write_text(new if old is None else CONFIG.replace(old, new))
    out = {csim: '--output-dir', generate: '--out'}.get(main, '--out')
    extra = ['--layer', 'conv1'] if main is timing else []
    check(capsys, tmp_path, main.main, ['--config', str(config), out, str(tmp_path / 'out'), *extra], message)


FOLDINGS = [
    ('default: {pe: 0, simd: -1}', 'default: pe must be a whole number >= 1, got 0'),
    ('default: {pe: 2, simd: -1}', 'default: simd must be a whole number >= 1, got -1'),
    ('conv1: {pe: two}', "conv1: pe must be a whole number >= 1, got 'two'"),
    ('conv1: {pe: 1, reuse: 2}', 'conv1: expected a mapping with keys pe and simd'),
    ('conv1: 4', 'conv1: expected a mapping with keys pe and simd (or lanes, for a pool), got 4'),
    ('- conv1\n- conv10', 'expected a mapping of layer names (or default) to {pe, simd}'),
    ('conv99: {pe: 1, simd: 1}', "folding names layers that are not convolutions or pools of this model: ['conv99']"),
    ('conv1: {pe: [1', 'not valid YAML'),
]  # fmt: skip


@pytest.mark.parametrize('text, message', FOLDINGS, ids=[f[0] for f in FOLDINGS])
def test_folding_files(capsys, tmp_path, monkeypatch, text, message):
    monkeypatch.chdir(cli.ROOT)
    folding = tmp_path / 'folding.yaml'
    folding.write_text(text)
    config = tmp_path / 'config.yaml'
    config.write_text(CONFIG.replace('folding: auto', f'folding: {folding}'))
    check(capsys, tmp_path, generate.main, ['--config', str(config), '--out', str(tmp_path / 'rtl')], message)


def truncated(path):
    with zipfile.ZipFile(path, 'w') as z:
        z.writestr('config.json', '{"class_name": "Functional", "config": {')


def half_copy(path):
    shipped = (cli.ROOT / 'model' / 'default' / 'quantized.keras').read_bytes()
    path.write_bytes(shipped[: len(shipped) // 2])


def other_input(path):
    from model.quantize import calibrate, quantized_twin
    from model.squeezenet import DEFAULT, squeezenet
    from model.store import save_model

    float_model = squeezenet(**dict(DEFAULT, input_shape=(32, 32, 3)))
    x = np.random.default_rng(0).uniform(0, 1, (8, 32, 32, 3)).astype(np.float32)
    save_model(quantized_twin(float_model, calibrate(float_model, x, 8, 8)), path)


MODELS = [
    ('garbage', lambda p: p.write_bytes(b'not a model'), 'not a Keras v3 model file'),
    ('truncated archive', truncated, 'cannot load model'),
    ('half a file', half_copy, 'not a Keras v3 model file'),
    ('float model', lambda p: p.write_bytes((cli.ROOT / 'model' / 'default' / 'float.keras').read_bytes()), 'a float model; this step needs the quantized one'),
    ('other input shape', other_input, 'images have shape (28, 28, 1), the model expects (32, 32, 3)'),
]  # fmt: skip


MODEL_CASES = [(main, *row) for row in MODELS for main in ([csim, run_network] if row[0] == 'other input shape' else [csim, run_network, generate])]


@pytest.mark.parametrize('main, case, make, message', MODEL_CASES, ids=[f'{m.__name__.split(".")[-1]} {c[0]}' for m, *c in MODEL_CASES])
def test_model_files(capsys, tmp_path, monkeypatch, main, case, make, message):
    monkeypatch.chdir(cli.ROOT)
    make(tmp_path / 'model.keras')
    out = '--output-dir' if main is csim else '--out'
    check(capsys, tmp_path, main.main, ['--model', str(tmp_path / 'model.keras'), out, str(tmp_path / 'out')], message)


def test_a_model_with_an_unsupported_layer(capsys, tmp_path):
    import keras

    from model.store import save_model

    inputs = keras.Input((28, 28, 1))
    x = keras.layers.Conv2D(10, 3, name='conv')(inputs)
    save_model(keras.Model(inputs, keras.layers.Dense(10, name='dense')(keras.layers.Flatten(name='flat')(x))), tmp_path / 'm.keras')
    check(capsys, tmp_path, quantize.main, ['--model', str(tmp_path / 'm.keras'), '--out', str(tmp_path / 'out')],
          "layer 'flat' (Flatten) is not supported")  # fmt: skip


def idx(path, payload):
    with gzip.open(path, 'wb') as f:
        f.write(payload)


DATASETS = [
    ('missing', lambda d: None, 'Fashion-MNIST not found in'),
    ('wrong magic', lambda d: idx(d / 't10k-images-idx3-ubyte.gz', b'PK\x03\x04 not idx'), 'not an unsigned-byte IDX file (wrong magic number)'),
    ('truncated data', lambda d: idx(d / 't10k-images-idx3-ubyte.gz', b'\x00\x00\x08\x03' + (10).to_bytes(4, 'big') + (28).to_bytes(4, 'big') * 2 + b'\x00' * 100), 'truncated: 100 bytes of data for shape (10, 28, 28)'),
    ('truncated gzip', lambda d: (d / 't10k-images-idx3-ubyte.gz').write_bytes(gzip.compress(np.random.default_rng(0).bytes(8000))[:2000]), 'cannot read'),
]  # fmt: skip


@pytest.mark.parametrize('main', [csim, run_network])
@pytest.mark.parametrize('case, make, message', DATASETS, ids=[d[0] for d in DATASETS])
def test_dataset_files(capsys, tmp_path, monkeypatch, main, case, make, message):
    monkeypatch.chdir(cli.ROOT)
    dataset = tmp_path / 'fashion'
    dataset.mkdir()
    if case != 'missing':
        idx(dataset / 't10k-labels-idx1-ubyte.gz', b'\x00\x00\x08\x01' + (10).to_bytes(4, 'big') + bytes(10))
        make(dataset)
    monkeypatch.setattr(data, 'DATA_DIR', dataset)
    out = '--output-dir' if main is csim else '--out'
    check(capsys, tmp_path, main.main, [out, str(tmp_path / 'out')], message)


def test_the_dma_driver_refuses_images_it_cannot_send():
    manifest = dict(input=dict(frac=8, format='ap_ufixed<8,0>', shape=[28, 28, 1], lane_bits=8, beat_bits=8))
    for images, message in [
        (np.zeros((2, 28, 28, 3), np.uint8), r'expected uint8 images of shape \(N, 28, 28, 1\), got uint8 \(2, 28, 28, 3\)'),
        (np.zeros((2, 28, 28), np.float32), 'expected uint8 images'),
        (np.zeros((0, 28, 28, 1), np.uint8), 'no images to send'),
    ]:
        with pytest.raises(ValueError, match=message):
            pynq_driver.encode(images, manifest)
