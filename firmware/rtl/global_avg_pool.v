// global_avg_pool: the average of each channel over an H x W image, as hls4ml computes it.
//   s_axis: H*W pixels of C lanes (IN_W bits, IN_F fractional, IN_SIGNED);
//   m_axis: one beat per image, C lanes of OUT_W bits.
//   The sum is exact in ACC_W bits with ACC_F fractional bits; the average is the sum's raw
//   value divided by H*W with truncation toward zero (ap_fixed's division by an integer), then
//   cast to the output format.
//   LANES channels are summed per cycle (LANES divides C): a pixel takes C / LANES cycles, its
//   beat taken into a register that shifts a group down per cycle (the next beat is taken as
//   the last group is summed). The sums are a block RAM of C / LANES words per image, two
//   images (the one summed and the one divided), so a wide layer (SqueezeNet's 1000 classes)
//   costs LANES adders, not C adders and 2*C registers. The division needs no multiplier: a
//   restoring divider takes ACC_W + 2 cycles per lane, C lanes one after the other while the
//   next image is summed, after two cycles that read the first.
//   Cycles per image: max(H*W*C/LANES, C*(ACC_W + 2) + 2).
//   The averages gather in one register that is the output: it is held until taken, and the
//   divider starts on the next image only then (m_axis_tready enters two registers).
`resetall
`timescale 1ns / 1ps
`default_nettype none

module global_avg_pool #(
    parameter H = 2,
    parameter W = 2,
    parameter C = 1,
    parameter LANES = 1,
    parameter IN_W = 8, parameter IN_F = 0, parameter IN_SIGNED = 0,
    parameter ACC_W = 16, parameter ACC_F = 0,
    parameter OUT_W = 16, parameter OUT_F = 0, parameter OUT_SIGNED = 1,
    parameter ROUND = 0, parameter SAT = 1
) (
    input  wire               clk,
    input  wire               rst,
    input  wire [C*IN_W-1:0]  s_axis_tdata,
    input  wire               s_axis_tvalid,
    output wire               s_axis_tready,
    output wire [C*OUT_W-1:0] m_axis_tdata,
    output wire               m_axis_tvalid,
    input  wire               m_axis_tready
);

localparam N = H * W;
localparam G = C / LANES;  // groups of lanes per pixel: the words of an image's sums
localparam GB = G > 1 ? $clog2(G) : 1;
localparam LB = LANES > 1 ? $clog2(LANES) : 1;
localparam RW = $clog2(N) + 2;  // a remainder shifted left: below 2N
localparam SW = LANES * ACC_W;  // a word of sums
localparam integer G_LAST = G - 1, G_PRE = G - 2, L_LAST = LANES - 1;
// the sums are read this many words ahead of the summing: two registers' latency and one taken
localparam AHEAD = 3;

generate
    if (LANES < 1 || C % LANES != 0) begin : g_check_lanes
`ifdef __ICARUS__  // Icarus 11 has no elaboration-time $error: the check fails at time 0
        initial $fatal(1, "global_avg_pool: LANES must divide C");
`else
        $error("global_avg_pool: LANES must divide C");
`endif
    end
endgenerate

// the beat being summed, shifted down a group per cycle: the lanes summed are its lowest,
// never a C/LANES-way multiplexer. Once taken, a beat's groups are summed one a cycle without
// a stall (the image's last beat is taken only when the divider is free for its sums), so x
// has no enable and its select comes from two registers
reg [C*IN_W-1:0] x = 0;
reg x_valid = 0;
// sums of two images, word {bank, group}: one is summed while the other is divided. Every
// read of them is registered twice, the block RAM's and a register after it: its clock-to-out
// (5.8 ns on the ECP5) leaves no time for logic behind it
reg [SW-1:0] sums [0:2**(GB+1)-1];
reg bank = 0;  // the image being summed

reg [$clog2(N+1)-1:0] count = 0;
reg at_end = N == 1;  // count == N-1, as a register
reg [GB-1:0] group = 0;
reg last_group = G == 1;  // group == G-1
reg busy = 0;  // dividing or holding a result
wire take = x_valid;  // a group summed
wire handover = take && last_group && at_end;  // the image's sums go to the divider
wire [GB-1:0] group_next = last_group ? {GB{1'b0}} : group + 1'b1;
wire at_end_next = last_group ? N == 1 || (!at_end && count == N-2) : at_end;
// x loads whenever it may, valid input or not (x_valid says which)
wire may_load = !x_valid || last_group;
wire stored_ready;  // the sums are read ahead as far as the summing needs
// the beat taken is the image's last: it hands the sums over at its end, so the divider must be
// free before it is taken
wire next_last = x_valid ? at_end_next : at_end;
wire allowed = stored_ready && !(next_last && (busy || handover));  // handover: one pixel per image
assign s_axis_tready = may_load && allowed;

wire [SW-1:0] stored, word_next;
genvar l;
generate
    for (l = 0; l < LANES; l = l + 1) begin : g_sum
        wire [IN_W-1:0] v = x[l*IN_W +: IN_W];
        wire signed [ACC_W-1:0] v_x = $signed({IN_SIGNED ? v[IN_W-1] : 1'b0, v}) <<< (ACC_F - IN_F);
        wire signed [ACC_W-1:0] base = count == 0 ? {ACC_W{1'b0}} : $signed(stored[l*ACC_W +: ACC_W]);
        assign word_next[l*ACC_W +: ACC_W] = base + v_x;
    end
    if (G <= AHEAD) begin : g_near
        // a word is taken again before a read issued after its write could return it: the
        // image's G words are the last G written
        reg [G*SW-1:0] recent = 0;  // the oldest at the top
        if (G == 1) begin : g_one
            always @(posedge clk) if (take) recent <= word_next;
        end else begin : g_shift
            always @(posedge clk) if (take) recent <= {recent[(G-1)*SW-1:0], word_next};
        end
        assign stored = recent[(G-1)*SW +: SW];
        assign stored_ready = 1;
    end else begin : g_ahead
        // the words are taken in a fixed order, group after group, and read in that order up
        // to AHEAD ahead: the block RAM's read (r_word), a register (r_pipe), then a queue q of
        // AHEAD words; a word is read at least a take after it was written since G > AHEAD.
        // The reader follows the summed image's bank: the words it reads ahead for the next
        // image's first pixel are not used (its sums start from zero)
        reg [GB-1:0] r_group = 0;
        reg [SW-1:0] r_word = 0, r_pipe = 0;
        reg r_valid = 0, pipe_valid = 0;
        reg [1:0] ahead = 0;  // words read and not yet taken
        reg [AHEAD*SW-1:0] q = 0;  // the word taken next at the bottom
        reg [1:0] queued = 0;
        wire read = ahead < AHEAD || take;
        wire [31:0] in_queue = {30'd0, queued};  // compared with the loop's integer
        integer i;
        always @(posedge clk) begin
            r_word <= sums[{bank, r_group}];
            r_pipe <= r_word;
            for (i = 0; i < AHEAD; i = i + 1) begin
                // taken: the others move down and the arriving word lands behind them
                if (take) q[i*SW +: SW] <= i + 1 < in_queue ? q[(i+1 < AHEAD ? i+1 : i)*SW +: SW] : r_pipe;
                else if (i == in_queue) q[i*SW +: SW] <= r_pipe;
            end
            if (rst) begin
                r_group <= 0; r_valid <= 0; pipe_valid <= 0; ahead <= 0; queued <= 0;
            end else begin
                r_valid <= read;
                pipe_valid <= r_valid;
                if (read) r_group <= r_group == G_LAST[GB-1:0] ? 0 : r_group + 1'b1;
                ahead <= ahead + read - take;
                queued <= queued + pipe_valid - take;
            end
        end
        // AHEAD words ahead once the first read lands, and so never fewer than one queued
        reg warm = 0;
        always @(posedge clk) warm <= !rst && (warm || queued != 0);
        assign stored = q[SW-1:0];
        assign stored_ready = warm;
    end
endgenerate
always @(posedge clk) begin
    if (take) sums[{bank, group}] <= word_next;
    x <= may_load ? s_axis_tdata : x >> (LANES * IN_W);
end

// truncating division of one lane, a quotient bit per cycle (restoring division by N): the
// magnitude shifts out at the top while the quotient shifts in at the bottom, then the sign
reg div_bank = 0;
reg [GB-1:0] div_group = 0;
reg [LB-1:0] div_lane = 0;
// the lane loaded next, read two cycles ahead: the pointer moves on when a lane is loaded, and
// a new image waits two cycles (fetching) for its first word
reg [SW-1:0] div_read = 0, div_word = 0;
always @(posedge clk) begin
    div_read <= sums[{div_bank, div_group}];
    div_word <= div_read;
end
wire [ACC_W-1:0] s = div_word[div_lane*ACC_W +: ACC_W];
reg [ACC_W-1:0] mag = 0;
reg [RW-2:0] rem = 0;  // below N
reg negative = 0;
reg [$clog2(ACC_W+1)-1:0] step = 0;
reg [1:0] fetching = 0;
reg dividing = 0, stepping = 0, signing = 0, final_lane = 0, q_valid = 0, done = 0;
wire start_lane = dividing && fetching == 0 && !stepping && !signing;
reg [ACC_W-1:0] q = 0;
wire [RW-1:0] rem_in = {rem[RW-2:0], mag[ACC_W-1]};
localparam [RW-1:0] N_RW = N;
wire fits = rem_in >= N_RW;
wire [RW-2:0] rem_next = fits ? rem_in[RW-2:0] - N_RW[RW-2:0] : rem_in[RW-2:0];  // below N
wire [OUT_W-1:0] q_out;
reg [1:0] cast_valid = 0;  // rounding, saturation
reg [$clog2(C+1)-1:0] lanes_out = 0;
reg [C*OUT_W-1:0] avg = 0;  // averages gathered, the last lane at the top
generate
    if (C > 1) begin : g_gather
        always @(posedge clk) if (cast_valid[1]) avg <= {q_out, avg[C*OUT_W-1:OUT_W]};
    end else begin : g_single
        always @(posedge clk) if (cast_valid[1]) avg <= q_out;
    end
endgenerate
fixed_cast_pipe #(
    .IN_W(ACC_W), .IN_F(ACC_F), .IN_SIGNED(1),
    .OUT_W(OUT_W), .OUT_F(OUT_F), .OUT_SIGNED(OUT_SIGNED), .ROUND(ROUND), .SAT(SAT)
) out_cast (.clk(clk), .in_raw(q), .out_raw(q_out));

wire push = done && m_axis_tready;
assign m_axis_tdata = avg;
assign m_axis_tvalid = done;

always @(posedge clk) begin
    if (start_lane) begin
        mag <= s[ACC_W-1] ? -s : s;
        negative <= s[ACC_W-1];
        rem <= 0;
    end else if (stepping) begin
        rem <= rem_next;
        mag <= {mag[ACC_W-2:0], fits};
    end
    if (signing) q <= negative ? -mag : mag;
    if (rst) begin
        x_valid <= 0; count <= 0; at_end <= N == 1; group <= 0; last_group <= G == 1; bank <= 0;
        div_bank <= 0; div_group <= 0; div_lane <= 0; lanes_out <= 0; step <= 0; final_lane <= 0;
        dividing <= 0; fetching <= 0; stepping <= 0; signing <= 0; q_valid <= 0; cast_valid <= 0;
        busy <= 0; done <= 0;
    end else begin
        q_valid <= signing;
        cast_valid <= {cast_valid[0], q_valid};
        if (may_load) x_valid <= s_axis_tvalid && allowed;
        if (take) begin
            group <= group_next;
            last_group <= G == 1 || (!last_group && group == G_PRE[GB-1:0]);
            if (last_group) begin
                count <= at_end ? 0 : count + 1;
                at_end <= at_end_next;
            end
        end
        fetching <= {fetching[0], handover};
        if (handover) begin
            bank <= !bank;
            div_bank <= bank;
            dividing <= 1;
            busy <= 1;
            div_group <= 0;
            div_lane <= 0;
        end else if (start_lane) begin
            stepping <= 1;
            step <= 0;
            final_lane <= div_group == G_LAST[GB-1:0] && div_lane == L_LAST[LB-1:0];
            if (div_lane == L_LAST[LB-1:0]) begin
                div_lane <= 0;
                div_group <= div_group + 1;
            end else begin
                div_lane <= div_lane + 1;
            end
        end else if (stepping) begin
            step <= step + 1;
            if (step == ACC_W-1) begin
                stepping <= 0;
                signing <= 1;
            end
        end else if (signing) begin
            signing <= 0;
            if (final_lane) dividing <= 0;
        end
        if (cast_valid[1]) begin
            lanes_out <= lanes_out == C-1 ? 0 : lanes_out + 1;
            if (lanes_out == C-1) done <= 1;
        end
        if (push) begin
            done <= 0;
            busy <= 0;
        end
    end
end

endmodule

`resetall
