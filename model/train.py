"""Train the float SqueezeNet, then quantization-aware training to a fixed-point twin.

    python -m model.train --out model/default                 # what `make train` runs
    python -m model.train --data my_images --design my.yaml --out model/mine

Data: Fashion-MNIST (the default), or a folder of class subfolders of PNG/JPEG images (--data),
resized to the design's input; a fifth of each class is held out, drawn once with the seed and
kept with the model (heldout.npz), so every later step evaluates on the same images.
Design: the builder's arguments (model.squeezenet), from a YAML file (--design; model/design.yaml
lists them all with their defaults) and --set NAME=VALUE.
Steps: float training with a linearly decaying learning rate; calibration and the quantized twin
from the model's graph (model.quantize); QAT fine-tuning, again with a linear decay; with --share B,
Deep Compression's weight sharing (model.compress): each conv's weights clustered into 2**B
codebook entries, the codebooks fine-tuned for as many epochs again.
Writes, atomically: float.keras, quantized.keras, build.json, train_log.csv, train_log.txt,
config.yaml (the design point `CONFIG=... make csim / sim / synth` take), heldout.npz (folder data).
"""
import json
import sys
import time
from pathlib import Path


import yaml

import cli
from model import data
from model.quantize import calibrate, check_supported, quantized_twin
from model.squeezenet import DEFAULT, DesignError, check_design, squeezenet
from model.store import atomic_dir
from model.training import accuracy, append_log, fit, load_data, write_model_folder


def train(out, build=DEFAULT, epochs=20, qat_epochs=5, bits=8, lr=1e-2, batch_size=128, prune=0.0,
          float_model=None, train_images=None, seed=1, data_dir=None, share=0, augment=False, prune_by='weight'):
    """Train one design point into the folder `out` (replaced only on success).

    float_model: a trained float model to start from instead of training one (its build is used).
    prune: fraction of each layer's kernel weights removed by magnitude, then retrained for
        `epochs` epochs (float) and kept at zero through QAT.
    prune_by: 'weight' (the smallest weights anywhere) or 'channel' (each layer's weakest input
        channels whole, which the hardware neither stores nor multiplies; model.compress).
    data_dir: a folder of class subfolders of images (None: Fashion-MNIST).
    share: codebook index bits of weight sharing after QAT (0: none), its fine-tuning `qat_epochs`.
    augment: random flips and shifts of the training images in every phase (model.training.augmented).
    """
    import keras

    from model import compress
    from model.store import load_model

    if float_model is not None:
        build = json.loads((Path(float_model).parent / 'build.json').read_text())['build']
    check_design(build)
    if float_model is None:
        check_supported(squeezenet(**build))  # before any training: what the chain cannot build
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
            append_log(log_csv, 'float', fit(model, x, labels, epochs, lr, batch_size, validation, augment=augment, seed=seed))
        else:
            say(f'starting from {float_model}')
            model = load_model(float_model)
        callbacks = []
        if prune:
            masks = compress.PRUNE_BY[prune_by](model, prune)
            compress.apply_masks(model, masks)
            callbacks = [compress.keep_pruned(masks)]
            what = 'kernel' if prune_by == 'weight' else "kernel's input channels"
            say(f'pruned {prune:.0%} of each {what}: top-1 {accuracy(model, x_test, test_labels):.4f}')
            if epochs:
                append_log(log_csv, 'prune', fit(model, x, labels, epochs, lr / 10, batch_size, validation, callbacks, augment, seed))
        float_acc = accuracy(model, x_test, test_labels)
        say(f'float top-1 (held out): {float_acc:.4f}  [{time.time() - start:.0f} s]')

        qmodel = quantized_twin(model, calibrate(model, x[:2000], bits, bits))
        say(f'{bits}-bit before QAT top-1: {accuracy(qmodel, x_test, test_labels):.4f}')
        if qat_epochs:
            append_log(log_csv, 'qat', fit(qmodel, x, labels, qat_epochs, lr / 10, batch_size, validation, callbacks, augment, seed))
        q_acc = accuracy(qmodel, x_test, test_labels)
        say(f'{bits}-bit QAT top-1 (held out): {q_acc:.4f}  [{time.time() - start:.0f} s]')
        if share:
            qmodel = compress.share_weights(qmodel, share)
            say(f'{share}-bit weight sharing before fine-tuning top-1: {accuracy(qmodel, x_test, test_labels):.4f}')
            if qat_epochs:
                append_log(log_csv, 'share', fit(qmodel, x, labels, qat_epochs, lr / 10, batch_size, validation, augment=augment, seed=seed))
            compress.write_shared_kernels(qmodel)
            q_acc = accuracy(qmodel, x_test, test_labels)
            say(f'{share}-bit shared, codebooks fine-tuned, top-1 (held out): {q_acc:.4f}  [{time.time() - start:.0f} s]')

        summary = dict(build=build, bits=bits, prune=prune, prune_by=prune_by, share=share, augment=augment, float_top1=float_acc, quantized_top1=q_acc,
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
    parser = cli.Parser(description=__doc__)
    parser.add_argument('--out', default=None, help='output folder, replaced only on success (default: the shipped model/default, only when it is retrained as shipped)')
    parser.add_argument('--data', default=None, help='folder of class subfolders of PNG/JPEG images (default: Fashion-MNIST)')
    parser.add_argument('--design', default=None, help='YAML file of builder arguments (see model/design.yaml)')
    parser.add_argument('--set', action='append', default=[], metavar='NAME=VALUE', help='one builder argument (repeatable)')
    parser.add_argument('--bypass', default=None, choices=('vanilla', 'simple', 'complex'), help='shorthand for --set bypass=...')
    parser.add_argument('--epochs', type=cli.whole, default=20, help='float training (or pruning retraining) epochs')
    parser.add_argument('--qat-epochs', type=cli.whole, default=5, help='quantization-aware epochs')
    parser.add_argument('--bits', type=cli.bits, default=8, help='weight and activation bits')
    parser.add_argument('--prune', type=cli.fraction, default=0.0, help='fraction of kernel weights to prune (0: none)')
    parser.add_argument('--prune-by', default='weight', choices=('weight', 'channel'),
                        help="what --prune removes: the smallest weights, or each layer's weakest input channels whole (the hardware skips them)")
    parser.add_argument('--share', type=cli.codebook_bits, default=0, metavar='BITS', help='weight sharing after QAT: codebook index bits, 2 to 8 (default: none)')
    parser.add_argument('--float-model', default=None, help='start from this trained float model (skips float training)')
    parser.add_argument('--lr', type=cli.positive, default=1e-2, help='initial learning rate (QAT starts at a tenth)')
    parser.add_argument('--batch-size', type=cli.count, default=128)
    parser.add_argument('--train-images', type=cli.count, default=None, help='use only the first N training images')
    parser.add_argument('--seed', type=cli.whole, default=1)
    parser.add_argument('--augment', action='store_true', help='random left-right flips and shifts of up to 10%% of the training images')
    args = parser.parse_args(argv)
    if args.out is None:
        if args.data or args.design or args.set or args.bypass or args.float_model:
            raise DesignError('give an output folder (make train ... OUT=model/mine): model/default is the shipped model, retrained only as shipped')
        args.out = str(cli.ROOT / 'model' / 'default')
    build = read_design(args.design, args.set + ([f'bypass={args.bypass}'] if args.bypass else []))
    train(
        args.out, build, args.epochs, args.qat_epochs, args.bits, args.lr, args.batch_size,
        args.prune, args.float_model, args.train_images, args.seed, args.data, args.share, args.augment, args.prune_by,
    )  # fmt: skip
    return 0


if __name__ == '__main__':
    sys.exit(cli.run(main))
