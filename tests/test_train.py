import json

import pytest

from model import train
from model.store import load_model


def test_training_writes_a_loadable_quantized_model(tmp_path):
    out = tmp_path / 'run'
    argv = ['--out', str(out), '--epochs', '1', '--qat-epochs', '1', '--train-images', '512', '--batch-size', '128', '--augment']
    assert train.main(argv) == 0
    assert {p.name for p in out.iterdir()} == {'float.keras', 'quantized.keras', 'build.json', 'train_log.csv', 'train_log.txt', 'config.yaml'}
    assert 'data: fashion-mnist' in (out / 'config.yaml').read_text()
    qmodel = load_model(out / 'quantized.keras')
    assert qmodel.get_layer('conv1').weight_fmt.width == 8
    summary = json.loads((out / 'build.json').read_text())
    assert summary['bits'] == 8 and summary['augment'] and 0 <= summary['quantized_top1'] <= 1
    log = (out / 'train_log.csv').read_text().splitlines()
    assert log[0].startswith('phase,epoch,') and [row.split(',')[:2] for row in log[1:]] == [['float', '1'], ['qat', '1']]


def test_failed_training_leaves_the_previous_result(tmp_path, monkeypatch):
    out = tmp_path / 'run'
    out.mkdir()
    (out / 'keep.txt').write_text('previous')

    def broken(*args, **kwargs):
        raise RuntimeError('interrupted')

    monkeypatch.setattr(train, 'calibrate', broken)
    with pytest.raises(RuntimeError, match='interrupted'):
        train.main(['--out', str(out), '--epochs', '1', '--qat-epochs', '1', '--train-images', '256'])
    assert [p.name for p in out.iterdir()] == ['keep.txt']
    assert [p.name for p in tmp_path.iterdir()] == ['run']


def test_augmented_batches_move_and_mirror_the_images_and_keep_the_labels():
    import numpy as np

    from model.training import augmented

    x = np.zeros((64, 28, 28, 1), np.float32)
    x[:, 4:12, 2:8] = 1.0  # a block off the centre: a flip or a shift moves it
    y = np.arange(64) % 10
    batches = list(augmented(x, y, 32, seed=3))
    images, labels = np.concatenate([b[0] for b in batches]), np.concatenate([b[1] for b in batches])
    assert images.shape == x.shape and sorted(labels) == sorted(y)
    moved = [not np.array_equal(image, x[0]) for image in images]
    assert sum(moved) > 48  # nearly every image changed; each keeps its pixels' values
