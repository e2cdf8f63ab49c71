"""Train the float SqueezeNet, then quantization-aware training to a fixed-point twin.

    python -m model.train --out model/default            # what `make train` runs

Steps: float training with a linearly decaying learning rate; calibration of one fixed-point
format per tensor (weights from their largest magnitude, activations from a high percentile on
training images); the quantized model built by the same builder with those formats and the
float weights; QAT fine-tuning, again with a linear decay. Writes, atomically:
    float.keras, quantized.keras, build.json (builder arguments), train_log.csv, train_log.txt
"""
import argparse
import json
import math
import sys
import time

import numpy as np

from model import data
from model.quant import Fixed, integer_bits_for
from model.squeezenet import DEFAULT, squeezenet
from model.store import atomic_dir, save_model

INPUT_FORMAT = Fixed(8, 0, signed=False)  # p / 256, see model.data
ACTIVATION_PERCENTILE = 99.99


def linear_decay(lr, steps):
    import keras

    return keras.optimizers.schedules.PolynomialDecay(lr, steps, end_learning_rate=0.0, power=1.0)


def fit(model, x, y, epochs, lr, batch_size, validation):
    """Adam with a learning rate falling linearly to zero over the run; Keras progress bars."""
    import keras

    steps = epochs * math.ceil(len(x) / batch_size)
    model.compile(
        optimizer=keras.optimizers.Adam(linear_decay(lr, steps)),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=['accuracy'],
    )
    return model.fit(
        x, y, batch_size=batch_size, epochs=epochs, validation_data=validation,
        verbose=1 if sys.stdout.isatty() else 2,  # progress bars on a terminal, a line per epoch in logs
    ).history


def append_log(path, phase, history):
    """One CSV row per epoch: phase (float or qat), epoch, then Keras's metrics."""
    keys = sorted(history)
    lines = [] if path.exists() else [','.join(['phase', 'epoch', *keys])]
    for epoch in range(len(history[keys[0]])):
        lines.append(','.join([phase, str(epoch + 1), *(f'{history[k][epoch]:.6g}' for k in keys)]))
    with open(path, 'a') as f:
        f.write('\n'.join(lines) + '\n')


def calibrate(float_model, x, weight_bits, act_bits):
    """One Fixed format per weight, bias and activation tensor: the quantized builder's `formats`."""
    import keras

    convs = [layer for layer in float_model.layers if isinstance(layer, keras.layers.Conv2D)]
    adds = [layer for layer in float_model.layers if isinstance(layer, keras.layers.Add)]
    probe = keras.Model(float_model.input, [layer.output for layer in convs + adds])
    outputs = probe.predict(x, verbose=0, batch_size=256)
    peak = {
        layer.name: float(np.percentile(np.abs(out), ACTIVATION_PERCENTILE)) for layer, out in zip(convs + adds, outputs)
    }
    # the two expand branches of a Fire module meet in one concat: they share a format
    for name in list(peak):
        if name.endswith('_expand1x1'):
            other = name.replace('1x1', '3x3')
            peak[name] = peak[other] = max(peak[name], peak[other])

    def act(name, signed):
        return Fixed(act_bits, integer_bits_for(peak[name], signed), signed)

    formats = {}
    signed_out = {}
    for layer in convs:
        kernel, bias = layer.get_weights()
        relu = layer.activation is keras.activations.relu
        formats[layer.name] = dict(
            weight=Fixed(weight_bits, integer_bits_for(np.abs(kernel).max())),
            bias=Fixed(weight_bits, integer_bits_for(np.abs(bias).max())),
            output=act(layer.name, signed=not relu),
        )
        signed_out[layer.name] = not relu
    for layer in adds:
        signed = any(signed_out.get(t._keras_history.operation.name, False) for t in layer.input)
        formats[layer.name] = dict(output=act(layer.name, signed))
    pooled = formats['conv10']['output']
    spatial = float_model.get_layer('conv10').output.shape[1] * float_model.get_layer('conv10').output.shape[2]
    extra = 8  # fractional bits the average gains, so that logits rarely tie
    accum_int = pooled.integer + math.ceil(math.log2(spatial)) + 1
    formats['logits'] = dict(
        accum=Fixed(accum_int + pooled.frac + extra, accum_int, True, 'TRN', 'WRAP'),
        output=Fixed(pooled.width + extra, pooled.integer, pooled.signed, 'TRN', 'SAT'),
    )
    return formats


def quantized_twin(float_model, build, formats):
    """The quantized model with the float model's weights (copied by layer name)."""
    qmodel = squeezenet(**build, formats=formats, name=float_model.name + '_q')
    for layer in qmodel.layers:
        if layer.weights:
            layer.set_weights(float_model.get_layer(layer.name).get_weights())
    return qmodel


def accuracy(model, x, y):
    logits = model.predict(x, verbose=0, batch_size=500)
    return float(np.mean(np.argmax(logits, axis=1) == y))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default='model/default', help='output folder (replaced only on success)')
    parser.add_argument('--bypass', default='vanilla', choices=('vanilla', 'simple', 'complex'))
    parser.add_argument('--epochs', type=int, default=20, help='float training epochs')
    parser.add_argument('--qat-epochs', type=int, default=5, help='quantization-aware epochs')
    parser.add_argument('--bits', type=int, default=8, help='weight and activation bits')
    parser.add_argument('--lr', type=float, default=1e-2, help='initial learning rate (QAT starts at a tenth)')
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--train-images', type=int, default=None, help='use only the first N training images')
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args(argv)

    import keras

    keras.utils.set_random_seed(args.seed)
    images, labels = data.load('train')
    images, labels = images[: args.train_images], labels[: args.train_images]
    test_images, test_labels = data.load('test')
    x, x_test = data.to_input(images), data.to_input(test_images)
    build = dict(DEFAULT, bypass=args.bypass)
    validation = (x_test, test_labels)

    with atomic_dir(args.out) as out:
        log_csv, log_txt = out / 'train_log.csv', out / 'train_log.txt'
        lines = []

        def say(line):
            print(line, flush=True)
            lines.append(line)
            log_txt.write_text('\n'.join(lines) + '\n')

        say(f'squeezenet {args.bypass}: {len(x)} training images, {args.epochs} float + {args.qat_epochs} QAT epochs')
        start = time.time()
        float_model = squeezenet(**build)
        say(f'parameters: {float_model.count_params()}')
        append_log(log_csv, 'float', fit(float_model, x, labels, args.epochs, args.lr, args.batch_size, validation))
        float_acc = accuracy(float_model, x_test, test_labels)
        say(f'float top-1 (test): {float_acc:.4f}  [{time.time() - start:.0f} s]')

        formats = calibrate(float_model, x[:2000], args.bits, args.bits)
        qmodel = quantized_twin(float_model, build, formats)
        say(f'{args.bits}-bit before QAT top-1: {accuracy(qmodel, x_test, test_labels):.4f}')
        append_log(log_csv, 'qat', fit(qmodel, x, labels, args.qat_epochs, args.lr / 10, args.batch_size, validation))
        q_acc = accuracy(qmodel, x_test, test_labels)
        say(f'{args.bits}-bit QAT top-1 (test): {q_acc:.4f}  [{time.time() - start:.0f} s]')

        save_model(float_model, out / 'float.keras')
        save_model(qmodel, out / 'quantized.keras')
        (out / 'build.json').write_text(
            json.dumps(dict(build=build, bits=args.bits, float_top1=float_acc, quantized_top1=q_acc), indent=2) + '\n'
        )
    return 0


if __name__ == '__main__':
    sys.exit(main())
