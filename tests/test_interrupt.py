"""Ctrl-C (SIGINT) or SIGTERM in the middle of each target: exit status 130, the previous
outputs as they were, no temporary folder left, and none of the tools it started still running."""
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import cli
from tests.test_user_flow import TINY, image_folder


def tool_running(names):
    def started(process, out):
        return any(comm(pid) in names for pid in cli.descendants(process.pid))

    return started


def comm(pid):
    try:
        return Path(f'/proc/{pid}/comm').read_text().strip()
    except OSError:
        return None


def alive(pid):
    """Running (a zombie is not: it has ended and waits for its parent to collect it)."""
    try:
        return Path(f'/proc/{pid}/stat').read_text().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


def interrupt(module, args, out, started, sig, timeout=900):
    """Run `python -m module args`, send `sig` once started(process, out) holds; the exit status,
    stderr, and the processes it had started by then."""
    process = subprocess.Popen([sys.executable, '-m', module, *args], cwd=cli.ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + timeout
    while not started(process, out):
        assert process.poll() is None, f'{module} ended before the point to interrupt it: {process.stderr.read()[-2000:]}'
        assert time.time() < deadline, f'{module} did not reach the point to interrupt it'
        time.sleep(0.2)
    tools = cli.descendants(process.pid)
    process.send_signal(sig)
    _, err = process.communicate(timeout=120)
    return process.returncode, err, tools


def check(code, err, tools, previous, out):
    assert code == cli.INTERRUPTED, err
    assert 'interrupted: earlier outputs are as they were' in err and 'Traceback' not in err
    assert previous.read_text() == 'the last run\n'
    strays = [p.name for p in out.parent.iterdir() if p.name.startswith(f'.{out.name}.')]
    assert not strays, strays
    time.sleep(1)
    assert not [pid for pid in tools if alive(pid)], [(pid, comm(pid)) for pid in tools if alive(pid)]
    assert not working_in(out.parent)  # nor one started after the signal (a worker thread's next job)


def working_in(folder):
    """Live processes whose working folder is inside `folder`."""
    found = []
    for entry in Path('/proc').iterdir():
        try:
            if entry.name.isdigit() and alive(int(entry.name)) and Path(entry / 'cwd').resolve().is_relative_to(folder.resolve()):
                found.append((entry.name, comm(int(entry.name))))
        except OSError:
            continue
    return found


def previous_run(folder):
    folder.mkdir(parents=True)
    (folder / 'previous.txt').write_text('the last run\n')
    return folder / 'previous.txt'


@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM])
def test_csim_while_g_plus_plus_compiles(tmp_path, sig):
    out = tmp_path / 'hls'
    previous = previous_run(out)
    check(*interrupt('hls.csim', ['--images', '50', '--output-dir', str(out)], out, tool_running({'cc1plus'}), sig), previous, out)


def test_training_mid_epoch(tmp_path):
    out = tmp_path / 'mine'
    previous = previous_run(out)
    folder = image_folder(tmp_path / 'images', per_class=40)

    def training(process, out):
        return any((p / 'train_log.txt').exists() for p in out.parent.glob('.mine.*'))

    args = ['--data', str(folder), '--out', str(out), '--epochs', '50', *[a for s in TINY for a in ('--set', s)]]
    check(*interrupt('model.train', args, out, training, signal.SIGTERM), previous, out)


@pytest.mark.slow
def test_rtl_simulation_while_the_simulator_builds(tmp_path):
    out = tmp_path / 'sim'
    previous = previous_run(out)
    code, err, tools = interrupt('sim.run_network', ['--images', '5', '--out', str(out)], out, tool_running({'verilator_bin', 'make'}), signal.SIGINT)
    check(code, err, tools, previous, out)


@pytest.mark.slow
def test_synthesis_while_yosys_runs(tmp_path):
    out = tmp_path / 'synth'
    previous = previous_run(out / 'yosys')  # each step's folder is replaced only when the step ends
    code, err, tools = interrupt('firmware.synth', ['--board', 'pynq-z2', '--out', str(out)], out / 'yosys', tool_running({'yosys'}), signal.SIGTERM)
    check(code, err, tools, previous, out / 'yosys')


@pytest.mark.slow
def test_timing_while_a_module_is_placed(tmp_path):
    out = tmp_path / 'timing'
    previous = previous_run(out)
    code, err, tools = interrupt('firmware.timing', ['--layer', 'fire2_expand3x3', '--out', str(out)], out, tool_running({'yosys'}), signal.SIGTERM)
    check(code, err, tools, previous, out)
    cache = out / 'cache'  # a run's cache entry is written whole or not at all
    assert not cache.exists() or not [p for p in cache.iterdir() if p.name.startswith('.')]


def test_an_interrupt_a_library_swallowed_still_stops_the_run(tmp_path):
    """TensorFlow has bare excepts: the KeyboardInterrupt the handler raises may never reach
    cli.run. The run must still end 130 and leave the previous outputs."""
    from model.store import atomic_dir

    out = tmp_path / 'out'
    previous = previous_run(out)

    def main(argv):
        with atomic_dir(out) as tmp:
            (tmp / 'previous.txt').write_text('half of a new run\n')
            try:
                signal.raise_signal(signal.SIGTERM)  # to this thread: the handler runs before the next line
            except BaseException:  # noqa: BLE001  what the library does
                pass
        return cli.PASS

    assert cli.run(main) == cli.INTERRUPTED
    assert previous.read_text() == 'the last run\n'
    assert [p.name for p in tmp_path.iterdir()] == ['out']
    cli.check_interrupted()  # the interrupt ended with that run: the next one in this process is not stopped


JOBS = '''
import sys
import cli
from cli import tools
from firmware import jobs

def main(argv):
    todo = [jobs.Job(f'job{i}', 'module', 'sleep', []) for i in range(6)]
    jobs.run_jobs(todo, lambda job, work: dict(ok=tools.run(['sleep', '0' if job.key == 'job0' else '30'], work, 'sleep.out') == 0), sys.argv[1])
    return 0

sys.exit(cli.run(main))
'''


def test_jobs_stop_at_an_interrupt_and_start_no_other(tmp_path):
    """Ctrl-C while the LocalCluster's workers run their tools: they are killed, the jobs still
    queued start none (each worker would otherwise take the next one as its tool dies), and the
    job that had ended is in the cache."""
    out = tmp_path / 'cache'
    process = subprocess.Popen([sys.executable, '-c', JOBS, str(out)], cwd=cli.ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while len([p for p in cli.descendants(process.pid) if comm(p) == 'sleep']) < 2 or not (out / 'job0' / 'result.json').exists():
        assert process.poll() is None and time.time() < deadline, process.stderr.read()
        time.sleep(0.1)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=20)
    assert process.returncode == cli.INTERRUPTED, err
    time.sleep(0.5)
    assert not working_in(tmp_path)
    assert [p.name for p in out.iterdir()] == ['job0']  # the job that ended, whole; none left half
