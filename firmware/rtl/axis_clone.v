// axis_clone: one stream to two (the fork of a Fire module or of a bypass).
//   A beat is taken from s_axis when both output registers are free, and then offered on
//   m0_axis and m1_axis, each drained independently.
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
    output reg  [WIDTH-1:0] m0_axis_tdata = 0,
    output reg              m0_axis_tvalid = 0,
    input  wire             m0_axis_tready,
    output reg  [WIDTH-1:0] m1_axis_tdata = 0,
    output reg              m1_axis_tvalid = 0,
    input  wire             m1_axis_tready
);

wire free0 = !m0_axis_tvalid || m0_axis_tready;
wire free1 = !m1_axis_tvalid || m1_axis_tready;
assign s_axis_tready = free0 && free1;
wire take = s_axis_tvalid && s_axis_tready;

always @(posedge clk) begin
    if (take) begin
        m0_axis_tdata <= s_axis_tdata;
        m1_axis_tdata <= s_axis_tdata;
    end
    if (rst) begin
        m0_axis_tvalid <= 0;
        m1_axis_tvalid <= 0;
    end else begin
        m0_axis_tvalid <= take || (m0_axis_tvalid && !m0_axis_tready);
        m1_axis_tvalid <= take || (m1_axis_tvalid && !m1_axis_tready);
    end
end

endmodule

`resetall
