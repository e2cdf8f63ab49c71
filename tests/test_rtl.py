"""The RTL backend: generated from the hls4ml graph, simulated, equal to csim bit for bit."""
import re

import keras
import numpy as np
import pytest

import cli
from firmware.backend.folding import load_folding
from firmware.backend.ir import GraphError
from firmware.backend.passes import FIFO_MARGIN
from firmware.generate import build
from hls.convert import convert, load_config
from model import data
from model.squeezenet import DEFAULT, VARIANTS, squeezenet
from model.quantize import calibrate, quantized_twin
from sim import runner
from sim.run_network import simulate, timing

# other metaparameters: 5x5/2 first conv with asymmetric 'same' padding, 3x3 kept to a quarter,
# a wider squeeze, three Fire modules and one pool
OTHER = dict(DEFAULT, n_fire=3, base_e=16, incr_e=16, pct_3x3=0.25, sr=0.5, conv1_kernel=5, conv1_stride=2, pool_after=(2,))


def quantized(build, seed=3):
    keras.utils.set_random_seed(seed)
    float_model = squeezenet(**build)
    x = data.to_input(data.load('train')[0][:128])
    return quantized_twin(float_model, calibrate(float_model, x, 8, 8))


def check_bit_exact(qmodel, tmp_path, images=3, sim='verilator', folding=None):
    config = load_config()
    x = data.to_input(data.load('test')[0][:images]).astype(np.float64)
    result = simulate(qmodel, dict(config, folding=folding or config['folding']), x, tmp_path, sim, log=lambda m: None)
    np.testing.assert_array_equal(result['rtl'], result['csim'])
    assert np.any(result['csim'] != 0), 'all-zero logits prove nothing'
    return result


@pytest.mark.parametrize('bypass', VARIANTS)
def test_variant_rtl_equals_csim(bypass, quantized_variant, tmp_path):
    result = check_bit_exact(quantized_variant(bypass), tmp_path)
    modules = {layer['module'] for layer in result['manifest']['layers']}
    assert ('axis_add' in modules) == (bypass != 'vanilla')


def test_other_metaparameters_rtl_equals_csim(tmp_path):
    result = check_bit_exact(quantized(OTHER), tmp_path, folding={'default': {'pe': 2, 'simd': 4}})
    conv1 = next(layer for layer in result['manifest']['layers'] if layer['name'] == 'conv1')['params']
    assert (conv1['K'], conv1['S'], conv1['PAD_T'] + conv1['PAD_B']) == (5, 2, 3)


@pytest.mark.slow
def test_shared_weights_rtl_equals_csim(pruned_variant, tmp_path):
    from model import compress

    config = load_config(weight_sharing=True)
    x = data.to_input(data.load('test')[0][:3]).astype(np.float64)
    result = simulate(compress.share_weights(pruned_variant, 4), config, x, tmp_path, 'verilator', log=lambda m: None)
    np.testing.assert_array_equal(result['rtl'], result['csim'])
    assert np.any(result['csim'] != 0), 'all-zero logits prove nothing'
    convs = [layer for layer in result['manifest']['layers'] if layer['module'] in ('conv2d', 'pointwise_conv')]
    for layer in convs:  # 15 shared values and zero: 4-bit indices in the ROM, a codebook per lane
        p, memories = layer['params'], {m['what']: m for m in layer['memories']}
        assert p['CODE_W'] == 4 and memories['weights']['width'] == p['PE'] * p['SIMD'] * 4, layer['name']
        assert memories['codebook']['count'] == p['PE'] * p['SIMD'] and memories['codebook']['depth'] == 16
    assert len(list((tmp_path / 'rtl' / 'rom').glob('*_c.mem'))) == len(convs)


def test_dead_input_channels_are_neither_stored_nor_multiplied(tmp_path):
    """Input channels pruned whole (model.compress.channel_masks) leave the convolution through
    an axis_select: its fan-in, ROM and cycles shrink, and the chain stays bit-exact."""
    from firmware.boards import load_board
    from firmware.generate import generate_rtl
    from model.store import load_model

    config = load_config()
    qmodel = load_model(config['model'])
    dense = generate_rtl(convert(qmodel, config, tmp_path / 'hls'), config, load_board(config['board']), tmp_path / 'dense')
    dead = {'fire2_expand3x3': [0, 2, 5], 'fire3_squeeze': list(range(0, 32, 2)), 'conv10': list(range(48))}
    for name, channels in dead.items():
        kernel = qmodel.get_layer(name).kernel
        mask = np.ones(kernel.shape, np.float32)
        mask[:, :, channels, :] = 0
        kernel.assign(kernel * mask)
    result = check_bit_exact(qmodel, tmp_path / 'pruned')
    layers = {layer['name']: layer for layer in result['manifest']['layers']}
    before = {layer['name']: layer for layer in dense['layers']}

    def rom_bits(layer):
        return next(m['depth'] * m['width'] for m in layer['memories'] if m['what'] == 'weights')

    for name, channels in dead.items():
        select, conv = layers[f'{name}_select']['params'], layers[name]
        fan_in = 'N' if conv['module'] == 'pointwise_conv' else 'C_IN'
        assert select['KEPT'] == conv['params'][fan_in] == before[name]['params'][fan_in] - len(channels)
        assert bin(select['KEEP']).count('1') == select['KEPT'] and not any(select['KEEP'] >> c & 1 for c in channels)
        assert rom_bits(conv) < rom_bits(before[name]), name
    assert 'fire2_squeeze_select' not in layers  # nothing dead there
    # faster, or as fast on fewer multipliers
    pace = [(m['estimated_interval_cycles'], m['multipliers']) for m in (result['manifest'], dense)]
    assert pace[0] < pace[1], pace


def test_shipped_model_on_icarus(tmp_path):
    from model.store import load_model

    check_bit_exact(load_model(load_config()['model']), tmp_path, images=2, sim='icarus')


@pytest.mark.slow
def test_shipped_model_100_images_with_idle_and_backpressure(tmp_path):
    from model.store import load_model

    result = check_bit_exact(load_model(load_config()['model']), tmp_path, images=100)
    interval, latency = timing(result['arrivals'])
    assert interval <= result['manifest']['estimated_interval_cycles'] * 1.2


def test_without_the_computed_fifos_the_fire_dataflow_deadlocks(tmp_path, monkeypatch):
    from firmware.backend import passes
    from model.store import load_model

    config = load_config()
    x = data.to_input(data.load('test')[0][:2]).astype(np.float64)
    qmodel = load_model(config['model'])
    limit = 10 * 11110  # five times what two images need
    check = simulate(qmodel, config, x, tmp_path / 'with', 'verilator', log=lambda m: None, cycle_limit=limit)
    np.testing.assert_array_equal(check['rtl'], check['csim'])
    monkeypatch.setattr(passes, 'PASSES', [p for p in passes.PASSES if p[0] != 'insert_fifos'])
    with pytest.raises(AssertionError, match='cocotb tests failed'):
        simulate(qmodel, config, x, tmp_path / 'without', 'verilator', log=lambda m: None, cycle_limit=limit)


@pytest.fixture(scope='module')
def default_graph(tmp_path_factory):
    from model.store import load_model

    config = load_config()
    return convert(load_model(config['model']), config, tmp_path_factory.mktemp('hls'))


def test_fifo_depths_cover_the_3x3_branch_lag(default_graph, tmp_path):
    manifest = build(default_graph, {}, tmp_path, budget=220)
    # the 3x3 expand needs a row and a pixel more of the squeeze output than the 1x1 expand; a
    # 2x2 pool emits a row of outputs in half the time its consumer takes them
    assert manifest['fifos'] == {
        'fire2_squeeze_relu_cpy1': 14 + 1 + FIFO_MARGIN, 'fire3_squeeze_relu_cpy1': 14 + 1 + FIFO_MARGIN,
        'fire4_squeeze_relu_cpy1': 7 + 1 + FIFO_MARGIN, 'fire5_squeeze_relu_cpy1': 7 + 1 + FIFO_MARGIN,
        'pool1': 14 // 2 + FIFO_MARGIN, 'pool3': -(-7 // 2) + FIFO_MARGIN,
    }  # fmt: skip
    top = (tmp_path / 'squeezenet_top.v').read_text()
    assert 'module squeezenet_top' in top and top.count('pointwise_conv #(') == 9 and top.count('conv2d #(') == 5


def test_roms_hold_the_quantized_weights(default_graph, tmp_path):
    from firmware.fixed import unpack
    from model.store import load_model

    build(default_graph, {'fire2_expand3x3': {'pe': 4, 'simd': 8}}, tmp_path, budget=220)
    layer = load_model(load_config()['model']).get_layer('fire2_expand3x3')
    kernel = layer.quantized_weights()[0] * 2**layer.weight_fmt.frac  # (ky, kx, c_in, c_out)
    words = [int(w, 16) for w in (tmp_path / 'rom' / 'fire2_expand3x3_w.mem').read_text().split()]
    n = kernel.shape[0] * kernel.shape[1] * kernel.shape[2]
    assert len(words) == (16 // 4) * (n // 8)
    # word nf*(N/simd) + sf, lane p*simd + s: output nf*pe + p, window element sf*simd + s
    first = unpack(words[1], 32, layer.weight_fmt.width, True)
    np.testing.assert_array_equal(first[:8], kernel.reshape(n, -1)[8:16, 0])
    np.testing.assert_array_equal(first[8:16], kernel.reshape(n, -1)[8:16, 1])


def test_folding_errors(default_graph, tmp_path):
    with pytest.raises(GraphError, match=r'fire2_squeeze: pe=3 does not divide 8; choose one of \[1, 2, 4, 8\]'):
        build(default_graph, {'fire2_squeeze': {'pe': 3, 'simd': 4}}, tmp_path)
    with pytest.raises(GraphError, match=r'fire2_squeeze: simd=33 is more than its fan-in of 32'):
        build(default_graph, {'fire2_squeeze': {'pe': 1, 'simd': 33}}, tmp_path)
    with pytest.raises(GraphError, match="not convolutions or pools of this model: \\['fire9_squeeze'\\]"):
        build(default_graph, {'fire9_squeeze': {'pe': 1, 'simd': 1}}, tmp_path)
    bad = tmp_path / 'folding.yaml'
    bad.write_text('conv1: {pe: 2, reuse: 3}\n')
    with pytest.raises(GraphError, match='expected a mapping with keys pe and simd'):
        load_folding(bad)
    with pytest.raises(GraphError, match='conv1 is a convolution: it takes pe and simd, not lanes'):
        build(default_graph, {'conv1': {'pe': 1, 'simd': 1, 'lanes': 2}}, tmp_path, budget=220)
    with pytest.raises(GraphError, match=r'logits is a pool: it takes lanes \(channels per cycle\), not \[\'pe\'\]'):
        build(default_graph, {'logits': {'pe': 2}}, tmp_path, budget=220)
    with pytest.raises(GraphError, match=r'logits: lanes=3 does not divide 10; choose one of \[1, 2, 5, 10\]'):
        build(default_graph, {'logits': {'lanes': 3}}, tmp_path, budget=220)
    with pytest.raises(GraphError, match='folding file not found'):
        load_folding(tmp_path / 'missing.yaml')
    with pytest.raises(GraphError, match='automatic folding, which needs a multiplier budget'):
        build(default_graph, {}, tmp_path)
    with pytest.raises(GraphError, match='no folding fits the budget of 10 multipliers: the most folded design needs 14'):
        build(default_graph, {}, tmp_path, budget=10)


def test_automatic_folding_takes_the_shortest_interval_that_fits_the_budget(default_graph, tmp_path):
    def run(budget, folding=None):
        manifest = build(default_graph, folding or {}, tmp_path / str(budget), budget=budget)
        convs = {layer['name']: layer for layer in manifest['layers'] if layer['multipliers']}
        return manifest, convs

    intervals = []
    for budget in (14, 60, 156, 220):
        manifest, convs = run(budget)
        assert manifest['multipliers'] <= budget
        intervals.append(manifest['estimated_interval_cycles'])
        # balanced: one multiplier fewer in any layer would make it the slowest
        for layer in convs.values():
            p = layer['params']
            assert layer['cycles'] <= manifest['estimated_interval_cycles']
            cheaper = [(pe, simd) for pe in range(1, p['PE'] + 1) for simd in range(1, p['SIMD'] + 1) if pe * simd < p['PE'] * p['SIMD']]
            assert all(layer['mac_cycles'] * p['PE'] * p['SIMD'] / (pe * simd) > manifest['estimated_interval_cycles'] for pe, simd in cheaper
                       if p['C_OUT'] % pe == 0 and (p.get('N') or p['K'] ** 2 * p['C_IN']) % simd == 0)  # fmt: skip
    assert intervals == sorted(intervals, reverse=True) and intervals[0] > intervals[-1]
    # a layer named in a folding file keeps its entry; the others share what is left
    manifest, convs = run(156, {'conv1': {'pe': 1, 'simd': 9}})
    assert (convs['conv1']['params']['PE'], convs['conv1']['params']['SIMD']) == (1, 9)
    assert manifest['multipliers'] <= 156


def test_pools_take_the_fewest_lanes_within_the_interval(default_graph, tmp_path):
    from firmware.backend.modules import MODULES

    def average(manifest):
        return next(layer for layer in manifest['layers'] if layer['name'] == 'logits')

    for budget in (14, 220):
        manifest = build(default_graph, {}, tmp_path / str(budget), budget=budget)
        gap, interval = average(manifest), manifest['estimated_interval_cycles']
        lanes = gap['params']['LANES']
        assert gap['cycles'] <= interval
        node = type('N', (), {'params': gap['params']})
        assert all(MODULES['global_avg_pool'].lanes_cycles(node, None, d) > interval for d in (1, 2, 5, 10) if d < lanes)
        assert f'logits: {{lanes: {lanes}}}' in (tmp_path / str(budget) / 'folding.yaml').read_text()
    # a folding file's lanes are kept
    assert average(build(default_graph, {'logits': {'lanes': 5}}, tmp_path / 'five', budget=220))['params']['LANES'] == 5


def test_lut_multipliers_take_the_interval_below_the_dsps(default_graph, tmp_path):
    dsp_only = build(default_graph, {}, tmp_path / 'dsp', budget=220)
    with_luts = build(default_graph, {}, tmp_path / 'lut', budget=220, lut_budget=16)
    assert dsp_only['lut_multipliers'] == 0 and dsp_only['multipliers'] <= 220
    assert with_luts['estimated_interval_cycles'] < dsp_only['estimated_interval_cycles']
    assert 220 < with_luts['multipliers'] <= 236
    # the multipliers beyond the DSPs, in the layers with the fewest multipliers first
    convs = sorted((layer for layer in with_luts['layers'] if layer['multipliers']), key=lambda layer: layer['multipliers'])
    assert with_luts['lut_multipliers'] == with_luts['multipliers'] - 220 == sum(layer['lut_multipliers'] for layer in convs)
    luts = [layer['lut_multipliers'] for layer in convs]
    assert luts == sorted(luts, reverse=True) and all(layer['params']['LUT_MULS'] == layer['lut_multipliers'] for layer in convs)
    top = (tmp_path / 'lut' / 'squeezenet_top.v').read_text()
    assert f'.LUT_MULS({convs[0]["lut_multipliers"]})' in top


def test_generator_cli_writes_nothing_on_error(tmp_path, capsys):
    from firmware import generate

    config = tmp_path / 'config.yaml'
    folding = tmp_path / 'folding.yaml'
    folding.write_text('conv1: {pe: 3, simd: 9}\n')
    text = (cli.ROOT / 'hls' / 'config.yaml').read_text()
    config.write_text(re.sub(r'(?m)^folding: .*$', f'folding: {folding}', text))
    assert cli.run(generate.main, ['--config', str(config), '--out', str(tmp_path / 'rtl')]) == 2
    assert 'conv1: pe=3 does not divide 32' in capsys.readouterr().err
    assert not (tmp_path / 'rtl').exists()


def test_the_folding_auto_chose_pins_the_same_design(default_graph, tmp_path):
    chosen = build(default_graph, {}, tmp_path / 'auto', budget=220, lut_budget=16)
    pinned = build(default_graph, load_folding(tmp_path / 'auto' / 'folding.yaml'), tmp_path / 'pinned', budget=220, lut_budget=16)
    assert pinned == chosen
    assert (tmp_path / 'pinned' / 'squeezenet_top.v').read_text().replace('pinned', 'auto') == (tmp_path / 'auto' / 'squeezenet_top.v').read_text()


def test_the_passes_are_listed_and_a_run_stops_after_one(default_graph, capsys):
    from firmware import generate
    from firmware.backend import passes

    assert [name for name, _ in passes.PASSES] == ['fuse', 'prune', 'share', 'fold', 'narrow', 'insert_fifos']
    _, fused = passes.run_passes(default_graph, {}, budget=220, stop_after='fuse')
    assert not any('CODE_W' in n.params for n in fused)
    # asked to share, a layer gets a codebook when its weights take at most half its format's values
    _, shared = passes.run_passes(default_graph, {}, budget=220, stop_after='share', weight_sharing=True)
    for node in [n for n in shared if n.weights is not None]:
        values, code_w = len(np.unique(node.weights)), node.params.get('CODE_W')
        assert (2 ** (code_w - 1) < values <= 2**code_w < 2 ** node.params['W_W']) if code_w else values > 2 ** (node.params['W_W'] - 1)
    assert 'PE' not in fused[0].params and not any(n.module == 'axis_fifo' for n in fused)
    _, folded = passes.run_passes(default_graph, {}, budget=220, stop_after='fold')
    assert all('PE' in n.params for n in folded if n.weights is not None) and not any(n.module == 'axis_fifo' for n in folded)
    gap = next(n for n in folded if n.module == 'global_avg_pool')
    assert gap.params['LANES'] == gap.params['C']  # all channels at once until `narrow`
    _, narrowed = passes.run_passes(default_graph, {}, budget=220, stop_after='narrow')
    assert next(n for n in narrowed if n.module == 'global_avg_pool').params['LANES'] < gap.params['C']
    with pytest.raises(GraphError, match="no pass 'buffer'; the passes are: fuse, prune, share, fold, narrow, insert_fifos"):
        passes.run_passes(default_graph, {}, budget=220, stop_after='buffer')
    assert generate.main(['--list-passes']) == 0
    assert 'insert_fifos  Give each fork' in capsys.readouterr().out


def test_a_generated_design_moves_as_a_whole(tmp_path, monkeypatch):
    """No absolute path in the generated files: moved elsewhere, the design simulates on both
    simulators (a shard per image on one worker: the second shard runs the first one's build) and
    Yosys elaborates it with its ROMs, from the new place."""
    import shutil

    from cli import cluster
    from firmware import yosys
    from firmware.library import rtl_sources, stage_roms
    from model.store import load_model
    from sim import run_network
    from sim.run_network import run_rtl

    config = load_config()
    x = data.to_input(data.load('test')[0][:2]).astype(np.float64)
    first = simulate(load_model(config['model']), config, x, tmp_path / 'first', 'verilator', log=lambda m: None)
    moved = tmp_path / 'elsewhere' / 'design'
    shutil.move(tmp_path / 'first' / 'rtl', moved)
    shutil.rmtree(tmp_path / 'first')
    for text in [p.read_text() for p in moved.rglob('*') if p.is_file()]:
        assert str(tmp_path) not in text
    monkeypatch.setattr(run_network, 'SHARD_IMAGES', 1)
    for sim in runner.SIMULATORS:
        (tmp_path / sim).mkdir()
        with cluster.session(workers=1):
            result = run_rtl(first['manifest'], moved, x, tmp_path / sim, sim, log=lambda m: None)
        np.testing.assert_array_equal(result['rtl'], first['csim'])
        logs = sorted(p.name for p in (tmp_path / sim / sim).iterdir())
        assert result['shards'] == 2 and logs == ['build-build.log', 'shard000-sim.log', 'shard001-sim.log'], logs
    top = first['manifest']['top']
    for staged in (True, False):
        work = tmp_path / f'yosys-{staged}'
        work.mkdir()
        (work / 'synth.ys').write_text(yosys.script(rtl_sources(moved / f'{top}.v'), top, 'hierarchy -check', after=['proc', 'memory_collect']))
        if staged:
            stage_roms(moved, work)
        assert yosys.run(work, check=False) == (0 if staged else 1)
    assert 'Can not open file `rom/' in (tmp_path / 'yosys-False' / 'yosys.out').read_text()
