"""`make csim` end to end on the shipped default model, and its error paths."""
import subprocess
import zipfile

import numpy as np
import pytest

import cli
from hls import csim
from model.store import ModelFileError, load_model

SHIPPED = 'model/default/quantized.keras'


def run(capsys, *args):
    code = cli.run(csim.main, list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_shipped_model_is_bit_exact_on_a_few_images(capsys, tmp_path):
    code, out, _ = run(capsys, '--images', '20', '--no-testbench', '--output-dir', str(tmp_path / 'prj'))
    assert code == 0, out
    assert 'images differing (quantized Keras vs csim, any bit): 0' in out
    assert 'PASS: bit-exact' in out
    assert (tmp_path / 'prj' / 'firmware' / 'myproject.cpp').is_file()


@pytest.mark.slow
def test_shipped_model_is_bit_exact_with_the_generated_testbench(capsys, tmp_path):
    code, out, _ = run(capsys, '--images', '1000', '--output-dir', str(tmp_path / 'prj'))
    assert code == 0, out
    assert 'images differing (csim vs myproject_test.cpp, any bit): 0' in out
    top1 = {line.split()[1]: float(line.split()[-1]) for line in out.splitlines() if 'top-1' in line}
    assert top1['C'] == top1['quantized'] and top1['float'] > 0.85
    # the project was written under a temporary name: its test bench still runs where it ended up
    rerun = subprocess.run(['./csim_tb'], cwd=tmp_path / 'prj', capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr


def test_ap_types_speed_up_keeps_the_volatile_overload(tmp_path):
    header = tmp_path / 'firmware' / 'ap_types' / 'etc' / 'ap_private.h'
    header.parent.mkdir(parents=True)
    body = '  INLINE void clearUnusedBits(void) volatile\n  {\n    VAL = VAL;\n  }\n'
    header.write_text(f'class A {{\n{body}}};\nclass B {{\n{body}}};\n')
    csim.speed_up_ap_types(tmp_path)
    text = header.read_text()
    assert text.count('clearUnusedBits(void) volatile\n') == 2
    assert text.count('clearUnusedBits(void)\n') == 2


def test_ap_types_speed_up_refuses_a_changed_header(tmp_path):
    header = tmp_path / 'firmware' / 'ap_types' / 'etc' / 'ap_private.h'
    header.parent.mkdir(parents=True)
    header.write_text('class A {};\n')
    with pytest.raises(RuntimeError, match='ap_types changed'):
        csim.speed_up_ap_types(tmp_path)


def test_missing_model_file(capsys, tmp_path):
    code, _, err = run(capsys, '--model', str(tmp_path / 'nope.keras'), '--output-dir', str(tmp_path / 'prj'))
    assert code == 2 and 'model file not found' in err
    assert not (tmp_path / 'prj').exists()


def test_corrupt_model_file(capsys, tmp_path):
    garbage = tmp_path / 'garbage.keras'
    garbage.write_bytes(b'\x89HDF not a zip')
    code, _, err = run(capsys, '--model', str(garbage))
    assert code == 2 and 'not a Keras v3 model file' in err
    truncated = tmp_path / 'truncated.keras'
    with zipfile.ZipFile(truncated, 'w') as z:
        z.writestr('config.json', '{"class_name": "Functional", "config": {')
    with pytest.raises(ModelFileError, match='cannot load model'):
        load_model(truncated)


def test_wrong_input_shape(capsys, tmp_path):
    from model.squeezenet import DEFAULT, squeezenet
    from model.store import save_model
    from model.quantize import calibrate, quantized_twin

    build = dict(DEFAULT, input_shape=(32, 32, 3))
    float_model = squeezenet(**build)
    x = np.random.default_rng(0).uniform(0, 1, (8, 32, 32, 3)).astype(np.float32)
    save_model(quantized_twin(float_model, calibrate(float_model, x, 8, 8)), tmp_path / 'rgb.keras')
    code, _, err = run(capsys, '--model', str(tmp_path / 'rgb.keras'))
    assert code == 2 and 'images have shape (28, 28, 1), the model expects (32, 32, 3)' in err


def test_unknown_config_key(capsys, tmp_path):
    config = tmp_path / 'config.yaml'
    config.write_text(open('hls/config.yaml').read() + 'fold_factor: 4\n')
    code, _, err = run(capsys, '--config', str(config))
    assert code == 2 and "unknown config key(s) ['fold_factor']" in err
