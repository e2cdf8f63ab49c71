// axis_downsize: each wide beat leaves as S_W / M_W narrow beats, least significant bits first,
// so that results wider than a DMA's stream reach it in beats of its width.
//   s_axis: S_W bits with tlast; m_axis: M_W bits, tlast on the last narrow beat of a wide beat
//   that had tlast. S_W must be a multiple of M_W (at least two beats: one is a wire).
//   One narrow beat per cycle. The narrow beats are read in place from s_axis_tdata, which
//   AXI-stream holds until the wide beat is taken (with its last narrow beat): a counter and
//   a mux, no copy of the wide beat (16,000 registers for SqueezeNet's logits).
//   m_axis is registered; s_axis_tready is m_axis_tready gated by the beat count (no skid: a
//   wide beat waits where it is, in the producer's output register).
`resetall
`timescale 1ns / 1ps
`default_nettype none

module axis_downsize #(
    parameter S_W = 64,
    parameter M_W = 16
) (
    input  wire           clk,
    input  wire           rst,
    input  wire [S_W-1:0] s_axis_tdata,
    input  wire           s_axis_tvalid,
    output wire           s_axis_tready,
    input  wire           s_axis_tlast,
    output wire [M_W-1:0] m_axis_tdata,
    output reg            m_axis_tvalid = 0,
    input  wire           m_axis_tready,
    output wire           m_axis_tlast
);

localparam integer BEATS = S_W / M_W;
localparam integer CB = BEATS > 2 ? $clog2(BEATS) : 1;
localparam integer FINAL = BEATS - 1;

generate
    if (M_W < 1 || S_W % M_W != 0 || BEATS < 2) begin : bad_width
`ifdef __ICARUS__  // Icarus 11 has no elaboration-time $error: the check fails at time 0
        initial $fatal(1, "axis_downsize: S_W must be a multiple of M_W, at least 2 M_W");
`else
        $error("axis_downsize: S_W must be a multiple of M_W, at least 2 M_W");
`endif
    end
endgenerate

reg [CB-1:0] piece = 0;  // the narrow beat of s_axis_tdata read next
reg [M_W-1:0] data = 0;
reg last = 0;
wire last_piece = piece == FINAL[CB-1:0];

// the output register loads whenever it is empty or its beat leaves now
wire load = !m_axis_tvalid || m_axis_tready;
assign s_axis_tready = load && last_piece && !rst;
assign m_axis_tdata = data;
assign m_axis_tlast = last;

always @(posedge clk) begin
    if (load) begin
        data <= s_axis_tdata[piece*M_W +: M_W];
        last <= s_axis_tlast && last_piece;
    end
    if (rst) begin
        m_axis_tvalid <= 0;
        piece <= 0;
    end else if (load) begin
        m_axis_tvalid <= s_axis_tvalid;
        if (s_axis_tvalid) piece <= last_piece ? 0 : piece + 1'b1;
    end
end

endmodule

`resetall
