// pointwise_conv: C_OUT outputs, each a dot product over N inputs plus a bias, per beat
// (a 1x1 convolution of one pixel, or a K x K convolution of one window from sliding_window).
//   s_axis: N lanes of IN_W bits (IN_F fractional, IN_SIGNED); m_axis: C_OUT lanes of OUT_W bits.
//   Folding: PE outputs and SIMD inputs per cycle, so a beat takes (C_OUT/PE)*SF cycles, SF =
//   ceil(N/SIMD), with PE*SIMD multipliers, the first LUT_MULS of them in LUTs (mul_lut), the
//   rest mul_pipe. A SIMD that does not divide N takes zeros in the last pass's spare lanes (its
//   weights there are zeros too), so the multiplier count is not bound to N's divisors.
//   Weights: ROM WEIGHT_FILE ($readmemh), word a = nf*SF + sf
//   holds w[nf*PE + p][sf*SIMD + s] (W_W bits, W_F fractional) at lane p*SIMD + s. Biases:
//   BIAS_FILE, word nf holds b[nf*PE + p] (B_W bits, B_F fractional) at lane p.
//   Shared weights (CODE_W > 0, Deep Compression): the ROM's lanes hold CODE_W-bit indices into
//   the layer's codebook, CODEBOOK_FILE (2^CODE_W words of W_W bits), which each lane reads
//   from the ROM's output register into a stage of its own (the block RAM's slow clock-to-out
//   then drives no logic), a cycle more of latency.
//   Arithmetic: exact products summed with the bias in ACC_W bits (ACC_F fractional, wrapping,
//   as hls4ml's accum_t), then ReLU when RELU, then the cast to OUT_* (fixed_cast).
//   Pipeline (FINN mvu style, nothing in it stalls): issue, ROM read, ROM output register,
//   operands at the multipliers, products, a registered adder tree (one level per stage),
//   accumulate, ReLU and rounding, saturation, result assembly, then an output FIFO. A beat is
//   taken only when the FIFO is sure to have room for its result (a credit counter), so
//   s_axis_tready comes from registers, never from m_axis.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module pointwise_conv #(
    parameter N = 8,
    parameter C_OUT = 4,
    parameter PE = 1,
    parameter SIMD = 1,
    parameter LUT_MULS = 0,  // how many of the PE*SIMD multipliers are mul_lut, not mul_pipe
    parameter IN_W = 8, parameter IN_F = 0, parameter IN_SIGNED = 0,
    parameter W_W = 8, parameter W_F = 0,
    parameter B_W = 8, parameter B_F = 0,
    parameter ACC_W = 24, parameter ACC_F = 0,
    parameter OUT_W = 8, parameter OUT_F = 0, parameter OUT_SIGNED = 0,
    parameter ROUND = 1, parameter SAT = 1, parameter RELU = 1,
    parameter CODE_W = 0,  // bits of a weight's codebook index; 0: the ROM holds the weights
    parameter WEIGHT_FILE = "weights.mem",
    parameter BIAS_FILE = "bias.mem",
    parameter CODEBOOK_FILE = "codebook.mem"
) (
    input  wire                   clk,
    input  wire                   rst,
    input  wire [N*IN_W-1:0]      s_axis_tdata,
    input  wire                   s_axis_tvalid,
    output wire                   s_axis_tready,
    output wire [C_OUT*OUT_W-1:0] m_axis_tdata,
    output wire                   m_axis_tvalid,
    input  wire                   m_axis_tready
);

localparam NF = C_OUT / PE;
localparam SF = SIMD > 0 ? (N + SIMD - 1) / SIMD : 1;
localparam NP = SF * SIMD;  // the inputs and the zeros of the last pass
localparam DEPTH = NF * SF;  // cycles per beat
localparam AB = DEPTH > 1 ? $clog2(DEPTH) : 1;
localparam NB = NF > 1 ? $clog2(NF) : 1;
localparam SB = SF > 1 ? $clog2(SF) : 1;
localparam XS = SIMD * IN_W;  // bits of one input slice
localparam LEVELS = SIMD > 1 ? $clog2(SIMD) : 0;
localparam PW = IN_W + 1 + W_W;  // a signed product
localparam RW = CODE_W > 0 ? CODE_W : W_W;  // bits of a ROM lane
// the tree is exact in TW bits, or wraps like the accumulator when that is narrower
localparam TW = PW + LEVELS < ACC_W ? PW + LEVELS : ACC_W;
// stages after issue (0): ROM (1), ROM register (2), codebook (where CODE_W > 0), multiplier
// operands (3), products (4),
// tree levels, accumulate, rounding, saturation, assembly, FIFO
localparam DEC = CODE_W > 0 ? 1 : 0;  // the codebook's stage
localparam T_SUM = 4 + DEC + LEVELS;  // the stage that holds the tree's sum
localparam LATENCY = T_SUM + 5;  // from the last issue of a beat to its result leaving the FIFO
// results that may be in flight or queued: enough that the credits never throttle a full pace
localparam CREDITS = (LATENCY + 2 + DEPTH - 1) / DEPTH + 1;
localparam CB = $clog2(CREDITS + 1);
// counter ends and constants as wide as their counters, so that every comparison is that wide
localparam integer ADDR_PRE_LAST = DEPTH - 2, NF_LAST = NF - 1, SF_LAST = SF - 1, PENDING_NEAR = CREDITS - 2;

generate
    if (C_OUT % PE != 0) begin : g_check_pe
`ifdef __ICARUS__  // Icarus 11 has no elaboration-time $error: the check fails at time 0
        initial $fatal(1, "pointwise_conv: C_OUT must be a multiple of PE");
`else
        $error("pointwise_conv: C_OUT must be a multiple of PE");
`endif
    end
    if (SIMD < 1 || SIMD > N) begin : g_check_simd
`ifdef __ICARUS__
        initial $fatal(1, "pointwise_conv: SIMD must be 1 to N");
`else
        $error("pointwise_conv: SIMD must be 1 to N");
`endif
    end
    if (LUT_MULS > PE * SIMD) begin : g_check_lut_muls
`ifdef __ICARUS__
        initial $fatal(1, "pointwise_conv: LUT_MULS must be at most PE*SIMD");
`else
        $error("pointwise_conv: LUT_MULS must be at most PE*SIMD");
`endif
    end
    if (CODE_W < 0 || CODE_W >= W_W) begin : g_check_code_w
`ifdef __ICARUS__
        initial $fatal(1, "pointwise_conv: CODE_W must be 0 (no codebook) or 1 to W_W-1");
`else
        $error("pointwise_conv: CODE_W must be 0 (no codebook) or 1 to W_W-1");
`endif
    end
endgenerate

(* rom_style = "block" *) reg [PE*SIMD*RW-1:0] weights [0:DEPTH-1];
reg [PE*B_W-1:0] biases [0:NF-1];
initial begin
    $readmemh(WEIGHT_FILE, weights);
    $readmemh(BIAS_FILE, biases);
end

// -- issue: one weight word per cycle; the input rotates so that its low slice is the one used
reg [NP*IN_W-1:0] x = 0;
reg have_x = 0;
reg [AB-1:0] addr = 0;
reg [NB-1:0] nf = 0;
reg [SB-1:0] sf = 0;
reg [CB-1:0] pending = 0;  // beats taken whose result has not left the FIFO
reg full = 0, near = 0;    // pending == CREDITS, pending == CREDITS-1, as registers
reg at_last = DEPTH == 1;  // addr == DEPTH-1, as a register
wire issue_last = have_x && at_last;
wire fifo_pop = m_axis_tvalid && m_axis_tready;
// x loads whenever it may, valid input or not (have_x says which): the N*IN_W bits' enables and
// selects then come from registers alone, not from s_axis_tvalid
wire load = !full && (!have_x || issue_last);
assign s_axis_tready = load;
wire take = s_axis_tvalid && load;

wire [NP*IN_W-1:0] x_next, x_in;
generate
    if (NP > N) begin : g_pad
        assign x_in = {{(NP - N)*IN_W{1'b0}}, s_axis_tdata};
    end else begin : g_whole
        assign x_in = s_axis_tdata;
    end
    if (SF > 1) begin : g_rotate
        assign x_next = {x[XS-1:0], x[NP*IN_W-1:XS]};
    end else begin : g_keep
        assign x_next = x;
    end
endgenerate

always @(posedge clk) begin
    if (load) x <= x_in;
    else if (have_x) x <= x_next;
    if (rst) begin
        have_x <= 0; addr <= 0; nf <= 0; sf <= 0; pending <= 0; full <= 0; near <= CREDITS == 1; at_last <= DEPTH == 1;
    end else begin
        // the count moves by one at most; the flags follow by equality tests, no adder on the way
        if (take && !fifo_pop) begin
            pending <= pending + 1;
            full <= near;
            near <= pending == PENDING_NEAR[CB-1:0];
        end else if (fifo_pop && !take) begin
            pending <= pending - 1;
            full <= 0;
            near <= full;
        end
        if (take) have_x <= 1;
        else if (issue_last) have_x <= 0;
        if (have_x) begin
            addr <= issue_last ? 0 : addr + 1;
            at_last <= issue_last ? DEPTH == 1 : addr == ADDR_PRE_LAST[AB-1:0];
            sf <= sf == SF_LAST[SB-1:0] ? 0 : sf + 1;
            if (sf == SF_LAST[SB-1:0]) nf <= nf == NF_LAST[NB-1:0] ? 0 : nf + 1;
        end
    end
end

// -- control of each stage: {valid, first slice, last slice, nf}, stage t at bits [(t-1)*CTL +: CTL]
localparam CTL = 3 + NB;
reg [T_SUM*CTL-1:0] ctl = 0;
always @(posedge clk) begin
    if (rst) ctl <= 0;
    else ctl <= {ctl[(T_SUM-1)*CTL-1:0], have_x, sf == 0, sf == SF_LAST[SB-1:0], nf};
end
wire [CTL-1:0] at_sum = ctl[(T_SUM-1)*CTL +: CTL];
wire sum_valid = at_sum[CTL-1], sum_first = at_sum[CTL-2], sum_last = at_sum[CTL-3];
wire [NB-1:0] sum_nf = at_sum[NB-1:0];
wire [NB-1:0] pre_sum_nf = ctl[(T_SUM-2)*CTL +: NB];

// -- ROM read, its output register, the codebook, and the input slice delayed to match
reg [PE*SIMD*RW-1:0] w_rom = 0, w_reg = 0;
reg [XS-1:0] x_rom = 0, x_reg = 0;
reg [PE*B_W-1:0] b_reg = 0;
always @(posedge clk) begin
    w_rom <= weights[addr];
    w_reg <= w_rom;
    x_rom <= x[XS-1:0];
    x_reg <= x_rom;
    b_reg <= biases[pre_sum_nf];  // arrives with the tree's sum
end
wire [PE*SIMD*W_W-1:0] w_op;  // the multipliers' weights and inputs
wire [XS-1:0] x_op;
generate
    if (CODE_W > 0) begin : g_codebook
        reg [W_W-1:0] codebook [0:(1 << CODE_W)-1];
        initial $readmemh(CODEBOOK_FILE, codebook);
        reg [PE*SIMD*W_W-1:0] w_dec = 0;
        reg [XS-1:0] x_dec = 0;
        integer lane;
        always @(posedge clk) begin
            for (lane = 0; lane < PE*SIMD; lane = lane + 1)
                w_dec[lane*W_W +: W_W] <= codebook[w_reg[lane*CODE_W +: CODE_W]];
            x_dec <= x_reg;
        end
        assign w_op = w_dec;
        assign x_op = x_dec;
    end else begin : g_plain
        assign w_op = w_reg;
        assign x_op = x_reg;
    end
endgenerate

// -- per output: products, adder tree, accumulator, ReLU and cast
reg [PE*ACC_W-1:0] acc = 0;
wire [PE*OUT_W-1:0] cast_reg;
genvar p;
generate
    for (p = 0; p < PE; p = p + 1) begin : g_pe
        // level l of the adder tree, term i at bits [(l*SIMD + i)*TW +: TW]; level 0 the products
        wire [SIMD*TW-1:0] products;
        wire [(LEVELS+1)*SIMD*TW-1:0] tree;
        if (LEVELS > 0) begin : g_tree
            reg [LEVELS*SIMD*TW-1:0] sums = 0;
            assign tree = {sums, products};
            integer l, i;
            always @(posedge clk) begin
                for (l = 1; l <= LEVELS; l = l + 1) begin
                    for (i = 0; i < SIMD; i = i + 1) begin
                        if (i < (SIMD + (1 << l) - 1) >> l) begin
                            sums[((l-1)*SIMD + i)*TW +: TW] <= $signed(tree[((l-1)*SIMD + 2*i)*TW +: TW])
                                + (2*i + 1 < (SIMD + (1 << (l-1)) - 1) >> (l-1) ? $signed(tree[((l-1)*SIMD + 2*i + 1)*TW +: TW]) : 0);
                        end
                    end
                end
            end
        end else begin : g_product
            assign tree = products;
        end
        genvar s;
        for (s = 0; s < SIMD; s = s + 1) begin : g_simd
            if (p*SIMD + s < LUT_MULS) begin : g_lut
                mul_lut #(
                    .A_W(IN_W), .A_SIGNED(IN_SIGNED), .B_W(W_W), .B_SIGNED(1), .P_W(TW)
                ) mul (.clk(clk), .a(x_op[s*IN_W +: IN_W]), .b(w_op[(p*SIMD + s)*W_W +: W_W]), .p(products[s*TW +: TW]));
            end else begin : g_dsp
                mul_pipe #(
                    .A_W(IN_W), .A_SIGNED(IN_SIGNED), .B_W(W_W), .B_SIGNED(1), .P_W(TW)
                ) mul (.clk(clk), .a(x_op[s*IN_W +: IN_W]), .b(w_op[(p*SIMD + s)*W_W +: W_W]), .p(products[s*TW +: TW]));
            end
        end
        wire signed [ACC_W-1:0] sum = $signed(tree[LEVELS*SIMD*TW +: TW]);
        wire signed [ACC_W-1:0] bias = $signed(b_reg[p*B_W +: B_W]) <<< (ACC_F - B_F);
        wire signed [ACC_W-1:0] base = sum_first ? bias : $signed(acc[p*ACC_W +: ACC_W]);
        always @(posedge clk) begin
            if (sum_valid) acc[p*ACC_W +: ACC_W] <= base + (sum <<< (ACC_F - IN_F - W_F));
        end

        wire signed [ACC_W-1:0] a = acc[p*ACC_W +: ACC_W];
        wire [ACC_W-1:0] rectified = RELU && a[ACC_W-1] ? {ACC_W{1'b0}} : a;  // the sign bit, not a comparator
        fixed_cast_pipe #(
            .IN_W(ACC_W), .IN_F(ACC_F), .IN_SIGNED(1),
            .OUT_W(OUT_W), .OUT_F(OUT_F), .OUT_SIGNED(OUT_SIGNED), .ROUND(ROUND), .SAT(SAT)
        ) out_cast (.clk(clk), .in_raw(rectified), .out_raw(cast_reg[p*OUT_W +: OUT_W]));
    end
endgenerate

// -- cast of a finished group of PE outputs, then the groups of a beat gathered (group 0 lowest)
reg acc_done = 0, rounded = 0, cast_valid = 0, push = 0;
reg [NB-1:0] acc_nf = 0, rounded_nf = 0, cast_nf = 0;
reg [C_OUT*OUT_W-1:0] result = 0;
generate
    if (NF > 1) begin : g_gather
        always @(posedge clk) if (cast_valid) result <= {cast_reg, result[C_OUT*OUT_W-1:PE*OUT_W]};
    end else begin : g_single
        always @(posedge clk) if (cast_valid) result <= cast_reg;
    end
endgenerate
always @(posedge clk) begin
    if (rst) begin
        acc_done <= 0; rounded <= 0; cast_valid <= 0; push <= 0;
    end else begin
        acc_done <= sum_valid && sum_last;
        acc_nf <= sum_nf;
        rounded <= acc_done;
        rounded_nf <= acc_nf;
        cast_valid <= rounded;
        cast_nf <= rounded_nf;
        push <= cast_valid && cast_nf == NF_LAST[NB-1:0];
    end
end

wire fifo_ready;
axis_fifo #(
    .WIDTH(C_OUT*OUT_W),
    .DEPTH(CREDITS)
) out_fifo (
    .clk(clk), .rst(rst),
    .s_axis_tdata(result), .s_axis_tvalid(push), .s_axis_tready(fifo_ready),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)
);

`ifndef SYNTHESIS
// the credit rule: a beat is taken only with room for its result, so the FIFO's s_axis_tready
// may be left out of the pipeline, which never stalls
always @(posedge clk) begin
    if (!rst && push && !fifo_ready) $fatal(1, "pointwise_conv: a result met a full FIFO (credits)");
end
`endif

endmodule

`resetall
