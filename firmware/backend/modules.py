"""The module registry: what the backend knows of each RTL module (firmware/rtl/<name>.v), one
class per module named after its file: the hls4ml layers it implements (`read` turns one into a
Node), its stream ports, its cycle model and which input beat each output beat needs. A new
module is one subclass in MODULES; docs/modules.md indexes them."""
from firmware.backend.ir import PADS, GraphError, Node, Tensor, cast_params, fmt_params, graph_format, raw

def mac_cycles(node, tensors):
    """Cycles per image in which a convolution's multipliers do useful work: (outputs/PE)*(fan-in/
    SIMD) per pixel, the zeros of a partial last pass (SIMD not dividing the fan-in) left out."""
    if node.weights is None:
        return 0
    c_out, n = node.weights.shape
    return round((c_out // node.params['PE']) * n * tensors[node.outputs[0]].pixels / node.params['SIMD'])


def pass_cycles(node, tensors):
    """Cycles per image of a convolution's schedule: (outputs/PE)*ceil(fan-in/SIMD) per pixel."""
    c_out, n = node.weights.shape
    return (c_out // node.params['PE']) * -(-n // node.params['SIMD']) * tensors[node.outputs[0]].pixels


def multipliers(node):
    return node.params['PE'] * node.params['SIMD'] if node.weights is not None else 0


def conv_size(p):
    """(OH, OW) of a conv2d's parameters."""
    return (p['H'] + p['PAD_T'] + p['PAD_B'] - p['K']) // p['S'] + 1, (p['W'] + p['PAD_L'] + p['PAD_R'] - p['K']) // p['S'] + 1


def window_cycles(p):
    """Cycles per image of sliding_window never stalled: its input (a pixel per cycle, a cycle
    between rows) and its output rows (a column per cycle, (OW-1)*S + K columns and 3 cycles
    between rows) overlap."""
    oh, ow = conv_size(p)
    return max(p['H'] * (p['W'] + 1), oh * ((ow - 1) * p['S'] + p['K'] + 3))


def pool_cycles(p):
    """Cycles per image of window_max_pool never stalled: G = C / LANES per position of the
    padded image, and a cycle per output pixel (its output register waits to be taken)."""
    oh, ow = conv_size(p)
    hp, wp = p['H'] + p['PAD_T'] + p['PAD_B'], p['W'] + p['PAD_L'] + p['PAD_R']
    return hp * wp * (p['C'] // p['LANES']) + oh * ow


def conv2d_cycles(p):
    """Cycles per image of conv2d never stalled: the window or the multipliers, the slower."""
    oh, ow = conv_size(p)
    macs = (p['C_OUT'] // p['PE']) * -(-p['K'] * p['K'] * p['C_IN'] // p['SIMD']) * oh * ow
    return max(macs, window_cycles(p))


def memory(what, depth, width, count=1, ram='auto'):
    """A memory an RTL module declares: `count` of depth x width. `ram`: 'block' or 'lut' where its
    RTL asks for block or LUT RAM (rom_style/ram_style) whatever its depth, 'auto' where
    synthesis chooses by depth."""
    return dict(what=what, depth=depth, width=width, count=count, ram=ram)


def rom_memories(p, n):
    """pointwise_conv's weight and bias ROMs: C_OUT/PE x N/SIMD words of PE*SIMD weights (in
    block RAM; codebook indices where CODE_W), and a word of PE biases per C_OUT/PE; the codebook
    read by each of the PE*SIMD lanes (a LUT ROM per lane)."""
    nf, code_w = p['C_OUT'] // p['PE'], p.get('CODE_W', 0)
    lanes = p['PE'] * p['SIMD']
    roms = [memory('weights', nf * -(-n // p['SIMD']), lanes * (code_w or p['W_W']), ram='block'), memory('biases', nf, p['PE'] * p['B_W'])]
    return roms + ([memory('codebook', 1 << code_w, p['W_W'], lanes, ram='lut')] if code_w else [])


def window_memories(p, pixel_bits):
    """sliding_window's rows: K + S banks (the input runs S rows ahead) of W pixels, kept once per
    window row (K views), each addressed {bank, column}: 2^(clog2(K + S) + clog2(W)) words, in
    block RAM beyond 64."""
    depth = 2 ** ((p['K'] + p['S'] - 1).bit_length() + max(1, (p['W'] - 1).bit_length()))
    return [memory('window rows', depth, pixel_bits, p['K'], 'block' if depth > 64 else 'auto')]


class Module:
    """One RTL module (firmware/rtl/<name>.v) as the backend sees it: the hls4ml layer classes it
    implements (`read` turns one into a Node), its stream ports, its cycle model, which input
    beat each output beat needs and the memories it keeps. A new module is one subclass in MODULES."""

    name = ''
    layers = ()  # hls4ml layer classes this module reads
    channel_folded = False  # takes LANES of its C channels per cycle (the narrow pass sets LANES)
    inputs, outputs = ('s_axis',), ('m_axis',)  # port prefixes, in the order of node.inputs / outputs

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

    def lanes_cycles(self, node, tensors, lanes):
        """Cycles per image with `lanes` channels per cycle (a channel_folded module)."""
        raise NotImplementedError(self.name)

    def memories(self, p):
        """Each memory its RTL declares (see `memory`), from its parameters: what decides the
        on-chip memory a design needs (firmware.memory)."""
        return []


class ZeroPadding(Module):
    name, layers = 'zero_padding', ('ZeroPadding2D',)  # fused into the convolution after it

    def read(self, layer, tensors, ins, outs):
        pads = {p: layer.get_attr(a) for p, a in zip(PADS, ('pad_top', 'pad_left', 'pad_bottom', 'pad_right'))}
        return Node(layer.name, self.name, ins, outs, pads)


class Relu(Module):
    name, layers = 'relu', ('Activation',)  # fused into its convolution

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

    def memories(self, p):
        roms = rom_memories(p, p['K'] * p['K'] * p['C_IN'])
        return roms + (window_memories(p, p['C_IN'] * p['IN_W']) if p['K'] > 1 else [])

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
        return pass_cycles(node, tensors)

    def memories(self, p):
        return rom_memories(p, p['N'])


class MaxPool(Module):
    name, layers = 'max_pool', ('Pooling2D',)

    def read(self, layer, tensors, ins, outs):
        if layer.get_attr('pool_op', 'Max') != 'Max' or layer.get_attr('pool_height') != layer.get_attr('stride_height'):
            raise GraphError(f'{layer.name}: only max pooling is supported; hls/pooling.py makes overlapping and padded pools OverlappingPooling2D')
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

    def memories(self, p):
        return [memory('partial row', p['W'] // p['P'], p['C'] * p['DW'])]


class WindowMaxPool(Module):
    """Running maxima across the columns, then down the rows: the pools hls/pooling.py gives
    hls4ml (overlapping or padded)."""

    name, layers, channel_folded = 'window_max_pool', ('OverlappingPooling2D',), True

    def read(self, layer, tensors, ins, outs):
        k = layer.get_attr('pool_height')
        if layer.get_attr('pool_width') != k or layer.get_attr('stride_width') != layer.get_attr('stride_height'):
            raise GraphError(f'{layer.name}: only square pools and strides are supported')
        h, w, c = tensors[ins[0]].shape
        f = tensors[outs[0]].fmt
        pads = {p: layer.get_attr(a) for p, a in zip(PADS, ('pad_top', 'pad_left', 'pad_bottom', 'pad_right'))}
        if f.signed and any(pads.values()):
            raise GraphError(f'{layer.name}: a padded max pool needs an unsigned input (the window pads with zeros), got {f.hls()}')
        return Node(layer.name, self.name, ins, outs, dict(H=h, W=w, C=c, LANES=c, DW=f.width, SIGNED=int(f.signed), K=k, S=layer.get_attr('stride_height'), **pads))

    def cycles(self, node, tensors):
        return self.lanes_cycles(node, tensors, node.params['LANES'])

    def lanes_cycles(self, node, tensors, lanes):
        return pool_cycles({**node.params, 'LANES': lanes})

    def last_input(self, node, k):
        return Conv2d.last_input(self, node, k)

    def memories(self, p):
        # R = ceil(K / S) running maxima across (a group each) and down (a group per window of a row)
        r, groups, lane_bits = -(-p['K'] // p['S']), p['C'] // p['LANES'], p['LANES'] * p['DW']
        down = conv_size(p)[1] * groups
        return [memory('maxima across', groups, lane_bits, r, 'lut'), memory('maxima down', down, lane_bits, r, 'block' if down > 64 else 'auto')]

    def burst(self, node):
        # the windows of an output row leave during the input row that ends them: S input rows. worth
        p = node.params
        ow = conv_size(p)[1]
        return -(-ow * (p['S'] - 1) // p['S'])


class GlobalAvgPool(Module):
    name, layers, channel_folded = 'global_avg_pool', ('GlobalPooling2D',), True

    def read(self, layer, tensors, ins, outs):
        h, w, c = tensors[ins[0]].shape
        acc = graph_format(layer.types['accum_t'].precision)
        out = tensors[outs[0]].fmt
        return Node(layer.name, self.name, ins, outs, dict(
            H=h, W=w, C=c, LANES=c, **fmt_params('IN_', tensors[ins[0]].fmt), ACC_W=acc.width, ACC_F=acc.frac,
            **fmt_params('OUT_', out), **cast_params(out),
        ))  # fmt: skip

    def cycles(self, node, tensors):
        return self.lanes_cycles(node, tensors, node.params['LANES'])

    def lanes_cycles(self, node, tensors, lanes):
        # C / lanes cycles per pixel; one lane divided at a time, ACC_W + 2 cycles each after
        # two cycles that read the first, while the next image is summed
        p = node.params
        return max(p['H'] * p['W'] * (p['C'] // lanes), p['C'] * (p['ACC_W'] + 2) + 2)

    def last_input(self, node, k):
        return node.params['H'] * node.params['W'] - 1

    def memories(self, p):
        groups = p['C'] // p['LANES']
        # read twice a cycle (summing, dividing) at two addresses: two copies
        return [memory('sums of two images', 2 * 2 ** max(1, (groups - 1).bit_length()), p['LANES'] * p['ACC_W'], 2)]


class AxisClone(Module):
    name, layers, outputs = 'axis_clone', ('Clone',), ('m0_axis', 'm1_axis')

    def read(self, layer, tensors, ins, outs):
        return Node(layer.name, self.name, ins, outs, dict(WIDTH=tensors[ins[0]].bits))


class AxisConcat(Module):
    name, layers, inputs = 'axis_concat', ('Concatenate',), ('a_axis', 'b_axis')

    def read(self, layer, tensors, ins, outs):
        a, b = (tensors[t] for t in ins)
        if a.fmt != b.fmt or layer.get_attr('axis', -1) not in (-1, 3):
            raise GraphError(f'{layer.name}: only channel concatenation of one format is supported')
        return Node(layer.name, self.name, ins, outs, dict(A_WIDTH=a.bits, B_WIDTH=b.bits))


class AxisAdd(Module):
    name, layers, inputs = 'axis_add', ('Merge',), ('a_axis', 'b_axis')

    def read(self, layer, tensors, ins, outs):
        if layer.get_attr('op') != 'add':
            return super().read(layer, tensors, ins, outs)
        a, b, out = (tensors[t] for t in (*ins, outs[0]))
        return Node(layer.name, self.name, ins, outs, dict(
            C=out.lanes, **fmt_params('A_', a.fmt), **fmt_params('B_', b.fmt), **fmt_params('OUT_', out.fmt), **cast_params(out.fmt)
        ))  # fmt: skip


class AxisFifo(Module):
    """The buffer pass puts one on the short branch of a fork."""

    name = 'axis_fifo'

    def memories(self, p):
        return [memory('beats', p['DEPTH'], p['WIDTH'])]


class AxisSelect(Module):
    """The prune pass puts one before a convolution with dead input channels."""

    name = 'axis_select'


MODULES = {
    m.name: m
    for m in (ZeroPadding(), Relu(), Conv2d(), PointwiseConv(), MaxPool(), WindowMaxPool(), GlobalAvgPool(), AxisClone(), AxisConcat(), AxisAdd(), AxisFifo(), AxisSelect())
}
READS = {kind: m for m in MODULES.values() for kind in m.layers}


def channel_folded(nodes):
    """The nodes whose modules take LANES of their channels per cycle (pools, global average)."""
    return [n for n in nodes if MODULES[n.module].channel_folded]


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
