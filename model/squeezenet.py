"""SqueezeNet from Fire modules, driven by the paper's metaparameters (Iandola et al., 2016).

Fire module i (i = 0 .. n_fire-1, named fire{i+2} as in the paper) has
    e_i  = base_e + incr_e * floor(i / freq)    expand filters (1x1 + 3x3)
    e3_i = e_i * pct_3x3,  e1_i = e_i - e3_i
    s_i  = sr * e_i                              squeeze filters
Layer indices for `pool_after`: 1 is conv1, 2 .. n_fire+1 are the Fire modules.

SQUEEZENET_V1_0 and SQUEEZENET_V1_1 (and squeezenet_v1_0(), squeezenet_v1_1()) are the reference
networks' layer shapes (torchvision's squeezenet1_0/1_1): conv1 without padding (v1.1 3x3/2 ->
111x111x64, v1.0 7x7/2 -> 109x109x96 at 224x224) and 3x3/2 max pools in ceil mode. A ceil-mode
pool is Keras 'valid' where floor and ceil agree (v1.1's 111 -> 55 -> 27 -> 13) and 'same' where
they do not (v1.0's 54 -> 27): same size, the extra window at the bottom and right, as
torchvision's.

The builder makes the float model; its quantized twin is built from the model's graph
(model.quantize.quantized_twin) with identical layer names, so that weights copy over by name and
every backend can map a layer back to the Keras layer it came from.
"""
import keras

import cli

SQUEEZENET_V1_0 = dict(
    input_shape=(224, 224, 3), num_classes=1000, n_fire=8, base_e=128, incr_e=128, freq=2,
    pct_3x3=0.5, sr=0.125, conv1_filters=96, conv1_kernel=7, conv1_stride=2, pool_after=(1, 4, 8),
    pool_size=3, pool_stride=2, dropout=0.5, conv1_padding='valid', pool_padding='ceil',
)  # fmt: skip
SQUEEZENET_V1_1 = dict(
    SQUEEZENET_V1_0, conv1_filters=64, conv1_kernel=3, pool_after=(1, 3, 5),
)  # fmt: skip
# The product's default: Fashion-MNIST, all weights on chip of an xc7z020, 2x2/2 pools (the
# cheapest pool: max_pool keeps one row of partial maxima, window_max_pool a line buffer)
DEFAULT = dict(
    input_shape=(28, 28, 1), num_classes=10, n_fire=4, base_e=32, incr_e=32, freq=2,
    pct_3x3=0.5, sr=0.25, conv1_filters=32, conv1_kernel=3, conv1_stride=1, pool_after=(1, 3),
    pool_size=2, pool_stride=2, dropout=0.25, conv1_padding='same', pool_padding='valid',
)  # fmt: skip
VARIANTS = ('vanilla', 'simple', 'complex')
PADDINGS = {'conv1_padding': ('same', 'valid'), 'pool_padding': ('valid', 'ceil')}


class DesignError(cli.InputError):
    pass


def check_design(build):
    """Raise DesignError for builder arguments that cannot make a model: wrong types or ranges,
    or an input too small for the convolution stride and pools (nothing left after one)."""
    def whole(name, low=1):
        if type(build[name]) is not int or build[name] < low:
            raise DesignError(f'{name} must be a whole number >= {low}, got {build[name]!r}')

    shape = build['input_shape']
    if not isinstance(shape, (list, tuple)) or len(shape) != 3 or any(type(v) is not int or v < 1 for v in shape):
        raise DesignError(f'input_shape must be [height, width, channels] of whole numbers >= 1, got {shape!r}')
    for name in ('num_classes', 'n_fire', 'base_e', 'freq', 'conv1_filters', 'conv1_kernel', 'conv1_stride', 'pool_size', 'pool_stride'):
        whole(name)
    whole('incr_e', 0)
    if build['num_classes'] < 2:
        raise DesignError(f"num_classes must be 2 or more, got {build['num_classes']}")
    for name in ('pct_3x3', 'sr'):
        if not isinstance(build[name], (int, float)) or not 0 < build[name] <= 1:
            raise DesignError(f'{name} must be a fraction in (0, 1], got {build[name]!r}')
    if not isinstance(build['dropout'], (int, float)) or not 0 <= build['dropout'] < 1:
        raise DesignError(f"dropout must be in [0, 1), got {build['dropout']!r}")
    if build.get('bypass', 'vanilla') not in VARIANTS:
        raise DesignError(f"bypass must be one of {VARIANTS}, got {build.get('bypass')!r}")
    for name, allowed in PADDINGS.items():
        if build.get(name, DEFAULT[name]) not in allowed:
            raise DesignError(f'{name} must be one of {allowed}, got {build.get(name)!r}')
    pools = build['pool_after']
    if not isinstance(pools, (list, tuple)) or any(type(i) is not int or not 1 <= i <= build['n_fire'] + 1 for i in pools):
        raise DesignError(f"pool_after must list layer indices 1 .. {build['n_fire'] + 1} (1 = conv1), got {pools!r}")
    for i in range(build['n_fire']):
        squeeze, e1, e3 = fire_filters(i, build['base_e'], build['incr_e'], build['freq'], build['pct_3x3'], build['sr'])
        if min(squeeze, e1, e3) < 1:
            raise DesignError(f'fire{i + 2} would have {squeeze} squeeze, {e1} 1x1 and {e3} 3x3 filters; each needs one or more (raise base_e, pct_3x3 or sr)')
    k, s = build['conv1_kernel'], build['conv1_stride']
    if build.get('conv1_padding', 'same') == 'same':
        size = [-(-v // s) for v in shape[:2]]
    else:
        size = [(v - k) // s + 1 for v in shape[:2]]
    for index in sorted(pools):
        size = [pool_output(v, build['pool_size'], build['pool_stride'], build.get('pool_padding', 'valid'))[0] for v in size]
        if min(size) < 1:
            raise DesignError(f"input {shape[0]}x{shape[1]} is too small for the design: nothing is left after pool{index} "
                              f"(conv1 stride {build['conv1_stride']}, {len(pools)} pools of {build['pool_size']}/{build['pool_stride']})")  # fmt: skip


def pool_output(size, pool, stride, padding):
    """(output size, Keras padding) of a max pool over `size` pixels; 'ceil' is torchvision's
    ceil mode: 'valid' where floor and ceil agree, 'same' where that gives the ceil size."""
    floor = (size - pool) // stride + 1
    if padding == 'valid':
        return floor, 'valid'
    ceil = -(-(size - pool) // stride) + 1
    if ceil == floor:
        return floor, 'valid'
    if -(-size // stride) == ceil:
        return ceil, 'same'
    raise DesignError(f'a ceil-mode {pool}/{stride} pool over {size} pixels is not a Keras pool (neither valid nor same)')


def fire_filters(i, base_e, incr_e, freq, pct_3x3, sr):
    """(squeeze, expand1x1, expand3x3) filter counts of Fire module i."""
    e = base_e + incr_e * (i // freq)
    e3 = int(e * pct_3x3)
    return int(sr * e), e - e3, e3


def squeezenet(
    input_shape=DEFAULT['input_shape'],
    num_classes=DEFAULT['num_classes'],
    n_fire=DEFAULT['n_fire'],
    base_e=DEFAULT['base_e'],
    incr_e=DEFAULT['incr_e'],
    freq=DEFAULT['freq'],
    pct_3x3=DEFAULT['pct_3x3'],
    sr=DEFAULT['sr'],
    conv1_filters=DEFAULT['conv1_filters'],
    conv1_kernel=DEFAULT['conv1_kernel'],
    conv1_stride=DEFAULT['conv1_stride'],
    pool_after=DEFAULT['pool_after'],
    pool_size=DEFAULT['pool_size'],
    pool_stride=DEFAULT['pool_stride'],
    dropout=DEFAULT['dropout'],
    conv1_padding=DEFAULT['conv1_padding'],
    pool_padding=DEFAULT['pool_padding'],
    bypass='vanilla',
    name='squeezenet',
):
    """Build a SqueezeNet that outputs logits (global average of conv10; softmax is the host's).

    Args:
        input_shape: (height, width, channels) of the image.
        num_classes: outputs of conv10.
        n_fire: number of Fire modules (8 in the paper).
        base_e, incr_e, freq, pct_3x3, sr: the paper's metaparameters (see module docstring).
        conv1_filters, conv1_kernel, conv1_stride: the first convolution.
        pool_after: layer indices followed by a max pool (1 = conv1, 2.. = Fire modules);
            the paper's late downsampling puts them early in the index list but few of them.
        pool_size, pool_stride: max pool window and stride.
        dropout: rate of the dropout before conv10.
        conv1_padding: 'same' (the product's default) or 'valid' (the reference networks').
        pool_padding: 'valid' (floor) or 'ceil' (torchvision's ceil mode, the reference networks').
        bypass: 'vanilla', 'simple' (identity around Fire modules whose input and output widths
            match), or 'complex' (simple, plus a 1x1 conv bypass around the others).
        name: model name.
    """
    if bypass not in VARIANTS:
        raise ValueError(f'bypass must be one of {VARIANTS}, got {bypass!r}')

    def conv(x, layer_name, filters, kernel, stride=1, relu=True, padding='same'):
        # He initialisation: with Glorot, the ReLU stack of ten convs often trained to ~75%
        common = dict(strides=stride, padding=padding, kernel_initializer='he_normal', name=layer_name)
        return keras.layers.Conv2D(filters, kernel, activation='relu' if relu else None, **common)(x)

    def add(inputs, layer_name):
        return keras.layers.Add(name=layer_name)(inputs)

    def pool(x, index):
        if index not in pool_after:
            return x
        _, padding = pool_output(x.shape[1], pool_size, pool_stride, pool_padding)
        if pool_output(x.shape[2], pool_size, pool_stride, pool_padding)[1] != padding:
            raise DesignError(f'pool{index}: a ceil-mode pool over {x.shape[1]}x{x.shape[2]} needs different paddings for rows and columns')
        return keras.layers.MaxPooling2D(pool_size, pool_stride, padding=padding, name=f'pool{index}')(x)

    inputs = keras.Input(input_shape, name='image')
    x = pool(conv(inputs, 'conv1', conv1_filters, conv1_kernel, conv1_stride, padding=conv1_padding), 1)
    for i in range(n_fire):
        fire = f'fire{i + 2}'
        squeeze, e1, e3 = fire_filters(i, base_e, incr_e, freq, pct_3x3, sr)
        s = conv(x, f'{fire}_squeeze', squeeze, 1)
        y = keras.layers.Concatenate(name=f'{fire}_concat')(
            [conv(s, f'{fire}_expand1x1', e1, 1), conv(s, f'{fire}_expand3x3', e3, 3)]
        )
        if bypass != 'vanilla':
            if x.shape[-1] == e1 + e3:
                y = add([x, y], f'{fire}_add')
            elif bypass == 'complex':
                y = add([conv(x, f'{fire}_bypass', e1 + e3, 1, relu=False), y], f'{fire}_add')
        x = pool(y, i + 2)
    x = keras.layers.Dropout(dropout, name='dropout')(x)
    x = conv(x, 'conv10', num_classes, 1)
    x = keras.layers.GlobalAveragePooling2D(name='logits')(x)
    return keras.Model(inputs, x, name=name)



def squeezenet_v1_0(input_shape=(224, 224, 3), num_classes=1000, **overrides):
    """SqueezeNet v1.0 with the reference layer shapes; any builder argument may be overridden."""
    return squeezenet(**{**SQUEEZENET_V1_0, 'input_shape': input_shape, 'num_classes': num_classes, **overrides}, name='squeezenet_v1_0')


def squeezenet_v1_1(input_shape=(224, 224, 3), num_classes=1000, **overrides):
    """SqueezeNet v1.1 with the reference layer shapes (2.4x less computation than v1.0, the
    same accuracy); the weights do not depend on input_shape."""
    return squeezenet(**{**SQUEEZENET_V1_1, 'input_shape': input_shape, 'num_classes': num_classes, **overrides}, name='squeezenet_v1_1')
