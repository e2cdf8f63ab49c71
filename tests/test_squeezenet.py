import pytest

from model.squeezenet import (
    DEFAULT, SQUEEZENET_V1_0, SQUEEZENET_V1_1, VARIANTS, fire_filters, pool_output, squeezenet, squeezenet_v1_0, squeezenet_v1_1,
)


@pytest.mark.parametrize('config, params', [(SQUEEZENET_V1_0, 1_248_424), (SQUEEZENET_V1_1, 1_235_496)])
def test_published_parameter_counts(config, params):
    assert squeezenet(**config).count_params() == params


def test_fire_metaparameters_follow_the_paper():
    # SqueezeNet v1.0: fire2..fire9 squeeze 16,16,32,32,48,48,64,64; expand 64+64 .. 256+256
    args = dict(base_e=128, incr_e=128, freq=2, pct_3x3=0.5, sr=0.125)
    assert [fire_filters(i, **args) for i in range(8)] == [
        (16, 64, 64), (16, 64, 64), (32, 128, 128), (32, 128, 128),
        (48, 192, 192), (48, 192, 192), (64, 256, 256), (64, 256, 256),
    ]  # fmt: skip
    assert fire_filters(0, base_e=100, incr_e=0, freq=1, pct_3x3=0.25, sr=0.5) == (50, 75, 25)


def test_fire_module_structure():
    model = squeezenet()
    concat = model.get_layer('fire2_concat')
    assert [t._keras_history.operation.name for t in concat.input] == ['fire2_expand1x1', 'fire2_expand3x3']
    assert model.get_layer('fire2_expand3x3').kernel_size == (3, 3)
    assert model.get_layer('fire2_squeeze').kernel_size == (1, 1)
    for name in ('fire2_squeeze', 'fire2_expand1x1', 'fire2_expand3x3', 'conv10'):
        assert model.get_layer(name).activation.__name__ == 'relu'


def test_default_uses_late_downsampling_with_2x2_pools():
    model = squeezenet()
    pools = [layer for layer in model.layers if layer.__class__.__name__ == 'MaxPooling2D']
    assert [p.name for p in pools] == ['pool1', 'pool3']
    assert all(p.pool_size == (2, 2) and p.strides == (2, 2) for p in pools)
    assert model.output_shape == (None, DEFAULT['num_classes'])


def test_bypass_variants():
    names = {v: {layer.name for layer in squeezenet(bypass=v).layers} for v in VARIANTS}
    assert not any(n.endswith('_add') for n in names['vanilla'])
    # identity bypass only where widths match: fire2 (conv1's 32 -> 32), fire3 (32 -> 32), fire5 (64 -> 64)
    assert {n for n in names['simple'] if n.endswith('_add')} == {'fire2_add', 'fire3_add', 'fire5_add'}
    assert {n for n in names['complex'] if n.endswith('_add')} == {f'fire{i}_add' for i in range(2, 6)}
    assert {n for n in names['complex'] if n.endswith('_bypass')} == {'fire4_bypass'}
    # the paper's network: simple around fire3, 5, 7, 9; complex adds 1x1 convs around 2, 4, 6, 8
    paper = {layer.name for layer in squeezenet(**dict(SQUEEZENET_V1_0, bypass='complex')).layers}
    assert {n for n in paper if n.endswith('_bypass')} == {f'fire{i}_bypass' for i in (2, 4, 6, 8)}
    assert len({n for n in paper if n.endswith('_add')}) == 8
    assert squeezenet(bypass='simple').count_params() == squeezenet().count_params()


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match='bypass must be one of'):
        squeezenet(bypass='residual')


@pytest.mark.parametrize('build, shapes', [
    (squeezenet_v1_1, {'conv1': (111, 111, 64), 'pool1': (55, 55, 64), 'pool3': (27, 27, 128), 'pool5': (13, 13, 256), 'conv10': (13, 13, 1000)}),
    (squeezenet_v1_0, {'conv1': (109, 109, 96), 'pool1': (54, 54, 96), 'pool4': (27, 27, 256), 'pool8': (13, 13, 512), 'conv10': (13, 13, 1000)}),
])  # fmt: skip
def test_the_reference_networks_have_torchvisions_layer_shapes(build, shapes):
    """conv1 unpadded, 3x3/2 pools in ceil mode: v1.0's 54 -> 27 is the one padded ('same') pool."""
    model = build()
    assert {name: tuple(model.get_layer(name).output.shape[1:]) for name in shapes} == shapes
    paddings = {layer.name: layer.padding for layer in model.layers if layer.name.startswith('pool')}
    assert paddings == ({'pool1': 'valid', 'pool4': 'same', 'pool8': 'valid'} if build is squeezenet_v1_0 else dict.fromkeys(paddings, 'valid'))


def test_the_resolution_does_not_change_the_weights():
    assert squeezenet_v1_1(input_shape=(64, 64, 3)).count_params() == 1_235_496


@pytest.mark.parametrize('size, padding, expected', [(111, 'ceil', (55, 'valid')), (54, 'ceil', (27, 'same')), (54, 'valid', (26, 'valid'))])
def test_ceil_mode_pools(size, padding, expected):
    assert pool_output(size, 3, 2, padding) == expected
