"""firmware.jobs: a job runs once per content key, a failed one again, and the cache holds whole runs."""
from firmware import jobs


def test_a_job_runs_once_and_a_failed_one_runs_again(tmp_path):
    ran = []

    def run_one(job, work):
        ran.append(job.key)
        (work / 'log.txt').write_text('the tool said this\n')
        return dict(ok=job.key != 'bad', figure=len(job.key))

    todo = [jobs.Job(key, 'module', 'axis_fifo', []) for key in ('a', 'bb', 'bad')]
    first = jobs.run_jobs(todo, run_one, tmp_path / 'cache', workers=2)
    assert sorted(ran) == ['a', 'bad', 'bb'] and first['bb']['figure'] == 2 and not first['bad']['ok']
    assert (tmp_path / 'cache' / 'bad' / 'log.txt').is_file()  # kept for its log
    ran.clear()
    again = jobs.run_jobs(todo, run_one, tmp_path / 'cache', workers=2)
    assert ran == ['bad'] and again['a'] == dict(first['a'], cached=True)
    assert not [p for p in (tmp_path / 'cache').iterdir() if p.name.startswith('.')]


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
