"""Train every design point of the paper's two tables on the shipped dataset (`make tables`).

    python -m model.tables [--only NAME ...]

Compression table (Deep Compression column): from the default model's float weights, QAT to 6
and 4 bits; magnitude pruning with retraining, then QAT to 8 and 6 bits; pruned, 8-bit QAT, then
weight sharing with 6- and 4-bit codebook indices (Deep Compression's trained quantization);
structured pruning of whole input channels, which the hardware neither stores nor multiplies,
then QAT to 8 bits; and an AlexNet-style baseline. Variants table: SqueezeNet with simple and complex bypass, trained like the default
(vanilla, model/default, made by `make train`). Each point goes to model/results/<name>/.
"""
import json
import sys
import time

import cli
from model.squeezenet import DEFAULT

RESULTS = cli.ROOT / 'model' / 'results'
DEFAULT_FLOAT = cli.ROOT / 'model' / 'default' / 'float.keras'
PRUNE = 0.5  # fraction of each kernel removed
CHANNELS = 0.25  # fraction of each conv's input channels removed whole (the hardware skips them)

POINTS = {
    'q6': dict(float_model=DEFAULT_FLOAT, bits=6),
    'q4': dict(float_model=DEFAULT_FLOAT, bits=4),
    'pruned-q8': dict(float_model=DEFAULT_FLOAT, prune=PRUNE, epochs=5, bits=8),
    'pruned-q6': dict(float_model=RESULTS / 'pruned-q8' / 'float.keras', prune=PRUNE, epochs=0, bits=6),
    'pruned-shared6': dict(float_model=RESULTS / 'pruned-q8' / 'float.keras', prune=PRUNE, epochs=0, bits=8, share=6, qat_epochs=3),
    'pruned-shared4': dict(float_model=RESULTS / 'pruned-q8' / 'float.keras', prune=PRUNE, epochs=0, bits=8, share=4, qat_epochs=3),
    'channels-q8': dict(float_model=DEFAULT_FLOAT, prune=CHANNELS, prune_by='channel', epochs=5, bits=8),
    'simple': dict(build=dict(DEFAULT, bypass='simple')),
    'complex': dict(build=dict(DEFAULT, bypass='complex')),
}
ALEXNET_EPOCHS = 8


def train_alexnet(out, epochs=ALEXNET_EPOCHS):
    import keras

    from model import data
    from model.alexnet import alexnet
    from model.store import atomic_dir, save_model
    from model.training import accuracy, append_log, fit

    keras.utils.set_random_seed(1)
    (images, labels), (test_images, test_labels) = data.load('train'), data.load('test')
    x, x_test = data.to_input(images), data.to_input(test_images)
    with atomic_dir(out) as tmp:
        model = alexnet()
        append_log(tmp / 'train_log.csv', 'float', fit(model, x, labels, epochs, 1e-3, 128, (x_test, test_labels)))
        top1 = accuracy(model, x_test, test_labels)
        save_model(model, tmp / 'float.keras')
        (tmp / 'build.json').write_text(json.dumps(dict(model='alexnet', epochs=epochs, float_top1=top1), indent=2) + '\n')
    print(f'alexnet float top-1 (test): {top1:.4f}')


def main(argv=None):
    parser = cli.Parser(description=__doc__)
    parser.add_argument('--only', nargs='*', default=None, help=f'points to train: {", ".join(["alexnet", *POINTS])}')
    args = parser.parse_args(argv)
    from model.train import train

    names = args.only or ['alexnet', *POINTS]
    unknown = set(names) - {'alexnet', *POINTS}
    if unknown:
        raise cli.InputError(f'unknown point(s) {sorted(unknown)}; known: alexnet, {", ".join(POINTS)}')
    for name in names:
        started = time.time()
        print(f'=== {name}', flush=True)
        if name == 'alexnet':
            train_alexnet(RESULTS / 'alexnet')
        else:
            train(RESULTS / name, **POINTS[name])
        print(f'=== {name} done in {time.time() - started:.0f} s', flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(cli.run(main))
