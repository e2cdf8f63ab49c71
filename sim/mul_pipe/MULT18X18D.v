// A behavioural model of Lattice ECP5's MULT18X18D in the configuration firmware/rtl/ecp5/mul_pipe.v
// uses (written from the sysDSP usage guide, not Lattice's own model): A and B as two's
// complement when SIGNEDA / SIGNEDB, registered on CLK0 when REG_INPUTA_CLK / REG_INPUTB_CLK say
// "CLK0", the 36-bit product registered when REG_OUTPUT_CLK does; CE0 enables, RST0 clears.
// Only the benches read it: synthesis maps the primitive itself.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module MULT18X18D #(
    parameter REG_INPUTA_CLK = "NONE",
    parameter REG_INPUTB_CLK = "NONE",
    parameter REG_OUTPUT_CLK = "NONE",
    parameter GSR = "ENABLED",
    parameter RESETMODE = "SYNC"
) (
    input wire A0, A1, A2, A3, A4, A5, A6, A7, A8, A9, A10, A11, A12, A13, A14, A15, A16, A17,
    input wire B0, B1, B2, B3, B4, B5, B6, B7, B8, B9, B10, B11, B12, B13, B14, B15, B16, B17,
    input wire SIGNEDA, SIGNEDB, SOURCEA, SOURCEB, CLK0, CE0, RST0,
    output wire P0, P1, P2, P3, P4, P5, P6, P7, P8, P9, P10, P11, P12, P13, P14, P15, P16, P17, P18, P19, P20, P21, P22, P23, P24, P25, P26, P27, P28, P29, P30, P31, P32, P33, P34, P35
);

wire [17:0] a_in = {A17, A16, A15, A14, A13, A12, A11, A10, A9, A8, A7, A6, A5, A4, A3, A2, A1, A0};
wire [17:0] b_in = {B17, B16, B15, B14, B13, B12, B11, B10, B9, B8, B7, B6, B5, B4, B3, B2, B1, B0};
reg [17:0] a_reg = 0, b_reg = 0;
reg sa_reg = 0, sb_reg = 0;
always @(posedge CLK0) begin
    if (RST0) begin
        a_reg <= 0; b_reg <= 0; sa_reg <= 0; sb_reg <= 0;
    end else if (CE0) begin
        a_reg <= a_in; b_reg <= b_in; sa_reg <= SIGNEDA; sb_reg <= SIGNEDB;
    end
end
wire [17:0] a = REG_INPUTA_CLK == "CLK0" ? a_reg : a_in;
wire [17:0] b = REG_INPUTB_CLK == "CLK0" ? b_reg : b_in;
wire sa = REG_INPUTA_CLK == "CLK0" ? sa_reg : SIGNEDA;
wire sb = REG_INPUTB_CLK == "CLK0" ? sb_reg : SIGNEDB;
wire signed [18:0] a_ext = {sa & a[17], a};
wire signed [18:0] b_ext = {sb & b[17], b};
wire [35:0] product = a_ext * b_ext;
reg [35:0] p_reg = 0;
always @(posedge CLK0) begin
    if (RST0) p_reg <= 0;
    else if (CE0) p_reg <= product;
end
assign {P35, P34, P33, P32, P31, P30, P29, P28, P27, P26, P25, P24, P23, P22, P21, P20, P19, P18, P17, P16, P15, P14, P13, P12, P11, P10, P9, P8, P7, P6, P5, P4, P3, P2, P1, P0} = REG_OUTPUT_CLK == "CLK0" ? p_reg : product;

endmodule

`resetall
