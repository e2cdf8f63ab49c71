"""Folding (PE outputs and SIMD inputs per cycle of each convolution) as data: a folding file,
or `auto`, chosen for the multiplier budget in the manner of FINN's SetFolding."""
from dataclasses import replace

import cli
from firmware.backend.ir import GraphError
from firmware.backend.modules import MODULES

def load_folding(path):
    """{'default': {pe, simd}, layer: {pe, simd}, pool: {lanes}}: outputs and inputs per cycle of
    each conv, channels per cycle of a pool.
    'auto' is the empty folding: every layer chosen for the multiplier budget (see fold); a
    mapping is a folding already read (a caller's own)."""
    if isinstance(path, dict):
        return path
    if str(path) == 'auto':
        return {}
    folding = cli.read_mapping(path, GraphError, 'folding', 'layer names (or default) to {pe, simd} or {lanes}')
    for name, entry in folding.items():
        if not isinstance(entry, dict) or set(entry) - {'pe', 'simd', 'lanes'}:
            raise GraphError(f'{path}: {name}: expected a mapping with keys pe and simd (or lanes, for a pool), got {entry!r}')
        for key, value in entry.items():
            if type(value) is not int or value < 1:
                raise GraphError(f'{path}: {name}: {key} must be a whole number >= 1, got {value!r}')
    return folding


def divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


def simd_choices(n):
    """SIMD values worth having for a fan-in of n: for each number of passes, the fewest inputs
    per pass (a divisor of n, or one whose last pass is partly zeros), about 2 * sqrt(n) of them."""
    return sorted({-(-n // passes) for passes in range(1, n + 1)})


def foldings(node, tensors):
    """Every (multipliers, cycles per image, PE, SIMD) of a convolution, the cheapest first (at
    equal cost the wider SIMD: fewer accumulators). PE divides the outputs; SIMD need not divide
    the fan-in (pointwise_conv pads the last pass), which is what lets a layer of power-of-two
    channels take less than twice or more than half the multipliers of its neighbour foldings."""
    c_out, n = node.weights.shape
    found = []
    for pe in divisors(c_out):
        for simd in simd_choices(n):
            trial = replace(node, params={**node.params, 'PE': pe, 'SIMD': simd})
            found.append((pe * simd, MODULES[node.module].cycles(trial, tensors), -simd, pe))
    return [(cost, cycles, pe, -neg_simd) for cost, cycles, neg_simd, pe in sorted(found)]


def choose_folding(nodes, tensors, free, budget):
    """FINN's SetFolding for this backend: the shortest interval (cycles per image) at which the
    cheapest folding of every free layer that keeps within it fits `budget` multipliers. Each
    layer then gets just that folding, so no layer is faster than the slowest needs (balanced)."""
    options = {n.name: foldings(n, tensors) for n in free}
    others = [n for n in nodes if n not in free]
    floor = max((MODULES[n.module].cycles(n, tensors) for n in others), default=0)

    def cheapest(name, interval):
        return next((o for o in options[name] if o[1] <= interval), None)

    def cost(interval):
        picks = [cheapest(n.name, interval) for n in free]
        return None if None in picks else sum(p[0] for p in picks)

    candidates = sorted({floor} | {o[1] for opts in options.values() for o in opts if o[1] >= floor})
    fits = [t for t in candidates if cost(t) is not None and cost(t) <= budget]
    if not fits:
        need = cost(candidates[-1])
        raise GraphError(f'no folding fits the budget of {budget} multipliers: the most folded design needs {need}')
    interval = fits[0]
    for node in free:
        _, _, pe, simd = cheapest(node.name, interval)
        node.params.update(PE=pe, SIMD=simd)


def folding_lines(manifest):
    """Per convolution: PE x SIMD, multipliers (those in LUTs), modeled cycles per image; the
    layer that sets the interval marked (a window or a pool when no convolution does)."""
    interval = manifest['estimated_interval_cycles']
    lines = [f'{"layer":<22}{"PE x SIMD":>11}{"mults":>7}{"in LUTs":>9}{"cycles/image":>14}']
    for layer in manifest['layers']:
        if layer['multipliers'] or layer['cycles'] == interval:
            p = layer['params']
            fold = f'{p["PE"]} x {p["SIMD"]}' if layer['multipliers'] else '-'
            mark = '  <- sets the interval' if layer['cycles'] == interval else ''
            luts = layer.get('lut_multipliers', 0) or ''
            lines.append(f'{layer["name"]:<22}{fold:>11}{layer["multipliers"]:>7}{luts:>9}{layer["cycles"]:>14,}{mark}')
    budget, lut_budget = manifest.get('multiplier_budget'), manifest.get('lut_multiplier_budget')
    note = f'  (budget {budget} DSP' + (f' + {lut_budget} LUT' if lut_budget else '') + ')' if budget else ''
    lines.append(f'{"total":<22}{"":>11}{manifest["multipliers"]:>7}{manifest.get("lut_multipliers", 0) or "":>9}{interval:>14,}' + note)
    return lines
