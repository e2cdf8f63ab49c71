"""Fashion-MNIST from Debian's `dataset-fashion-mnist` package (IDX files; nothing downloads).

Pixels p in 0..255 enter the network as p / 256: exactly an ap_ufixed<8,0>, so the float model,
the quantized model and the hardware all see the same input values.
"""
import gzip
import os
from pathlib import Path

import numpy as np

DATA_DIR = Path(os.environ.get('FASHION_MNIST_DIR', '/usr/share/datasets/fashion-mnist'))
CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag',
           'Ankle boot')  # fmt: skip
INPUT_SCALE = 256


class DatasetMissing(RuntimeError):
    pass


def read_idx(path):
    """An IDX file (optionally gzipped) as a numpy array."""
    opener = gzip.open if str(path).endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise ValueError(f'{path}: not an unsigned-byte IDX file')
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], 'big') for i in range(ndim))
    array = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
    if array.size != int(np.prod(shape)):
        raise ValueError(f'{path}: {array.size} bytes of data for shape {shape}')
    return array.reshape(shape)


def load(split='test'):
    """(images uint8 [N, 28, 28], labels uint8 [N]) of the 'train' or 'test' split."""
    prefix = {'train': 'train', 'test': 't10k'}[split]
    images = DATA_DIR / f'{prefix}-images-idx3-ubyte.gz'
    labels = DATA_DIR / f'{prefix}-labels-idx1-ubyte.gz'
    if not images.exists() or not labels.exists():
        raise DatasetMissing(
            f'Fashion-MNIST not found in {DATA_DIR}. Install it with: '
            'sudo apt-get install dataset-fashion-mnist (or set FASHION_MNIST_DIR)'
        )
    return read_idx(images), read_idx(labels)


def to_input(images):
    """uint8 images [N, H, W] or [N, H, W, C] -> float32 network input [N, H, W, C]."""
    x = images.astype(np.float32) / INPUT_SCALE
    return x[..., None] if x.ndim == 3 else x
