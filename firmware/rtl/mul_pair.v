// mul_pair: two products that share an operand, P0 = A * B0 and P1 = A * B1, in one DSP48E1
// multiply (the packing of FINN's mvu and Xilinx's INT8 notes): A * (B1 * 2^S + B0) + 2^(S-1),
// S = A_W + B_W, holds A * B1 in the bits above S and A * B0 + 2^(S-1) below them. A * B0 fits S
// signed bits, so the added half keeps the low field in [0, 2^S): no borrow reaches the high
// field, and the low product is the field with its top bit inverted. The packed operand is the
// pre-adder's (B1 shifted on D, B0 on A), the constant the ALU's (C), so the fabric adds nothing.
//   A: A_W bits, signed when A_SIGNED (the DSP's 18-bit B port); B0, B1: B_W bits, signed (the
//   25-bit pre-adder: A_W + 2*B_W + 1 <= 25, 8-bit activations and weights fit). P0, P1: the exact
//   products in P_W bits, sign-extended or wrapped. Latency 2 (operands, then the product
//   registered), no enable, as mul_pipe. firmware/rtl/ecp5/mul_pair.v: two mul_pipe (ECP5's
//   MULT18X18D is 18 x 18: the packed operand does not fit it).
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

localparam S = A_W + B_W;  // the bits of one product: the low field
localparam PACKED_W = S + B_W + 1;  // B1 * 2^S + B0: a bit more than B1 * 2^S when both are negative

generate
    if (PACKED_W > 25 || A_W + (A_SIGNED ? 0 : 1) > 18) begin : g_check_widths
`ifdef __ICARUS__  // Icarus 11 has no elaboration-time $error: the check fails at time 0
        initial $fatal(1, "mul_pair: A_W + 2*B_W + 1 must be at most 25 and A at most 18 bits signed (DSP48E1)");
`else
        $error("mul_pair: A_W + 2*B_W + 1 must be at most 25 and A at most 18 bits signed (DSP48E1)");
`endif
    end
endgenerate

// the two fields are all of the product that is kept: it is computed in their 2*S bits
localparam [2*S-1:0] HALF = {{S{1'b0}}, 1'b1, {(S-1){1'b0}}};
reg [A_W-1:0] a_reg = 0;
reg [B_W-1:0] b0_reg = 0, b1_reg = 0;
reg [2*S-1:0] fields = 0;
wire signed [A_W:0] a_ext = {A_SIGNED ? a_reg[A_W-1] : 1'b0, a_reg};
wire signed [PACKED_W-1:0] b_packed = {b1_reg[B_W-1], b1_reg, {S{1'b0}}} + {{(S+1){b0_reg[B_W-1]}}, b0_reg};
wire signed [2*S-1:0] product = $signed(a_ext) * $signed(b_packed);
always @(posedge clk) begin
    a_reg <= a;
    b0_reg <= b0;
    b1_reg <= b1;
    fields <= product + HALF;
end

wire [S-1:0] low = {~fields[S-1], fields[S-2:0]};
wire [S-1:0] high = fields[2*S-1:S];
generate
    if (P_W > S) begin : g_extend
        assign p0 = {{(P_W-S){low[S-1]}}, low};
        assign p1 = {{(P_W-S){high[S-1]}}, high};
    end else begin : g_wrap
        assign p0 = low[P_W-1:0];
        assign p1 = high[P_W-1:0];
    end
endgenerate

endmodule

`resetall
