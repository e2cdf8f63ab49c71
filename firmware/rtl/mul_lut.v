// mul_lut: P = A * B in LUTs, latency 2 (as mul_pipe, which it stands in for where the part's
// multipliers are all used).
//   A: A_W bits, signed when A_SIGNED; B: B_W bits, signed when B_SIGNED; P: the exact product
//   in P_W bits, sign-extended or wrapped to that width.
//   The product is a sum of shifted partial products (one per bit of A, a signed A's top one
//   subtracted): pairs of them are added and registered, the pair sums added as a balanced tree
//   and the product registered. Synthesis maps a `*` to a DSP whatever it is told (Yosys ignores
//   use_dsp), and a chain of adders would be A_W carry chains deep; with the pairs registered,
//   each stage has at most ceil(log2(A_W)) - 1 adders (a tree over all A_W partial products
//   missed 125 MHz as a module on ECP5).
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

localparam NS = (A_W + 1) / 2;  // pair sums
localparam FW = A_W + B_W + 1 > P_W ? A_W + B_W + 1 : P_W;  // the exact product, or P_W

wire signed [FW-1:0] b_ext = {{(FW - B_W){B_SIGNED ? b[B_W-1] : 1'b0}}, b};

// partial product i: B shifted by i where bit i of A is set
function signed [FW-1:0] pp(input integer i);
    pp = i < A_W && a[i] ? b_ext <<< i : {FW{1'b0}};
endfunction

// the pair sums are registered; the tree over them is a heap (leaves NS-1 .. 2*NS-2, node i sums
// 2i+1 and 2i+2) between that register and the product's
reg signed [FW-1:0] pair [0:NS-1];
reg signed [FW-1:0] node [0:2*NS-2];
integer i;
always @(posedge clk) begin
    for (i = 0; i < NS; i = i + 1)
        pair[i] <= A_SIGNED && 2*i + 1 == A_W - 1 ? pp(2*i) - pp(2*i + 1)
                 : A_SIGNED && 2*i == A_W - 1 ? -pp(2*i)
                 : pp(2*i) + pp(2*i + 1);
    p <= node[0][P_W-1:0];
end
always @(*) begin
    for (i = 0; i < NS; i = i + 1)
        node[NS - 1 + i] = pair[i];
    for (i = NS - 2; i >= 0; i = i - 1)
        node[i] = node[2*i + 1] + node[2*i + 2];
end

endmodule

`resetall
