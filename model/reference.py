"""The paper's networks as design points: SqueezeNet v1.0 / v1.1 model files made from a spec.

A design point's `network:` (hls/squeezenet_v1_1.yaml) says which network, at which input size,
with which weights; its `model` and `float_model` are made from it on first use and again
whenever the spec, the weights file or the calibration images change (network.json beside them
records what they were made from):
  1. the builder's network (model.squeezenet), the trained weights loaded (model.pretrained) or,
     without weights, the builder's own initialization from the seed: untrained, so its logits
     test the chain bit for bit and predict nothing;
  2. calibration (model.quantize) on the design point's images: a folder of the user's, else
     crops of a photograph a registry package ships (model.data.sample_images). No QAT: that
     takes labelled training images; `make quantize` does it for a model with them.
  3. Deep Compression without retraining, where the spec asks: `prune` (the fraction of each
     kernel's smallest weights zeroed, before calibration) and `share` (codebook index bits: each
     conv's weights clustered by k-means, model.compress.share_weights; no fine-tuning, which
     takes labelled images). Without trained weights this gives a network with the stated
     sparsity and codebook size, for the hardware's size and speed, not for accuracy.
"""
import hashlib
import json
from pathlib import Path

import cli

# key: (test, what is allowed), for the message
SPEC = {
    'version': (lambda v: v in ('1.0', '1.1'), "'1.0' or '1.1'"),
    'input_size': (lambda v: type(v) is int and v >= 32, 'a whole number >= 32'),
    'weights': (lambda v: v is None or (isinstance(v, str) and v != ''), 'a weights file path (.npz, .h5, .keras) or null'),
    'preprocessing': (lambda v: v in (None, 'torch', 'caffe', 'none'), 'null, torch, caffe or none'),
    'bits': (lambda v: v in (4, 5, 6, 7, 8), '4 to 8'),
    'seed': (lambda v: type(v) is int and v >= 0, 'a whole number >= 0'),
    'prune': (lambda v: type(v) in (int, float) and 0 <= v < 1, 'a fraction >= 0 and < 1'),
    'share': (lambda v: v is None or (type(v) is int and v in cli.CODEBOOK_BITS), f'null or codebook index bits, {cli.CODEBOOK_BITS[0]} to {cli.CODEBOOK_BITS[-1]}'),
}
DEFAULTS = {'weights': None, 'preprocessing': None, 'bits': 8, 'seed': 1, 'prune': 0, 'share': None}
CALIBRATION_IMAGES = 64


class NetworkError(cli.InputError):
    pass


def check_spec(network, where):
    """The spec with its defaults, or NetworkError naming the key at fault."""
    if not isinstance(network, dict):
        raise NetworkError(f'{where}: network must be a mapping (version, input_size, weights, ...), got {network!r}')
    if 'version' in network:
        network = dict(network, version=str(network['version']))  # YAML reads 1.1 as a number
    spec = cli.check_keys(network, SPEC, NetworkError, where, 'network', prefix='network ', defaults=DEFAULTS)
    if spec['weights'] is not None:
        spec['weights'] = str(cli.ROOT / spec['weights'])
    return spec


def _digest(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def made_from(spec, data_source):
    """What the model files are made from: the spec, the weights' digest, the calibration images."""
    weights = spec['weights']
    if weights is not None and not Path(weights).is_file():
        raise NetworkError(f'network weights file not found: {weights}')
    return dict(spec, weights_sha256=_digest(weights) if weights else None, calibration=str(data_source))


def describe(spec):
    weights = Path(spec['weights']).name if spec['weights'] else f'untrained (initialized from seed {spec["seed"]})'
    return f'SqueezeNet v{spec["version"]} at {spec["input_size"]}x{spec["input_size"]}, weights: {weights}'


def ensure(spec, float_path, quantized_path, data_source, log=print):
    """Make float_path and quantized_path (one folder) from the spec unless they were made from
    it already; the folder is replaced only when both are written."""
    import keras

    from model import compress, data
    from model.pretrained import load_weights
    from model.quantize import calibrate, quantized_twin
    from model.squeezenet import squeezenet_v1_0, squeezenet_v1_1
    from model.store import atomic_dir, save_model

    float_path, quantized_path = Path(float_path), Path(quantized_path)
    folder = quantized_path.parent
    if float_path.parent != folder:
        raise NetworkError(f'model and float_model of a network design point share a folder: {float_path.parent} vs {folder}')
    record = made_from(spec, data_source)
    stamp = folder / 'network.json'
    if float_path.exists() and quantized_path.exists() and stamp.exists() and json.loads(stamp.read_text()) == record:
        return
    log(f'network: making {folder} ({describe(spec)}, calibrated on {data_source})')
    size = spec['input_size']
    keras.utils.set_random_seed(spec['seed'])
    build = squeezenet_v1_0 if spec['version'] == '1.0' else squeezenet_v1_1
    model = build(input_shape=(size, size, 3))
    if spec['weights']:
        load_weights(model, spec['weights'], spec['preprocessing'])
    if spec['prune']:
        compress.apply_masks(model, compress.magnitude_masks(model, spec['prune']))
    images = data.test_set(data_source, (size, size, 3))[0][:CALIBRATION_IMAGES]
    qmodel = quantized_twin(model, calibrate(model, data.to_input(images), spec['bits'], spec['bits']))
    if spec['share']:
        qmodel = compress.share_weights(qmodel, spec['share'])
    folder.parent.mkdir(parents=True, exist_ok=True)
    with atomic_dir(folder) as tmp:
        save_model(model, tmp / float_path.name)
        save_model(qmodel, tmp / quantized_path.name)
        (tmp / 'network.json').write_text(json.dumps(record, indent=1) + '\n')
    shared = f', pruned {spec["prune"]:.0%}' * bool(spec['prune']) + f', {spec["share"]}-bit shared weights' * bool(spec['share'])
    log(f'network: {model.count_params():,} parameters, {spec["bits"]}-bit{shared}, {len(images)} calibration images')
