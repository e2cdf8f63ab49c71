// pointwise_conv: C_OUT outputs, each a dot product over N inputs plus a bias, per beat
// (a 1x1 convolution of one pixel, or a K x K convolution of one window from sliding_window).
//   s_axis: N lanes of IN_W bits (IN_F fractional, IN_SIGNED); m_axis: C_OUT lanes of OUT_W bits.
//   Folding: PE outputs and SIMD inputs per cycle, so a beat takes (C_OUT/PE)*(N/SIMD) cycles
//   with PE*SIMD multipliers. Weights: ROM WEIGHT_FILE ($readmemh), word a = nf*(N/SIMD) + sf
//   holds w[nf*PE + p][sf*SIMD + s] (W_W bits, W_F fractional) at lane p*SIMD + s. Biases:
//   BIAS_FILE, word nf holds b[nf*PE + p] (B_W bits, B_F fractional) at lane p.
//   Arithmetic: exact products summed with the bias in ACC_W bits (ACC_F fractional, wrapping,
//   as hls4ml's accum_t), then ReLU when RELU, then the cast to OUT_* (fixed_cast).
`resetall
`timescale 1ns / 1ps
`default_nettype none

module pointwise_conv #(
    parameter N = 8,
    parameter C_OUT = 4,
    parameter PE = 1,
    parameter SIMD = 1,
    parameter IN_W = 8, parameter IN_F = 0, parameter IN_SIGNED = 0,
    parameter W_W = 8, parameter W_F = 0,
    parameter B_W = 8, parameter B_F = 0,
    parameter ACC_W = 24, parameter ACC_F = 0,
    parameter OUT_W = 8, parameter OUT_F = 0, parameter OUT_SIGNED = 0,
    parameter ROUND = 1, parameter SAT = 1, parameter RELU = 1,
    parameter WEIGHT_FILE = "weights.mem",
    parameter BIAS_FILE = "bias.mem"
) (
    input  wire                 clk,
    input  wire                 rst,
    input  wire [N*IN_W-1:0]    s_axis_tdata,
    input  wire                 s_axis_tvalid,
    output wire                 s_axis_tready,
    output reg  [C_OUT*OUT_W-1:0] m_axis_tdata = 0,
    output reg                  m_axis_tvalid = 0,
    input  wire                 m_axis_tready
);

localparam NF = C_OUT / PE;
localparam SF = N / SIMD;
localparam DEPTH = NF * SF;
localparam AB = DEPTH > 1 ? $clog2(DEPTH) : 1;
localparam NB = NF > 1 ? $clog2(NF) : 1;
localparam SB = SF > 1 ? $clog2(SF) : 1;
localparam XS = SIMD * IN_W;  // bits of one input slice

(* rom_style = "block" *) reg [PE*SIMD*W_W-1:0] weights [0:DEPTH-1];
reg [PE*B_W-1:0] biases [0:NF-1];
initial begin
    $readmemh(WEIGHT_FILE, weights);
    $readmemh(BIAS_FILE, biases);
end

// result of the beat being computed, handed to m_axis when complete
reg [C_OUT*OUT_W-1:0] result = 0;
reg result_full = 0;
wire out_free = !m_axis_tvalid || m_axis_tready;
// the whole pipeline waits while a complete result cannot be handed over
wire en = !result_full || out_free;

// stage 0: issue ROM reads; the input rotates so that its low slice is the one being read
reg [N*IN_W-1:0] x = 0;
reg have_x = 0;
reg [AB-1:0] addr = 0;
reg [NB-1:0] nf = 0;
reg [SB-1:0] sf = 0;
wire issue_last = have_x && addr == DEPTH-1;
assign s_axis_tready = en && (!have_x || issue_last);
wire take = s_axis_tvalid && s_axis_tready;
wire [N*IN_W-1:0] x_next;
generate
    if (SF > 1) begin : g_rotate
        assign x_next = {x[XS-1:0], x[N*IN_W-1:XS]};
    end else begin : g_keep
        assign x_next = x;
    end
endgenerate

// stage 1: multiply-accumulate
reg v1 = 0, first1 = 0, last1 = 0;
reg [NB-1:0] nf1 = 0;
reg [XS-1:0] x1 = 0;
reg [PE*SIMD*W_W-1:0] w1 = 0;
reg [PE*B_W-1:0] b1 = 0;
reg [PE*ACC_W-1:0] acc = 0;
wire [PE*ACC_W-1:0] acc_next;

// stage 2: ReLU and cast of a finished group of PE outputs
reg v2 = 0;
reg [NB-1:0] nf2 = 0;
wire [PE*OUT_W-1:0] cast;

genvar p;
generate
    for (p = 0; p < PE; p = p + 1) begin : g_pe
        reg signed [ACC_W-1:0] dot;
        integer s;
        always @* begin
            dot = 0;
            for (s = 0; s < SIMD; s = s + 1) begin
                dot = dot + $signed({IN_SIGNED ? x1[s*IN_W + IN_W-1] : 1'b0, x1[s*IN_W +: IN_W]})
                          * $signed(w1[(p*SIMD + s)*W_W +: W_W]);
            end
        end
        wire signed [ACC_W-1:0] bias = $signed(b1[p*B_W +: B_W]) <<< (ACC_F - B_F);
        wire signed [ACC_W-1:0] base = first1 ? bias : $signed(acc[p*ACC_W +: ACC_W]);
        assign acc_next[p*ACC_W +: ACC_W] = base + (dot <<< (ACC_F - IN_F - W_F));

        wire signed [ACC_W-1:0] a = acc[p*ACC_W +: ACC_W];
        wire [ACC_W-1:0] rectified = RELU && a < 0 ? {ACC_W{1'b0}} : a;
        fixed_cast #(
            .IN_W(ACC_W), .IN_F(ACC_F), .IN_SIGNED(1),
            .OUT_W(OUT_W), .OUT_F(OUT_F), .OUT_SIGNED(OUT_SIGNED), .ROUND(ROUND), .SAT(SAT)
        ) out_cast (.in_raw(rectified), .out_raw(cast[p*OUT_W +: OUT_W]));
    end
endgenerate

always @(posedge clk) begin
    if (en) begin
        w1 <= weights[addr];
        b1 <= biases[nf];
    end
end

always @(posedge clk) begin
    if (rst) begin
        have_x <= 0; addr <= 0; nf <= 0; sf <= 0;
        v1 <= 0; v2 <= 0; result_full <= 0; m_axis_tvalid <= 0;
    end else begin
        if (result_full && out_free) begin
            m_axis_tdata <= result;
            m_axis_tvalid <= 1;
        end else if (m_axis_tready) begin
            m_axis_tvalid <= 0;
        end
        if (result_full && out_free) result_full <= 0;
        if (en) begin
            // stage 0
            if (take) begin
                x <= s_axis_tdata;
                have_x <= 1;
            end else if (issue_last) begin
                have_x <= 0;
            end
            if (have_x) begin
                x <= take ? s_axis_tdata : x_next;
                addr <= issue_last ? 0 : addr + 1;
                sf <= sf == SF-1 ? 0 : sf + 1;
                if (sf == SF-1) nf <= nf == NF-1 ? 0 : nf + 1;
            end
            v1 <= have_x;
            first1 <= sf == 0;
            last1 <= sf == SF-1;
            nf1 <= nf;
            x1 <= x[XS-1:0];
            // stage 1
            if (v1) acc <= acc_next;
            v2 <= v1 && last1;
            nf2 <= nf1;
            // stage 2
            if (v2) begin
                result[nf2*PE*OUT_W +: PE*OUT_W] <= cast;
                if (nf2 == NF-1) result_full <= 1;
            end
        end
    end
end

endmodule

`resetall
