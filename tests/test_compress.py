"""Pruning, the size report, and the AlexNet-style baseline of the compression table."""
import numpy as np
import pytest

import cli
from model import compress
from model.alexnet import alexnet
from model.squeezenet import squeezenet


def test_alexnet_baseline_has_about_50x_the_default_parameters():
    assert 45 < alexnet().count_params() / squeezenet().count_params() < 55


def test_sparse_bits_count_values_indices_and_fillers():
    kernel = np.zeros(40)
    kernel[[0, 3, 39]] = 1.0  # gaps 0, 2 and 35: the last needs two fillers (35 // 16)
    assert compress.sparse_bits(kernel, 8) == (3 + 2) * (8 + compress.INDEX_BITS)


def test_pruning_zeroes_the_smallest_weights_and_keeps_them_zero(quantized_variant):
    model = squeezenet()
    masks = compress.magnitude_masks(model, 0.5)
    compress.apply_masks(model, masks)
    report = compress.size_report(model)
    assert report['bits'] == 32 and report['dense_bytes'] == report['params'] * 4
    assert report['nonzero'] == pytest.approx(report['params'] / 2, rel=0.05)
    qreport = compress.size_report(quantized_variant('vanilla'))
    assert qreport['bits'] == 8 and qreport['dense_bytes'] == qreport['params']


def test_tables_and_bench_reject_unknown_or_missing_points(capsys, tmp_path, monkeypatch):
    from bench import report
    from model import tables

    assert cli.run(tables.main, ['--only', 'q5']) == 2
    assert 'unknown point(s)' in capsys.readouterr().err
    monkeypatch.setattr(report, 'RESULTS', tmp_path)
    monkeypatch.setattr(report, 'COMPRESSION', [('x', tmp_path / 'q6', True)])
    assert cli.run(report.main, ['--out', str(tmp_path / 'out')]) == 2
    assert 'run `make tables`' in capsys.readouterr().err and not (tmp_path / 'out').exists()
