"""The trained-weights loader on small synthetic files of both layouts (nothing downloaded):
names and layouts mapped, the preprocessing folded into conv1 exactly, bad files one line."""
import h5py
import numpy as np
import pytest

import cli
from model.pretrained import TORCH_MEAN, TORCH_STD, TORCHVISION_FIRES, load_weights, main, torchvision_state
from model.squeezenet import squeezenet_v1_0, squeezenet_v1_1

SIZE = (35, 35, 3)  # the weights do not depend on the resolution


def random_state(build, version):
    """A torchvision-layout state dict (OIHW) of random tensors for the version's convolutions."""
    model = build(input_shape=SIZE)
    rng = np.random.default_rng(0)
    model.set_weights([rng.normal(0, 0.1, w.shape).astype(np.float32) for w in model.get_weights()])
    return torchvision_state(model, version)


def unfolded(build, path):
    """The reference: the same network with the file's weights as they are, on torchvision's
    preprocessed input."""
    model = build(input_shape=SIZE)
    folded = load_weights(build(input_shape=SIZE), path, preprocessing='none')
    model.set_weights(folded.get_weights())
    return model


def write(state, path):
    np.savez(path, **state)
    return path


@pytest.mark.parametrize('build, version', [(squeezenet_v1_1, '1.1'), (squeezenet_v1_0, '1.0')])
def test_torchvision_weights_with_the_preprocessing_folded_equal_the_reference(build, version, tmp_path):
    state = random_state(build, version)
    fires = TORCHVISION_FIRES[version]
    path = write(state, tmp_path / 'weights.npz')
    model = load_weights(build(input_shape=SIZE), path)
    assert np.array_equal(model.get_layer('fire3_expand3x3').kernel.numpy(), state[f'features.{fires[1]}.expand3x3.weight'].transpose(2, 3, 1, 0))
    pixels = np.random.default_rng(1).integers(0, 256, (3, *SIZE)).astype(np.float64)
    reference = unfolded(build, path).predict((pixels / 255 - TORCH_MEAN) / TORCH_STD, verbose=0)
    got = model.predict(pixels / 256, verbose=0)
    assert np.allclose(got, reference, rtol=1e-4, atol=1e-5)


def test_keras_port_h5_weights_with_caffe_preprocessing(tmp_path):
    source = squeezenet_v1_1(input_shape=SIZE)
    rng = np.random.default_rng(2)
    path = tmp_path / 'port.h5'
    with h5py.File(path, 'w') as f:
        for layer in source.layers:
            if layer.__class__.__name__ == 'Conv2D':
                name = layer.name.replace('_squeeze', '/squeeze1x1').replace('_expand', '/expand')
                f[f'{name}/{name}/kernel:0'] = rng.normal(0, 0.1, layer.kernel.shape).astype(np.float32)
                f[f'{name}/{name}/bias:0'] = rng.normal(0, 0.1, layer.bias.shape).astype(np.float32)
    model = load_weights(squeezenet_v1_1(input_shape=SIZE), path)
    with h5py.File(path) as f:
        assert np.array_equal(model.get_layer('fire9_squeeze').kernel.numpy(), f['fire9/squeeze1x1/fire9/squeeze1x1/kernel:0'][()])
        reference = squeezenet_v1_1(input_shape=SIZE)
        reference.set_weights(model.get_weights())
        reference.get_layer('conv1').set_weights([f['conv1/conv1/kernel:0'][()], f['conv1/conv1/bias:0'][()]])
    pixels = np.random.default_rng(3).integers(0, 256, (2, *SIZE)).astype(np.float64)
    expected = reference.predict(pixels[..., ::-1] - [103.939, 116.779, 123.68], verbose=0)
    assert np.allclose(model.predict(pixels / 256, verbose=0), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('change, message', [
    (lambda s: s.pop('features.6.expand1x1.bias'), 'no bias for layer fire4_expand1x1'),
    (lambda s: s.update({'features.13.running_mean': np.zeros(3)}), "tensor 'features.13.running_mean' names no layer"),
    (lambda s: s.update({'classifier.1.weight': np.zeros((10, 512, 1, 1), np.float32)}), 'conv10 kernel has shape (1, 1, 512, 10), the model needs (1, 1, 512, 1000)'),
])  # fmt: skip
def test_a_bad_tensor_is_one_line_naming_it(change, message, tmp_path, capsys):
    state = random_state(squeezenet_v1_1, '1.1')
    change(state)
    argv = ['--weights', str(write(state, tmp_path / 'bad.npz')), '--input-size', '35', '--out', str(tmp_path / 'float.keras')]
    assert cli.run(main, argv) == cli.BAD_INPUT
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and not (tmp_path / 'float.keras').exists()


def test_the_command_writes_a_float_model_quantize_takes(tmp_path):
    from model.quantize import check_supported
    from model.store import load_model

    state = random_state(squeezenet_v1_1, '1.1')
    out = tmp_path / 'v1_1' / 'float.keras'
    assert main(['--weights', str(write(state, tmp_path / 'good.npz')), '--input-size', '35', '--out', str(out)]) == 0
    assert check_supported(load_model(out)) == {} and [p.name for p in out.parent.iterdir()] == ['float.keras']
