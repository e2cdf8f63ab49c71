import gzip

import numpy as np
import pytest

from model import data


def test_fashion_mnist_is_read_from_the_debian_package():
    images, labels = data.load('test')
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and set(np.unique(labels)) == set(range(10))


def test_inputs_are_exact_ap_ufixed_8_0_values():
    x = data.to_input(np.array([[[0, 1, 255]]], dtype=np.uint8))
    assert x.shape == (1, 1, 3, 1)
    np.testing.assert_array_equal(x.ravel(), [0, 1 / 256, 255 / 256])


def test_corrupt_idx_file_is_refused(tmp_path):
    bad = tmp_path / 'bad-idx3-ubyte.gz'
    with gzip.open(bad, 'wb') as f:
        f.write(b'\x00\x00\x08\x03' + (10).to_bytes(4, 'big') + (28).to_bytes(4, 'big') * 2 + b'\x00' * 100)
    with pytest.raises(data.DatasetError, match='bytes of data for shape'):
        data.read_idx(bad)
    bad.write_bytes(gzip.compress(b'PK\x03\x04 not idx'))
    with pytest.raises(data.DatasetError, match='not an unsigned-byte IDX file'):
        data.read_idx(bad)


def test_missing_dataset_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setattr(data, 'DATA_DIR', tmp_path)
    with pytest.raises(data.DatasetError, match='apt-get install dataset-fashion-mnist'):
        data.load('train')
