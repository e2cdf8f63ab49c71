"""The boards and parts (firmware/boards.yaml), the multiplier budget a design is folded for, and
the fit of a design's resources on a board: the one place each of these is decided."""
import cli

BOARDS = cli.ROOT / 'firmware' / 'boards.yaml'
TIMING_PART = 'lfe5u-85f'  # where `make timing` places and routes
RESOURCES = ('LUT', 'FF', 'DSP', 'BRAM36')
# place and route rarely closes above this LUT share on a small part; the others may fill up
LIMITS = {'LUT': 0.80, 'FF': 1.0, 'DSP': 1.0, 'BRAM36': 1.0}
REQUIRED = ('part', 'family', 'resources')


class BoardError(cli.InputError):
    pass


def load_board(name, kind='board', path=BOARDS):
    """The entry `name` of the table (its `base` entry's keys first), with its name; BoardError
    when it is unknown or is not of `kind` (board: synthesized for; part: make timing's target)."""
    table = cli.read_mapping(path, BoardError, 'board table', 'board names to their parts and resources')
    of_kind = [n for n, e in table.items() if isinstance(e, dict) and e.get('kind', 'board') == kind]
    if name not in of_kind:
        raise BoardError(f'unknown {kind} {name!r}; known {kind}s: {", ".join(of_kind)}')
    entry = dict(table[name])
    base = entry.pop('base', None)
    if base is not None:
        if not isinstance(table.get(base), dict):
            raise BoardError(f'{path}: {name}: base {base!r} is not an entry')
        entry = {**table[base], **entry}
    missing = [k for k in REQUIRED if k not in entry] + [r for r in RESOURCES if r not in entry.get('resources', {})]
    if missing:
        raise BoardError(f'{path}: {name}: missing {", ".join(missing)}')
    if entry.get('folding') not in (None, 'auto'):  # a folding file, named relative to the repository
        entry['folding'] = cli.ROOT / entry['folding']
    return dict(entry, name=name)


def timing_part():
    return load_board(TIMING_PART, kind='part')


def multiplier_budget(board, config):
    """What automatic folding may use (firmware.generate.build's budget arguments): the board's
    DSP multipliers, and the design point's lut_multipliers beyond them."""
    return dict(budget=board['resources']['DSP'], lut_budget=config['lut_multipliers'])


def fit(total, board):
    """(fits, {resource: share of the board}) of a design's total resources."""
    share = {r: total[r] / board['resources'][r] for r in RESOURCES}
    return all(share[r] <= LIMITS[r] for r in RESOURCES), share


def format_table(per_layer, board, share):
    """Resources per layer, the total, the board's and the share used against the limits."""
    rows = [f'{"layer":<34}' + ''.join(f'{r:>10}' for r in RESOURCES)]
    for name, used in per_layer.items():
        if name == 'total':
            rows.append('-' * (34 + 10 * len(RESOURCES)))
        rows.append(f'{name:<34}' + ''.join(f'{used[r]:>10,.0f}' if r != 'BRAM36' else f'{used[r]:>10,.1f}' for r in RESOURCES))
    rows.append(f'{board["name"] + " (" + board["part"] + ")":<34}' + ''.join(f'{board["resources"][r]:>10,}' for r in RESOURCES))
    rows.append(f'{"used":<34}' + ''.join(f'{share[r]:>10.1%}' for r in RESOURCES))
    rows.append(f'{"limit":<34}' + ''.join(f'{LIMITS[r]:>10.0%}' for r in RESOURCES))
    return '\n'.join(rows)


def verdict_line(board, fits):
    limits = ', '.join(f'{r} {LIMITS[r]:.0%}' for r in RESOURCES)
    return f'fit on {board["name"]}: {"FITS" if fits else "DOES NOT FIT"} (limits: {limits})'
