"""The scheduler every fan-out runs on: Dask distributed, never one of our own.

By default a LocalCluster on this machine: one single-threaded worker process per core. With
SCHEDULER=tcp://host:8786 (or a command's --scheduler) the same commands send their tasks to an
existing Dask scheduler, e.g. the one dask-jobqueue's SLURMCluster starts (docs/cluster.md).

A task carries what it needs (file contents, a design point), runs in a scratch folder of its
own on whichever worker takes it, never in our build folder, and returns what it made. A task
that fails comes back as a Failed with its one-line error and never stops the others; a task
whose worker dies is run again by Dask on another one. Ctrl-C cancels every task and kills
every tool (cli.tools) on every worker.
"""
import contextlib
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import cli
from cli import tools

_client = []  # (client, where) of the open session, if any (session)


@dataclass
class Task:
    """`run(scratch, *args, *results of needs)` on a worker; `key` is its content key (the same
    work, the same key), `label` what the progress line calls it."""

    key: str
    run: object
    args: tuple = ()
    needs: tuple = ()
    label: str = ''


@dataclass
class Failed:
    """A task that raised (or needed one that did): its one-line error."""

    error: str
    label: str = ''
    kind: str = ''  # the exception's type


def workers_default():
    return os.cpu_count() or 1


def scheduler_address(given=None):
    return given or os.environ.get('SCHEDULER') or None


@contextlib.contextmanager
def session(scheduler=None, workers=None):
    """A Dask client for the fan-outs of this process (run): connected to `scheduler` (or
    SCHEDULER), else to a LocalCluster of `workers` single-threaded worker processes (default one
    per core), closed at the end. Nested sessions use the outer one."""
    if _client:
        yield _client[-1][0]
        return
    from distributed import Client, LocalCluster

    address = scheduler_address(scheduler)
    logging.getLogger('distributed').setLevel(logging.CRITICAL)
    with contextlib.ExitStack() as stack:
        if address:
            try:
                client = stack.enter_context(Client(address, timeout='20s'))
            except OSError as err:
                raise cli.InputError(f'no Dask scheduler at {address} ({err})') from None
        else:
            import dask

            # a task may start processes of its own (the C simulation's): not as a daemon; a worker
            # is handed a queued task only when its thread is free, so none waits behind a long one
            stack.enter_context(dask.config.set({'distributed.worker.daemon': False, 'distributed.scheduler.worker-saturation': 1.0}))
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix='dask-'))
            # memory_limit 0: a tool's memory (Yosys, g++) is its own process's, never a reason to
            # kill the worker. The scheduler's HTTP server (health, no dashboard) on a free port:
            # two clusters at once (a pytest process per core) would both ask for 8787. The
            # workers' logs only at CRITICAL: a failed task comes back as Failed, a dead worker as
            # its future's error, and what is left is noise (a heartbeat missed at shutdown)
            cluster = stack.enter_context(
                LocalCluster(n_workers=workers or workers_default(), threads_per_worker=1, processes=True, dashboard_address=None,
                             scheduler_kwargs={'dashboard_address': ':0'}, memory_limit=0, local_directory=scratch,
                             silence_logs=logging.CRITICAL)  # fmt: skip
            )
            client = stack.enter_context(Client(cluster))
        client.run(_allow)  # a worker of an existing cluster that an earlier Ctrl-C stopped
        _client.append((client, address or 'a LocalCluster'))
        try:
            yield client
        finally:
            _client.pop()


def describe():
    """Where the tasks of this process run, for a report: the scheduler and its workers."""
    if not _client:
        return 'this process (no scheduler)'
    client, where = _client[-1]
    workers = len(client.scheduler_info(n_workers=-1)['workers'])
    return f'{where}, {workers} worker{"s" * (workers != 1)}'


def add_arguments(parser):
    """--scheduler and --workers, as every command that fans out takes them."""
    parser.add_argument('--scheduler', default=None, help='a Dask scheduler address, e.g. tcp://host:8786 (also SCHEDULER; default: a LocalCluster here)')
    parser.add_argument('--workers', type=cli.count, default=workers_default(), help='LocalCluster worker processes, one thread each (default: one per core)')


def in_worker():
    try:
        from distributed import get_worker

        get_worker()
        return True
    except (ImportError, ValueError):
        return False


def run(tasks, desc='tasks', on_done=None):
    """{key: result or Failed} of every task (tasks with the same key run once). On the open
    session's cluster; without one, on a LocalCluster opened for these tasks, or, for a single
    task or inside a worker (a task of a sweep), here, one after another. on_done(key, result)
    is called here as each task ends, so that what finished is kept even if the run is stopped."""
    tasks = list({t.key: t for t in tasks}.values())
    on_done = on_done or (lambda key, result: None)
    if not tasks:
        return {}
    # a task of a sweep is on a single-threaded worker already: tasks it sent would wait for it
    if not in_worker() and (_client or scheduler_address() or len(tasks) > 1):
        with session() as client:
            return _distributed(client, tasks, desc, on_done)
    done = {}
    for task in _in_order(tasks):
        done[task.key] = _attempt(task.run, task.label, *task.args, *[done[k] for k in task.needs])
        on_done(task.key, done[task.key])
    return done


def _in_order(tasks):
    """The tasks with each after those it needs (a task's needs are among the tasks)."""
    by_key, seen, order = {t.key: t for t in tasks}, set(), []

    def visit(task):
        if task.key not in seen:
            seen.add(task.key)
            for need in task.needs:
                visit(by_key[need])
            order.append(task)

    for task in tasks:
        visit(task)
    return order


def _distributed(client, tasks, desc, on_done):
    from tqdm import tqdm

    # one key prefix for the fan-out: Dask makes it one task group, and a group larger than the
    # cluster is queued on the scheduler and handed to a worker as it frees, where tasks named
    # apart were each sent to a worker at once and waited behind a long one while others idled
    group = re.sub(r'\W+', '_', desc)
    futures = {}
    for task in _in_order(tasks):
        needs = [futures[k] for k in task.needs]
        futures[task.key] = client.submit(_attempt, task.run, task.label, *task.args, *needs, key=f'{group}-{task.key}', pure=False)
    labels = {futures[t.key].key: t.label or t.key for t in tasks}
    bar = tqdm(total=len(tasks), desc=desc, unit='task', bar_format='{desc}: {n}/{total} tasks, {elapsed}{postfix}', mininterval=5)
    results = {}
    try:
        shown = None
        while len(results) < len(futures):
            cli.check_interrupted()
            for key, future in futures.items():
                if key not in results and future.done():
                    results[key] = _outcome(future, labels[future.key])
                    on_done(key, results[key])
            running = [labels[k] for keys in client.processing().values() for k in keys if k in labels]
            now = (len(results), '; '.join(running[:4]) + (' ...' if len(running) > 4 else ''))
            if now != shown:  # a line per change, not per poll, where the output is a log file
                bar.set_postfix_str(now[1], refresh=False)
                bar.update(len(results) - bar.n)
                shown = now
            if len(results) < len(futures):
                time.sleep(0.5)
        return results
    except BaseException:
        # Dask cancels the tasks; one already running is a thread that cannot be cancelled, so
        # its tools are killed and its worker starts no more until the next session
        with contextlib.suppress(Exception):
            client.run(_stop)
        with contextlib.suppress(Exception):
            client.cancel(list(futures.values()), force=True)
        raise
    finally:
        bar.close()


def _outcome(future, label):
    if future.status == 'error':  # Dask gave up on it: its workers died (KilledWorker)
        why = ' '.join(str(future.exception()).split())[:200]
        return Failed(f'{label}: its worker died ({why})', label)
    return future.result()


def _allow():
    cli._stop['requested'] = False


def _stop():
    cli._stop['requested'] = True
    tools.stop_all()


def _attempt(run_one, label, *args):
    """run_one(scratch, *args) in a fresh scratch folder (removed after), or Failed."""
    failed = [a for a in args if isinstance(a, Failed)]
    if failed:
        return Failed(f'not run: it needs {failed[0].label or "a task"}, which failed', label)
    scratch = Path(tempfile.mkdtemp(prefix='task-', dir=_scratch_root()))
    try:
        return run_one(scratch, *args)
    except (Exception, KeyboardInterrupt) as err:
        return Failed(f'{label}: {" ".join(str(err).split())[:300] or type(err).__name__}', label, type(err).__name__)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def kept(name):
    """A folder of this worker that outlives its task (a simulator build that its next tasks
    reuse), or None outside a worker."""
    root = _scratch_root()
    if root is None:
        return None
    folder = Path(root) / 'kept' / name
    folder.parent.mkdir(parents=True, exist_ok=True)
    return folder


def _scratch_root():
    try:
        from distributed import get_worker

        return get_worker().local_directory
    except (ImportError, ValueError):
        return None
