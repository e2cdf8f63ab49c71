// axis_concat: channel concatenation of two pixel streams (Fire module expand 1x1 || 3x3).
//   One beat of each input makes one output beat {b, a}: a's channels first (low bits).
//   A join, no register: m_axis is the two inputs side by side, valid when both are, and each
//   input is taken when the other is there and m_axis_tready is high. Its inputs are modules'
//   outputs (registers) and its consumer's ready is a register, so the path is one gate from
//   register to register; a skid buffer here would copy every beat twice (4,096 bits after
//   SqueezeNet's fire9: a LUT and two registers per bit).
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

assign m_axis_tdata = {b_axis_tdata, a_axis_tdata};
assign m_axis_tvalid = a_axis_tvalid && b_axis_tvalid;
assign a_axis_tready = m_axis_tready && b_axis_tvalid;
assign b_axis_tready = m_axis_tready && a_axis_tvalid;

endmodule

`resetall
