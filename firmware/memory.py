"""On-chip memory a generated design needs, per layer, from its manifest: what decides whether a
network fits a part at all, before any synthesis is run.

Per layer: the weight and bias ROMs (pointwise_conv's words: C_OUT/PE x N/SIMD of PE*SIMD
weights) and, where a window is kept, the line buffer (sliding_window: K rows of the padded input);
each FIFO's beats. A memory of at most 64 words goes to LUT RAM (RAM64M), as Vivado and Yosys map
it; a deeper one to block RAM, rounded up to whole BRAM36 (36 Kb, in the aspect ratio that
wastes least, 512 x 72 to 32K x 1)."""
import math

BRAM36_BITS = 36 * 1024
LUTRAM_DEPTH = 64
# BRAM36 aspect ratios (depth, width), the parity bits counted where the width has them
ASPECTS = ((512, 72), (1024, 36), (2048, 18), (4096, 9), (8192, 4), (16384, 2), (32768, 1))


def bram36(depth, width):
    """Whole BRAM36s a depth x width memory takes."""
    return min(math.ceil(depth / d) * math.ceil(width / w) for d, w in ASPECTS)


def memories(layer):
    """(depth, width) of each memory of a manifest layer."""
    p, module = layer['params'], layer['module']
    found = []
    if module in ('conv2d', 'pointwise_conv'):
        n = p['N'] if module == 'pointwise_conv' else p['K'] * p['K'] * p['C_IN']
        found += [((p['C_OUT'] // p['PE']) * (n // p['SIMD']), p['PE'] * p['SIMD'] * p['W_W']), (p['C_OUT'] // p['PE'], p['PE'] * p['B_W'])]
    if module == 'conv2d' and p['K'] > 1:
        found.append((p['K'] * (p['W'] + p['PAD_L'] + p['PAD_R']), p['C_IN'] * p['IN_W']))
    if module == 'window_max_pool':
        found.append((p['K'] * (p['W'] + p['PAD_L'] + p['PAD_R']), p['C'] * p['DW']))
    if module == 'axis_fifo':
        found.append((p['DEPTH'], p['WIDTH']))
    return found


def per_layer(manifest):
    """{layer: dict(kb, bram36, lutram_kb)} of every layer that keeps memory, and 'total'."""
    rows = {}
    for layer in manifest['layers']:
        found = memories(layer)
        if found:
            deep = [(d, w) for d, w in found if d > LUTRAM_DEPTH]
            rows[layer['name']] = dict(kb=sum(d * w for d, w in found) / 8 / 1024, bram36=sum(bram36(d, w) for d, w in deep),
                                       lutram_kb=sum(d * w for d, w in found if d <= LUTRAM_DEPTH) / 8 / 1024)  # fmt: skip
    rows['total'] = {k: sum(r[k] for r in rows.values()) for k in ('kb', 'bram36', 'lutram_kb')}
    return rows


def board_kb(board):
    return board['resources']['BRAM36'] * BRAM36_BITS / 8 / 1024


def table(rows, board, top=12):
    """The largest layers, the total and the board's block RAM; the shortfall when there is one."""
    names = sorted((n for n in rows if n != 'total'), key=lambda n: (-rows[n]['bram36'], -rows[n]['kb']))

    def row(name, r):
        return f'{name:<34}{r["kb"]:>10,.1f}{r["bram36"]:>10,}{r["lutram_kb"]:>14,.1f}'

    lines = [f'{"layer (largest first)":<34}{"KB":>10}{"BRAM36":>10}{"LUT RAM KB":>14}']
    lines += [row(name, rows[name]) for name in names[:top]]
    if len(names) > top:
        rest = names[top:]
        lines.append(row(f'({len(rest)} more)', {k: sum(rows[n][k] for n in rest) for k in ('kb', 'bram36', 'lutram_kb')}))
    total, have = rows['total'], board['resources']['BRAM36']
    lines.append('-' * 68)
    lines.append(row('needed', total))
    lines.append(f'{board["name"] + " block RAM":<34}{board_kb(board):>10,.1f}{have:>10,}')
    if total['bram36'] > have:
        short = total['bram36'] - have
        lines.append(f'{"short by":<34}{short * BRAM36_BITS / 8 / 1024:>10,.1f}{short:>10,}'
                     f'   ({total["bram36"] / have:.1f}x the part)')  # fmt: skip
    return '\n'.join(lines)


def fits(rows, board):
    return rows['total']['bram36'] <= board['resources']['BRAM36']
