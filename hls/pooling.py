"""hls4ml extension: io_stream max pooling of any pool size, stride and padding.

hls4ml 1.3.0's io_stream pooling asserts pool size == stride and no padding (in
nnet_pooling_stream.h, compiled without NDEBUG: conversion passes and predict() aborts), so
SqueezeNet's 3x3/2 pools cannot run on it. Through hls4ml's extension API (nothing installed is
edited), an optimizer pass in the backend's optimize flow swaps each such Pooling2D node for an
OverlappingPooling2D of the same name, attributes and precisions, whose io_stream function is
nnet::pooling2d_overlap_cl (nnet_utils/nnet_pooling_overlap_stream.h, written into the project
beside hls4ml's own headers). Pools hls4ml runs itself are left to it.
"""
from pathlib import Path

HEADER = Path(__file__).resolve().parent / 'nnet_utils' / 'nnet_pooling_overlap_stream.h'
BACKENDS = ('Vivado', 'Vitis', 'VivadoAccelerator')
_registered = []


def overlapping(pool_size, strides, pads):
    """Whether hls4ml's io_stream pooling refuses the pool (and this extension runs it)."""
    return tuple(pool_size) != tuple(strides) or any(pads)


def register():
    """Register the layer, its templates, its header and the pass with hls4ml (once)."""
    if _registered:
        return
    import hls4ml
    from hls4ml.backends.template import FunctionCallTemplate, LayerConfigTemplate
    from hls4ml.backends.vivado.passes.pooling_templates import pooling2d_config_template
    from hls4ml.model.layers import Pooling2D, register_layer
    from hls4ml.model.optimizer import OptimizerPass

    class OverlappingPooling2D(Pooling2D):
        pass

    class ConfigTemplate(LayerConfigTemplate):
        def __init__(self):
            super().__init__(OverlappingPooling2D)

        def format(self, node):
            return pooling2d_config_template.format(**self._default_config_params(node))

    class FunctionTemplate(FunctionCallTemplate):
        def __init__(self):
            super().__init__(OverlappingPooling2D, include_header=[f'nnet_utils/{HEADER.name}'])

        def format(self, node):
            params = self._default_function_params(node)
            return 'nnet::pooling2d_overlap_cl<{input_t}, {output_t}, {config}>({input}, {output});'.format(**params)

    class UseOverlappingPooling(OptimizerPass):
        def match(self, node):
            return (
                node.class_name == 'Pooling2D'
                and node.model.config.get_config_value('IOType') == 'io_stream'
                and overlapping(
                    (node.get_attr('pool_height'), node.get_attr('pool_width')),
                    (node.get_attr('stride_height'), node.get_attr('stride_width')),
                    [node.get_attr(f'pad_{side}') for side in ('top', 'bottom', 'left', 'right')],
                )
            )

        def transform(self, model, node):
            if node.get_attr('pool_op') != 'Max':
                raise NotImplementedError(f'{node.name}: only max pooling may overlap or pad on io_stream')
            new = model.make_node(
                'OverlappingPooling2D', node.name, node.attributes.attributes.copy(), node.inputs.copy(), outputs=node.outputs.copy()
            )
            model.replace_node(node, new)
            return True

    register_layer('OverlappingPooling2D', OverlappingPooling2D)
    for name in BACKENDS:
        backend = hls4ml.backends.get_backend(name)
        backend.register_source(HEADER)
        backend.register_template(ConfigTemplate)
        backend.register_template(FunctionTemplate)
    # Vitis and VivadoAccelerator run Vivado's optimize flow
    hls4ml.backends.get_backend('Vivado').register_pass('use_overlapping_pooling', UseOverlappingPooling, flow='vivado:optimize')
    _registered.append(True)
