// conv2d: a K x K convolution of a pixel stream: sliding_window feeding pointwise_conv.
//   s_axis: H x W pixels of C_IN lanes (IN_W bits); m_axis: OH x OW pixels of C_OUT lanes.
//   Padding, stride, folding, formats, ROM files and codebook as in the two modules; the window order
//   (ky, kx, c) is the order of each output's N = K*K*C_IN weights in the ROM.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module conv2d #(
    parameter H = 4, parameter W = 4, parameter C_IN = 1, parameter C_OUT = 4,
    parameter K = 3, parameter S = 1,
    parameter PAD_T = 1, parameter PAD_L = 1, parameter PAD_B = 1, parameter PAD_R = 1,
    parameter PE = 1, parameter SIMD = 1, parameter LUT_MULS = 0,
    parameter IN_W = 8, parameter IN_F = 0, parameter IN_SIGNED = 0,
    parameter W_W = 8, parameter W_F = 0,
    parameter B_W = 8, parameter B_F = 0,
    parameter ACC_W = 24, parameter ACC_F = 0,
    parameter OUT_W = 8, parameter OUT_F = 0, parameter OUT_SIGNED = 0,
    parameter ROUND = 1, parameter SAT = 1, parameter RELU = 1,
    parameter CODE_W = 0,
    parameter WEIGHT_FILE = "weights.mem",
    parameter BIAS_FILE = "bias.mem",
    parameter CODEBOOK_FILE = "codebook.mem"
) (
    input  wire                   clk,
    input  wire                   rst,
    input  wire [C_IN*IN_W-1:0]   s_axis_tdata,
    input  wire                   s_axis_tvalid,
    output wire                   s_axis_tready,
    output wire [C_OUT*OUT_W-1:0] m_axis_tdata,
    output wire                   m_axis_tvalid,
    input  wire                   m_axis_tready
);

localparam N = K * K * C_IN;

wire [N*IN_W-1:0] win_tdata;
wire win_tvalid, win_tready;

sliding_window #(
    .H(H), .W(W), .C(C_IN), .DW(IN_W), .K(K), .S(S),
    .PAD_T(PAD_T), .PAD_L(PAD_L), .PAD_B(PAD_B), .PAD_R(PAD_R),
    .OUT_REG(0)  // pointwise_conv's s_axis_tready comes from its registers
) window (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .m_axis_tdata(win_tdata), .m_axis_tvalid(win_tvalid), .m_axis_tready(win_tready)
);

pointwise_conv #(
    .N(N), .C_OUT(C_OUT), .PE(PE), .SIMD(SIMD), .LUT_MULS(LUT_MULS),
    .IN_W(IN_W), .IN_F(IN_F), .IN_SIGNED(IN_SIGNED), .W_W(W_W), .W_F(W_F), .B_W(B_W), .B_F(B_F),
    .ACC_W(ACC_W), .ACC_F(ACC_F), .OUT_W(OUT_W), .OUT_F(OUT_F), .OUT_SIGNED(OUT_SIGNED),
    .ROUND(ROUND), .SAT(SAT), .RELU(RELU),
    .CODE_W(CODE_W), .WEIGHT_FILE(WEIGHT_FILE), .BIAS_FILE(BIAS_FILE), .CODEBOOK_FILE(CODEBOOK_FILE)
) mac (
    .clk(clk), .rst(rst),
    .s_axis_tdata(win_tdata), .s_axis_tvalid(win_tvalid), .s_axis_tready(win_tready),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)
);

endmodule

`resetall
