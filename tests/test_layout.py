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
    patched = [f for f in tracked_python() if 'sys.path.insert(0, str(cli.ROOT' in f.read_text() or 'sys.path.append' in f.read_text()]
    assert patched == []
    assert 'PYTHONPATH' not in (cli.ROOT / 'Makefile').read_text()


def digests(rtl):
    def h(data):
        return hashlib.sha256(data).hexdigest()

    top = (rtl / 'squeezenet_top.v').read_text().replace(str(rtl.resolve()) + '/', '')  # the ROM folder
    found = {'squeezenet_top.v': h(top.encode()), 'manifest.json': h((rtl / 'manifest.json').read_bytes())}
    found.update({f'rom/{p.name}': h(p.read_bytes()) for p in sorted((rtl / 'rom').glob('*.mem'))})
    return found


def test_the_default_design_is_generated_as_before(tmp_path):
    """Top, ROMs and manifest of the shipped model's design, as the generator wrote them before
    the code was given one owner per concept (commit 7b961be)."""
    from firmware import generate

    assert generate.main(['--out', str(tmp_path / 'rtl')]) == 0
    assert digests(tmp_path / 'rtl') == json.loads(GOLDEN.read_text())
