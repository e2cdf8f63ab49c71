"""Any supported Keras model -> its fixed-point twin: calibration, the quantized graph, QAT.

    python -m model.quantize --model my.keras --out model/mine [--data DIR] [--bits 8]
    make quantize MODEL=my.keras OUT=model/mine [DATA=DIR]

Works from the model's graph, not from builder arguments, so a float model the SqueezeNet
builder did not make goes through the same flow when its layers are ones the chain supports:
Conv2D (ReLU or no activation), ReLU (right after such a Conv2D: it becomes that conv's), MaxPooling2D,
Concatenate, Add, GlobalAveragePooling2D, Dropout, ZeroPadding2D. Anything else is an error that
names the layer. Steps: calibration (one Fixed format per weight, bias and activation tensor: weights
from their largest magnitude, activations from a high percentile on training images), the twin
(QConv2D, QAdd, QGlobalAveragePooling2D from model.quant, the float weights copied by layer name),
then QAT fine-tuning with a linearly decaying learning rate.
"""
import math
import sys

import numpy as np

import cli
from model.quant import Fixed, QAdd, QConv2D, QGlobalAveragePooling2D, integer_bits_for

ACTIVATION_PERCENTILE = 99.99
# layers kept as they are: the output has the input's values (or a subset, or zeros around them)
PASS_THROUGH = ('MaxPooling2D', 'Dropout', 'ZeroPadding2D', 'Concatenate')
SUPPORTED = ('InputLayer', 'Conv2D', 'ReLU', 'Activation', 'Add', 'GlobalAveragePooling2D', *PASS_THROUGH)


# what to do instead, for layers users often bring
HINTS = {
    'Softmax': ' (drop it: the chain outputs logits, and argmax or softmax is the host\'s)',
    'Dense': ' (a 1x1 Conv2D followed by GlobalAveragePooling2D computes a classifier the chain takes)',
    'Flatten': ' (a 1x1 Conv2D followed by GlobalAveragePooling2D computes a classifier the chain takes)',
    'BatchNormalization': ' (only right after a Conv2D without activation whose output nothing else reads: it is folded into that conv)',
    'QConv2D': ' (the model is already quantized: give its float model)',
    'QAdd': ' (the model is already quantized: give its float model)',
    'QGlobalAveragePooling2D': ' (the model is already quantized: give its float model)',
}


class UnsupportedModel(cli.InputError):
    pass


def _inputs(layer):
    nodes = layer._inbound_nodes
    if len(nodes) != 1:
        raise UnsupportedModel(f'layer {layer.name!r} is used {len(nodes)} times; each layer must be used once')
    return list(nodes[0].input_tensors)


def _is_relu(layer):
    kind = layer.__class__.__name__
    if kind == 'ReLU':
        config = layer.get_config()
        return not config.get('max_value') and not config.get('negative_slope') and not config.get('threshold')
    return kind == 'Activation' and layer.get_config()['activation'] == 'relu'


def _conv_activation(layer):
    activation = layer.get_config()['activation']
    return activation if activation in ('relu', 'linear') else None


def fold_batch_norm(model):
    """The model with each BatchNormalization that directly follows a Conv2D without activation
    (whose output nothing else reads) folded into that conv's kernel and bias (inference
    statistics: exact up to float rounding). Any other BatchNormalization is left for
    check_supported to name. The model itself when there is none to fold."""
    import keras

    uses = {}
    for layer in model.layers:
        for t in _inputs(layer) if layer.__class__.__name__ != 'InputLayer' else []:
            uses[id(t)] = uses.get(id(t), 0) + 1
    folds = {}  # conv name: its BatchNormalization
    for layer in model.layers:
        if layer.__class__.__name__ != 'BatchNormalization' or layer.get_config()['axis'] not in (-1, 3, [3], [-1]):
            continue
        source = _inputs(layer)[0]._keras_history.operation
        if source.__class__.__name__ == 'Conv2D' and _conv_activation(source) == 'linear' and uses[id(source.output)] == 1:
            folds[source.name] = layer
    if not folds:
        return model

    def make(layer, ins):
        if any(layer is bn for bn in folds.values()):
            return ins[0]
        if layer.name in folds:
            bn = folds[layer.name]
            gamma = bn.gamma.numpy() if bn.scale else 1.0
            beta = bn.beta.numpy() if bn.center else 0.0
            scale = gamma / np.sqrt(bn.moving_variance.numpy() + bn.epsilon)
            kernel = layer.kernel.numpy() * scale
            bias = layer.bias.numpy() if layer.use_bias else 0.0
            conv = keras.layers.Conv2D.from_config({**layer.get_config(), 'use_bias': True})
            out = conv(ins[0])
            conv.set_weights([kernel, ((bias - bn.moving_mean.numpy()) * scale + beta).astype(np.float32)])
            return out
        return layer.__class__.from_config(layer.get_config())(ins if len(ins) > 1 else ins[0])

    folded = rebuild(model, make)
    for layer in model.layers:  # the layers kept take their weights over by name
        if layer.name not in folds and not any(layer is bn for bn in folds.values()) and layer.weights:
            folded.get_layer(layer.name).set_weights(layer.get_weights())
    return folded


def check_supported(model):
    """Raise UnsupportedModel naming the first layer the chain cannot take; returns the ReLU
    layers that fold into the Conv2D before them, as {conv name: relu name}."""
    model = fold_batch_norm(model)
    uses = {}
    for layer in model.layers:
        for t in _inputs(layer) if layer.__class__.__name__ != 'InputLayer' else []:
            uses[id(t)] = uses.get(id(t), 0) + 1
    for t in model.outputs:
        uses[id(t)] = uses.get(id(t), 0) + 1
    if len(model.inputs) != 1 or len(model.outputs) != 1:
        raise UnsupportedModel('the model must have one input (the image) and one output (the logits)')
    fused = {}
    for layer in model.layers:
        kind = layer.__class__.__name__
        where = f'layer {layer.name!r} ({kind})'
        if kind not in SUPPORTED:
            raise UnsupportedModel(f'{where} is not supported{HINTS.get(kind, "")}; supported layers: {", ".join(SUPPORTED[1:])}')
        if kind == 'MaxPooling2D':
            config = layer.get_config()
            size, strides = tuple(config['pool_size']), tuple(config['strides'])
            if size[0] != size[1] or strides[0] != strides[1]:
                raise UnsupportedModel(f'{where}: pool {size} with strides {strides}: the RTL window pool takes square pools and strides')
        if kind == 'Conv2D':
            config = layer.get_config()
            if _conv_activation(layer) is None:
                raise UnsupportedModel(f"{where}: activation {config['activation']!r}; a Conv2D may have 'relu' or none")
            if tuple(config['dilation_rate']) != (1, 1) or config.get('groups', 1) != 1:
                raise UnsupportedModel(f'{where}: dilated or grouped convolutions are not supported')
        elif kind in ('ReLU', 'Activation'):
            source = _inputs(layer)[0]._keras_history.operation
            if not _is_relu(layer):
                raise UnsupportedModel(f'{where}: only a plain ReLU is supported')
            if source.__class__.__name__ != 'Conv2D' or _conv_activation(source) != 'linear' or uses[id(source.output)] != 1:
                raise UnsupportedModel(f'{where}: a ReLU must directly follow a Conv2D without activation whose output nothing else reads')
            fused[source.name] = layer.name
        elif kind == 'Concatenate' and layer.get_config()['axis'] not in (-1, 3):
            raise UnsupportedModel(f'{where}: only concatenation along channels is supported')
    return fused


def rebuild(model, make, name=None):
    """A new functional model with make(layer, new inputs) -> new output for each layer."""
    import keras

    new = {}
    for layer in model.layers:
        if layer.__class__.__name__ == 'InputLayer':
            out = keras.Input(model.input_shape[1:], name=layer.name)
        else:
            ins = [new[id(t)] for t in _inputs(layer)]
            out = make(layer, ins)
        new[id(layer.output)] = out
    return keras.Model(new[id(model.inputs[0])], new[id(model.outputs[0])], name=name or model.name)


def canonical(float_model):
    """The float model with each folded ReLU moved into its Conv2D (activation='relu') and every
    Conv2D given a bias: the form calibration and the twin read. Same names, same weights."""
    import keras

    float_model = fold_batch_norm(float_model)
    fused = check_supported(float_model)

    def make(layer, ins):
        config = layer.get_config()
        if layer.__class__.__name__ == 'Conv2D':
            config.update(use_bias=True, activation='relu' if layer.name in fused or config['activation'] == 'relu' else None)
            conv = keras.layers.Conv2D.from_config(config)
            out = conv(ins[0])
            kernel = layer.kernel.numpy()
            conv.set_weights([kernel, layer.bias.numpy() if layer.use_bias else np.zeros(kernel.shape[-1], np.float32)])
            return out
        if layer.name in fused.values():
            return ins[0]
        return layer.__class__.from_config(config)(ins if len(ins) > 1 else ins[0])

    return rebuild(float_model, make)


def _source(layer):
    """The layer whose cast sets this tensor's format: through pools, dropout and padding."""
    while layer.__class__.__name__ in ('MaxPooling2D', 'Dropout', 'ZeroPadding2D'):
        layer = _inputs(layer)[0]._keras_history.operation
    return layer


def calibrate(float_model, x, weight_bits, act_bits):
    """One Fixed format per weight, bias and activation tensor: the `formats` of quantized_twin."""
    import keras

    model = canonical(float_model)
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    adds = [layer for layer in model.layers if isinstance(layer, keras.layers.Add)]
    probe = keras.Model(model.input, [layer.output for layer in convs + adds])
    outputs = probe.predict(x, verbose=0, batch_size=256)
    peak = {layer.name: float(np.percentile(np.abs(out), ACTIVATION_PERCENTILE)) for layer, out in zip(convs + adds, outputs)}
    signed = {layer.name: layer.get_config()['activation'] != 'relu' for layer in convs}
    for layer in adds:
        signed[layer.name] = any(signed.get(_source(t._keras_history.operation).name, False) for t in _inputs(layer))

    # the inputs of a concat (or of concats of concats) are one tensor to hls4ml: one format
    group = {name: {name} for name in peak}
    for layer in model.layers:
        if layer.__class__.__name__ != 'Concatenate':
            continue
        members = set()
        stack = [t._keras_history.operation for t in _inputs(layer)]
        while stack:
            source = _source(stack.pop())
            if source.__class__.__name__ == 'Concatenate':
                stack += [t._keras_history.operation for t in _inputs(source)]
            elif source.name not in group:
                raise UnsupportedModel(f'layer {layer.name!r} (Concatenate) joins the input image with a computed tensor')
            else:
                members |= group[source.name]
        for name in members:
            group[name] = members
    for members in {id(g): g for g in group.values()}.values():
        top, sign = max(peak[n] for n in members), any(signed[n] for n in members)
        for name in members:
            peak[name], signed[name] = top, sign

    formats = {}
    for layer in convs:
        kernel, bias = layer.get_weights()
        formats[layer.name] = dict(
            weight=Fixed(weight_bits, integer_bits_for(np.abs(kernel).max())),
            bias=Fixed(weight_bits, integer_bits_for(np.abs(bias).max())),
            output=Fixed(act_bits, integer_bits_for(peak[layer.name], signed[layer.name]), signed[layer.name]),
        )
    for layer in adds:
        formats[layer.name] = dict(output=Fixed(act_bits, integer_bits_for(peak[layer.name], signed[layer.name]), signed[layer.name]))
    for layer in model.layers:
        if isinstance(layer, keras.layers.GlobalAveragePooling2D):
            source = _source(_inputs(layer)[0]._keras_history.operation)
            if source.name not in formats:
                raise UnsupportedModel(f'layer {layer.name!r} (GlobalAveragePooling2D) must average a Conv2D or Add output')
            pooled = formats[source.name]['output']
            spatial = layer.input.shape[1] * layer.input.shape[2]
            extra = 8  # fractional bits the average gains, so that logits rarely tie
            accum_int = pooled.integer + math.ceil(math.log2(spatial)) + 1
            formats[layer.name] = dict(
                accum=Fixed(accum_int + pooled.frac + extra, accum_int, True, 'TRN', 'WRAP'),
                output=Fixed(pooled.width + extra, pooled.integer, pooled.signed, 'TRN', 'SAT'),
            )
    return formats


def quantized_twin(float_model, formats):
    """The quantized model of `float_model`'s graph with its weights (copied by layer name)."""
    model = canonical(float_model)

    def make(layer, ins):
        config = layer.get_config()
        kind = layer.__class__.__name__
        if kind == 'Conv2D':
            relu = config.pop('activation') == 'relu'
            conv = QConv2D.from_config({**config, **formats[layer.name], 'relu': relu})
            out = conv(ins[0])
            conv.set_weights(layer.get_weights())
            return out
        if kind == 'Add':
            return QAdd(**formats[layer.name], name=layer.name)(ins)
        if kind == 'GlobalAveragePooling2D':
            return QGlobalAveragePooling2D(**formats[layer.name], **config)(ins[0])
        return layer.__class__.from_config(config)(ins if len(ins) > 1 else ins[0])

    return rebuild(model, make, float_model.name + '_q')


def quantize(model_path, out, data_dir=None, bits=8, qat_epochs=2, lr=1e-3, batch_size=128, seed=1):
    """Calibrate, build the twin of and fine-tune a float Keras model into the folder `out`
    (replaced only on success; the same files as model.train writes)."""
    import keras

    from model import data
    from model.store import atomic_dir, load_model
    from model.training import accuracy, append_log, fit, load_data, write_model_folder

    float_model = load_model(model_path)
    check_supported(float_model)
    dataset = load_data(data_dir, float_model.input_shape[1:], seed)
    classes = float_model.output_shape[-1]
    if classes != len(dataset['classes']):
        raise UnsupportedModel(f'{model_path}: {classes} outputs, but the data has {len(dataset["classes"])} classes')
    keras.utils.set_random_seed(seed)
    (images, labels), (test_images, test_labels) = dataset['train'], dataset['test']
    x, x_test = data.to_input(images), data.to_input(test_images)
    with atomic_dir(out) as tmp:
        float_acc = accuracy(float_model, x_test, test_labels)
        print(f'float top-1 (held out): {float_acc:.4f}', flush=True)
        qmodel = quantized_twin(float_model, calibrate(float_model, x[:2000], bits, bits))
        print(f'{bits}-bit before QAT top-1: {accuracy(qmodel, x_test, test_labels):.4f}', flush=True)
        if qat_epochs:
            append_log(tmp / 'train_log.csv', 'qat', fit(qmodel, x, labels, qat_epochs, lr, batch_size, (x_test, test_labels)))
        q_acc = accuracy(qmodel, x_test, test_labels)
        print(f'{bits}-bit QAT top-1 (held out): {q_acc:.4f}', flush=True)
        summary = dict(source=str(model_path), bits=bits, float_top1=float_acc, quantized_top1=q_acc,
                       data=str(data_dir) if data_dir else 'fashion-mnist', classes=dataset['classes'])  # fmt: skip
        write_model_folder(tmp, out, float_model, qmodel, summary, dataset)
    return summary


def main(argv=None):
    parser = cli.Parser(description=__doc__)
    parser.add_argument('--model', required=True, help='float Keras model (.keras)')
    parser.add_argument('--out', required=True, help='output folder (replaced only on success)')
    parser.add_argument('--data', default=None, help='folder of class subfolders of images (default: Fashion-MNIST)')
    parser.add_argument('--bits', type=cli.bits, default=8, help='weight and activation bits')
    parser.add_argument('--qat-epochs', type=cli.whole, default=2, help='quantization-aware epochs (0: calibration only)')
    parser.add_argument('--lr', type=cli.positive, default=1e-3, help='initial QAT learning rate, decaying linearly to 0')
    parser.add_argument('--seed', type=cli.whole, default=1)
    args = parser.parse_args(argv)
    quantize(args.model, args.out, args.data, args.bits, args.qat_epochs, args.lr, seed=args.seed)
    return 0


if __name__ == '__main__':
    sys.exit(cli.run(main))
