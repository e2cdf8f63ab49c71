// mul_pair on ECP5: P0 = A * B0 and P1 = A * B1 as two mul_pipe (MULT18X18D), since the packed
// operand of the portable form (A_W + 2*B_W bits) does not fit the 18 x 18 multiplier. The same
// ports, products and latency as firmware/rtl/mul_pair.v.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module mul_pair #(
    parameter A_W = 8, parameter A_SIGNED = 0,
    parameter B_W = 8,
    parameter P_W = 17
) (
    input  wire           clk,
    input  wire [A_W-1:0] a,
    input  wire [B_W-1:0] b0,
    input  wire [B_W-1:0] b1,
    output wire [P_W-1:0] p0,
    output wire [P_W-1:0] p1
);

mul_pipe #(.A_W(A_W), .A_SIGNED(A_SIGNED), .B_W(B_W), .B_SIGNED(1), .P_W(P_W)) mul0 (.clk(clk), .a(a), .b(b0), .p(p0));
mul_pipe #(.A_W(A_W), .A_SIGNED(A_SIGNED), .B_W(B_W), .B_SIGNED(1), .P_W(P_W)) mul1 (.clk(clk), .a(a), .b(b1), .p(p1));

endmodule

`resetall
