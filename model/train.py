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
from pathlib import Path

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


def fit(model, x, y, epochs, lr, batch_size, validation, callbacks=()):
    """Adam with a learning rate falling linearly to zero over the run; Keras progress bars."""
    import keras

    steps = epochs * math.ceil(len(x) / batch_size)
    model.compile(
        optimizer=keras.optimizers.Adam(linear_decay(lr, steps)),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=['accuracy'],
    )
    return model.fit(
        x, y, batch_size=batch_size, epochs=epochs, validation_data=validation, callbacks=list(callbacks),
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


def train(out, build=DEFAULT, epochs=20, qat_epochs=5, bits=8, lr=1e-2, batch_size=128, prune=0.0,
          float_model=None, train_images=None, seed=1):
    """Train one design point into the folder `out` (replaced only on success).

    float_model: a trained float model to start from instead of training one (its build is used).
    prune: fraction of each layer's kernel weights removed by magnitude, then retrained for
        `epochs` epochs (float) and kept at zero through QAT.
    """
    import keras

    from model import compress
    from model.store import load_model

    keras.utils.set_random_seed(seed)
    images, labels = data.load('train')
    images, labels = images[:train_images], labels[:train_images]
    test_images, test_labels = data.load('test')
    x, x_test = data.to_input(images), data.to_input(test_images)
    validation = (x_test, test_labels)

    with atomic_dir(out) as tmp:
        log_csv, log_txt = tmp / 'train_log.csv', tmp / 'train_log.txt'
        lines = []

        def say(line):
            print(line, flush=True)
            lines.append(line)
            log_txt.write_text('\n'.join(lines) + '\n')

        start = time.time()
        if float_model is None:
            say(f'squeezenet {build["bypass"]}: {len(x)} training images, {epochs} float + {qat_epochs} QAT epochs')
            model = squeezenet(**build)
            say(f'parameters: {model.count_params()}')
            append_log(log_csv, 'float', fit(model, x, labels, epochs, lr, batch_size, validation))
        else:
            say(f'starting from {float_model}')
            build = json.loads((Path(float_model).parent / 'build.json').read_text())['build']
            model = load_model(float_model)
        callbacks = []
        if prune:
            masks = compress.magnitude_masks(model, prune)
            compress.apply_masks(model, masks)
            callbacks = [compress.keep_pruned(masks)]
            say(f'pruned {prune:.0%} of each kernel: top-1 {accuracy(model, x_test, test_labels):.4f}')
            if epochs:
                append_log(log_csv, 'prune', fit(model, x, labels, epochs, lr / 10, batch_size, validation, callbacks))
        float_acc = accuracy(model, x_test, test_labels)
        say(f'float top-1 (test): {float_acc:.4f}  [{time.time() - start:.0f} s]')

        formats = calibrate(model, x[:2000], bits, bits)
        qmodel = quantized_twin(model, build, formats)
        say(f'{bits}-bit before QAT top-1: {accuracy(qmodel, x_test, test_labels):.4f}')
        append_log(log_csv, 'qat', fit(qmodel, x, labels, qat_epochs, lr / 10, batch_size, validation, callbacks))
        q_acc = accuracy(qmodel, x_test, test_labels)
        say(f'{bits}-bit QAT top-1 (test): {q_acc:.4f}  [{time.time() - start:.0f} s]')

        save_model(model, tmp / 'float.keras')
        save_model(qmodel, tmp / 'quantized.keras')
        summary = dict(build=build, bits=bits, prune=prune, float_top1=float_acc, quantized_top1=q_acc)
        (tmp / 'build.json').write_text(json.dumps(summary, indent=2) + '\n')
    return summary


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default='model/default', help='output folder (replaced only on success)')
    parser.add_argument('--bypass', default='vanilla', choices=('vanilla', 'simple', 'complex'))
    parser.add_argument('--epochs', type=int, default=20, help='float training (or pruning retraining) epochs')
    parser.add_argument('--qat-epochs', type=int, default=5, help='quantization-aware epochs')
    parser.add_argument('--bits', type=int, default=8, help='weight and activation bits')
    parser.add_argument('--prune', type=float, default=0.0, help='fraction of kernel weights to prune (0: none)')
    parser.add_argument('--float-model', default=None, help='start from this trained float model (skips float training)')
    parser.add_argument('--lr', type=float, default=1e-2, help='initial learning rate (QAT starts at a tenth)')
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--train-images', type=int, default=None, help='use only the first N training images')
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args(argv)
    train(
        args.out, dict(DEFAULT, bypass=args.bypass), args.epochs, args.qat_epochs, args.bits, args.lr, args.batch_size,
        args.prune, args.float_model, args.train_images, args.seed,
    )  # fmt: skip
    return 0


if __name__ == '__main__':
    sys.exit(main())
