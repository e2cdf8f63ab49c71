"""The manifest (manifest.json beside a generated top): what the design is, as every tool and
driver that runs it reads it: the top's name, the input and output streams, the layers with
their parameters and cycle models, the multipliers and FIFOs, and the top's other instances
(stream_modules: axis_batch, axis_downsize). One writer, one reader; a reader
refuses another version instead of misreading it."""
import json
from pathlib import Path

import cli

VERSION = 1
NAME = 'manifest.json'


class ManifestError(cli.InputError):
    pass


def write(folder, manifest):
    """folder/manifest.json with this VERSION; the manifest as written."""
    manifest = {'version': VERSION, **manifest}
    (Path(folder) / NAME).write_text(json.dumps(manifest, indent=1) + '\n')
    return manifest


def read(folder):
    """The manifest of the design in `folder`; ManifestError if it is missing, unreadable or of
    another version."""
    path = Path(folder) / NAME
    try:
        manifest = json.loads(path.read_text())
    except FileNotFoundError:
        raise ManifestError(f'no manifest at {path}: generate the design first (make synth, make sim)') from None
    except (OSError, ValueError) as err:
        raise ManifestError(f'{path}: not a manifest ({err})') from None
    if not isinstance(manifest, dict) or manifest.get('version') != VERSION:
        found = manifest.get('version') if isinstance(manifest, dict) else None
        raise ManifestError(f'{path}: manifest version {found}, this flow reads version {VERSION}: generate the design again')
    return manifest
