"""The manifest: one writer and one reader, with a version a reader checks."""
import json

import pytest

from firmware import manifest


def test_the_manifest_is_read_as_written_and_another_version_is_refused(tmp_path):
    written = manifest.write(tmp_path, {'top': 'squeezenet_top', 'layers': []})
    assert written['version'] == manifest.VERSION and manifest.read(tmp_path) == written
    (tmp_path / 'manifest.json').write_text(json.dumps({'top': 'squeezenet_top', 'layers': []}))
    with pytest.raises(manifest.ManifestError, match='manifest version None, this flow reads version 1: generate the design again'):
        manifest.read(tmp_path)
    (tmp_path / 'manifest.json').write_text('{not json')
    with pytest.raises(manifest.ManifestError, match='not a manifest'):
        manifest.read(tmp_path)
    with pytest.raises(manifest.ManifestError, match='no manifest at'):
        manifest.read(tmp_path / 'elsewhere')
