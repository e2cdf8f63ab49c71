// axis_concat: channel concatenation of two pixel streams (Fire module expand 1x1 || 3x3).
//   One beat of each input makes one output beat {b, a}: a's channels first (low bits).
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
    output reg  [A_WIDTH+B_WIDTH-1:0] m_axis_tdata = 0,
    output reg                        m_axis_tvalid = 0,
    input  wire                       m_axis_tready
);

wire take = a_axis_tvalid && b_axis_tvalid && (!m_axis_tvalid || m_axis_tready);
assign a_axis_tready = take;
assign b_axis_tready = take;

always @(posedge clk) begin
    if (take) m_axis_tdata <= {b_axis_tdata, a_axis_tdata};
    if (rst) m_axis_tvalid <= 0;
    else m_axis_tvalid <= take || (m_axis_tvalid && !m_axis_tready);
end

endmodule

`resetall
