// mul_pipe: P = A * B with the operands and the product registered (latency 2, no enable: the
// pipelines that use it never stall).
//   A: A_W bits, signed when A_SIGNED; B: B_W bits, signed when B_SIGNED; P: the exact product
//   in P_W bits, sign-extended or wrapped to that width.
//   This is the portable form (Vivado puts its registers into a DSP48E1's AREG, BREG and PREG).
//   firmware/rtl/ecp5/mul_pipe.v is the same function on ECP5's MULT18X18D with its own input
//   and output registers: Yosys maps a multiply to that primitive without registers, and then
//   the registers around it sit across the fabric from it.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module mul_pipe #(
    parameter A_W = 8, parameter A_SIGNED = 0,
    parameter B_W = 8, parameter B_SIGNED = 1,
    parameter P_W = 17
) (
    input  wire           clk,
    input  wire [A_W-1:0] a,
    input  wire [B_W-1:0] b,
    output reg  [P_W-1:0] p = 0
);

reg [A_W-1:0] a_reg = 0;
reg [B_W-1:0] b_reg = 0;
wire signed [A_W:0] a_ext = {A_SIGNED ? a_reg[A_W-1] : 1'b0, a_reg};
wire signed [B_W:0] b_ext = {B_SIGNED ? b_reg[B_W-1] : 1'b0, b_reg};

always @(posedge clk) begin
    a_reg <= a;
    b_reg <= b;
    p <= a_ext * b_ext;
end

endmodule

`resetall
