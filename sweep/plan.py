"""A sweep file: the design point it starts from, the axes it varies and the stages each point runs.

    name: folding                   # build/sweep/<name>/ (default: the file's name)
    config: hls/config.yaml         # the design point every point starts from
    axes:                           # every combination of the values is a point
      lut_multipliers: [0, 16]
      model: [model/default, model/results/q6]     # a model folder or a quantized .keras file
    stages:                         # what each point runs, with its options
      csim: {images: 1000}          # accuracy of the C simulation (and quantized Keras == csim)
      sim: {images: 20}             # RTL simulation: bit-exact count and cycles per image (needs csim)
      synth: {}                     # Yosys for the point's board: LUT, FF, DSP, BRAM36 and the fit
      pnr: {}                       # the whole network placed and routed on the ECP5-85F: Fmax

An axis is any key of a design point (hls/config.yaml: board, folding, lut_multipliers,
clock_period_ns, model, ...) or one of the place and route's: `seed`, `router` (router1,
router2), `clock_mhz` (its target). A point is a Point: its name, its values and the design
point they make, read and checked here on the client, so that a bad sweep file is one line
before anything runs.
"""
import itertools
from dataclasses import dataclass
from pathlib import Path

import cli

STAGES = {'csim': {'images': 1000}, 'sim': {'images': 20}, 'synth': {}, 'pnr': {}}
NEEDS = {'sim': ('csim',)}  # the RTL simulation is checked against the C simulation's logits
PNR_KEYS = {'seed': (lambda v: type(v) is int and v >= 0, 'a whole number >= 0'),
            'router': (lambda v: v in ('router1', 'router2'), 'router1 or router2'),
            'clock_mhz': (lambda v: type(v) in (int, float) and v > 0, 'a number of MHz > 0')}  # fmt: skip


class SweepError(cli.InputError):
    pass


@dataclass
class Sweep:
    name: str
    path: Path
    config: Path
    axes: dict
    stages: dict  # stage -> options, in the order of STAGES
    points: list


@dataclass
class Point:
    name: str  # axis=value, ... (the row's name)
    values: dict  # axis -> value as the sweep file gives it
    config: dict  # the design point (hls.convert.load_config's), model files resolved
    pnr: dict  # seed, router, clock_mhz


def load_sweep(path):
    from hls.convert import VALUES, load_config

    path = Path(path)
    spec = cli.read_mapping(path, SweepError, 'sweep', 'name, config, axes and stages')
    spec = cli.check_keys(spec, {'name': (lambda v: isinstance(v, str) and v.replace('-', '').replace('_', '').isalnum(), 'letters, digits, - and _'),
                          'config': (lambda v: isinstance(v, str), 'a design point file'),
                          'axes': (lambda v: isinstance(v, dict) and v and all(isinstance(x, list) and x for x in v.values()), 'a mapping of keys to lists of values'),
                          'stages': (lambda v: isinstance(v, dict) and v, 'a mapping of stages to their options')},
                   SweepError, path, 'sweep', defaults={'name': path.stem, 'config': 'hls/config.yaml'})  # fmt: skip
    known = {*VALUES, *PNR_KEYS} - {'output_dir', 'io_type'}
    unknown = sorted(set(spec['axes']) - known)
    if unknown:
        raise SweepError(f'{path}: axes: unknown key(s) {unknown}; an axis is one of {sorted(known)}')
    stages = {}
    for stage, options in spec['stages'].items():
        if stage not in STAGES:
            raise SweepError(f'{path}: stages: no stage {stage!r}; the stages are {", ".join(STAGES)}')
        options = options or {}
        bad = sorted(set(options) - set(STAGES[stage])) if isinstance(options, dict) else options
        if bad:
            raise SweepError(f'{path}: stages: {stage}: unknown option(s) {bad}; its options: {sorted(STAGES[stage]) or "none"}')
        for key, value in options.items():
            if type(value) is not int or value < 1:
                raise SweepError(f'{path}: stages: {stage}: {key} must be a whole number >= 1, got {value!r}')
        stages[stage] = {**STAGES[stage], **options}
    for stage, needs in NEEDS.items():
        for need in needs:
            if stage in stages and need not in stages:
                raise SweepError(f'{path}: stages: {stage} needs {need} (it checks against its results); add `{need}: {{}}`')
    if 'sim' in stages and stages['sim']['images'] > stages['csim']['images']:
        raise SweepError(f'{path}: stages: sim images ({stages["sim"]["images"]}) must be at most csim images ({stages["csim"]["images"]})')
    stages = {s: stages[s] for s in STAGES if s in stages}
    config_path = cli.ROOT / spec['config']
    points = []
    axes = spec['axes']
    for combo in itertools.product(*axes.values()):
        values = dict(zip(axes, combo))
        overrides = {k: v for k, v in values.items() if k not in PNR_KEYS}
        if 'model' in overrides:
            overrides.update(model_files(overrides['model'], path))
        for key, value in values.items():
            if key in PNR_KEYS and not PNR_KEYS[key][0](value):
                raise SweepError(f'{path}: axes: {key} must be {PNR_KEYS[key][1]}, got {value!r}')
        try:
            config = load_config(config_path, **overrides)
        except cli.InputError as err:
            raise SweepError(f'{path}: point {describe(values)}: {err}') from None
        pnr = {'seed': values.get('seed'), 'router': values.get('router'), 'clock_mhz': values.get('clock_mhz')}
        points.append(Point(describe(values), values, config, pnr))
    return Sweep(spec['name'], path, config_path, axes, stages, points)


def model_files(value, path):
    """A model axis value: a model folder (its quantized.keras and float.keras) or a quantized
    .keras file, as the design point's model and float_model (relative to the repository)."""
    given = cli.ROOT / str(value)
    if given.is_dir():
        quantized, floating = given / 'quantized.keras', given / 'float.keras'
    else:
        quantized, floating = given, given.with_name('float.keras')
    files = {'model': str(quantized)}
    if floating.is_file():
        files['float_model'] = str(floating)
    return files


def describe(values):
    return ', '.join(f'{k}={v}' for k, v in values.items())
