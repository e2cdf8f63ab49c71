// mul_lut: P = A * B in LUTs, with the partial products and the product registered (latency 2, as
// mul_pipe, which it stands in for where the part's multipliers are all used).
//   A: A_W bits, signed when A_SIGNED; B: B_W bits, signed when B_SIGNED; P: the exact product
//   in P_W bits, sign-extended or wrapped to that width.
//   The product is a sum of shifted partial products (one per bit of A, a signed A's top
//   one negative), registered in place of the operands and added as a balanced tree:
//   synthesis maps a `*` to a DSP whatever it is told (Yosys ignores use_dsp), and a chain of
//   adders would be A_W carry chains deep.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module mul_lut #(
    parameter A_W = 8, parameter A_SIGNED = 0,
    parameter B_W = 8, parameter B_SIGNED = 1,
    parameter P_W = 17
) (
    input  wire           clk,
    input  wire [A_W-1:0] a,
    input  wire [B_W-1:0] b,
    output reg  [P_W-1:0] p = 0
);

localparam NP = A_W;  // partial products, one per bit of A
localparam FW = A_W + B_W + 1 > P_W ? A_W + B_W + 1 : P_W;  // the exact product, or P_W

wire signed [FW-1:0] b_ext = {{(FW - B_W){B_SIGNED ? b[B_W-1] : 1'b0}}, b};

// the partial products are the registered operands: the AND in front of the first register, the
// adder tree alone between the two (a heap: leaves NP-1 .. 2*NP-2, node i sums 2i+1 and 2i+2)
reg signed [FW-1:0] pp [0:NP-1];
reg signed [FW-1:0] node [0:2*NP-2];
integer i;
always @(posedge clk) begin
    for (i = 0; i < NP; i = i + 1)
        pp[i] <= !a[i] ? {FW{1'b0}} : A_SIGNED && i == A_W - 1 ? -(b_ext <<< i) : b_ext <<< i;
    p <= node[0][P_W-1:0];
end
always @(*) begin
    for (i = 0; i < NP; i = i + 1)
        node[NP - 1 + i] = pp[i];
    for (i = NP - 2; i >= 0; i = i - 1)
        node[i] = node[2*i + 1] + node[2*i + 2];
end

endmodule

`resetall
