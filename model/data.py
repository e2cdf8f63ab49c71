"""Fashion-MNIST from Debian's `dataset-fashion-mnist` package (IDX files; nothing downloads).

Pixels p in 0..255 enter the network as p / 256: exactly an ap_ufixed<8,0>, so the float model,
the quantized model and the hardware all see the same input values.
"""
import gzip
import os
from pathlib import Path

import numpy as np

import cli

DATA_DIR = Path(os.environ.get('FASHION_MNIST_DIR', '/usr/share/datasets/fashion-mnist'))
CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag',
           'Ankle boot')  # fmt: skip
INPUT_SCALE = 256


class DatasetError(cli.InputError):
    """A dataset that is missing or unreadable."""


def read_idx(path):
    """An IDX file (optionally gzipped) as a numpy array."""
    opener = gzip.open if str(path).endswith('.gz') else open
    try:
        with opener(path, 'rb') as f:
            data = f.read()
    except (OSError, EOFError) as err:  # gzip: a truncated or corrupt file
        raise DatasetError(f'{path}: cannot read ({err})') from err
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DatasetError(f'{path}: not an unsigned-byte IDX file (wrong magic number)')
    ndim = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], 'big') for i in range(ndim))
    array = np.frombuffer(data, np.uint8, offset=4 + 4 * ndim)
    if array.size != int(np.prod(shape)):
        raise DatasetError(f'{path}: truncated: {array.size} bytes of data for shape {shape}')
    return array.reshape(shape)


def load(split='test'):
    """(images uint8 [N, 28, 28], labels uint8 [N]) of the 'train' or 'test' split."""
    prefix = {'train': 'train', 'test': 't10k'}[split]
    images = DATA_DIR / f'{prefix}-images-idx3-ubyte.gz'
    labels = DATA_DIR / f'{prefix}-labels-idx1-ubyte.gz'
    if not images.exists() or not labels.exists():
        raise DatasetError(
            f'Fashion-MNIST not found in {DATA_DIR}. Install it with: '
            'sudo apt-get install dataset-fashion-mnist (or set FASHION_MNIST_DIR)'
        )
    return read_idx(images), read_idx(labels)


def to_input(images):
    """uint8 images [N, H, W] or [N, H, W, C] -> float32 network input [N, H, W, C]."""
    x = images.astype(np.float32) / INPUT_SCALE
    return x[..., None] if x.ndim == 3 else x


class ImageFolderError(cli.InputError):
    pass


IMAGE_SUFFIXES = ('.png', '.jpg', '.jpeg')
HOLDOUT = 0.2  # share of each class kept out of training for evaluation


def read_image_folder(root, input_shape):
    """A folder of class subfolders of PNG/JPEG images -> (images uint8 [N, H, W, C], labels,
    class names, file names), each image resized to the design's input and converted to its
    channels (1: grayscale, 3: RGB). Errors name the folder or file at fault."""
    from PIL import Image, UnidentifiedImageError

    root = Path(root)
    if not root.is_dir():
        raise ImageFolderError(f'image folder not found: {root}')
    height, width, channels = input_shape
    if channels not in (1, 3):
        raise ImageFolderError(f'the design takes {channels} channels; images can be grayscale (1) or RGB (3)')
    classes = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith('.'))
    files = {c: sorted(f for f in (root / c).iterdir() if f.suffix.lower() in IMAGE_SUFFIXES) for c in classes}
    if not any(files.values()):
        raise ImageFolderError(f'{root}: no class subfolders with PNG or JPEG images in it')
    empty = [c for c in classes if not files[c]]
    if empty:
        raise ImageFolderError(f'{root}: class folder(s) {empty} have no PNG or JPEG images (remove them, or add images)')
    nested = [d for c in classes for d in sorted((root / c).iterdir()) if d.is_dir() and not d.name.startswith('.')]
    if nested:
        raise ImageFolderError(f'{nested[0]}: a folder inside a class folder is not read; put each class\'s images directly in its folder')
    if len(classes) < 2:
        raise ImageFolderError(f'{root}: only one class ({classes[0]!r}); a classifier needs two or more subfolders')
    few = [c for c in classes if len(files[c]) < 2]
    if few:
        raise ImageFolderError(f'{root}: class(es) {few} have one image; each needs two (one is held out for evaluation)')
    images, labels, names = [], [], []
    for label, c in enumerate(classes):
        for f in files[c]:
            try:
                with Image.open(f) as image:
                    image = image.convert('L' if channels == 1 else 'RGB').resize((width, height), Image.BILINEAR)
                    images.append(np.asarray(image, np.uint8).reshape(height, width, channels))
            except (OSError, UnidentifiedImageError, ValueError) as err:
                raise ImageFolderError(f'{f}: cannot read image ({err})') from err
            labels.append(label)
            names.append(str(f.relative_to(root)))
    return np.stack(images), np.array(labels, np.uint8), classes, names


def split(labels, seed, holdout=HOLDOUT):
    """Indices (train, held out): per class, a `holdout` share (at least one image) held out."""
    rng = np.random.default_rng(seed)
    train, held = [], []
    for c in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == c))
        n = max(1, int(round(len(members) * holdout)))
        held += list(members[:n])
        train += list(members[n:])
    return np.sort(train), np.sort(held)


def load_heldout(path):
    """(images, labels, class names) of a held-out split written next to a model (heldout.npz)."""
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f'held-out images not found: {path}')
    try:
        with np.load(path) as f:
            return f['images'], f['labels'], [str(c) for c in f['classes']]
    except (OSError, KeyError, ValueError) as err:
        raise DatasetError(f'{path}: not a held-out split written by model.train ({err})') from err


def sample_images(input_shape, count=32, seed=0):
    """Natural images with no labels for networks no shipped dataset fits: `count` uint8 crops
    (random position, scale and mirror) of the photograph matplotlib's wheel ships
    (mpl-data/sample_data/grace_hopper.jpg), resized to input_shape (H, W, C)."""
    import matplotlib.cbook
    from PIL import Image

    height, width, channels = input_shape
    with Image.open(matplotlib.cbook.get_sample_data(SAMPLE_PHOTO)) as photo:
        photo = np.asarray(photo.convert('L' if channels == 1 else 'RGB'))
    rng = np.random.default_rng(seed)
    crops = []
    for _ in range(count):
        side = int(rng.integers(min(photo.shape[:2]) // 3, min(photo.shape[:2]) + 1))
        y, x = (int(rng.integers(0, photo.shape[i] - side + 1)) for i in (0, 1))
        crop = Image.fromarray(photo[y : y + side, x : x + side]).resize((width, height), Image.BILINEAR)
        crop = np.asarray(crop, np.uint8).reshape(height, width, channels)
        crops.append(crop[:, ::-1] if rng.random() < 0.5 else crop)
    return np.stack(crops)


SAMPLE_PHOTO = 'grace_hopper.jpg'
SAMPLE_IMAGES = f'crops of matplotlib\'s sample photograph {SAMPLE_PHOTO}'


def test_set(source='fashion-mnist', input_shape=None):
    """The evaluation images of a design point's `data`: (images uint8, labels, class names, what).
    Sources: fashion-mnist, sample-images (labels and classes None), a heldout.npz, or a folder
    of class subfolders (every image, read at input_shape)."""
    if str(source) == 'fashion-mnist':
        images, labels = load('test')
        return images, labels, list(CLASSES), 'Fashion-MNIST test images'
    if str(source) == 'sample-images':
        return sample_images(input_shape), None, None, SAMPLE_IMAGES
    if Path(source).is_dir():
        images, labels, classes, _ = read_image_folder(source, input_shape)
        return images, labels, classes, f'images of {source}'
    images, labels, classes = load_heldout(source)
    return images, labels, classes, f'held-out images of {Path(source).parent}'


def check_input_shape(qmodel, images):
    """DatasetError unless the images (N, H, W[, C]) have the model's input shape."""
    expected = tuple(qmodel.input_shape[1:])
    got = images.shape[1:] if images.ndim == 4 else images.shape[1:] + (1,)
    if got != expected:
        raise DatasetError(f'images have shape {got}, the model expects {expected}')


def check_classes(model, classes, what):
    """DatasetError unless the model has one output per class of the evaluation images (any
    number for images without labels)."""
    if classes is None:
        return
    outputs = model.output_shape[-1]
    if outputs != len(classes):
        raise DatasetError(f'the model has {outputs} outputs, but the {what} have {len(classes)} classes: '
                           'give the design point of the model (CONFIG=<model folder>/config.yaml)')
