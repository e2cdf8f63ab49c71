// fixed_cast_pipe: fixed_cast in two registered stages, for wide inputs at speed.
//   Stage 1 rounds (or truncates) to OUT_F fractional bits in a format wide enough that nothing
//   wraps; stage 2 saturates (or wraps) to OUT_W bits. Same result as fixed_cast, 2 cycles later.
//   Formats and modes as in fixed_cast.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module fixed_cast_pipe #(
    parameter IN_W = 16,
    parameter IN_F = 8,
    parameter IN_SIGNED = 1,
    parameter OUT_W = 8,
    parameter OUT_F = 4,
    parameter OUT_SIGNED = 1,
    parameter ROUND = 1,
    parameter SAT = 1
) (
    input  wire             clk,
    input  wire [IN_W-1:0]  in_raw,
    output reg  [OUT_W-1:0] out_raw = 0
);

// the rounded value: the input's integer bits, the output's fractional bits, a carry, a sign
localparam MID_NEED = IN_W - IN_F + OUT_F + 2;
localparam MID_W = MID_NEED < 2 ? 2 : MID_NEED;

wire [MID_W-1:0] rounded;
reg [MID_W-1:0] rounded_reg = 0;
wire [OUT_W-1:0] saturated;

fixed_cast #(
    .IN_W(IN_W), .IN_F(IN_F), .IN_SIGNED(IN_SIGNED),
    .OUT_W(MID_W), .OUT_F(OUT_F), .OUT_SIGNED(1), .ROUND(ROUND), .SAT(0)
) round (.in_raw(in_raw), .out_raw(rounded));

fixed_cast #(
    .IN_W(MID_W), .IN_F(OUT_F), .IN_SIGNED(1),
    .OUT_W(OUT_W), .OUT_F(OUT_F), .OUT_SIGNED(OUT_SIGNED), .ROUND(0), .SAT(SAT)
) saturate (.in_raw(rounded_reg), .out_raw(saturated));

always @(posedge clk) begin
    rounded_reg <= rounded;
    out_raw <= saturated;
end

endmodule

`resetall
