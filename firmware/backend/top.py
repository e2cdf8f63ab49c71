"""The writer: the streaming top (AXI4-Stream in and out, axis_batch, one instance per node)."""
import math
import re

from firmware.backend.modules import MODULES
from firmware.library import verilog_value

TOP = 'squeezenet_top'
BATCH_DEPTH = 16  # images in flight whose batch end (tlast) axis_batch holds; more only stall the input


def lane_bits(fmt):
    """A lane's width at the top: the format's width rounded up to whole bytes."""
    return math.ceil(fmt.width / 8) * 8


def beat_bits(tensor):
    """tdata width of one pixel at the top: whole-byte lanes, padded to a power of two bytes (AXI DMA widths)."""
    return max(8, 1 << math.ceil(math.log2(tensor.lanes * lane_bits(tensor.fmt))))


def result_beats(logits, stream_bits=None):
    """(tdata width, beats per image) of the results at the top: one beat_bits beat, or, where that
    is wider than the board's DMA stream (stream_bits), as many stream_bits beats as the lanes
    need (axis_downsize; the last one padded with zeros)."""
    one = beat_bits(logits)
    if stream_bits is None or one <= stream_bits:
        return one, 1
    return stream_bits, math.ceil(logits.lanes * lane_bits(logits.fmt) / stream_bits)


def stream_modules(image, logits, stream_bits=None):
    """The top's instances that are not nodes of the graph, as (name, module, params): axis_batch
    between the ports and the network, and axis_downsize where the results leave in several beats."""
    out_beat, beats = result_beats(logits, stream_bits)
    batch = ('batch', 'axis_batch', dict(DW=beat_bits(image), RW=out_beat * beats, PIXELS=image.pixels, DEPTH=BATCH_DEPTH))
    return [batch] + ([('downsize', 'axis_downsize', dict(S_W=out_beat * beats, M_W=out_beat))] if beats > 1 else [])


def instance(module, params, name, ports):
    """An instance as the top writes it."""
    listed = ',\n'.join(f'    .{k}({verilog_value(v)})' for k, v in params.items())
    return [f'{module} #(', listed, f') {identifier(name)} (', '    ' + ',\n    '.join(ports), ');', '']


def write_top(path, tensors, nodes, image, logits, doc, stream_bits=None):
    in_lane, out_lane = lane_bits(image.fmt), lane_bits(logits.fmt)
    out_beat, beats = result_beats(logits, stream_bits)
    result = out_beat * beats  # one image's results, as axis_batch passes them
    (_, _, batch), *downsize = stream_modules(image, logits, stream_bits)
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
        f'    output wire [{out_beat - 1}:0] m_axis_tdata,',
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
        f'wire [{result - 1}:0] batch_res_tdata;',
        f'assign {image.name}_tdata = {{{in_lanes}}};',
    ]
    # output lanes: sign- or zero-extended to whole bytes
    w = logits.fmt.width
    pad = result - logits.lanes * out_lane
    out_lanes = [f"{pad}'d0"] if pad else []
    for c in reversed(range(logits.lanes)):
        msb = f'{logits.name}_tdata[{c * w + w - 1}]' if logits.fmt.signed else "1'b0"
        ext = f'{{{out_lane - w}{{{msb}}}}}, ' if out_lane > w else ''
        out_lanes.append(f'{{{ext}{logits.name}_tdata[{c * w + w - 1}:{c * w}]}}')
    # axis_batch's results go straight out, or through axis_downsize in DMA-wide beats
    out = 'm_axis' if beats == 1 else 'batch_out'
    lines += [
        f'assign batch_res_tdata = {{{", ".join(out_lanes)}}};',
        *([] if beats == 1 else [f'wire [{result - 1}:0] batch_out_tdata;', 'wire batch_out_tvalid, batch_out_tready, batch_out_tlast;']),
        '',
    ]
    lines += instance('axis_batch', batch, 'batch', [
        '.clk(clk)', '.rst(rst)',
        '.s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready), .s_axis_tlast(s_axis_tlast)',
        f'.m_img_tdata(batch_img_tdata), .m_img_tvalid({image.name}_tvalid), .m_img_tready({image.name}_tready)',
        f'.s_res_tdata(batch_res_tdata), .s_res_tvalid({logits.name}_tvalid), .s_res_tready({logits.name}_tready)',
        f'.m_axis_tdata({out}_tdata), .m_axis_tvalid({out}_tvalid), .m_axis_tready({out}_tready), .m_axis_tlast({out}_tlast)',
    ])  # fmt: skip
    for name, module, params in downsize:
        lines += instance(module, params, name, [
            '.clk(clk)', '.rst(rst)',
            '.s_axis_tdata(batch_out_tdata), .s_axis_tvalid(batch_out_tvalid), .s_axis_tready(batch_out_tready), .s_axis_tlast(batch_out_tlast)',
            '.m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready), .m_axis_tlast(m_axis_tlast)',
        ])  # fmt: skip
    for node in nodes:
        ins, outs = MODULES[node.module].inputs, MODULES[node.module].outputs
        ports = ['.clk(clk)', '.rst(rst)']
        for prefix, t in [*zip(ins, node.inputs), *zip(outs, node.outputs)]:
            ports += [f'.{prefix}_tdata({t}_tdata)', f'.{prefix}_tvalid({t}_tvalid)', f'.{prefix}_tready({t}_tready)']
        lines += instance(node.module, node.params, node.name, ports)
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


def stream_info(tensor, beat, beats):
    """The manifest's description of the top's input or output: `beats` beats of `beat` bits per
    image, lanes little-endian across them."""
    fmt = tensor.fmt
    return dict(tensor=tensor.name, shape=tensor.shape, format=fmt.hls(), frac=fmt.frac, signed=fmt.signed, lane_bits=lane_bits(fmt),
                beat_bits=beat, beats_per_image=beats)  # fmt: skip
