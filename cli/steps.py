"""A flow is a list of named steps, each a small function of the flow's own context (a dataclass
that says what the steps share). run_steps runs them in order, from a start step to a stop step,
and says how long each took. A step that returns STOP ends the flow there: a verdict (a design
that cannot fit) that makes the steps after it pointless."""
import json
import time
from pathlib import Path

import cli


STOP = 'stop'


class StepError(cli.InputError):
    pass


def names(steps):
    return [name for name, _ in steps]


def select(steps, start=None, stop=None):
    """The steps from `start` to `stop` (names; None: the first, the last)."""
    known = names(steps)
    for given in (start, stop):
        if given is not None and given not in known:
            raise StepError(f'no step {given!r}; the steps are: {", ".join(known)}')
    first = known.index(start) if start else 0
    last = known.index(stop) if stop else len(known) - 1
    if first > last:
        raise StepError(f'step {start!r} comes after {stop!r}; the steps are: {", ".join(known)}')
    return steps[first : last + 1]


def _say(line):
    print(line, flush=True)


def run_steps(steps, ctx, start=None, stop=None, times=None, say=_say):
    """Each selected step in order, its start time said; {step: seconds}, also written to the
    JSON file `times` (FINN's time_per_step.json) when given."""
    took = {}
    for name, step in select(steps, start, stop):
        say(f'[{time.strftime("%H:%M:%S")}] step {name}')
        started = time.time()
        stop = step(ctx) == STOP
        took[name] = round(time.time() - started, 1)
        if stop:
            break
    if times:
        Path(times).write_text(json.dumps(took, indent=1) + '\n')
    return took


def add_arguments(parser, steps):
    """--stop-after STEP, listing the steps in --help."""
    parser.add_argument('--stop-after', default=None, metavar='STEP', help=f'stop after this step ({", ".join(names(steps))})')
