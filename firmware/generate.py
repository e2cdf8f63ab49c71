"""The RTL backend: hls4ml ModelGraph -> streaming Verilog top, weight ROMs and a manifest.

    python -m firmware.generate [--config hls/config.yaml] [--out build/rtl]   # the RTL alone
    python -m firmware.generate --list-passes          # the passes; --stop-after PASS prints the nodes

It reads what the C++ backend reads (layer types and shapes, per-layer precisions, weights) and
re-derives none of it. The layers become nodes, one RTL module instance per hls4ml layer
(MODULES: one definition per module in firmware/rtl, named after its file: its layers, ports,
cycle model and beat dependencies), then the passes (PASSES) run over them:
  fuse          ZeroPadding2D into the convolution after it, a ReLU Activation into its convolution;
  fold          PE/SIMD per convolution, from a folding file or chosen for the multiplier budget;
  insert_fifos  a FIFO on the short branch of every fork, as deep as the branches' lag in beats,
                and after every module that emits in bursts (a pool: a row at a time);
then the top (AXI4-Stream in and out) is written with a ROM file per convolution, the manifest
and the folding chosen (folding.yaml: name it in a design point to pin the design).
"""
import json
import math
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

import cli
from firmware.boards import load_board, multiplier_budget
from firmware.rom import bias_words, weight_words, write_mem

TOP = 'squeezenet_top'
PADS = ('PAD_T', 'PAD_L', 'PAD_B', 'PAD_R')
FIFO_MARGIN = 2  # beats beyond the computed lag: the clone's output register and one in flight
BATCH_DEPTH = 16  # images in flight whose batch end (tlast) axis_batch holds; more only stall the input


class GraphError(cli.InputError):
    """The graph holds something this backend cannot build."""


@dataclass
class Tensor:
    name: str
    shape: tuple  # (H, W, C) or (C,)
    fmt: object  # model.quant.Fixed

    @property
    def lanes(self):
        return self.shape[-1]

    @property
    def pixels(self):
        return int(np.prod(self.shape[:-1])) if len(self.shape) > 1 else 1

    @property
    def bits(self):
        return self.lanes * self.fmt.width


@dataclass
class Node:
    name: str
    module: str
    inputs: list  # tensor names, in port order
    outputs: list
    params: dict = field(default_factory=dict)
    weights: np.ndarray = None  # (C_OUT, N) raw, for convolutions
    bias: np.ndarray = None


def fmt_params(prefix, fmt):
    return {f'{prefix}W': fmt.width, f'{prefix}F': fmt.frac, f'{prefix}SIGNED': int(fmt.signed)}


def cast_params(fmt):
    return {'ROUND': int(fmt.rounding == 'RND'), 'SAT': int(fmt.saturation == 'SAT')}


def raw(values, fmt, what):
    scaled = np.asarray(values, dtype=np.float64) * 2.0**fmt.frac
    ints = np.round(scaled)
    if not np.array_equal(ints, scaled):
        raise GraphError(f'{what}: values are not on the {fmt.hls()} grid')
    return ints.astype(np.int64)


# -- the modules: what the generator knows of each RTL module, in one place --------------------


def mac_cycles(node, tensors):
    """Cycles per image in which a convolution's multipliers work: (outputs/PE)*(fan-in/SIMD) per pixel."""
    if node.weights is None:
        return 0
    c_out, n = node.weights.shape
    return (c_out // node.params['PE']) * (n // node.params['SIMD']) * tensors[node.outputs[0]].pixels


def multipliers(node):
    return node.params['PE'] * node.params['SIMD'] if node.weights is not None else 0


def graph_format(precision):
    # hls.convert loads TensorFlow; the module benches use the cycle models here without it
    from hls import convert

    return convert.graph_format(precision)


def conv_size(p):
    """(OH, OW) of a conv2d's parameters."""
    return (p['H'] + p['PAD_T'] + p['PAD_B'] - p['K']) // p['S'] + 1, (p['W'] + p['PAD_L'] + p['PAD_R'] - p['K']) // p['S'] + 1


def window_cycles(p):
    """Cycles per image of sliding_window never stalled: its input (a pixel per cycle, a cycle
    between rows) and its output rows (a column per cycle, (OW-1)*S + K columns and 3 cycles
    between rows) overlap."""
    oh, ow = conv_size(p)
    return max(p['H'] * (p['W'] + 1), oh * ((ow - 1) * p['S'] + p['K'] + 3))


def conv2d_cycles(p):
    """Cycles per image of conv2d never stalled: the window or the multipliers, the slower."""
    oh, ow = conv_size(p)
    macs = (p['C_OUT'] // p['PE']) * (p['K'] * p['K'] * p['C_IN'] // p['SIMD']) * oh * ow
    return max(macs, window_cycles(p))


class Module:
    """One RTL module (firmware/rtl/<name>.v) as the backend sees it: the hls4ml layer classes it
    implements (`read` turns one into a Node), its stream ports, its cycle model and which input
    beat each output beat needs. A new module is one subclass in MODULES."""

    name = ''
    layers = ()  # hls4ml layer classes this module reads
    inputs, outputs = ('s_axis',), ('m_axis',)  # port prefixes, in the order of node.inputs / outputs
    rtl = True  # False: a node that a pass fuses into another before the top is written

    def read(self, layer, tensors, ins, outs):
        raise GraphError(f'{layer.name}: hls4ml layer {layer.class_name} has no RTL module')

    def cycles(self, node, tensors):
        """Cycles per image when never stalled (the slowest node sets the throughput)."""
        return tensors[node.inputs[0]].pixels

    def last_input(self, node, k):
        """Index of the last input beat that output beat k needs (per image)."""
        return k

    def burst(self, node):
        """Output beats it may emit ahead of its average pace (the buffer pass queues them)."""
        return 0


class ZeroPadding(Module):
    name, layers, rtl = 'zero_padding', ('ZeroPadding2D',), False

    def read(self, layer, tensors, ins, outs):
        pads = {p: layer.get_attr(a) for p, a in zip(PADS, ('pad_top', 'pad_left', 'pad_bottom', 'pad_right'))}
        return Node(layer.name, self.name, ins, outs, pads)


class Relu(Module):
    name, layers, rtl = 'relu', ('Activation',), False

    def read(self, layer, tensors, ins, outs):
        if layer.get_attr('activation') != 'relu':
            raise GraphError(f'{layer.name}: activation {layer.get_attr("activation")!r} is not supported (relu is)')
        return Node(layer.name, self.name, ins, outs)


class Conv2d(Module):
    """sliding_window + pointwise_conv: a window per beat into the MACs."""

    name, layers = 'conv2d', ('Conv2D', 'PointwiseConv2D')

    def read(self, layer, tensors, ins, outs):
        types = {k: graph_format(layer.types[f'{k}_t'].precision) for k in ('weight', 'bias', 'accum')}
        acc = types['accum']
        if acc.rounding != 'TRN' or acc.saturation != 'WRAP':
            raise GraphError(f'{layer.name}: accumulator {acc.hls()} must truncate and wrap')
        in_fmt = tensors[ins[0]].fmt
        if acc.frac < in_fmt.frac + types['weight'].frac or acc.frac < types['bias'].frac:
            raise GraphError(f'{layer.name}: accumulator {acc.hls()} would round products or bias')
        k = layer.get_attr('filt_height')
        if layer.get_attr('filt_width') != k or layer.get_attr('stride_width') != layer.get_attr('stride_height'):
            raise GraphError(f'{layer.name}: only square kernels and strides are supported')
        c_in, c_out = layer.get_attr('n_chan'), layer.get_attr('n_filt')
        weight = layer.weights['weight'].data
        if weight.shape != (c_out, k, k, c_in):  # hls4ml's Resource strategy layout
            raise GraphError(f'{layer.name}: unexpected weight layout {weight.shape}')
        out = tensors[outs[0]].fmt
        h, w, _ = tensors[ins[0]].shape
        return Node(
            layer.name, self.name, ins, outs,
            dict(
                H=h, W=w, C_IN=c_in, C_OUT=c_out, K=k, S=layer.get_attr('stride_height'),
                PAD_T=layer.get_attr('pad_top'), PAD_L=layer.get_attr('pad_left'),
                PAD_B=layer.get_attr('pad_bottom'), PAD_R=layer.get_attr('pad_right'),
                **fmt_params('IN_', in_fmt), W_W=types['weight'].width, W_F=types['weight'].frac,
                B_W=types['bias'].width, B_F=types['bias'].frac, ACC_W=acc.width, ACC_F=acc.frac,
                **fmt_params('OUT_', out), **cast_params(out), RELU=0,
            ),
            weights=raw(weight.reshape(c_out, -1), types['weight'], f'{layer.name} weights'),
            bias=raw(layer.weights['bias'].data, types['bias'], f'{layer.name} bias'),
        )  # fmt: skip

    def cycles(self, node, tensors):
        return conv2d_cycles(node.params)

    def last_input(self, node, k):
        p = node.params
        oy, ox = divmod(k, conv_size(p)[1])
        row = min(oy * p['S'] - p['PAD_T'] + p['K'] - 1, p['H'] - 1)
        col = min(ox * p['S'] - p['PAD_L'] + p['K'] - 1, p['W'] - 1)
        return row * p['W'] + col


class PointwiseConv(Module):
    """A 1x1 convolution: the fuse pass makes one of a conv2d without a window."""

    name = 'pointwise_conv'

    def cycles(self, node, tensors):
        return mac_cycles(node, tensors)


class MaxPool(Module):
    name, layers = 'max_pool', ('Pooling2D',)

    def read(self, layer, tensors, ins, outs):
        if layer.get_attr('pool_op', 'Max') != 'Max' or layer.get_attr('pool_height') != layer.get_attr('stride_height'):
            raise GraphError(f'{layer.name}: only max pooling with pool size == stride is supported')
        h, w, c = tensors[ins[0]].shape
        f = tensors[outs[0]].fmt
        return Node(layer.name, self.name, ins, outs, dict(H=h, W=w, C=c, DW=f.width, SIGNED=int(f.signed), P=layer.get_attr('pool_height')))

    def last_input(self, node, k):
        p = node.params
        oy, ox = divmod(k, p['W'] // p['P'])
        return (oy * p['P'] + p['P'] - 1) * p['W'] + ox * p['P'] + p['P'] - 1

    def burst(self, node):
        # a row of outputs leaves during the last of its P input rows, at P times the average pace
        p = node.params
        return -(-(p['W'] // p['P']) * (p['P'] - 1) // p['P'])


class GlobalAvgPool(Module):
    name, layers = 'global_avg_pool', ('GlobalPooling2D',)

    def read(self, layer, tensors, ins, outs):
        h, w, c = tensors[ins[0]].shape
        acc = graph_format(layer.types['accum_t'].precision)
        out = tensors[outs[0]].fmt
        return Node(layer.name, self.name, ins, outs, dict(
            H=h, W=w, C=c, **fmt_params('IN_', tensors[ins[0]].fmt), ACC_W=acc.width, ACC_F=acc.frac,
            **fmt_params('OUT_', out), **cast_params(out),
        ))  # fmt: skip

    def last_input(self, node, k):
        return node.params['H'] * node.params['W'] - 1


class Clone(Module):
    name, layers, outputs = 'axis_clone', ('Clone',), ('m0_axis', 'm1_axis')

    def read(self, layer, tensors, ins, outs):
        return Node(layer.name, self.name, ins, outs, dict(WIDTH=tensors[ins[0]].bits))


class Concat(Module):
    name, layers, inputs = 'axis_concat', ('Concatenate',), ('a_axis', 'b_axis')

    def read(self, layer, tensors, ins, outs):
        a, b = (tensors[t] for t in ins)
        if a.fmt != b.fmt or layer.get_attr('axis', -1) not in (-1, 3):
            raise GraphError(f'{layer.name}: only channel concatenation of one format is supported')
        return Node(layer.name, self.name, ins, outs, dict(A_WIDTH=a.bits, B_WIDTH=b.bits))


class Add(Module):
    name, layers, inputs = 'axis_add', ('Merge',), ('a_axis', 'b_axis')

    def read(self, layer, tensors, ins, outs):
        if layer.get_attr('op') != 'add':
            return super().read(layer, tensors, ins, outs)
        a, b, out = (tensors[t] for t in (*ins, outs[0]))
        return Node(layer.name, self.name, ins, outs, dict(
            C=out.lanes, **fmt_params('A_', a.fmt), **fmt_params('B_', b.fmt), **fmt_params('OUT_', out.fmt), **cast_params(out.fmt)
        ))  # fmt: skip


class Fifo(Module):
    """The buffer pass puts one on the short branch of a fork."""

    name = 'axis_fifo'


MODULES = {m.name: m for m in (ZeroPadding(), Relu(), Conv2d(), PointwiseConv(), MaxPool(), GlobalAvgPool(), Clone(), Concat(), Add(), Fifo())}
READS = {kind: m for m in MODULES.values() for kind in m.layers}


# -- pass 1: layers -> nodes ----------------------------------------------------------------------


def read_graph(graph):
    """Tensors and nodes of an hls4ml ModelGraph (io_stream), in graph order."""
    tensors, nodes = {}, []
    for layer in graph.get_layers():
        kind = layer.class_name
        for name in layer.outputs:
            var = layer.get_output_variable(name) if len(layer.outputs) > 1 else layer.get_output_variable()
            tensors[name] = Tensor(name, tuple(var.shape), graph_format(var.type.precision))
        if kind == 'Input':
            continue
        nodes.append(READS.get(kind, Module()).read(layer, tensors, list(layer.inputs), list(layer.outputs)))
    return tensors, nodes


# -- pass 2: fuse padding and ReLU into convolutions --------------------------------------------


def consumers(nodes, tensor):
    return [n for n in nodes if tensor in n.inputs]


def fuse(tensors, nodes, options):
    """Each ZeroPadding2D into the convolution after it, each ReLU into its convolution; a 1x1
    convolution without a window becomes a pointwise_conv."""
    for pad in [n for n in nodes if n.module == 'zero_padding']:
        users = consumers(nodes, pad.outputs[0])
        if len(users) != 1 or users[0].module != 'conv2d':
            raise GraphError(f'{pad.name}: zero padding must feed one convolution')
        conv = users[0]
        h, w, _ = tensors[pad.inputs[0]].shape
        conv.inputs = list(pad.inputs)
        conv.params.update(H=h, W=w, **{k: conv.params[k] + pad.params[k] for k in PADS})
        nodes.remove(pad)
    for relu in [n for n in nodes if n.module == 'relu']:
        conv = producer(nodes, relu.inputs[0])
        if conv.module != 'conv2d' or len(consumers(nodes, relu.inputs[0])) != 1:
            raise GraphError(f'{relu.name}: a ReLU must be the only consumer of a convolution')
        out = tensors[relu.outputs[0]].fmt
        conv.params.update(RELU=1, **fmt_params('OUT_', out), **cast_params(out))
        conv.outputs = list(relu.outputs)
        nodes.remove(relu)
    for conv in [n for n in nodes if n.module == 'conv2d']:
        p = conv.params
        if p['K'] == 1 and p['S'] == 1 and not any(p[k] for k in PADS):  # no window: one pixel per beat
            conv.module = 'pointwise_conv'
            conv.params = {k: v for k, v in p.items() if k not in ('H', 'W', 'C_IN', 'K', 'S', *PADS)}
            conv.params['N'] = p['C_IN']
    return nodes


def producer(nodes, tensor):
    return next(n for n in nodes if tensor in n.outputs)


# -- pass 3: folding ------------------------------------------------------------------------------


def load_folding(path):
    """{'default': {pe, simd}, layer: {pe, simd}}: outputs and inputs per cycle of each conv.
    'auto' is the empty folding: every layer chosen for the multiplier budget (see fold); a
    mapping is a folding already read (a caller's own)."""
    if isinstance(path, dict):
        return path
    if str(path) == 'auto':
        return {}
    folding = cli.read_mapping(path, GraphError, 'folding', 'layer names (or default) to {pe, simd}')
    for name, entry in folding.items():
        if not isinstance(entry, dict) or set(entry) - {'pe', 'simd'}:
            raise GraphError(f'{path}: {name}: expected a mapping with keys pe and simd, got {entry!r}')
        for key, value in entry.items():
            if type(value) is not int or value < 1:
                raise GraphError(f'{path}: {name}: {key} must be a whole number >= 1, got {value!r}')
    return folding


def divisors(n):
    return [d for d in range(1, n + 1) if n % d == 0]


def fold(tensors, nodes, options):
    """PE and SIMD of every convolution; `options`: folding, budget, lut_budget. A layer named in `folding` gets its entry (reduced to
    the largest divisor of the layer's outputs (PE) and fan-in (SIMD)); so does every other layer
    when `folding` has a 'default' entry. Without one, the other layers are chosen together
    (choose_folding) for the shortest interval within `budget` (DSP) + `lut_budget` multipliers,
    less those of the named layers. Multipliers beyond `budget` are built in LUTs (LUT_MULS),
    up to `lut_budget`, in the layers with the fewest multipliers first."""
    folding, budget, lut_budget = options['folding'], options['budget'], options['lut_budget']
    convs = [n for n in nodes if n.weights is not None]
    unknown = set(folding) - {'default'} - {n.name for n in convs}
    if unknown:
        raise GraphError(f'folding names layers that are not convolutions of this model: {sorted(unknown)}')
    given = [n for n in convs if n.name in folding or 'default' in folding]
    for node in given:
        c_out, n = node.weights.shape
        entry = {'pe': 1, 'simd': 1, **folding.get('default', {}), **folding.get(node.name, {})}
        for key, total in (('pe', c_out), ('simd', n)):
            if node.name in folding and key in folding[node.name] and total % folding[node.name][key]:
                raise GraphError(f'{node.name}: {key}={folding[node.name][key]} does not divide {total}; choose one of {divisors(total)}')
            entry[key] = max(d for d in divisors(total) if d <= entry[key])
        node.params.update(PE=entry['pe'], SIMD=entry['simd'])
    free = [n for n in convs if n not in given]
    if free:
        if budget is None:
            raise GraphError(f'folding: {", ".join(n.name for n in free)} are left to automatic folding, which needs a multiplier budget (the board\'s DSPs)')
        choose_folding(nodes, tensors, free, budget + lut_budget - sum(multipliers(n) for n in given))
    excess = min(lut_budget, max(0, sum(multipliers(n) for n in convs) - budget)) if budget is not None else 0
    for node in sorted(convs, key=multipliers):
        node.params['LUT_MULS'] = min(excess, multipliers(node))
        excess -= node.params['LUT_MULS']
    return nodes


def foldings(node, tensors):
    """Every (multipliers, cycles per image, PE, SIMD) of a convolution, the cheapest first (at
    equal cost the wider SIMD: fewer accumulators)."""
    c_out, n = node.weights.shape
    found = []
    for pe in divisors(c_out):
        for simd in divisors(n):
            trial = replace(node, params={**node.params, 'PE': pe, 'SIMD': simd})
            found.append((pe * simd, MODULES[node.module].cycles(trial, tensors), -simd, pe))
    return [(cost, cycles, pe, -neg_simd) for cost, cycles, neg_simd, pe in sorted(found)]


def choose_folding(nodes, tensors, free, budget):
    """FINN's SetFolding for this backend: the shortest interval (cycles per image) at which the
    cheapest folding of every free layer that keeps within it fits `budget` multipliers. Each
    layer then gets just that folding, so no layer is faster than the slowest needs (balanced)."""
    options = {n.name: foldings(n, tensors) for n in free}
    others = [n for n in nodes if n not in free]
    floor = max((MODULES[n.module].cycles(n, tensors) for n in others), default=0)

    def cheapest(name, interval):
        return next((o for o in options[name] if o[1] <= interval), None)

    def cost(interval):
        picks = [cheapest(n.name, interval) for n in free]
        return None if None in picks else sum(p[0] for p in picks)

    candidates = sorted({floor} | {o[1] for opts in options.values() for o in opts if o[1] >= floor})
    fits = [t for t in candidates if cost(t) is not None and cost(t) <= budget]
    if not fits:
        need = cost(candidates[-1])
        raise GraphError(f'no folding fits the budget of {budget} multipliers: the most folded design needs {need}')
    interval = fits[0]
    for node in free:
        _, _, pe, simd = cheapest(node.name, interval)
        node.params.update(PE=pe, SIMD=simd)


# -- pass 4: FIFOs on the short branch of every fork ---------------------------------------------


def consumed(nodes, tensor, k, source):
    """Beats of `source` taken before beat k of `tensor` can exist (0 if it does not depend on it)."""
    if tensor == source:
        return k + 1
    if not any(tensor in n.outputs for n in nodes):
        return 0
    node = producer(nodes, tensor)
    return max(consumed(nodes, t, MODULES[node.module].last_input(node, k), source) for t in node.inputs)


def insert_fifos(tensors, nodes, options):
    """Give each fork's short branch a FIFO holding the beats the long branch takes ahead of it,
    and each bursty module's output one holding its burst (so its consumer never waits on it)."""
    depth = {}
    for join in [n for n in nodes if n.module in ('axis_concat', 'axis_add')]:
        for clone in [n for n in nodes if n.module == 'axis_clone']:
            branches = [next((o for o in clone.outputs if consumed(nodes, t, 0, o)), None) for t in join.inputs]
            if None in branches or branches[0] == branches[1]:
                continue  # this fork does not split into the join's two inputs
            source = clone.inputs[0]
            beats = range(tensors[join.outputs[0]].pixels)
            need = np.array([[consumed(nodes, t, k, source) for t in join.inputs] for k in beats])
            for i, branch in enumerate(branches):
                lag = int((need[:, 1 - i] - need[:, i]).max())
                if lag > 0:
                    depth[branch] = max(depth.get(branch, 0), lag)
    for node in nodes:
        if MODULES[node.module].burst(node):
            depth[node.outputs[0]] = max(depth.get(node.outputs[0], 0), MODULES[node.module].burst(node))
    for tensor, beats in depth.items():
        fifo_out = f'{tensor}_fifo'
        for user in consumers(nodes, tensor):
            user.inputs = [fifo_out if t == tensor else t for t in user.inputs]
        tensors[fifo_out] = Tensor(fifo_out, tensors[tensor].shape, tensors[tensor].fmt)
        fifo = Node(fifo_out, 'axis_fifo', [tensor], [fifo_out], dict(WIDTH=tensors[tensor].bits, DEPTH=beats + FIFO_MARGIN))
        nodes.insert(nodes.index(producer(nodes, tensor)) + 1, fifo)
    return nodes


# the passes over the nodes, in order: each pass(tensors, nodes, options) -> nodes
PASSES = [('fuse', fuse), ('fold', fold), ('insert_fifos', insert_fifos)]


def run_passes(graph, folding, budget=None, lut_budget=0, stop_after=None):
    """(tensors, nodes) of the graph after its passes, up to `stop_after` (a pass name)."""
    names = [name for name, _ in PASSES]
    if stop_after is not None and stop_after not in names:
        raise GraphError(f'no pass {stop_after!r}; the passes are: {", ".join(names)}')
    tensors, nodes = read_graph(graph)
    options = dict(folding=folding, budget=budget, lut_budget=lut_budget)
    for name, run in PASSES:
        nodes = run(tensors, nodes, options)
        if name == stop_after:
            break
    return tensors, nodes


# -- the top ------------------------------------------------------------------------------------


def lane_bytes(fmt):
    return math.ceil(fmt.width / 8) * 8


def beat_bits(tensor):
    """tdata width at the top: whole-byte lanes, padded to a power of two bytes (AXI DMA widths)."""
    return max(8, 1 << math.ceil(math.log2(tensor.lanes * lane_bytes(tensor.fmt))))


def verilog_value(value):
    return f'"{value}"' if isinstance(value, str) else str(value)


def write_top(path, tensors, nodes, image, logits, doc):
    in_lane, out_lane = lane_bytes(image.fmt), lane_bytes(logits.fmt)
    lines = [
        *[f'// {line}' if line else '//' for line in doc],
        '`resetall', '`timescale 1ns / 1ps', '`default_nettype none', '',
        f'module {TOP} (',
        '    (* X_INTERFACE_PARAMETER = "ASSOCIATED_BUSIF s_axis:m_axis, ASSOCIATED_RESET rst" *)',
        '    input  wire clk,',
        '    (* X_INTERFACE_PARAMETER = "POLARITY ACTIVE_HIGH" *)',
        '    input  wire rst,',
        f'    input  wire [{beat_bits(image) - 1}:0] s_axis_tdata,',
        '    input  wire s_axis_tvalid,',
        '    output wire s_axis_tready,',
        '    input  wire s_axis_tlast,  // ends a batch (axis_batch)',
        f'    output wire [{beat_bits(logits) - 1}:0] m_axis_tdata,',
        '    output wire m_axis_tvalid,',
        '    input  wire m_axis_tready,',
        '    output wire m_axis_tlast',
        ');', '',
    ]  # fmt: skip
    for t in tensors.values():
        if any(t.name in n.inputs or t.name in n.outputs for n in nodes):
            lines.append(f'wire [{t.bits - 1}:0] {t.name}_tdata;')
            lines.append(f'wire {t.name}_tvalid, {t.name}_tready;')
    lines.append('')
    # input lanes: the low bits of each byte-aligned lane
    in_lanes = ', '.join(f'batch_img_tdata[{c * in_lane + image.fmt.width - 1}:{c * in_lane}]' for c in reversed(range(image.lanes)))
    lines += [
        f'wire [{beat_bits(image) - 1}:0] batch_img_tdata;',
        f'wire [{beat_bits(logits) - 1}:0] batch_res_tdata;',
        f'assign {image.name}_tdata = {{{in_lanes}}};',
    ]
    # output lanes: sign- or zero-extended to whole bytes
    w = logits.fmt.width
    pad = beat_bits(logits) - logits.lanes * out_lane
    out_lanes = [f"{pad}'d0"] if pad else []
    for c in reversed(range(logits.lanes)):
        msb = f'{logits.name}_tdata[{c * w + w - 1}]' if logits.fmt.signed else "1'b0"
        ext = f'{{{out_lane - w}{{{msb}}}}}, ' if out_lane > w else ''
        out_lanes.append(f'{{{ext}{logits.name}_tdata[{c * w + w - 1}:{c * w}]}}')
    lines += [
        f'assign batch_res_tdata = {{{", ".join(out_lanes)}}};',
        '',
        'axis_batch #(',
        f'    .DW({beat_bits(image)}), .RW({beat_bits(logits)}), .PIXELS({image.pixels}), .DEPTH({BATCH_DEPTH})',
        ') batch (',
        '    .clk(clk), .rst(rst),',
        '    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready), .s_axis_tlast(s_axis_tlast),',
        f'    .m_img_tdata(batch_img_tdata), .m_img_tvalid({image.name}_tvalid), .m_img_tready({image.name}_tready),',
        f'    .s_res_tdata(batch_res_tdata), .s_res_tvalid({logits.name}_tvalid), .s_res_tready({logits.name}_tready),',
        '    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast)',
        ');',
        '',
    ]
    for node in nodes:
        ins, outs = MODULES[node.module].inputs, MODULES[node.module].outputs
        params = ',\n'.join(f'    .{k}({verilog_value(v)})' for k, v in node.params.items())
        ports = ['.clk(clk)', '.rst(rst)']
        for prefix, t in [*zip(ins, node.inputs), *zip(outs, node.outputs)]:
            ports += [f'.{prefix}_tdata({t}_tdata)', f'.{prefix}_tvalid({t}_tvalid)', f'.{prefix}_tready({t}_tready)']
        lines += [f'{node.module} #(', params, f') {identifier(node.name)} (', '    ' + ',\n    '.join(ports), ');', '']
    lines += ['endmodule', '', '`resetall', '']
    path.write_text('\n'.join(lines))


# IEEE 1800-2017 keywords: a layer named like one ('join', 'module', 'wait') is an escaped identifier
KEYWORDS = set("""
accept_on alias always always_comb always_ff always_latch and assert assign assume automatic before begin bind bins
binsof bit break buf bufif0 bufif1 byte case casex casez cell chandle checker class clocking cmos config const
constraint context continue cover covergroup coverpoint cross deassign default defparam design disable dist do edge
else end endcase endchecker endclass endclocking endconfig endfunction endgenerate endgroup endinterface endmodule
endpackage endprimitive endprogram endproperty endspecify endsequence endtable endtask enum event eventually expect
export extends extern final first_match for force foreach forever fork forkjoin function generate genvar global
highz0 highz1 if iff ifnone ignore_bins illegal_bins implements implies import incdir include initial inout input
inside instance int integer interconnect interface intersect join join_any join_none large let liblist library
local localparam logic longint macromodule matches medium modport module nand negedge nettype new nexttime nmos nor
noshowcancelled not notif0 notif1 null or output package packed parameter pmos posedge primitive priority program
property protected pull0 pull1 pulldown pullup pulsestyle_ondetect pulsestyle_onevent pure rand randc randcase
randsequence rcmos real realtime ref reg reject_on release repeat restrict return rnmos rpmos rtran rtranif0
rtranif1 s_always s_eventually s_nexttime s_until s_until_with scalared sequence shortint shortreal showcancelled
signed small soft solve specify specparam static string strong strong0 strong1 struct super supply0 supply1
sync_accept_on sync_reject_on table tagged task this throughout time timeprecision timeunit tran tranif0 tranif1
tri tri0 tri1 triand trior trireg type typedef union unique unique0 unsigned until until_with untyped use uwire var
vectored virtual void wait wait_order wand weak weak0 weak1 while wildcard wire with within wor xnor xor
""".split())


def identifier(name):
    """A layer name as a Verilog instance name: as it is, or escaped (a keyword, other characters)."""
    return name if re.fullmatch(r'[A-Za-z_][A-Za-z0-9_$]*', name) and name not in KEYWORDS else f'\\{name} '


def stream_info(tensor):
    fmt = tensor.fmt
    return dict(tensor=tensor.name, shape=tensor.shape, format=fmt.hls(), frac=fmt.frac, signed=fmt.signed, lane_bits=lane_bytes(fmt), beat_bits=beat_bits(tensor))


def build(graph, folding, out_dir, final_dir=None, budget=None, lut_budget=0):
    """Nodes of the graph after every pass, written as the top, ROMs and manifest.json into
    out_dir; the top names its ROM files as they will be in final_dir (default out_dir).
    `budget`, `lut_budget`: the DSP and LUT multipliers folding may use (see fold)."""
    tensors, nodes = run_passes(graph, folding, budget, lut_budget)
    image = tensors[graph.inputs[0]]
    logits = tensors[graph.outputs[0]]
    out_dir = Path(out_dir)
    (out_dir / 'rom').mkdir(parents=True, exist_ok=True)
    for node in nodes:
        if node.weights is None:
            continue
        p = node.params
        w_file, b_file = out_dir / 'rom' / f'{node.name}_w.mem', out_dir / 'rom' / f'{node.name}_b.mem'
        write_mem(w_file, weight_words(node.weights, p['PE'], p['SIMD'], p['W_W']), p['PE'] * p['SIMD'] * p['W_W'])
        write_mem(b_file, bias_words(node.bias, p['PE'], p['B_W']), p['PE'] * p['B_W'])
        rom = Path(final_dir or out_dir).resolve() / 'rom'
        p.update(WEIGHT_FILE=str(rom / w_file.name), BIAS_FILE=str(rom / b_file.name))
    layers = [
        dict(name=n.name, module=n.module, cycles=MODULES[n.module].cycles(n, tensors), mac_cycles=mac_cycles(n, tensors), multipliers=multipliers(n),
             lut_multipliers=n.params.get('LUT_MULS', 0), output=n.outputs[0], output_beats=tensors[n.outputs[0]].pixels,
             params={k: v for k, v in n.params.items() if not k.endswith('_FILE')})
        for n in nodes
    ]  # fmt: skip
    interval = max(layer['cycles'] for layer in layers)
    manifest = dict(
        top=TOP,
        input=stream_info(image),
        output=stream_info(logits),
        estimated_interval_cycles=interval,
        multipliers=sum(layer['multipliers'] for layer in layers),
        lut_multipliers=sum(layer['lut_multipliers'] for layer in layers),
        multiplier_budget=budget,
        lut_multiplier_budget=lut_budget,
        fifos={n.inputs[0]: n.params['DEPTH'] for n in nodes if n.module == 'axis_fifo'},
        layers=layers,
    )
    doc = [
        f'{TOP}: generated by firmware/generate.py from the hls4ml graph of {graph.config.get_project_name()}; do not edit.',
        f'  s_axis: one {beat_bits(image)}-bit beat per pixel, raster order, {image.lanes} lane(s) of {lane_bytes(image.fmt)} bits,',
        f'          each the low {image.fmt.width} bits of {image.fmt.hls()}; tlast on the last pixel of a batch.',
        f'  m_axis: one {beat_bits(logits)}-bit beat per image, {logits.lanes} logits in lanes of {lane_bytes(logits.fmt)} bits,',
        f'          each {logits.fmt.hls()}, {"sign" if logits.fmt.signed else "zero"}-extended; tlast on the last image of a batch.',
        '          A batch that ends inside an image is completed with zero pixels (axis_batch). Softmax/argmax: host.',
        f'  Estimated interval: {interval} cycles per image; multipliers: {manifest["multipliers"]} ({manifest["lut_multipliers"]} in LUTs).',
    ]
    write_top(out_dir / f'{TOP}.v', tensors, nodes, image, logits, doc)
    (out_dir / 'manifest.json').write_text(json.dumps(manifest, indent=1) + '\n')
    chosen = {n.name: {'pe': n.params['PE'], 'simd': n.params['SIMD']} for n in nodes if n.weights is not None}
    (out_dir / 'folding.yaml').write_text('# The folding of this design (generated; `folding: <this file>` in a design point pins it).\n'
                                          + ''.join(f'{name}: {{pe: {f["pe"]}, simd: {f["simd"]}}}\n' for name, f in chosen.items()))  # fmt: skip
    return manifest


def folding_lines(manifest):
    """Per convolution: PE x SIMD, multipliers (those in LUTs), modeled cycles per image; the
    layer that sets the interval marked (a window or a pool when no convolution does)."""
    interval = manifest['estimated_interval_cycles']
    lines = [f'{"layer":<22}{"PE x SIMD":>11}{"mults":>7}{"in LUTs":>9}{"cycles/image":>14}']
    for layer in manifest['layers']:
        if layer['multipliers'] or layer['cycles'] == interval:
            p = layer['params']
            fold = f'{p["PE"]} x {p["SIMD"]}' if layer['multipliers'] else '-'
            mark = '  <- sets the interval' if layer['cycles'] == interval else ''
            luts = layer.get('lut_multipliers', 0) or ''
            lines.append(f'{layer["name"]:<22}{fold:>11}{layer["multipliers"]:>7}{luts:>9}{layer["cycles"]:>14,}{mark}')
    budget, lut_budget = manifest.get('multiplier_budget'), manifest.get('lut_multiplier_budget')
    note = f'  (budget {budget} DSP' + (f' + {lut_budget} LUT' if lut_budget else '') + ')' if budget else ''
    lines.append(f'{"total":<22}{"":>11}{manifest["multipliers"]:>7}{manifest.get("lut_multipliers", 0) or "":>9}{interval:>14,}' + note)
    return lines


def generate_rtl(graph, config, board, folder):
    """The RTL of `graph` for `board` into `folder` (replaced only on success): the board's own
    folding when it names one (one known to fit and route there), else the design point's, within
    the board's multiplier budget; the manifest. Every flow generates its RTL here."""
    from model.store import atomic_dir

    with atomic_dir(folder) as rtl:
        return build(graph, load_folding(board.get('folding') or config['folding']), rtl, folder, **multiplier_budget(board, config))


def main(argv=None):
    parser = cli.Parser(description=__doc__)
    parser.add_argument('--config', default=str(cli.ROOT / 'hls' / 'config.yaml'), help='design point')
    parser.add_argument('--model', default=None, help='quantized .keras model (default: the config\'s)')
    parser.add_argument('--out', default=str(cli.ROOT / 'build' / 'rtl'), help='output folder (replaced only on success)')
    parser.add_argument('--list-passes', action='store_true', help='list the passes over the graph and exit')
    parser.add_argument('--stop-after', default=None, metavar='PASS', help='print the nodes after this pass (as JSON) instead of writing the RTL')
    args = parser.parse_args(argv)
    if args.list_passes:
        print('\n'.join(f'{name}: {run.__doc__.splitlines()[0]}' for name, run in PASSES))
        return 0

    from hls.convert import convert, load_config
    from model.store import load_quantized

    config = load_config(args.config, model=args.model)
    qmodel = load_quantized(config['model'])
    load_folding(config['folding'])
    out = Path(args.out)
    graph = convert(qmodel, config, out.parent / f'{out.name}-hls')
    board = load_board(config['board'])
    if args.stop_after:
        _, nodes = run_passes(graph, load_folding(board.get('folding') or config['folding']), **multiplier_budget(board, config), stop_after=args.stop_after)
        print(json.dumps([dict(name=n.name, module=n.module, inputs=n.inputs, outputs=n.outputs, params=n.params) for n in nodes], indent=1))
        return 0
    manifest = generate_rtl(graph, config, board, out)
    print('\n'.join(folding_lines(manifest)))
    print(f'RTL written to {args.out}: {len(manifest["layers"])} modules, {manifest["multipliers"]} multipliers, '
          f'about {manifest["estimated_interval_cycles"]} cycles per image')  # fmt: skip
    return 0


if __name__ == '__main__':
    sys.exit(cli.run(main))
