// fixed_cast: combinational cast between two fixed-point formats, as ap_fixed assigns.
//   in  : IN_W bits, IN_F fractional bits, two's complement when IN_SIGNED else unsigned
//   out : OUT_W bits, OUT_F fractional bits, OUT_SIGNED likewise
//   ROUND 1 = AP_RND (add half an output LSB, then floor), 0 = AP_TRN (floor)
//   SAT   1 = AP_SAT (clip to the output range),          0 = AP_WRAP (keep the low bits)
`resetall
`timescale 1ns / 1ps
`default_nettype none

module fixed_cast #(
    parameter IN_W = 16,
    parameter IN_F = 8,
    parameter IN_SIGNED = 1,
    parameter OUT_W = 8,
    parameter OUT_F = 4,
    parameter OUT_SIGNED = 1,
    parameter ROUND = 1,
    parameter SAT = 1
) (
    input  wire [IN_W-1:0]  in_raw,
    output wire [OUT_W-1:0] out_raw
);

localparam SHIFT = IN_F - OUT_F;  // > 0: fractional bits dropped
localparam GROW = SHIFT < 0 ? -SHIFT : 0;
// wide enough for the shifted input, the rounding carry and the output range, with a sign bit
localparam XW = (IN_W + GROW > OUT_W ? IN_W + GROW : OUT_W) + 2;

wire signed [XW-1:0] ext = IN_SIGNED ? {{(XW-IN_W){in_raw[IN_W-1]}}, in_raw} : {{(XW-IN_W){1'b0}}, in_raw};
wire signed [XW-1:0] scaled;

generate
    if (SHIFT > 0) begin : g_drop
        wire signed [XW-1:0] one = 1;
        wire signed [XW-1:0] half = ROUND ? (one <<< (SHIFT-1)) : {XW{1'b0}};
        assign scaled = (ext + half) >>> SHIFT;
    end else begin : g_grow
        assign scaled = ext <<< GROW;
    end
endgenerate

// saturation by testing the bits above the output (no comparator): a signed output fits when
// they all equal its sign bit, an unsigned one when they are all zero
localparam KEEP = OUT_SIGNED ? OUT_W - 1 : OUT_W;  // bits below the ones tested
wire negative = scaled[XW-1];
wire fits = OUT_SIGNED ? (&scaled[XW-1:KEEP] || ~|scaled[XW-1:KEEP]) : ~|scaled[XW-1:KEEP];
wire [OUT_W-1:0] hi = OUT_SIGNED ? {1'b0, {(OUT_W-1){1'b1}}} : {OUT_W{1'b1}};
wire [OUT_W-1:0] lo = OUT_SIGNED ? {1'b1, {(OUT_W-1){1'b0}}} : {OUT_W{1'b0}};

assign out_raw = !SAT || fits ? scaled[OUT_W-1:0] : negative ? lo : hi;

endmodule

`resetall
