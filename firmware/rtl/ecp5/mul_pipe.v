// mul_pipe for Lattice ECP5: P = A * B on one MULT18X18D with its input registers (A, B) and
// its output register in use (latency 2, as firmware/rtl/mul_pipe.v, which it replaces in the
// ECP5 flow). Operands are extended to the primitive's 18 signed bits, so A_W + !A_SIGNED and
// B_W + !B_SIGNED must be at most 18; P is the product's low P_W bits (P_W <= 36).
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
    output wire [P_W-1:0] p
);

generate
    if (A_W + !A_SIGNED > 18) begin : g_check_a
`ifdef __ICARUS__  // Icarus 11 has no elaboration-time $error: the check fails at time 0
        initial $fatal(1, "mul_pipe: A_W + !A_SIGNED must be at most 18 (the MULT18X18D operand)");
`else
        $error("mul_pipe: A_W + !A_SIGNED must be at most 18 (the MULT18X18D operand)");
`endif
    end
    if (B_W + !B_SIGNED > 18) begin : g_check_b
`ifdef __ICARUS__
        initial $fatal(1, "mul_pipe: B_W + !B_SIGNED must be at most 18 (the MULT18X18D operand)");
`else
        $error("mul_pipe: B_W + !B_SIGNED must be at most 18 (the MULT18X18D operand)");
`endif
    end
    if (P_W > 36) begin : g_check_p
`ifdef __ICARUS__
        initial $fatal(1, "mul_pipe: P_W must be at most 36");
`else
        $error("mul_pipe: P_W must be at most 36");
`endif
    end
endgenerate

wire [17:0] a18 = {{(18 - A_W){A_SIGNED ? a[A_W-1] : 1'b0}}, a};
wire [17:0] b18 = {{(18 - B_W){B_SIGNED ? b[B_W-1] : 1'b0}}, b};
wire [35:0] p36;
assign p = p36[P_W-1:0];

MULT18X18D #(
    .REG_INPUTA_CLK("CLK0"), .REG_INPUTB_CLK("CLK0"), .REG_OUTPUT_CLK("CLK0"),
    .GSR("DISABLED"), .RESETMODE("SYNC")
) mult (
    .CLK0(clk), .CE0(1'b1), .RST0(1'b0),
    .SIGNEDA(1'b1), .SIGNEDB(1'b1), .SOURCEA(1'b0), .SOURCEB(1'b0),
    .A0(a18[0]), .A1(a18[1]), .A2(a18[2]), .A3(a18[3]), .A4(a18[4]), .A5(a18[5]), .A6(a18[6]),
    .A7(a18[7]), .A8(a18[8]), .A9(a18[9]), .A10(a18[10]), .A11(a18[11]), .A12(a18[12]),
    .A13(a18[13]), .A14(a18[14]), .A15(a18[15]), .A16(a18[16]), .A17(a18[17]),
    .B0(b18[0]), .B1(b18[1]), .B2(b18[2]), .B3(b18[3]), .B4(b18[4]), .B5(b18[5]), .B6(b18[6]),
    .B7(b18[7]), .B8(b18[8]), .B9(b18[9]), .B10(b18[10]), .B11(b18[11]), .B12(b18[12]),
    .B13(b18[13]), .B14(b18[14]), .B15(b18[15]), .B16(b18[16]), .B17(b18[17]),
    .P0(p36[0]), .P1(p36[1]), .P2(p36[2]), .P3(p36[3]), .P4(p36[4]), .P5(p36[5]), .P6(p36[6]),
    .P7(p36[7]), .P8(p36[8]), .P9(p36[9]), .P10(p36[10]), .P11(p36[11]), .P12(p36[12]),
    .P13(p36[13]), .P14(p36[14]), .P15(p36[15]), .P16(p36[16]), .P17(p36[17]), .P18(p36[18]),
    .P19(p36[19]), .P20(p36[20]), .P21(p36[21]), .P22(p36[22]), .P23(p36[23]), .P24(p36[24]),
    .P25(p36[25]), .P26(p36[26]), .P27(p36[27]), .P28(p36[28]), .P29(p36[29]), .P30(p36[30]),
    .P31(p36[31]), .P32(p36[32]), .P33(p36[33]), .P34(p36[34]), .P35(p36[35])
);

endmodule

`resetall
