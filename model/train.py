"""Train the float SqueezeNet, then quantization-aware training to a fixed-point twin.

    python -m model.train --out model/default                 # what `make train` runs
    python -m model.train --data my_images --design my.yaml --out model/mine

Data: Fashion-MNIST (the default), or a folder of class subfolders of PNG/JPEG images (--data),
resized to the design's input; a fifth of each class is held out, drawn once with the seed and
kept with the model (heldout.npz), so every later step evaluates on the same images.
Design: the builder's arguments (model.squeezenet), from a YAML file (--design; model/design.yaml
lists them all with their defaults) and --set NAME=VALUE.
Steps: float training with a linearly decaying learning rate; calibration and the quantized twin
from the model's graph (model.quantize); QAT fine-tuning, again with a linear decay.
Writes, atomically: float.keras, quantized.keras, build.json, train_log.csv, train_log.txt,
config.yaml (the design point `CONFIG=... make csim / sim / synth` take), heldout.npz (folder data).
"""
import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

import yaml

import cli
from model import data
from model.quant import Fixed
from model.quantize import calibrate, quantized_twin
from model.squeezenet import DEFAULT, DesignError, check_design, squeezenet
from model.store import atomic_dir, save_model

ROOT = Path(__file__).resolve().parent.parent
INPUT_FORMAT = Fixed(8, 0, signed=False)  # p / 256, see model.data


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


def accuracy(model, x, y):
    logits = model.predict(x, verbose=0, batch_size=500)
    return float(np.mean(np.argmax(logits, axis=1) == y))


def load_data(data_dir, input_shape, seed):
    """Training and evaluation images (uint8) for a design's input: Fashion-MNIST's own split, or
    an image folder's, held out once with the seed. Raises before anything is written."""
    if data_dir is None:
        (images, labels), (test_images, test_labels) = data.load('train'), data.load('test')
        if tuple(input_shape) != (28, 28, 1):
            raise DesignError(f'Fashion-MNIST images are 28x28x1; the design takes {tuple(input_shape)} (use --data for other images)')
        return dict(train=(images, labels), test=(test_images, test_labels), classes=list(data.CLASSES), heldout=None)
    images, labels, classes, names = data.read_image_folder(data_dir, input_shape)
    train_idx, held = data.split(labels, seed)
    heldout = dict(images=images[held], labels=labels[held], classes=np.array(classes), files=np.array(names)[held])
    return dict(train=(images[train_idx], labels[train_idx]), test=(images[held], labels[held]), classes=classes, heldout=heldout)


def design_point(folder, out, data_source):
    """The config.yaml of a trained model folder: hls/config.yaml with this model, its data and
    its own output folder (paths relative to the repository when inside it)."""
    def rel(path):
        path = Path(path).resolve()
        return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)

    out = Path(out)
    values = dict(
        model=rel(out / 'quantized.keras'), float_model=rel(out / 'float.keras'),
        output_dir=rel(ROOT / 'build' / out.resolve().name / 'hls'), data=data_source,
    )  # fmt: skip
    lines = []
    for line in (ROOT / 'hls' / 'config.yaml').read_text().splitlines():
        key = line.split(':', 1)[0]
        if key in values:
            comment = line[line.index('#'):] if '#' in line else ''
            line = f'{key}: {values.pop(key)}'.ljust(30) + comment
        lines.append(line.rstrip())
    lines += [f'{key}: {value}' for key, value in values.items()]
    (folder / 'config.yaml').write_text('\n'.join(lines) + '\n')


def write_model_folder(tmp, out, float_model, qmodel, summary, dataset):
    """Everything a later step reads, into the temporary folder that becomes `out`."""
    save_model(float_model, tmp / 'float.keras')
    save_model(qmodel, tmp / 'quantized.keras')
    (tmp / 'build.json').write_text(json.dumps(summary, indent=2) + '\n')
    if dataset['heldout'] is None:
        source = 'fashion-mnist'
    else:
        np.savez_compressed(tmp / 'heldout.npz', **dataset['heldout'])
        source = str(Path(out) / 'heldout.npz')
        path = Path(source).resolve()
        source = str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)
    design_point(tmp, out, source)


def train(out, build=DEFAULT, epochs=20, qat_epochs=5, bits=8, lr=1e-2, batch_size=128, prune=0.0,
          float_model=None, train_images=None, seed=1, data_dir=None):
    """Train one design point into the folder `out` (replaced only on success).

    float_model: a trained float model to start from instead of training one (its build is used).
    prune: fraction of each layer's kernel weights removed by magnitude, then retrained for
        `epochs` epochs (float) and kept at zero through QAT.
    data_dir: a folder of class subfolders of images (None: Fashion-MNIST).
    """
    import keras

    from model import compress
    from model.store import load_model

    if float_model is not None:
        build = json.loads((Path(float_model).parent / 'build.json').read_text())['build']
    check_design(build)
    dataset = load_data(data_dir, build['input_shape'], seed)
    if len(dataset['classes']) != build['num_classes']:
        build = dict(build, num_classes=len(dataset['classes']))
    keras.utils.set_random_seed(seed)
    images, labels = dataset['train']
    images, labels = images[:train_images], labels[:train_images]
    test_images, test_labels = dataset['test']
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
            say(f'squeezenet {build["bypass"]}: {len(x)} training images, {len(x_test)} held out, '
                f'{len(dataset["classes"])} classes, {epochs} float + {qat_epochs} QAT epochs')  # fmt: skip
            model = squeezenet(**build)
            say(f'parameters: {model.count_params()}')
            append_log(log_csv, 'float', fit(model, x, labels, epochs, lr, batch_size, validation))
        else:
            say(f'starting from {float_model}')
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
        say(f'float top-1 (held out): {float_acc:.4f}  [{time.time() - start:.0f} s]')

        qmodel = quantized_twin(model, calibrate(model, x[:2000], bits, bits))
        say(f'{bits}-bit before QAT top-1: {accuracy(qmodel, x_test, test_labels):.4f}')
        if qat_epochs:
            append_log(log_csv, 'qat', fit(qmodel, x, labels, qat_epochs, lr / 10, batch_size, validation, callbacks))
        q_acc = accuracy(qmodel, x_test, test_labels)
        say(f'{bits}-bit QAT top-1 (held out): {q_acc:.4f}  [{time.time() - start:.0f} s]')

        summary = dict(build=build, bits=bits, prune=prune, float_top1=float_acc, quantized_top1=q_acc,
                       data=str(data_dir) if data_dir else 'fashion-mnist', classes=dataset['classes'])  # fmt: skip
        write_model_folder(tmp, out, model, qmodel, summary, dataset)
    return summary


def read_design(path, settings):
    """Builder arguments: the defaults, then the YAML design file, then NAME=VALUE settings."""
    build = dict(DEFAULT, bypass='vanilla')
    if path is not None:
        loaded = cli.read_mapping(path, DesignError, 'design', 'builder arguments to values')
        build.update(loaded)
    for setting in settings:
        name, sep, value = setting.partition('=')
        if not sep:
            raise DesignError(f'--set {setting!r}: expected NAME=VALUE')
        build[name] = yaml.safe_load(value)
    unknown = sorted(set(build) - set(DEFAULT) - {'bypass'})
    if unknown:
        raise DesignError(f'unknown design argument(s) {unknown}; known: {sorted([*DEFAULT, "bypass"])}')
    return build


def main(argv=None):
    parser = cli.Parser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--out', default='model/default', help='output folder (replaced only on success)')
    parser.add_argument('--data', default=None, help='folder of class subfolders of PNG/JPEG images (default: Fashion-MNIST)')
    parser.add_argument('--design', default=None, help='YAML file of builder arguments (see model/design.yaml)')
    parser.add_argument('--set', action='append', default=[], metavar='NAME=VALUE', help='one builder argument (repeatable)')
    parser.add_argument('--bypass', default=None, choices=('vanilla', 'simple', 'complex'), help='shorthand for --set bypass=...')
    parser.add_argument('--epochs', type=cli.whole, default=20, help='float training (or pruning retraining) epochs')
    parser.add_argument('--qat-epochs', type=cli.whole, default=5, help='quantization-aware epochs')
    parser.add_argument('--bits', type=cli.bits, default=8, help='weight and activation bits')
    parser.add_argument('--prune', type=cli.fraction, default=0.0, help='fraction of kernel weights to prune (0: none)')
    parser.add_argument('--float-model', default=None, help='start from this trained float model (skips float training)')
    parser.add_argument('--lr', type=cli.positive, default=1e-2, help='initial learning rate (QAT starts at a tenth)')
    parser.add_argument('--batch-size', type=cli.count, default=128)
    parser.add_argument('--train-images', type=cli.count, default=None, help='use only the first N training images')
    parser.add_argument('--seed', type=cli.whole, default=1)
    args = parser.parse_args(argv)
    build = read_design(args.design, args.set + ([f'bypass={args.bypass}'] if args.bypass else []))
    train(
        args.out, build, args.epochs, args.qat_epochs, args.bits, args.lr, args.batch_size,
        args.prune, args.float_model, args.train_images, args.seed, args.data,
    )  # fmt: skip
    return 0


if __name__ == '__main__':
    sys.exit(cli.run(main))
