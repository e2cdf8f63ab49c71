"""What training a model takes, for every script that trains (model.train, model.quantize,
model.tables): Keras fit with a linearly decaying learning rate, accuracy, the CSV log, the
training and evaluation images, and the model folder with its design point."""
import json
import math
import sys
from pathlib import Path

import numpy as np
import yaml

import cli
from model import data
from model.squeezenet import DesignError
from model.store import save_model


def linear_decay(lr, steps):
    import keras

    return keras.optimizers.schedules.PolynomialDecay(lr, steps, end_learning_rate=0.0, power=1.0)


def augmented(x, y, batch_size, seed):
    """The training images shuffled in batches, each image flipped left-right at random and shifted
    by up to 10% of its size (edges filled with zeros, the background of a normalised image), drawn
    anew every epoch: the model itself has no augmentation layer for the chain to convert."""
    import keras
    import tensorflow as tf

    flip = keras.layers.RandomFlip('horizontal', seed=seed)
    shift = keras.layers.RandomTranslation(0.1, 0.1, fill_mode='constant', seed=seed)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return dataset.batch(batch_size).map(lambda a, b: (shift(flip(a, training=True), training=True), b)).prefetch(2)


def fit(model, x, y, epochs, lr, batch_size, validation, callbacks=(), augment=False, seed=1):
    """Adam with a learning rate falling linearly to zero over the run; Keras progress bars. With
    `augment`, random flips and shifts of the training images (augmented)."""
    import keras

    steps = epochs * math.ceil(len(x) / batch_size)
    model.compile(
        optimizer=keras.optimizers.Adam(linear_decay(lr, steps)),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=['accuracy'],
    )
    inputs = dict(x=augmented(x, y, batch_size, seed)) if augment else dict(x=x, y=y, batch_size=batch_size)
    return model.fit(
        **inputs, epochs=epochs, validation_data=validation, callbacks=list(callbacks),
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


def relative(path):
    """A path relative to the repository when inside it (so the design point moves with a clone)."""
    path = Path(path).resolve()
    return str(path.relative_to(cli.ROOT)) if path.is_relative_to(cli.ROOT) else str(path)


def design_point(folder, out, data_source, weight_sharing=False):
    """The config.yaml of a trained model folder, written as data: hls/config.yaml's values with
    this model, its data and its own output folder; `weight_sharing` for a model trained to share
    its weights (the RTL's ROMs then hold codebook indices)."""
    out = Path(out)
    config = cli.read_mapping(cli.ROOT / 'hls' / 'config.yaml', cli.InputError, 'config', 'keys to values')
    config.pop('part', None)  # the board names it
    config.update(
        model=relative(out / 'quantized.keras'), float_model=relative(out / 'float.keras'),
        output_dir=relative(cli.ROOT / 'build' / out.resolve().name / 'hls'), data=data_source, weight_sharing=weight_sharing,
    )  # fmt: skip
    header = f'# The design point of the model in {relative(out)} (written by model.train; hls/config.yaml explains each key).\n'
    (folder / 'config.yaml').write_text(header + yaml.safe_dump(config, sort_keys=False))


def write_model_folder(tmp, out, float_model, qmodel, summary, dataset):
    """Everything a later step reads, into the temporary folder that becomes `out`."""
    save_model(float_model, tmp / 'float.keras')
    save_model(qmodel, tmp / 'quantized.keras')
    (tmp / 'build.json').write_text(json.dumps(summary, indent=2) + '\n')
    if dataset['heldout'] is None:
        source = 'fashion-mnist'
    else:
        np.savez_compressed(tmp / 'heldout.npz', **dataset['heldout'])
        source = relative(Path(out) / 'heldout.npz')
    design_point(tmp, out, source, weight_sharing=bool(summary.get('share')))
