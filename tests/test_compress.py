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
    stored, relative = compress.sparse_streams(kernel)
    assert len(stored) * 8 + len(relative) * compress.INDEX_BITS == (3 + 2) * (8 + compress.INDEX_BITS)


def test_channel_pruning_zeroes_the_weakest_input_channels_whole_but_not_the_images():
    model = squeezenet()
    masks = compress.channel_masks(model, 0.25)
    assert 'conv1' not in masks and set(masks) == {layer.name for layer in compress.conv_kernels(model)} - {'conv1'}
    for name, mask in masks.items():
        kernel = model.get_layer(name).kernel.numpy()
        per_channel = mask.reshape(-1, *mask.shape[-2:])  # (positions, C_in, C_out)
        kept = per_channel[0, :, 0].astype(bool)
        assert (per_channel == kept[None, :, None]).all(), name  # whole channels, every position and output
        assert kept.sum() == round(len(kept) * 0.75), name
        norms = np.sqrt((kernel.reshape(per_channel.shape) ** 2).sum(axis=(0, 2)))
        assert norms[kept].min() >= norms[~kept].max(), name


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
    monkeypatch.setattr(report, 'COMPRESSION', [('x', tmp_path / 'q6', True, '')])
    assert cli.run(report.main, ['--out', str(tmp_path / 'out')]) == 2
    assert 'run `make tables`' in capsys.readouterr().err and not (tmp_path / 'out').exists()


def test_linear_kmeans_starts_evenly_and_finds_the_groups():
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.normal(m, 0.01, 200) for m in (-1.0, 0.2, 0.9)])
    centroids, nearest = compress.linear_kmeans(values, 3)
    np.testing.assert_allclose(np.sort(centroids), [-1.0, 0.2, 0.9], atol=0.01)
    assert len(set(nearest[:200])) == len(set(nearest[200:400])) == len(set(nearest[400:])) == 1


def test_shared_weights_take_2_to_the_b_values_keep_pruned_zeros_and_survive_saving(pruned_variant, tmp_path):
    from model.store import load_model, save_model

    pruned, shared = pruned_variant, compress.share_weights(pruned_variant, 3)
    save_model(shared, tmp_path / 'shared.keras')
    loaded = load_model(tmp_path / 'shared.keras')
    for layer in compress.conv_kernels(loaded):
        kernel = layer.quantized_weights()[0]
        assert layer.shared_bits == 3 and len(np.unique(kernel)) <= 8
        np.testing.assert_array_equal(kernel == 0, pruned.get_layer(layer.name).kernel.numpy() == 0)
        np.testing.assert_array_equal(kernel, shared.get_layer(layer.name).quantized_weights()[0])
    report = compress.size_report(loaded)
    assert report['bits'] == 3 and report['dense_bits'] == 3 * sum(np.prod(l.kernel.shape) for l in compress.conv_kernels(loaded))
    assert report['codebook_bits'] == 7 * 8 * len(compress.conv_kernels(loaded))
    assert report['huffman_bytes'] < report['sparse_bytes'] <= report['dense_bytes']  # 3-bit indices: dense is the smaller


def test_a_codebook_entry_learns_from_the_sum_of_its_weights_gradients(quantized_variant, pruned_variant, test_images):
    import tensorflow as tf

    from model import data

    shared = compress.share_weights(pruned_variant, 3)
    twin = shared.__class__.from_config(quantized_variant('vanilla').get_config())  # unshared, same values
    for layer in compress.conv_kernels(twin):
        source = shared.get_layer(layer.name)
        layer.set_weights([np.asarray(source.shared_kernel()), source.bias.numpy()])
    x, y = data.to_input(test_images[0][:8]), test_images[1][:8]

    def gradients(model, variables):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.keras.losses.sparse_categorical_crossentropy(y, model(x, training=False), from_logits=True))
        return [tf.convert_to_tensor(g).numpy() for g in tape.gradient(loss, variables)]

    layer = 'fire3_expand3x3'
    (codebook,) = gradients(shared, [shared.get_layer(layer).codebook])
    (kernel,) = gradients(twin, [twin.get_layer(layer).kernel])
    summed = np.bincount(shared.get_layer(layer).assignment.numpy().reshape(-1), kernel.reshape(-1), minlength=8)
    np.testing.assert_allclose(codebook, summed[1:], rtol=1e-4, atol=1e-7)
    assert np.any(codebook != 0)


def test_huffman_coding_beats_fixed_width_on_skewed_symbols():
    symbols = np.array([0] * 90 + [1] * 6 + [2] * 4)
    assert compress.huffman_bits(symbols) == 90 * 1 + 6 * 2 + 4 * 2
    assert compress.huffman_bits(np.zeros(5)) == 5


def test_the_bench_compression_table_has_a_row_and_the_stored_parts_per_point(quantized_variant, pruned_variant):
    from bench import report

    qmodel, model = quantized_variant('vanilla'), squeezenet()
    shared = compress.share_weights(pruned_variant, 4)

    class Points:  # what report.Evaluator gives, without training or csim
        def float_point(self, folder):
            return dict(top1=0.9, **compress.size_report(alexnet() if folder.name == 'alexnet' else model))

        def fixed_point(self, folder):
            size = compress.size_report(shared if 'shared' in folder.name else qmodel)
            return dict(top1=0.8, csim_top1=0.8, csim_images=10, csim_differ=0, **size)

    rows = report.compression_table(Points())
    assert [r['point'] for r in rows] == [label for label, *_ in report.COMPRESSION]
    shared_row = next(r for r in rows if '4-bit shared' in r['point'])
    assert shared_row['bits'] == 4 and shared_row['compressed_kb'] < shared_row['sparse_kb'] <= shared_row['dense_kb']
    assert shared_row['vs_alexnet'] > next(r for r in rows if r['point'] == 'SqueezeNet, 8-bit')['vs_alexnet']
    text = '\n'.join(report.compression_lines(rows))
    assert text.count('| SqueezeNet, pruned 50% + 8-bit, 4-bit shared (Deep Compression) |') == 2  # the table and its parts
    assert 'SqueezeNet DC 6-bit: 510x (0.47 MB)' in text
