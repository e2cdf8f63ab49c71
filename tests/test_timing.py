"""make timing: open place and route (Yosys synth_ecp5, nextpnr-ecp5) and its verdicts."""
import pytest

import cli

from firmware import evidence, jobs, pnr, timing
from firmware.boards import timing_part
from firmware.library import rtl_sources


def job(top, params, clock_mhz):
    return jobs.Job('test', 'module', top, rtl_sources(family='ecp5'), clock_mhz, [top], params)


def test_a_small_module_is_placed_and_routed_and_meets_a_slow_clock(tmp_path):
    result = pnr.place_and_route(job('axis_clone', {'WIDTH': 8}, 50), timing_part(), tmp_path)
    assert result['ok'], result
    assert result['fmax_mhz'] > 50 and timing.verdict(result, 50) == 'MET'
    assert result['used']['TRELLIS_FF'] >= 2 * 2 * 8  # two skid buffers of two 8-bit registers
    assert result['path_from'] and result['path_to']


def test_a_clock_out_of_reach_is_reported_missed(tmp_path):
    result = pnr.place_and_route(job('axis_clone', {'WIDTH': 8}, 2000), timing_part(), tmp_path)
    assert result['ok'] and result['fmax_mhz'] < 2000
    assert timing.verdict(result, 2000) == 'MISSED'


def test_a_design_that_does_not_fit_fails_clearly(tmp_path):
    # 160 multipliers, the LFE5U-85F has 156 MULT18X18D
    params = dict(N=160, C_OUT=1, PE=1, SIMD=160, IN_W=8, IN_F=0, IN_SIGNED=0, W_W=8, W_F=0, B_W=8, B_F=0, ACC_W=24, ACC_F=0,
                  OUT_W=8, OUT_F=0, OUT_SIGNED=0, ROUND=1, SAT=1, RELU=1)  # fmt: skip
    (tmp_path / 'w.mem').write_text('0\n')
    (tmp_path / 'b.mem').write_text('0\n')
    params.update(WEIGHT_FILE=str(tmp_path / 'w.mem'), BIAS_FILE=str(tmp_path / 'b.mem'))
    result = pnr.place_and_route(job('pointwise_conv', params, 100), timing_part(), tmp_path / 'run')
    assert not result['ok']
    assert 'nextpnr failed' in result['error'] and 'MULT18X18D' in result['error']
    assert timing.verdict(result, 100) == 'FAIL'


def test_make_timing_of_one_layer_exits_1_when_its_clock_is_missed(tmp_path, capsys):
    code = timing.main(['--layer', 'clone_fire2_squeeze_relu', '--module-clock-mhz', '2000', '--out', str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert 'clone_fire2_squeeze_relu' in out and 'MISSED' in out and 'FAIL: a clock was missed' in out
    assert 'LFE5U-85F' in out and 'not the Xilinx part' in out


@pytest.mark.parametrize('args, message', [
    (['--clock-mhz', '-5'], "argument --clock-mhz: must be a number > 0, got '-5'"),
    (['--config', 'nosuch.yaml'], 'nosuch.yaml'),
])  # fmt: skip
def test_bad_input_exits_2_before_any_work(args, message, tmp_path, capsys):
    assert cli.run(timing.main, [*args, '--out', str(tmp_path / 'out')]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / 'out').exists()


def test_evidence_is_found_only_for_the_exact_design(tmp_path, monkeypatch):
    import shutil

    from firmware import library

    library_copy = tmp_path / 'library'  # a copy of the module library to edit
    shutil.copytree(library.RTL, library_copy)
    monkeypatch.setattr(library, 'RTL', library_copy)
    monkeypatch.setattr(evidence, 'RTL', library_copy)
    rtl = tmp_path / 'rtl'
    (rtl / 'rom').mkdir(parents=True)
    (rtl / 'rom' / 'conv_w.mem').write_text('01\n')
    manifest = dict(layers=[dict(name='conv', module='pointwise_conv', params={'PE': 1})], stream_modules=[])
    monkeypatch.setattr(evidence, 'EVIDENCE', tmp_path / 'evidence.json')
    record = dict(part='LFE5U-85F-6BG381C', measured='2026-11-27', designs={
        evidence.design_digest(manifest, rtl): dict(slowest_module_mhz=130.0, network_mhz=101.0, network_folding='f.yaml')})  # fmt: skip
    evidence.update_evidence(record, evidence.EVIDENCE)
    lines = '\n'.join(evidence.clock_lines(manifest, rtl, 100, 10000, 'pynq-z2'))
    assert 'Vivado' in lines and '10,000' in lines and '130.0 MHz' in lines and '101.0 MHz' in lines

    def found():
        return '130.0 MHz' in '\n'.join(evidence.clock_lines(manifest, rtl, 100, 10000, 'pynq-z2'))

    (rtl / 'rom' / 'conv_w.mem').write_text('02\n')  # other weights: another design
    assert not found()
    (rtl / 'rom' / 'conv_w.mem').write_text('01\n')
    with open(library_copy / 'max_pool.v', 'a') as f:  # a module the design does not use
        f.write('// changed\n')
    assert found()
    with open(library_copy / 'ecp5' / 'mul_pipe.v', 'a') as f:  # one it uses, in one family's form
        f.write('// changed\n')
    assert not found()


def test_timing_of_v1_1_places_what_fits_the_85f_and_says_why_not_the_rest(tmp_path, capsys):
    """SqueezeNet v1.1's zcu102 design: conv10's 500 KB of weights exceed the 85F's block RAM, and
    so does the whole network folded for it; a layer that fits is placed. No evidence is written
    for a run of some layers."""
    from tests.test_reference import design_point

    args = ['--config', str(design_point(tmp_path)), '--out', str(tmp_path / 'timing'), '--layer', 'conv10', '--layer', 'clone_fire2_squeeze_relu']
    assert cli.run(timing.main, args) == 0
    out = capsys.readouterr().out
    conv10 = next(line for line in out.splitlines() if line.startswith('conv10'))
    assert 'NOT PLACED: its memories need 501 KB' in conv10 and 'the LFE5U-85F-6BG381C has 104' in conv10
    assert 'whole network: NOT PLACED on the LFE5U-85F-6BG381C: folded by firmware/folding-ecp5-85f.yaml, its memories need' in out
    clone = next(line for line in out.splitlines() if line.startswith('clone_fire2_squeeze_relu'))
    assert 'MET' in clone
    assert 'not placed, too big for the LFE5U-85F-6BG381C (see above): (network), conv10' in out
    assert not (tmp_path / 'timing' / 'timing.json').exists()


def test_a_module_without_register_paths_meets_any_clock_and_is_reported():
    """axis_concat is a join: nextpnr finds no register-to-register path, so it has no Fmax."""
    join = dict(ok=True, fmax_mhz=None, used={'TRELLIS_COMB': 4}, path_from='', path_to='')
    assert timing.verdict(join, 125) == 'MET' and timing.verdict(dict(join, fmax_mhz=120.0), 125) == 'MISSED'
    assert timing.verdict(dict(join, ok=False), 125) == 'FAIL'
