"""Trained SqueezeNet v1.0 / v1.1 weights from the two common layouts, into the builder's model.

    python -m model.pretrained --weights squeezenet1_1.npz --version 1.1 --out model/v1_1/float.keras
    make quantize MODEL=model/v1_1/float.keras OUT=model/v1_1 DATA=my_images

Layouts:
- torchvision's state dict saved as .npz, written in PyTorch by
      np.savez('squeezenet1_1.npz', **{k: v.numpy() for k, v in
               torchvision.models.squeezenet1_1(weights='DEFAULT').state_dict().items()})
  (`features.0.weight` conv1, `features.N.squeeze|expand1x1|expand3x3.weight|bias` the Fire
  modules in order, `classifier.1.weight|bias` conv10; OIHW kernels). Preprocessing 'torch':
  pixels / 255, minus the ImageNet mean, over its standard deviation.
- the common Keras port's layer names (`conv1`, `fire2/squeeze1x1`, `fire2/expand1x1`,
  `fire2/expand3x3`, ..., `conv10`; `_` for `/` also taken), in a Keras 2 .h5 weights file or a
  .keras model; HWIO kernels. Preprocessing 'caffe': BGR pixels minus the ImageNet BGR mean.
The preprocessing is folded into conv1's weights and bias (exact: conv1 has no padding), so the
model takes the product's input, pixels p as p / 256, and the accelerator raw 8-bit RGB.
A missing, extra or mis-shaped tensor is one error naming it (exit status 2).
"""
import sys
from pathlib import Path

import numpy as np

import cli

TORCH_MEAN, TORCH_STD = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
CAFFE_MEAN_BGR = np.array([103.939, 116.779, 123.68])
FIRE_PARTS = {'squeeze': 'squeeze', 'expand1x1': 'expand1x1', 'expand3x3': 'expand3x3'}  # torchvision: ours
PORT_PARTS = {'squeeze1x1': 'squeeze', 'expand1x1': 'expand1x1', 'expand3x3': 'expand3x3'}  # Keras port: ours


# torchvision's `features` index of each Fire module, fire2 first
TORCHVISION_FIRES = {'1.0': (3, 4, 5, 7, 8, 9, 10, 12), '1.1': (3, 4, 6, 7, 9, 10, 11, 12)}


class WeightsError(cli.InputError):
    pass


def torchvision_tensors(path):
    """{our layer name: {'kernel' (HWIO), 'bias'}} of a torchvision state dict (.npz), plus the
    names of the file's tensors that name no layer."""
    try:
        with np.load(path) as npz:
            state = {k: npz[k] for k in npz.files}
    except (OSError, ValueError) as err:
        raise WeightsError(f'{path}: not a readable .npz ({err})') from None
    fires = sorted({int(k.split('.')[1]) for k in state if k.startswith('features.') and '.squeeze.' in k})
    names = {'features.0': 'conv1', 'classifier.1': 'conv10'}
    for i, index in enumerate(fires):
        names.update({f'features.{index}.{part}': f'fire{i + 2}_{ours}' for part, ours in FIRE_PARTS.items()})
    tensors, extra = {}, []
    for key, value in state.items():
        prefix, _, kind = key.rpartition('.')
        if prefix not in names or kind not in ('weight', 'bias'):
            extra.append(key)
            continue
        value = value.transpose(2, 3, 1, 0) if kind == 'weight' else value  # OIHW -> HWIO
        tensors.setdefault(names[prefix], {})['kernel' if kind == 'weight' else 'bias'] = value
    return tensors, extra


def torchvision_state(model, version):
    """The model's convolution weights as a torchvision state dict (OIHW): what torchvision_tensors
    reads back, for a model of our builder (a round trip, and weights to hand to PyTorch)."""
    names = {'conv1': 'features.0', 'conv10': 'classifier.1'}
    for i, index in enumerate(TORCHVISION_FIRES[version]):
        names.update({f'fire{i + 2}_{ours}': f'features.{index}.{part}' for part, ours in FIRE_PARTS.items()})
    state = {}
    for layer in model.layers:
        if layer.name in names:
            kernel, bias = layer.get_weights()
            state[f'{names[layer.name]}.weight'], state[f'{names[layer.name]}.bias'] = kernel.transpose(3, 2, 0, 1), bias
    return state


def port_name(name):
    """Our layer name of a Keras port layer name (`fire2/squeeze1x1` -> fire2_squeeze), or None."""
    parts = name.replace('/', '_').split('_')
    if parts in (['conv1'], ['conv10']):
        return parts[0]
    if len(parts) == 2 and parts[0].startswith('fire') and parts[1] in PORT_PARTS:
        return f'{parts[0]}_{PORT_PARTS[parts[1]]}'
    return None


def keras_port_tensors(path):
    """The same from the Keras port's layer names: a Keras 2 .h5 weights file or a .keras model."""
    tensors, extra = {}, []
    if Path(path).suffix == '.keras':
        from model.store import load_model

        for layer in load_model(path).layers:
            weights = layer.get_weights()
            if not weights:
                continue
            ours = port_name(layer.name)
            if ours is None or len(weights) != 2:
                extra.append(layer.name)
                continue
            tensors[ours] = {'kernel': weights[0], 'bias': weights[1]}
        return tensors, extra
    import h5py

    try:
        with h5py.File(path, 'r') as f:
            root = f['model_weights'] if 'model_weights' in f else f  # a whole saved model, or weights only
            datasets = []
            root.visititems(lambda key, item: datasets.append((key, item[()])) if isinstance(item, h5py.Dataset) else None)
    except OSError as err:
        raise WeightsError(f'{path}: not a readable .h5 ({err})') from None
    for key, value in datasets:
        # Keras 2 writes <layer>/<layer>/kernel:0; a layer named fire2/squeeze1x1 nests a level more
        parts = key.split('/')
        layer = '/'.join(parts[: (len(parts) - 1) // 2])
        ours, kind = port_name(layer), parts[-1].split(':')[0]
        if ours is None or kind not in ('kernel', 'bias'):
            extra.append(key)
            continue
        tensors.setdefault(ours, {})[kind] = value
    return tensors, extra


def fold_preprocessing(kernel, bias, preprocessing):
    """conv1's kernel and bias taking p / 256 instead of the reference's preprocessed pixels."""
    kernel, bias = kernel.astype(np.float64), bias.astype(np.float64)
    if preprocessing == 'torch':  # (256 x / 255 - mean) / std
        bias = bias - np.einsum('hwio,i->o', kernel, TORCH_MEAN / TORCH_STD)
        kernel = kernel * (256 / 255 / TORCH_STD)[None, None, :, None]
    elif preprocessing == 'caffe':  # BGR: 256 x[..., ::-1] - mean
        kernel = kernel[:, :, ::-1, :]
        bias = bias - np.einsum('hwio,i->o', kernel, CAFFE_MEAN_BGR[::-1])
        kernel = kernel * 256
    elif preprocessing != 'none':
        raise WeightsError(f"preprocessing must be torch, caffe or none, got {preprocessing!r}")
    return kernel.astype(np.float32), bias.astype(np.float32)


def load_weights(model, path, preprocessing=None):
    """Set the builder model's conv weights from a file of either layout (by suffix: .npz is
    torchvision's, .h5/.keras the Keras port's), the layout's preprocessing folded into conv1
    unless another is given ('torch', 'caffe' or 'none'). Returns the model."""
    path = Path(path)
    if not path.is_file():
        raise WeightsError(f'weights file not found: {path}')
    if path.suffix == '.npz':
        tensors, extra = torchvision_tensors(path)
        preprocessing = preprocessing or 'torch'
    elif path.suffix in ('.h5', '.keras'):
        tensors, extra = keras_port_tensors(path)
        preprocessing = preprocessing or 'caffe'
    else:
        raise WeightsError(f'{path}: expected a torchvision state dict (.npz) or Keras port weights (.h5, .keras)')
    if extra:
        raise WeightsError(f'{path}: tensor {extra[0]!r} names no layer of SqueezeNet ({len(extra)} such)')
    convs = [layer for layer in model.layers if layer.__class__.__name__ == 'Conv2D']
    for layer in convs:
        found = tensors.pop(layer.name, {})
        for kind, variable in (('kernel', layer.kernel), ('bias', layer.bias)):
            if kind not in found:
                raise WeightsError(f'{path}: no {kind} for layer {layer.name}')
            if tuple(found[kind].shape) != tuple(variable.shape):
                raise WeightsError(f'{path}: {layer.name} {kind} has shape {tuple(found[kind].shape)}, the model needs {tuple(variable.shape)}')
        kernel, bias = found['kernel'], found['bias']
        if layer.name == 'conv1':
            kernel, bias = fold_preprocessing(kernel, bias, preprocessing)
        layer.set_weights([kernel, bias])
    if tensors:
        raise WeightsError(f'{path}: weights for {sorted(tensors)[0]!r}, which this model does not have (another version?)')
    return model


def main(argv=None):
    from model.squeezenet import squeezenet_v1_0, squeezenet_v1_1
    from model.store import save_model

    parser = cli.Parser(description=__doc__, formatter_class=cli.argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--weights', required=True, help='torchvision state dict (.npz) or Keras port weights (.h5, .keras)')
    parser.add_argument('--version', choices=('1.0', '1.1'), default='1.1')
    parser.add_argument('--input-size', type=cli.count, default=224, help='height and width (the weights do not depend on it)')
    parser.add_argument('--preprocessing', choices=('torch', 'caffe', 'none'), default=None, help='default: the layout\'s')
    parser.add_argument('--out', required=True, help='the float model (.keras), written only on success')
    args = parser.parse_args(argv)
    build = squeezenet_v1_0 if args.version == '1.0' else squeezenet_v1_1
    model = load_weights(build(input_shape=(args.input_size, args.input_size, 3)), args.weights, args.preprocessing)
    out = Path(args.out)
    if out.suffix != '.keras':
        raise WeightsError(f'--out must name a .keras file, got {out}')
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f'.{out.stem}.partial.keras')  # a failed save leaves no half-written model
    save_model(model, partial)
    partial.replace(out)
    print(f'{out}: SqueezeNet v{args.version}, {model.count_params():,} parameters, preprocessing folded into conv1')
    return 0


if __name__ == '__main__':
    sys.exit(cli.run(main))
