"""Quantized Keras model -> hls4ml ModelGraph (io_stream), the one IR every backend reads.

hls4ml receives a plain Keras graph (Conv2D with the quantized weights, ReLU, Concatenate, Add,
MaxPooling2D, GlobalAveragePooling2D) and, layer by layer, the formats the quantized model
computes with. Each conv's accumulator is sized by model.quant.accum_format so that it is exact,
and the output cast happens where the quantized layer casts: on the ReLU when there is one,
else on the conv itself.
"""
import warnings

import cli
from firmware.boards import BoardError, load_board
from model.quant import INPUT_FORMAT, Fixed, QAdd, QConv2D, QGlobalAveragePooling2D, accum_format

# key: the value a config without it gets; data: the evaluation images (fashion-mnist, the
# heldout.npz that model.train keeps with a model trained on an image folder, a folder of class
# subfolders, or sample-images: unlabelled crops of a shipped photograph); network: the spec the
# model files are made from (model.reference), for the paper's networks
OPTIONAL_KEYS = {'lut_multipliers': 0, 'data': 'fashion-mnist', 'network': None, 'weight_sharing': False}
NAMED_DATA = ('fashion-mnist', 'sample-images')


# key: (test, what is allowed), for the message
VALUES = {
    'model': (lambda v: isinstance(v, str) and v != '', 'a .keras file path'),
    'float_model': (lambda v: isinstance(v, str) and v != '', 'a .keras file path'),
    'board': (lambda v: isinstance(v, str) and v != '', 'a board name of firmware/boards.yaml'),
    'clock_period_ns': (lambda v: type(v) in (int, float) and 0 < v < 1000, 'a number of nanoseconds > 0 (10 is 100 MHz)'),
    'backend': (lambda v: v in ('Vivado', 'Vitis', 'VivadoAccelerator'), 'Vivado, Vitis or VivadoAccelerator'),
    'io_type': (lambda v: v == 'io_stream', 'io_stream (the Fire dataflow)'),
    'strategy': (lambda v: v in ('Latency', 'Resource'), 'Latency or Resource'),
    'reuse_factor': (lambda v: type(v) is int and v >= 1, 'a whole number >= 1'),
    'output_dir': (lambda v: isinstance(v, str) and v != '', 'a folder path'),
    'folding': (lambda v: isinstance(v, str) and v != '', 'auto or a folding file path'),
    'lut_multipliers': (lambda v: type(v) is int and v >= 0, 'a whole number >= 0'),
    'data': (lambda v: isinstance(v, str) and v != '', 'fashion-mnist, sample-images, a heldout.npz or an image folder path'),
    'network': (lambda v: v is None or isinstance(v, dict), 'a mapping (version, input_size, weights, ...) or null'),  # model.reference checks it
    'weight_sharing': (lambda v: isinstance(v, bool), 'true or false'),
}


class ConfigError(cli.InputError):
    pass


def load_config(path=cli.ROOT / 'hls' / 'config.yaml', **overrides):
    """The design point: the YAML file, then overrides; unknown keys are an error. Its `part` is
    the board's (a config that names another part is refused: one design point, one part)."""
    config = cli.read_mapping(path, ConfigError, 'config', 'keys to values')
    config = {**config, **{k: v for k, v in overrides.items() if v is not None}}
    part = config.pop('part', None)
    if overrides.get('board') is not None:  # a board given over the file's brings its own part
        part = None
    config = cli.check_keys(config, VALUES, ConfigError, path, 'config', defaults=OPTIONAL_KEYS)
    try:
        board = load_board(config['board'])
    except BoardError as err:
        raise ConfigError(f'{path}: board: {err}') from None
    if part is not None and part != board['part']:
        raise ConfigError(f'{path}: part {part!r} is not the part of board {board["name"]} ({board["part"]}); drop `part:`, the board names it')
    config['part'] = board['part']
    for key in ('model', 'float_model', 'output_dir', 'folding', 'data'):
        if config[key] not in ('auto', *NAMED_DATA):  # auto: chosen for the board (firmware.generate.fold)
            config[key] = cli.ROOT / config[key]
    if config['network'] is not None and overrides.get('model') is None:  # a model given instead is used as it is
        from model import reference

        try:
            spec = reference.check_spec(config['network'], path)
        except reference.NetworkError as err:
            raise ConfigError(str(err)) from None
        reference.ensure(spec, config['float_model'], config['model'], config['data'])
    return config


def tensor_formats(qmodel):
    """The Fixed format of every layer's output, following formats through exact layers."""
    formats = {}
    for layer in qmodel.layers:
        if isinstance(layer, (QConv2D, QAdd, QGlobalAveragePooling2D)):
            formats[layer.name] = layer.output_fmt
        elif layer.__class__.__name__ == 'InputLayer':
            formats[layer.name] = INPUT_FORMAT
        else:  # max pool, dropout, concat: the output has the input's format
            inputs = {formats[producer(t).name] for t in _as_list(layer.input)}
            if len(inputs) != 1:
                raise ValueError(f'{layer.name}: inputs of different formats {inputs}')
            formats[layer.name] = inputs.pop()
    return formats


def producer(tensor):
    return tensor._keras_history.operation


def _as_list(x):
    return x if isinstance(x, (list, tuple)) else [x]


def plain_model(qmodel):
    """The same graph in layers hls4ml knows, holding the weights as the hardware holds them."""
    import keras

    def plain(layer):
        config = layer.get_config()
        if isinstance(layer, QConv2D):
            for key in ('weight', 'bias', 'output', 'relu', 'shared_bits'):
                config.pop(key)
            return keras.layers.Conv2D.from_config({**config, 'activation': 'relu' if layer.relu else None})
        if isinstance(layer, QAdd):
            config.pop('output')
            return keras.layers.Add.from_config(config)
        if isinstance(layer, QGlobalAveragePooling2D):
            config.pop('accum'), config.pop('output')
            return keras.layers.GlobalAveragePooling2D.from_config(config)
        return layer.__class__.from_config(config)

    model = keras.models.clone_model(qmodel, clone_function=plain)
    for layer in qmodel.layers:
        if isinstance(layer, QConv2D):
            model.get_layer(layer.name).set_weights(layer.quantized_weights())
    return model


def layer_precisions(qmodel):
    """Per hls4ml layer name, the Fixed format of each of its types (weight, bias, accum, result)."""
    formats = tensor_formats(qmodel)
    image = next(layer.name for layer in qmodel.layers if layer.__class__.__name__ == 'InputLayer')
    precisions = {image: {'result': INPUT_FORMAT}}
    for layer in qmodel.layers:
        if isinstance(layer, QConv2D):
            fan_in = layer.kernel.shape[0] * layer.kernel.shape[1] * layer.kernel.shape[2]
            in_fmt = formats[producer(layer.input).name]
            accum = accum_format(in_fmt, layer.weight_fmt, layer.bias_fmt, fan_in)
            conv = {'weight': layer.weight_fmt, 'bias': layer.bias_fmt, 'accum': accum}
            if layer.relu:
                precisions[layer.name] = {**conv, 'result': accum}
                precisions[f'{layer.name}_relu'] = {'result': layer.output_fmt}
            else:
                precisions[layer.name] = {**conv, 'result': layer.output_fmt}
        elif isinstance(layer, QGlobalAveragePooling2D):
            precisions[layer.name] = {'accum': layer.accum_fmt, 'result': layer.output_fmt}
        elif isinstance(layer, QAdd):
            precisions[layer.name] = {'result': layer.output_fmt}
        elif layer.__class__.__name__ != 'InputLayer':  # exact layers: pool, concat, dropout
            precisions[layer.name] = {'result': formats[layer.name], 'accum': formats[layer.name]}
    return precisions


def reuse_factors(qmodel, config):
    """Per conv, the valid hls4ml ReuseFactor closest to the config's (hls4ml would otherwise
    pick the same one itself, with a warning per layer)."""
    import hls4ml

    backend = hls4ml.backends.get_backend(config['backend'])
    chosen = {}
    for layer in qmodel.layers:
        if isinstance(layer, QConv2D):
            kh, kw, c_in, c_out = layer.kernel.shape
            valid = backend.get_valid_reuse_factors(kh * kw * c_in, c_out)
            chosen[layer.name] = backend.get_closest_reuse_factor(valid, config['reuse_factor'])
    return chosen


def hls_config(qmodel, config):
    """The hls4ml configuration dict: model-wide strategy, per-layer precisions and reuse."""
    layers = {}
    reuse = reuse_factors(qmodel, config)
    for name, precision in layer_precisions(qmodel).items():
        layers[name] = {
            'Precision': {k: v.hls() for k, v in precision.items()},
            'ReuseFactor': reuse.get(name, config['reuse_factor']),
            'Strategy': config['strategy'],
        }
    return {
        'Model': {
            'Precision': 'ap_fixed<16,6>',  # unused: every tensor has its own entry
            'ReuseFactor': config['reuse_factor'],
            'Strategy': config['strategy'],
        },
        'LayerName': layers,
    }


def convert(qmodel, config, output_dir=None):
    """The hls4ml ModelGraph of a quantized model, its project written to output_dir."""
    import hls4ml

    from hls import pooling

    pooling.register()
    # the accelerator backend wraps the design for a board (AXI stream, DMA, block design)
    board = {'board': config['board']} if config['backend'] == 'VivadoAccelerator' else {}
    with warnings.catch_warnings():  # hls4ml's pointwise pass warns once per 1x1 conv about its own rename
        warnings.filterwarnings('ignore', message='Overriding attribute')
        return hls4ml.converters.convert_from_keras_model(
            plain_model(qmodel),
            hls_config=hls_config(qmodel, config),
            output_dir=str(output_dir or config['output_dir']),
            backend=config['backend'],
            part=config['part'],
            clock_period=config['clock_period_ns'],
            io_type=config['io_type'],
            **board,
        )


def graph_format(precision):
    """An hls4ml precision type as a Fixed format."""
    return Fixed(
        precision.width, precision.integer, precision.signed, str(precision.rounding_mode), str(precision.saturation_mode)
    )


def check_types(graph, qmodel):
    """Every tensor type in the graph is the quantized model's: hls4ml must not have re-derived one."""
    wrong = []
    for name, precision in layer_precisions(qmodel).items():
        layer = graph.graph.get(name)
        if layer is None:  # hls4ml drops identity layers (dropout)
            continue
        for kind, expected in precision.items():
            if kind == 'result':
                got = graph_format(layer.get_output_variable().type.precision)
            elif f'{kind}_t' in layer.types:  # concat and dropout have no accumulator
                got = graph_format(layer.types[f'{kind}_t'].precision)
            else:
                continue
            if got != expected:
                wrong.append(f'{name} {kind}: {got.hls()} instead of {expected.hls()}')
    if wrong:
        raise AssertionError('hls4ml changed tensor types:\n  ' + '\n  '.join(wrong))
