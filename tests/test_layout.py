"""The layout the code keeps: import floors (pyproject.toml's contract), one ROOT, and the
generated design unchanged by moving code (a golden record of the default design)."""
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

import cli

GOLDEN = Path(__file__).parent / 'golden' / 'default_design.json'


def test_every_import_goes_to_a_lower_floor():
    lint = Path(sys.executable).parent / 'lint-imports'
    done = subprocess.run([str(lint)], cwd=cli.ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:]
    assert 'floors KEPT' in done.stdout


def tracked_python():
    files = subprocess.run(['git', 'ls-files', '*.py'], cwd=cli.ROOT, capture_output=True, text=True, check=True).stdout.split()
    return [cli.ROOT / f for f in files]


def test_one_root_and_no_path_patching():
    defined = [f for f in tracked_python() if re.search(r'^ROOT\s*=', f.read_text(), re.M)]
    assert defined == [cli.ROOT / 'cli' / '__init__.py']
    patching = re.compile(r'sys\.path\.(insert\(0, str\(cli\.ROOT|append)')
    patched = [f for f in tracked_python() if patching.search(f.read_text()) and f.name != 'test_layout.py']
    assert patched == []
    assert 'PYTHONPATH' not in (cli.ROOT / 'Makefile').read_text()


def digests(rtl):
    def h(data):
        return hashlib.sha256(data).hexdigest()

    top = (rtl / 'squeezenet_top.v').read_text().replace(str(rtl.resolve()) + '/', '')  # the ROM folder
    # the manifest as 7b961be wrote it, before it had a version
    manifest = {k: v for k, v in json.loads((rtl / 'manifest.json').read_text()).items() if k != 'version'}
    found = {'squeezenet_top.v': h(top.encode()), 'manifest.json': h((json.dumps(manifest, indent=1) + '\n').encode())}
    found.update({f'rom/{p.name}': h(p.read_bytes()) for p in sorted((rtl / 'rom').glob('*.mem'))})
    return found


def test_the_default_design_is_generated_as_before(tmp_path):
    """Top, ROMs and manifest of the shipped model's design, as the generator wrote them before
    the code was given one owner per concept (commit 7b961be); the top and manifest as they are
    since the results leave in the PYNQ-Z2 DMA's 64-bit beats, the global average sums one lane
    per cycle (LANES, issue 21), the manifest lists each layer's memories and the top's other
    instances and the top writes those as it writes the layers, each memory says which RAM it
    takes (`ram`), the global average keeps its sums twice (a copy per read port: it reads them
    through block RAM registers); the ROMs unchanged."""
    from firmware import generate

    assert generate.main(['--out', str(tmp_path / 'rtl')]) == 0
    assert digests(tmp_path / 'rtl') == json.loads(GOLDEN.read_text())


def index_rows():
    rows = [line.split('|')[1:-1] for line in (cli.ROOT / 'docs' / 'modules.md').read_text().splitlines() if line.startswith('| ') and '.v |' in line]
    return [[cell.strip() for cell in row] for row in rows]


def test_every_rtl_module_has_a_row_in_the_index_and_the_row_is_true():
    from firmware.backend.modules import MODULES

    rows = index_rows()
    files = {str(p.relative_to(cli.ROOT)) for p in [*(cli.ROOT / 'firmware').rglob('*.v')]}
    assert {row[1] for row in rows} == files
    classes = {type(m).__name__: m for m in MODULES.values()}
    for module, file, bench, registry, layer, _ in rows:
        assert f'module {module.split()[0]}' in (cli.ROOT / file).read_text(), file
        assert (cli.ROOT / bench).is_file(), bench
        if not registry.startswith('-'):
            assert classes[registry].name == module, registry
        if not layer.startswith('-'):
            for name in layer.split(', '):
                assert name in classes[registry].layers, (registry, name)
