"""What every command of the flow shares: exit codes, one-line errors, value checks, interrupts.

Exit codes (docs/errors.md): 0 pass, 1 a check failed, 2 bad input, 3 a tool is missing,
4 a tool ran and failed (its log named), 130 interrupted (Ctrl-C or SIGTERM; the previous outputs
are left as they were). The external tools are run by cli.tools, a flow's steps by cli.steps.
"""
import argparse
import contextlib
import math
import os
import re
import signal
import sys
from pathlib import Path

PASS, FAILED, BAD_INPUT, TOOL_MISSING, TOOL_FAILED, INTERRUPTED = 0, 1, 2, 3, 4, 130
# the repository: design points, boards and shipped models name their files relative to it
ROOT = Path(__file__).resolve().parent.parent


class InputError(ValueError):
    """Input the user must mend (a file, a value, a name), said in one line: exit status 2.
    Every module's own error for bad input derives from it, so `run` reports them all alike."""


class ToolMissing(RuntimeError):
    """A tool the command needs is not installed; the message says how to get it: exit status 3."""


class ToolFailed(RuntimeError):
    """A tool (or a worker process) ran and failed or died; the message names it and its log: exit
    status 4."""


class Help(argparse.RawDescriptionHelpFormatter):
    """--help: the module's docstring as written, and each option's default (where it has one
    its help does not already say)."""

    def _get_help_string(self, action):
        text = action.help or ''
        if action.default not in (None, False, argparse.SUPPRESS) and 'default' not in text:
            text += ' (default: %(default)s)'
        return text


# the Makefile's variable for each option it passes (tests/test_new_user.py checks them against it)
MAKE_VARIABLES = {
    '--board': 'BOARD', '--clock-mhz': 'CLOCK_MHZ', '--config': 'CONFIG', '--data': 'DATA', '--design': 'DESIGN',
    '--epochs': 'EPOCHS', '--images': 'IMAGES', '--model': 'MODEL', '--out': 'OUT', '--port': 'PORT', '--sim': 'SIM',
    '--scheduler': 'SCHEDULER', '--workers': 'WORKERS',
}  # fmt: skip


def for_user(message):
    """`message`, its options named as the make variables that set them when make runs the
    command (the Makefile sets CLI_FROM_MAKE): a make user never typed --model. Not MAKELEVEL:
    `make test` sets that for every test, which must see what a command-line user sees."""
    if not os.environ.get('CLI_FROM_MAKE'):
        return message
    return re.sub(r'--[a-z][a-z-]*', lambda m: f'{MAKE_VARIABLES[m[0]]}= ({m[0]})' if m[0] in MAKE_VARIABLES else m[0], message)


class Parser(argparse.ArgumentParser):
    """argparse with a bad argument reported in one line (no usage block), exit status 2, and
    --help showing the defaults."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{'formatter_class': Help, **kwargs})

    def error(self, message):
        self.exit(BAD_INPUT, f'error: {for_user(message)} (see --help)\n')


def read_mapping(path, error, what, holds):
    """The YAML mapping in the file `path` (a {what} file, mapping {holds}), or `error` raised with
    one line: the file missing, not YAML, or not a mapping."""
    import yaml

    path = Path(path)
    if not path.is_file():
        raise error(f'{what} file not found: {path}')
    try:
        value = yaml.safe_load(path.read_text(encoding='utf-8')) or {}
    except UnicodeDecodeError:
        raise error(f'{path}: not a text file (a {what} file is YAML)') from None
    except yaml.YAMLError as err:
        raise error(f'{path}: not valid YAML ({" ".join(str(err).split())})') from err
    if not isinstance(value, dict):
        raise error(f'{path}: expected a mapping of {holds}, got {value!r}')
    return value


def check_keys(mapping, rules, error, where, what, prefix='', defaults=None):
    """`mapping` over `defaults`, checked against `rules` ({key: (ok(value), what it must be)}): an
    unknown key, a missing one or a value at fault is `error` raised with one line naming it."""
    unknown = sorted(set(mapping) - set(rules))
    if unknown:
        raise error(f'{where}: unknown {what} key(s) {unknown}; known keys: {sorted(rules)}')
    checked = {**(defaults or {}), **mapping}
    missing = sorted(set(rules) - set(checked))
    if missing:
        raise error(f'{where}: missing {what} key(s) {missing}')
    for key, (ok, allowed) in rules.items():
        if not ok(checked[key]):
            raise error(f'{where}: {prefix}{key} must be {allowed}, got {checked[key]!r}')
    return checked


def _number(kind, low=None, high=None, low_open=False, high_open=False):
    """An argparse type: `kind` (int or float) in the range, with a message naming what is allowed."""
    name = 'a whole number' if kind is int else 'a number'
    bounds = []
    if low is not None:
        bounds.append(f"{'>' if low_open else '>='} {low}")
    if high is not None:
        bounds.append(f"{'<' if high_open else '<='} {high}")
    allowed = f"{name} {' and '.join(bounds)}".strip()

    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'must be {allowed}, got {text!r}') from None
        if kind is float and not math.isfinite(value):
            raise argparse.ArgumentTypeError(f'must be {allowed}, got {text!r}')
        too_low = low is not None and (value <= low if low_open else value < low)
        too_high = high is not None and (value >= high if high_open else value > high)
        if too_low or too_high:
            raise argparse.ArgumentTypeError(f'must be {allowed}, got {text!r}')
        return value

    parse.__name__ = allowed  # argparse names the type in its own messages
    return parse


count = _number(int, 1)                             # images, epochs of a run that must run, jobs
whole = _number(int, 0)                             # epochs that may be 0, seeds
bits = _number(int, 2, 16)                          # weight and activation bits
CODEBOOK_BITS = range(2, 9)  # weight sharing's index bits (Deep Compression): make train --share, a network's share
codebook_bits = _number(int, CODEBOOK_BITS[0], CODEBOOK_BITS[-1])
fraction = _number(float, 0, 1, high_open=True)     # pruning
positive = _number(float, 0, low_open=True)         # clocks, learning rates


def descendants(pid=None):
    """Every process below `pid` (default: this one), children first, from /proc (Linux)."""
    children = {}
    for stat in os.scandir('/proc'):
        if not stat.name.isdigit():
            continue
        try:
            with open(f'/proc/{stat.name}/stat') as f:
                parent = int(f.read().rsplit(')', 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.name))
    found, todo = [], [pid or os.getpid()]
    while todo:
        kids = children.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


_stop = {'requested': False}


def check_interrupted():
    """Raise KeyboardInterrupt if Ctrl-C or SIGTERM came: a library that caught the one raised in
    the signal handler (TensorFlow's tracing has bare excepts) must not let a run finish as if
    nothing happened, nor replace the previous outputs (model.store.atomic_dir asks here)."""
    if _stop['requested']:
        raise KeyboardInterrupt


def _terminate(signum, frame):
    _stop['requested'] = True
    # the tools first (g++ under hls4ml's build script, Yosys, nextpnr, a simulator, worker
    # processes), so that nothing writes into a folder while it is being removed. Not
    # multiprocessing's resource tracker: the worker pool's shutdown still reports to it, and one
    # started anew in its place prints a KeyError traceback for every name it never saw
    for pid in descendants():
        if not _is_resource_tracker(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    raise KeyboardInterrupt


def _is_resource_tracker(pid):
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            return b'multiprocessing.resource_tracker' in f.read()
    except OSError:
        return False


def run(main, argv=None):
    """main(argv)'s exit status; bad input (InputError: 2), a missing tool (ToolMissing: 3) and a
    failed one (ToolFailed: 4) reported in one line, as are Ctrl-C and SIGTERM (130), which stop every tool it started and
    unwind (the atomic folders remove their temporary copies)."""
    previous = {sig: signal.signal(sig, _terminate) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        code = main(argv)
        check_interrupted()
        return code
    except SystemExit as done:  # argparse's --help and errors
        return done.code
    except InputError as err:
        print(f'error: {for_user(str(err))}', file=sys.stderr)
        return BAD_INPUT
    except ToolMissing as err:
        print(f'error: {for_user(str(err))}', file=sys.stderr)
        return TOOL_MISSING
    except ToolFailed as err:
        print(f'error: {for_user(str(err))}', file=sys.stderr)
        return TOOL_FAILED
    except KeyboardInterrupt:
        print('\ninterrupted: earlier outputs are as they were', file=sys.stderr)
        return INTERRUPTED
    finally:
        from cli import tools  # cli/tools.py imports this module

        tools.stop_all()  # a tool still running in the background (a failure or an interrupt elsewhere)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        _stop['requested'] = False  # run again in this process (a test), it starts afresh
