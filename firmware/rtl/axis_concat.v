// axis_concat: channel concatenation of two pixel streams (Fire module expand 1x1 || 3x3).
//   One beat of each input makes one output beat {b, a}: a's channels first (low bits).
//   The output is a skid buffer, so the readies come from registers and the inputs' valids.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module axis_concat #(
    parameter A_WIDTH = 8,
    parameter B_WIDTH = 8
) (
    input  wire                       clk,
    input  wire                       rst,
    input  wire [A_WIDTH-1:0]         a_axis_tdata,
    input  wire                       a_axis_tvalid,
    output wire                       a_axis_tready,
    input  wire [B_WIDTH-1:0]         b_axis_tdata,
    input  wire                       b_axis_tvalid,
    output wire                       b_axis_tready,
    output wire [A_WIDTH+B_WIDTH-1:0] m_axis_tdata,
    output wire                       m_axis_tvalid,
    input  wire                       m_axis_tready
);

wire out_ready;
wire take = a_axis_tvalid && b_axis_tvalid && out_ready;
assign a_axis_tready = take;
assign b_axis_tready = take;

axis_register #(.WIDTH(A_WIDTH + B_WIDTH)) out_reg (
    .clk(clk), .rst(rst),
    .s_axis_tdata({b_axis_tdata, a_axis_tdata}), .s_axis_tvalid(take), .s_axis_tready(out_ready),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)
);

endmodule

`resetall
