// axis_clone: one stream to two (the fork of a Fire module or of a bypass).
//   A beat is taken from s_axis when both output skid buffers can take it, and then offered on
//   m0_axis and m1_axis, each drained independently. s_axis_tready is the AND of two registers.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module axis_clone #(
    parameter WIDTH = 8
) (
    input  wire             clk,
    input  wire             rst,
    input  wire [WIDTH-1:0] s_axis_tdata,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    output wire [WIDTH-1:0] m0_axis_tdata,
    output wire             m0_axis_tvalid,
    input  wire             m0_axis_tready,
    output wire [WIDTH-1:0] m1_axis_tdata,
    output wire             m1_axis_tvalid,
    input  wire             m1_axis_tready
);

wire ready0, ready1;
assign s_axis_tready = ready0 && ready1;
wire take = s_axis_tvalid && s_axis_tready;

axis_register #(.WIDTH(WIDTH)) out0 (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(take), .s_axis_tready(ready0),
    .m_axis_tdata(m0_axis_tdata), .m_axis_tvalid(m0_axis_tvalid), .m_axis_tready(m0_axis_tready)
);

axis_register #(.WIDTH(WIDTH)) out1 (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(take), .s_axis_tready(ready1),
    .m_axis_tdata(m1_axis_tdata), .m_axis_tvalid(m1_axis_tvalid), .m_axis_tready(m1_axis_tready)
);

endmodule

`resetall
