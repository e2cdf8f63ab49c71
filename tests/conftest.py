import pytest

import model  # noqa: F401  quiets TensorFlow's start-up (model/__init__.py)


@pytest.fixture(scope='session')
def test_images():
    from model import data

    images, labels = data.load('test')
    return images[:64], labels[:64]


@pytest.fixture(scope='session')
def quantized_variant():
    """An untrained (random He weights) but calibrated quantized model per bypass variant."""
    import keras

    from model import data
    from model.squeezenet import DEFAULT, squeezenet
    from model.quantize import calibrate, quantized_twin

    cache = {}
    images, _ = data.load('train')
    x = data.to_input(images[:128])

    def make(bypass, bits=8):
        if (bypass, bits) not in cache:
            keras.utils.set_random_seed(7)
            build = dict(DEFAULT, bypass=bypass)
            float_model = squeezenet(**build)
            cache[bypass, bits] = quantized_twin(float_model, calibrate(float_model, x, bits, bits))
        return cache[bypass, bits]

    return make


@pytest.fixture(scope='session')
def pruned_variant(quantized_variant):
    """A copy of the vanilla quantized variant with half of each kernel pruned by magnitude."""
    from model import compress

    qmodel = quantized_variant('vanilla')
    pruned = qmodel.__class__.from_config(qmodel.get_config())
    pruned.set_weights(qmodel.get_weights())
    compress.apply_masks(pruned, compress.magnitude_masks(pruned, 0.5))
    return pruned
