// axis_add: element-wise sum of two pixel streams of C channels (the Fire bypass).
//   a: C lanes of A_W bits (A_F fractional, A_SIGNED); b likewise; the exact sum is cast to
//   OUT_W/OUT_F/OUT_SIGNED with ROUND/SAT as fixed_cast does. Lane c is bits [c*W +: W].
//   The sums are registered, then go through a skid buffer (readies from registers).
`resetall
`timescale 1ns / 1ps
`default_nettype none

module axis_add #(
    parameter C = 1,
    parameter A_W = 8, parameter A_F = 4, parameter A_SIGNED = 0,
    parameter B_W = 8, parameter B_F = 4, parameter B_SIGNED = 0,
    parameter OUT_W = 8, parameter OUT_F = 4, parameter OUT_SIGNED = 0,
    parameter ROUND = 1, parameter SAT = 1
) (
    input  wire               clk,
    input  wire               rst,
    input  wire [C*A_W-1:0]   a_axis_tdata,
    input  wire               a_axis_tvalid,
    output wire               a_axis_tready,
    input  wire [C*B_W-1:0]   b_axis_tdata,
    input  wire               b_axis_tvalid,
    output wire               b_axis_tready,
    output wire [C*OUT_W-1:0] m_axis_tdata,
    output wire               m_axis_tvalid,
    input  wire               m_axis_tready
);

localparam F = A_F > B_F ? A_F : B_F;
localparam AX = A_W + F - A_F + 1;  // a aligned to F fractional bits, signed
localparam BX = B_W + F - B_F + 1;
localparam SW = (AX > BX ? AX : BX) + 1;

// the sum register is free when it is empty or its beat goes on this cycle
reg [C*OUT_W-1:0] sum_reg = 0;
reg sum_valid = 0;
wire out_ready;
wire take = a_axis_tvalid && b_axis_tvalid && (!sum_valid || out_ready);
assign a_axis_tready = take;
assign b_axis_tready = take;

wire [C*OUT_W-1:0] sum;

genvar c;
generate
    for (c = 0; c < C; c = c + 1) begin : g_lane
        wire [A_W-1:0] a = a_axis_tdata[c*A_W +: A_W];
        wire [B_W-1:0] b = b_axis_tdata[c*B_W +: B_W];
        wire signed [SW-1:0] a_x = $signed({A_SIGNED ? a[A_W-1] : 1'b0, a}) <<< (F - A_F);
        wire signed [SW-1:0] b_x = $signed({B_SIGNED ? b[B_W-1] : 1'b0, b}) <<< (F - B_F);
        wire signed [SW-1:0] s = a_x + b_x;
        fixed_cast #(
            .IN_W(SW), .IN_F(F), .IN_SIGNED(1),
            .OUT_W(OUT_W), .OUT_F(OUT_F), .OUT_SIGNED(OUT_SIGNED), .ROUND(ROUND), .SAT(SAT)
        ) cast (.in_raw(s), .out_raw(sum[c*OUT_W +: OUT_W]));
    end
endgenerate

always @(posedge clk) begin
    if (take) sum_reg <= sum;
    if (rst) sum_valid <= 0;
    else sum_valid <= take || (sum_valid && !out_ready);
end

axis_register #(.WIDTH(C*OUT_W)) out_reg (
    .clk(clk), .rst(rst),
    .s_axis_tdata(sum_reg), .s_axis_tvalid(sum_valid), .s_axis_tready(out_ready),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)
);

endmodule

`resetall
