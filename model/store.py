"""Loading model files safely and writing results so that a failure leaves nothing half-written."""
import contextlib
import shutil
import tempfile
import zipfile
from pathlib import Path

import cli


class ModelFileError(cli.InputError):
    pass


def load_model(path):
    """A .keras file, loaded in Keras safe mode (no arbitrary code), with a clear error if bad."""
    import keras

    import model.quant  # noqa: F401  registers the quantized layers for deserialization

    path = Path(path)
    if path.is_dir():
        raise ModelFileError(f'{path}: a folder (a TensorFlow SavedModel?); save the model as one .keras file: model.save("my.keras")')
    if not path.is_file():
        raise ModelFileError(f'model file not found: {path}')
    if path.suffix != '.keras' or not zipfile.is_zipfile(path):
        raise ModelFileError(f'{path}: not a Keras v3 model file (.keras zip archive)')
    try:
        return keras.saving.load_model(path, safe_mode=True, compile=False)
    except Exception as err:  # Keras raises many types for a damaged archive
        raise ModelFileError(f'{path}: cannot load model ({type(err).__name__}: {err})') from err


def save_model(model, path):
    """Save weights and architecture only: an optimizer's state would triple the file."""
    bare = model.__class__.from_config(model.get_config())  # uncompiled: no optimizer to save
    bare.set_weights(model.get_weights())
    bare.save(path)


@contextlib.contextmanager
def atomic_dir(path):
    """Yield a temporary folder that replaces `path` only if the block finishes without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f'.{path.name}.', dir=path.parent))
    tmp.chmod(0o755)
    try:
        yield tmp
        cli.check_interrupted()
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = path.with_name(f'.{path.name}.old')
    shutil.rmtree(old, ignore_errors=True)
    if path.exists():
        path.rename(old)
    tmp.rename(path)
    shutil.rmtree(old, ignore_errors=True)


def load_quantized(path):
    """A quantized model (what csim, the RTL and synthesis take), with a clear error for a float one."""
    from model.quant import QConv2D

    model = load_model(path)
    if not any(isinstance(layer, QConv2D) for layer in model.layers):
        raise ModelFileError(f'{path}: a float model; this step needs the quantized one (quantized.keras from make train or make quantize)')
    return model
