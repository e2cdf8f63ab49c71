"""On-chip memory a generated design needs, per layer, from its manifest: what decides whether a
network fits a part at all, before any synthesis is run.

Each layer of the manifest lists the memories its module declares (firmware.backend.modules:
weight and bias ROMs, a window's row banks, a pool's partial row, the global average's sums, a
FIFO's beats), each as depth x width. A memory of at most 64 words goes to LUT RAM (RAM64M), as
Vivado and Yosys map it, unless its RTL asks for block RAM (the weight ROMs); a deeper one to
block RAM unless its RTL asks for LUT RAM (a pool's maxima across), rounded up to whole BRAM36 (36 Kb, in the
aspect ratio that wastes least, 512 x 72 to 32K x 1, or RAMB18 halves)."""
import math

BRAM36_BITS = 36 * 1024
LUTRAM_DEPTH = 64
# BRAM36 aspect ratios (depth, width), the parity bits counted where the width has them; a
# BRAM36 is also two RAMB18 of half the depth (as Yosys and Vivado use them for a small memory)
ASPECTS = ((512, 72), (1024, 36), (2048, 18), (4096, 9), (8192, 4), (16384, 2), (32768, 1))
HALF_ASPECTS = ((512, 36), (1024, 18), (2048, 9), (4096, 4), (8192, 2), (16384, 1))


def bram36(depth, width):
    """BRAM36s a depth x width memory takes, in halves (RAMB18) where that is fewer."""
    whole = min(math.ceil(depth / d) * math.ceil(width / w) for d, w in ASPECTS)
    return min(whole, min(math.ceil(depth / d) * math.ceil(width / w) for d, w in HALF_ASPECTS) / 2)


def per_layer(manifest):
    """{layer: dict(kb, bram36, lutram_kb)} of every layer that keeps memory, and 'total'."""
    rows = {}
    for layer in manifest['layers']:
        found = [m for m in layer['memories'] for _ in range(m['count'])]
        if found:
            deep = [m for m in found if m['ram'] == 'block' or (m['ram'] == 'auto' and m['depth'] > LUTRAM_DEPTH)]
            rows[layer['name']] = dict(kb=sum(m['depth'] * m['width'] for m in found) / 8 / 1024, bram36=sum(bram36(m['depth'], m['width']) for m in deep),
                                       lutram_kb=sum(m['depth'] * m['width'] for m in found if m not in deep) / 8 / 1024)  # fmt: skip
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
