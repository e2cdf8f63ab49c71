import numpy as np
import pytest

from hls.convert import ConfigError, check_types, convert, layer_precisions, load_config, plain_model
from model import data
from model.quant import Fixed, exact
from hls.csim import compile_csim
from model.squeezenet import VARIANTS


@pytest.mark.parametrize('bypass', VARIANTS)
def test_variant_converts_compiles_and_is_bit_exact(bypass, quantized_variant, test_images, tmp_path):
    qmodel = quantized_variant(bypass)
    graph = convert(qmodel, load_config(), tmp_path / 'prj')
    check_types(graph, qmodel)
    compile_csim(graph)
    x = data.to_input(test_images[0][:16]).astype(np.float64)
    csim = np.asarray(graph.predict(np.ascontiguousarray(x))).reshape(len(x), -1)
    expected = exact(qmodel).predict(x, verbose=0)
    np.testing.assert_array_equal(csim, expected)
    assert np.any(expected != 0), 'a model whose logits are all zero proves nothing'


def test_plain_model_holds_the_quantized_weights(quantized_variant):
    qmodel = quantized_variant('complex')
    plain = plain_model(qmodel)
    for name in ('conv1', 'fire4_bypass', 'conv10'):
        kernel, bias = plain.get_layer(name).get_weights()
        layer = qmodel.get_layer(name)
        step = 2.0**-layer.weight_fmt.frac
        np.testing.assert_array_equal(kernel, np.round(kernel / step) * step)
        np.testing.assert_array_equal(kernel, layer.quantized_weights()[0])


def test_precisions_follow_the_quantized_model(quantized_variant):
    qmodel = quantized_variant('complex')
    precisions = layer_precisions(qmodel)
    assert precisions['image']['result'] == Fixed(8, 0, signed=False)
    squeeze = qmodel.get_layer('fire2_squeeze')
    assert precisions['fire2_squeeze_relu']['result'] == squeeze.output_fmt
    assert precisions['fire2_squeeze']['result'] == precisions['fire2_squeeze']['accum']
    # a conv without ReLU casts on the conv itself, and its add is signed
    assert 'fire4_bypass_relu' not in precisions
    assert precisions['fire4_bypass']['result'].signed and precisions['fire4_add']['result'].signed
    # concat and pool keep their input's format
    assert precisions['fire2_concat']['result'] == qmodel.get_layer('fire2_expand3x3').output_fmt
    assert precisions['pool1']['result'] == qmodel.get_layer('conv1').output_fmt


def test_config_errors(tmp_path):
    with pytest.raises(ConfigError, match='not found'):
        load_config(tmp_path / 'missing.yaml')
    bad = tmp_path / 'bad.yaml'
    bad.write_text((load_config.__defaults__[0]).read_text() + 'reuse_factr: 4\n')
    with pytest.raises(ConfigError, match=r"unknown config key\(s\) \['reuse_factr'\]"):
        load_config(bad)
    with pytest.raises(ConfigError, match='io_type must be io_stream'):
        load_config(io_type='io_parallel')
    bad.write_text('- just\n- a list\n')
    with pytest.raises(ConfigError, match='mapping'):
        load_config(bad)


@pytest.mark.parametrize('h, w, pool, stride, padding', [(9, 9, 3, 2, 'valid'), (8, 10, 3, 2, 'same'), (6, 6, 3, 1, 'same'), (7, 7, 2, 1, 'valid')])
def test_overlapping_and_padded_pools_run_in_hls4ml_io_stream(h, w, pool, stride, padding, tmp_path):
    """hls/pooling.py's pass and C++ (hls4ml's own io_stream pooling aborts on these), equal to
    Keras on values of the fixed-point grid; (6, 6, 3, 1, 'same') has two rows of windows
    ending on the last input row."""
    import hls4ml
    import keras

    from hls import pooling

    pooling.register()
    inputs = keras.Input((h, w, 3))
    model = keras.Model(inputs, keras.layers.MaxPooling2D(pool, stride, padding=padding)(inputs))
    config = hls4ml.utils.config_from_keras_model(model, granularity='name', default_precision='ap_fixed<8,4>')
    graph = hls4ml.converters.convert_from_keras_model(model, hls_config=config, io_type='io_stream', output_dir=str(tmp_path), backend='Vivado')
    assert [layer.class_name for layer in graph.get_layers()][1:] == ['OverlappingPooling2D']
    graph.compile()
    x = np.round(np.random.default_rng(0).uniform(-7, 7, (4, h, w, 3)) * 16) / 16
    expected = model.predict(x, verbose=0)
    assert np.array_equal(graph.predict(x).reshape(expected.shape), expected)


def test_pruned_and_shared_weights_are_bit_exact(pruned_variant, test_images, tmp_path):
    from model import compress
    from model.store import load_model, save_model

    save_model(compress.share_weights(pruned_variant, 4), tmp_path / 'shared.keras')
    shared = load_model(tmp_path / 'shared.keras')
    graph = convert(shared, load_config(), tmp_path / 'prj')
    compile_csim(graph)
    x = data.to_input(test_images[0][:16]).astype(np.float64)
    csim = np.asarray(graph.predict(np.ascontiguousarray(x))).reshape(len(x), -1)
    np.testing.assert_array_equal(csim, exact(shared).predict(x, verbose=0))
    assert len(np.unique(shared.get_layer('fire3_expand3x3').quantized_weights()[0])) <= 16
