"""firmware.jobs: a job runs once per content key, a failed one again, and the cache holds whole runs."""
from pathlib import Path

from firmware import jobs


def test_a_job_runs_once_and_a_failed_one_runs_again(tmp_path):
    def run_one(job, work):
        (work / 'log.txt').write_text('the tool said this\n')
        return dict(ok=job.key != 'bad', figure=len(job.key))

    todo = [jobs.Job(key, 'module', 'axis_fifo', []) for key in ('a', 'bb', 'bad')]
    first = jobs.run_jobs(todo, run_one, tmp_path / 'cache')
    assert first['bb']['figure'] == 2 and not first['bad']['ok'] and not any(r.get('cached') for r in first.values())
    assert (tmp_path / 'cache' / 'bad' / 'log.txt').is_file()  # kept for its log
    again = jobs.run_jobs(todo, run_one, tmp_path / 'cache')
    assert again['a'] == dict(first['a'], cached=True) and not again['bad'].get('cached')
    assert not [p for p in (tmp_path / 'cache').iterdir() if p.name.startswith('.')]


def test_jobs_run_on_workers_in_scratch_folders_of_their_own_and_bring_their_files_back(tmp_path):
    """The job's files travel with it (the design folder is gone before the tasks run), each runs
    in a folder of its worker's own, and what it wrote, and the paths its result names, end up
    in the cache."""
    import os

    from cli import cluster

    design = tmp_path / 'design'
    (design / 'rom').mkdir(parents=True)
    (design / 'rom' / 'x_w.mem').write_text('2a\n')
    (design / 'top.v').write_text('module top; endmodule\n')
    todo = [jobs.Job(f'k{i}', 'module', 'top', [design / 'top.v'], params={'WEIGHT_FILE': str(design / 'rom' / 'x_w.mem')}, layers=[f'l{i}'])
            for i in range(4)]  # fmt: skip
    packed = [jobs.pack(job) for job in todo]
    assert packed[0][0].params['WEIGHT_FILE'] == 'rom/x_w.mem' and packed[0][1]['src/top.v'] == b'module top; endmodule\n'

    def run_one(job, work):
        import time

        time.sleep(0.5)  # both workers get jobs
        (work / 'made.txt').write_text((work / job.params['WEIGHT_FILE']).read_text())
        return dict(ok=(work / job.sources[0]).is_file(), pid=os.getpid(), folder=str(work.parent), log=str(work / 'made.txt'))

    with cluster.session(workers=2):
        tasks = [cluster.Task(job.key, jobs._run_packed, (run_one, *p), label=job.layers[0]) for job, p in zip(todo, packed)]
        import shutil

        shutil.rmtree(design)
        done = cluster.run(tasks)
    results = [done[job.key] for job in todo]
    assert all(r[0]['ok'] and r[1] == {'made.txt': b'2a\n'} for r in results)
    assert {r[0]['pid'] for r in results} != {os.getpid()} and len({r[0]['folder'] for r in results}) == 2  # two workers, two folders
    assert not any(Path(r[0]['folder']).is_relative_to(tmp_path) for r in results)
    cache = jobs.run_jobs([jobs.Job('k', 'module', 'top', [])], lambda job, work: dict(ok=True, log=str(work / 'x.log')), tmp_path / 'cache')
    assert cache['k']['log'] == str(tmp_path / 'cache' / 'k' / 'x.log')


def test_identical_instances_share_one_job_and_other_roms_do_not(tmp_path):
    rom = tmp_path / 'rtl' / 'rom'
    rom.mkdir(parents=True)
    params = dict(C_OUT=2, N=2, PE=1, SIMD=1)
    for name, word in (('a', '01'), ('b', '01'), ('c', '02')):
        (rom / f'{name}_w.mem').write_text(word + '\n')
    instances = [(name, 'pointwise_conv', params) for name in 'abc'] + [('f0', 'axis_fifo', {'WIDTH': 8}), ('f1', 'axis_fifo', {'WIDTH': 8})]
    found, keys = jobs.instance_jobs(instances, tmp_path / 'rtl', None, 'synth_xilinx')
    assert len(found) == 3 and keys['a'] == keys['b'] != keys['c'] and keys['f0'] == keys['f1']
    assert found[keys['a']].layers == ['a', 'b'] and found[keys['a']].params['WEIGHT_FILE'].endswith('a_w.mem')
    _, other_tool = jobs.instance_jobs(instances, tmp_path / 'rtl', None, 'synth_ecp5')
    assert other_tool['a'] != keys['a']


def test_a_long_task_holds_up_no_other(tmp_path):
    """Tasks of uneven length: while one worker runs the long one, the other takes every short
    one (each was once sent to a worker at the start and waited behind the long one there)."""
    import os

    from cli import cluster

    def run_one(scratch, seconds, files):
        import time

        time.sleep(seconds)
        return os.getpid()

    files = bytes(4 << 20)  # what a module's task carries (its Verilog and ROMs)
    tasks = [cluster.Task(name, run_one, (seconds, files), label=name) for name, seconds in [('long', 12)] + [(f'short{i}', 0.5) for i in range(8)]]
    with cluster.session(workers=2):
        done = cluster.run(tasks, 'uneven tasks')
    assert done['long'] not in {done[f'short{i}'] for i in range(8)}
