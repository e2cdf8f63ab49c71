"""The passes over the nodes, in order (PASSES): each pass(tensors, nodes, options) -> nodes."""
import numpy as np

from firmware.backend.folding import choose_folding, divisors
from firmware.backend.ir import PADS, GraphError, Node, Tensor, cast_params, consumers, fmt_params, producer
from firmware.backend.modules import MODULES, channel_folded, multipliers, read_graph
from firmware.rom import codebook

FIFO_MARGIN = 2  # beats beyond the computed lag: the clone's output register and one in flight


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


def prune(tensors, nodes, options):
    """Each convolution's dead input channels (every weight of the channel zero: pruned whole)
    dropped: an axis_select before it passes the others, so the dead ones cost neither ROM
    bits nor multiplies nor cycles, and the window of a K x K convolution does not keep them.
    Exact, since a zero weight adds nothing to any sum; the model and csim keep the zeros."""
    for conv in [n for n in nodes if n.weights is not None]:
        p = conv.params
        c_in = p['N'] if conv.module == 'pointwise_conv' else p['C_IN']
        per_channel = conv.weights.reshape(len(conv.weights), -1, c_in)  # (C_OUT, K*K, C_IN)
        keep = per_channel.any(axis=(0, 1))
        if keep.all():
            continue
        keep[np.argmax(keep)] = True  # a layer of zeros still takes one channel, to pace its beats
        source = tensors[conv.inputs[0]]
        kept = f'{conv.name}_kept'
        tensors[kept] = Tensor(kept, source.shape[:-1] + (int(keep.sum()),), source.fmt)
        mask = sum(1 << int(c) for c in np.flatnonzero(keep))
        select = Node(f'{conv.name}_select', 'axis_select', [source.name], [kept], dict(LANES=c_in, LANE_W=source.fmt.width, KEEP=mask, KEPT=int(keep.sum())))
        nodes.insert(nodes.index(conv), select)
        conv.inputs = [kept] + conv.inputs[1:]
        conv.weights = per_channel[:, :, keep].reshape(len(conv.weights), -1)
        p['N' if conv.module == 'pointwise_conv' else 'C_IN'] = int(keep.sum())
    return nodes


def share(tensors, nodes, options):
    """With `options` weight_sharing, each convolution whose weights take at most half the values
    of their format gets a codebook (CODE_W-bit indices in its ROM, Deep Compression's shared
    weights); without it, none: a codebook costs a stage and LUTs per multiplier, worth it only
    where the model was trained to share."""
    if options['weight_sharing']:
        for node in [n for n in nodes if n.weights is not None]:
            found = codebook(node.weights, node.params['W_W'])
            if found:
                node.codebook, node.params['CODE_W'] = found
    return nodes


def fold(tensors, nodes, options):
    """PE and SIMD of every convolution; `options`: folding, budget, lut_budget. A layer named in
    `folding` gets its entry: PE must divide its outputs, SIMD be at most its fan-in (one that does
    not divide it pads the last pass with zeros). So does every other layer when `folding` has a
    'default' entry, reduced to the largest divisors of the layer's outputs and fan-in. Without one, the other layers are chosen together
    (choose_folding) for the shortest interval within `budget` (DSP) + `lut_budget` multipliers,
    less those of the named layers. Multipliers beyond `budget` are built in LUTs (LUT_MULS),
    up to `lut_budget`, in the layers with the fewest multipliers first."""
    folding, budget, lut_budget = options['folding'], options['budget'], options['lut_budget']
    convs = [n for n in nodes if n.weights is not None]
    unknown = set(folding) - {'default'} - {n.name for n in convs + channel_folded(nodes)}
    if unknown:
        raise GraphError(f'folding names layers that are not convolutions or pools of this model: {sorted(unknown)}')
    for node in convs:
        if 'lanes' in folding.get(node.name, {}):
            raise GraphError(f'folding: {node.name} is a convolution: it takes pe and simd, not lanes')
    given = [n for n in convs if n.name in folding or 'default' in folding]
    for node in given:
        c_out, n = node.weights.shape
        entry = {'pe': 1, 'simd': 1, **folding.get('default', {}), **folding.get(node.name, {})}
        named = folding.get(node.name, {})
        if 'pe' in named and c_out % named['pe']:
            raise GraphError(f'{node.name}: pe={named["pe"]} does not divide {c_out}; choose one of {divisors(c_out)}')
        if 'simd' in named and named['simd'] > n:
            raise GraphError(f'{node.name}: simd={named["simd"]} is more than its fan-in of {n}')
        for key, total in (('pe', c_out), ('simd', n)):
            if key not in named:
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


def narrow(tensors, nodes, options):
    """LANES of every module folded over its channels (pools, global average): a layer named in
    `folding` with `lanes` gets that; the others the fewest lanes (a divisor of C) that keep
    within the interval the convolutions set, so that a wide pool or average costs a few
    comparators or adders instead of C."""
    folding = options['folding']
    interval = max(MODULES[n.module].cycles(n, tensors) for n in nodes)
    for node in channel_folded(nodes):
        module, entry, c = MODULES[node.module], folding.get(node.name, {}), node.params['C']
        if set(entry) - {'lanes'}:
            raise GraphError(f'folding: {node.name} is a pool: it takes lanes (channels per cycle), not {sorted(set(entry) - {"lanes"})}')
        given = entry.get('lanes')
        if given is not None:
            if c % given:
                raise GraphError(f'{node.name}: lanes={given} does not divide {c}; choose one of {divisors(c)}')
            node.params['LANES'] = given
        else:
            node.params['LANES'] = next(d for d in divisors(c) if module.lanes_cycles(node, tensors, d) <= interval)
    return nodes


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
PASSES = [('fuse', fuse), ('prune', prune), ('share', share), ('fold', fold), ('narrow', narrow), ('insert_fifos', insert_fifos)]


def run_passes(graph, folding, budget=None, lut_budget=0, stop_after=None, weight_sharing=False):
    """(tensors, nodes) of the graph after its passes, up to `stop_after` (a pass name)."""
    names = [name for name, _ in PASSES]
    if stop_after is not None and stop_after not in names:
        raise GraphError(f'no pass {stop_after!r}; the passes are: {", ".join(names)}')
    tensors, nodes = read_graph(graph)
    options = dict(folding=folding, budget=budget, lut_budget=lut_budget, weight_sharing=weight_sharing)
    for name, run in PASSES:
        nodes = run(tensors, nodes, options)
        if name == stop_after:
            break
    return tensors, nodes
