import pytest

from model.squeezenet import DEFAULT, SQUEEZENET_V1_0, SQUEEZENET_V1_1, VARIANTS, fire_filters, squeezenet


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
