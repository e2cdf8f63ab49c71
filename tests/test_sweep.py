"""make sweep on a LocalCluster of 2 workers: tiny designs through csim and RTL simulation, a
point that fails, a worker that dies mid-task, a rerun, and Ctrl-C."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

import cli
from sweep import run as sweep_run
from sweep import stages
from tests.test_interrupt import alive, comm

TINY = dict(input_shape=(16, 16, 1), n_fire=2, base_e=8, incr_e=8, conv1_filters=8, pool_after=(1,))


@pytest.fixture(scope='module')
def tiny_models(tmp_path_factory):
    """Two tiny calibrated (untrained) models, 8 and 6 bits, each a model folder."""
    import keras

    from model import data
    from model.quantize import calibrate, quantized_twin
    from model.squeezenet import squeezenet
    from model.store import save_model

    root = tmp_path_factory.mktemp('models')
    x = data.to_input(data.sample_images(TINY['input_shape']))
    folders = []
    for bits in (8, 6):
        keras.utils.set_random_seed(bits)
        float_model = squeezenet(**TINY)
        folder = root / f'q{bits}'
        folder.mkdir()
        save_model(float_model, folder / 'float.keras')
        save_model(quantized_twin(float_model, calibrate(float_model, x, bits, bits)), folder / 'quantized.keras')
        folders.append(folder)
    return folders


def sweep_file(tmp_path, models, stages_, lut=(0, 16)):
    config = yaml.safe_load((cli.ROOT / 'hls' / 'config.yaml').read_text())
    config.update(model=str(models[0] / 'quantized.keras'), float_model=str(models[0] / 'float.keras'), data='sample-images')
    (tmp_path / 'config.yaml').write_text(yaml.safe_dump(config))
    spec = dict(name='tiny', config=str(tmp_path / 'config.yaml'), axes=dict(lut_multipliers=list(lut), model=[str(m) for m in models]), stages=stages_)
    (tmp_path / 'tiny.yaml').write_text(yaml.safe_dump(spec))
    return tmp_path / 'tiny.yaml'


def rows(out):
    import csv

    with open(out / 'results.csv') as f:
        return list(csv.DictReader(f))


def test_a_sweep_of_four_points_gives_a_row_each_and_a_rerun_runs_nothing(tmp_path, tiny_models, capsys):
    path = sweep_file(tmp_path, tiny_models, {'csim': {'images': 8}, 'sim': {'images': 2}})
    out = tmp_path / 'out'
    assert cli.run(sweep_run.main, [str(path), '--out', str(out), '--workers', '2']) == cli.PASS
    found = rows(out)
    assert len(found) == 4 and len({r['point'] for r in found}) == 4
    assert all(r['bit_exact'] == '2/2' and r['keras_differ'] == '0' and int(r['cycles']) > 0 and not r['error'] for r in found)
    by_lut = {r['lut_multipliers'] for r in found}
    assert by_lut == {'0', '16'} and (out / 'results.md').read_text().count('\n| ') == 5
    capsys.readouterr()
    assert cli.run(sweep_run.main, [str(path), '--out', str(out), '--workers', '2']) == cli.PASS
    said = capsys.readouterr().out
    assert '8 tasks, 8 kept from an earlier run' in said and 'LocalCluster' not in said  # no cluster, no task
    assert rows(out) == found


def test_a_point_that_fails_leaves_the_other_three_complete(tmp_path, tiny_models):
    missing = tmp_path / 'no-such-model'
    models = [tiny_models[0], tiny_models[1], missing, tiny_models[0] / 'quantized.keras']  # a folder or a file
    path = sweep_file(tmp_path, models, {'csim': {'images': 4}}, lut=(0,))
    out = tmp_path / 'out'
    assert cli.run(sweep_run.main, [str(path), '--out', str(out), '--workers', '2']) == cli.FAILED
    found = rows(out)
    assert len(found) == 4
    bad = [r for r in found if r['error']]
    assert len(bad) == 1 and 'no-such-model' in bad[0]['error'] and Path(bad[0]['log']).is_file()
    assert all(r['keras_differ'] == '0' for r in found if not r['error'])


def dies_once(scratch, point, options):
    """The csim stage, but the first call kills its worker (SIGKILL: no goodbye to the scheduler)."""
    marker = Path(os.environ['SWEEP_DIES_ONCE'])
    try:
        with open(marker, 'x'):
            pass
    except FileExistsError:
        return stages.csim(scratch, point, options)
    os.kill(os.getpid(), signal.SIGKILL)


def test_a_worker_killed_mid_task_is_replaced_and_every_point_comes_once(tmp_path, tiny_models, monkeypatch):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    monkeypatch.setenv('SWEEP_DIES_ONCE', str(tmp_path / 'died'))
    monkeypatch.setitem(stages.STAGES, 'csim', dies_once)
    path = sweep_file(tmp_path, tiny_models, {'csim': {'images': 4}})
    out = tmp_path / 'out'
    assert cli.run(sweep_run.main, [str(path), '--out', str(out), '--workers', '2']) == cli.PASS
    found = rows(out)
    assert (tmp_path / 'died').exists() and len(found) == 4 and len({r['point'] for r in found}) == 4
    assert all(r['keras_differ'] == '0' and not r['error'] for r in found)
    assert len(list((out / 'tasks').glob('*.json'))) == 4


SLEEPER = '''
import os
import sys
import cli
from cli import tools
from sweep import run, stages

def sleeps(scratch, point, options):
    try:
        with open(os.environ['SWEEP_FIRST'], 'x'):  # the first task ends at once, the others run until stopped
            return {}
    except FileExistsError:
        tools.run(['sleep', '60'], scratch, 'sleep.out')
    return {}

os.environ['SWEEP_FIRST'] = sys.argv.pop()  # the workers, started later, inherit it

stages.STAGES['csim'] = sleeps
sys.exit(cli.run(run.main, sys.argv[1:]))
'''


def test_ctrl_c_cancels_the_sweep_keeps_what_ended_and_leaves_no_tool_alive(tmp_path, tiny_models):
    path = sweep_file(tmp_path, tiny_models, {'csim': {'images': 4}})
    process = subprocess.Popen([sys.executable, '-c', SLEEPER, str(path), '--out', str(tmp_path / 'out'), '--workers', '2', str(tmp_path / 'first')],
                               cwd=cli.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
    deadline = time.time() + 120
    kept = tmp_path / 'out' / 'tasks'
    while len(sleeping := [p for p in cli.descendants(process.pid) if comm(p) == 'sleep']) < 2 or not list(kept.glob('*.json')):
        assert process.poll() is None and time.time() < deadline, process.stderr.read()
        time.sleep(0.2)
    everything = cli.descendants(process.pid)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == cli.INTERRUPTED, err
    time.sleep(1)
    assert not [p for p in sleeping if alive(p)] and not [p for p in everything if alive(p)]
    assert len(list(kept.glob('*.json'))) == 1  # the task that ended is kept (a rerun skips it), no other


def test_the_cluster_bench_reports_the_speed_up_beside_the_machines_ceiling(tmp_path, monkeypatch, capsys):
    from bench import cluster as bench

    walls = {1: 100.0, 2: 62.5}
    monkeypatch.setattr(bench, 'timed_sim', lambda images, workers, out: (0, walls[workers], ['  PASS: RTL == csim bit for bit']))
    monkeypatch.setattr(bench, 'parallel_ceiling', lambda workers: 1.65)
    assert bench.main(['--images', '10', '--workers', '2', '--out', str(tmp_path)]) == 0
    report = (tmp_path / 'report.md').read_text()
    assert '| 1 | 100.0 | yes |' in report and '| 2 | 62.5 | yes |' in report
    assert 'speed-up 1.60x (target 1.8x: MISSED)' in report and 'run 1.65x the work of one alone' in report
