"""The timing evidence: the post-route figures `make timing` measured, kept by design identity
in firmware/timing_evidence.json, and the one reader that says how fast a design is with the clock
it was shown to meet (never an unexamined one): `make sim`, `make synth` and `make bench` print it.
"""
import json

import cli
from firmware.boards import load_board
from firmware.jobs import digest, module_files, roms
from firmware.library import RTL

EVIDENCE = cli.ROOT / 'firmware' / 'timing_evidence.json'


def sources_digest():
    return digest(*[str(p.relative_to(RTL)).encode() + p.read_bytes() for p in sorted(RTL.rglob('*.v'))])


def design_sources(manifest):
    """The library files a design is built from, in every family's form: the modules of its layers
    and streams and those they instantiate (a module it does not use changes nothing of it)."""
    tops = {layer['module'] for layer in manifest['layers']} | {m['module'] for m in manifest['stream_modules']}
    families = [None, *sorted(p.name for p in RTL.iterdir() if p.is_dir())]
    return sorted({path for top in tops for family in families for path in module_files(top, family)})


def design_digest(manifest, rtl_dir):
    """Identity of a generated design: its RTL sources, every layer's module and parameters, ROMs."""
    sources = [str(p.relative_to(RTL)).encode() + p.read_bytes() for p in design_sources(manifest)]
    layers = [(layer['name'], layer['module'], layer['params']) for layer in manifest['layers']]
    return digest(*sources, layers, *[rom for layer in manifest['layers'] for rom in roms(rtl_dir, layer['name'])])


def update_evidence(record, path=EVIDENCE):
    """Keep the measured figures by design digest, so a report never shows another design's (a
    design whose sources changed has another digest: its old figures match nothing any more)."""
    evidence = json.loads(path.read_text()) if path.exists() else {}
    common = {k: v for k, v in record.items() if k != 'designs'}
    for digest_, entry in record['designs'].items():
        evidence[digest_] = {**evidence.get(digest_, {}), **common, **{k: v for k, v in entry.items() if v is not None}}
    tmp = path.with_suffix('.tmp')
    tmp.write_text(json.dumps(evidence, indent=1, sort_keys=True) + '\n')
    tmp.replace(path)


def evidence_for(manifest, rtl_dir):
    """The measured timing of this exact design (by digest), or None."""
    if not EVIDENCE.exists():
        return None
    return json.loads(EVIDENCE.read_text()).get(design_digest(manifest, rtl_dir))


def clock_lines(manifest, rtl_dir, clock_mhz, interval, board=None, estimated=False):
    """How fast the design is, said with the clock it was shown to meet (never an unexamined one);
    `estimated`: the interval is the generator's model, not a simulated one."""
    per = ' (estimated interval)' if estimated else ''

    found = evidence_for(manifest, rtl_dir)
    lines = []
    ecp5 = None
    if found and found.get('slowest_module_mhz'):
        ecp5 = f'ECP5 evidence ({found["part"]}, nextpnr post-route, {found["measured"]}): slowest layer module {found["slowest_module_mhz"]:.1f} MHz'
        if found.get('modules_not_placed'):
            ecp5 += f' ({len(found["modules_not_placed"])} too big for the part, not placed: {", ".join(found["modules_not_placed"])})'
        if found.get('network_mhz'):
            ecp5 += f', whole network ({found["network_folding"]}) {found["network_mhz"]:.1f} MHz'
        elif found.get('network_not_placed'):
            ecp5 += '; the whole network does not fit the part'
        else:
            ecp5 += '; the whole network was not placed for this design (make timing without MODULES_ONLY)'
    if board and load_board(board)['family'].startswith('xc'):
        lines.append(f'clock: {clock_mhz:g} MHz target on {load_board(board)["part"]}: Vivado\'s timing is the authority (not run here)')
        lines.append(f'  images/s at the {clock_mhz:g} MHz target{per}: {clock_mhz * 1e6 / interval:,.0f}')
        lines.append('  ' + (ecp5 or 'ECP5 evidence: none for this exact design; run `make timing`'))
    elif ecp5 and found['slowest_module_mhz'] >= clock_mhz:
        lines.append(f'  images/s at {clock_mhz:g} MHz{per}: {clock_mhz * 1e6 / interval:,.0f}  ({ecp5})')
    else:
        lines.append(f'  images/s: no measured clock for this exact design (run `make timing`); {interval:,} cycles per image')
    return lines
