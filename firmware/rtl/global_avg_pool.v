// global_avg_pool: the average of each channel over an H x W image, as hls4ml computes it.
//   s_axis: H*W pixels of C lanes (IN_W bits, IN_F fractional, IN_SIGNED);
//   m_axis: one beat per image, C lanes of OUT_W bits.
//   The sum is exact in ACC_W bits with ACC_F fractional bits; the average is the sum's raw
//   value divided by H*W with truncation toward zero (ap_fixed's division by an integer), then
//   cast to the output format. The division needs no multiplier: a restoring divider takes
//   ACC_W + 2 cycles per lane, C lanes one after the other while the next image is summed
//   (so C * (ACC_W + 2) cycles per image at least: SqueezeNet's 1000 classes take ~23 K).
//   The output is a skid buffer.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module global_avg_pool #(
    parameter H = 2,
    parameter W = 2,
    parameter C = 1,
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
localparam RW = $clog2(N) + 2;  // a remainder shifted left: below 2N

reg [C*ACC_W-1:0] acc = 0;   // sums of the image being received
reg [C*ACC_W-1:0] sums = 0;  // sums of the image being divided, lane 0 at the bottom
reg [C*OUT_W-1:0] avg = 0;   // averages gathered, the last lane at the top
reg [$clog2(N+1)-1:0] count = 0;
reg [$clog2(C+1)-1:0] lane = 0, lanes_out = 0;
reg dividing = 0, busy = 0, done = 0;  // dividing: lanes left; busy: until the result left
reg at_end = N == 1;  // count == N-1, as a register

// the last pixel of an image hands its sums over, so the divider must be free then
assign s_axis_tready = !(at_end && busy);
wire take = s_axis_tvalid && s_axis_tready;
wire out_ready;
wire push = done && out_ready;

wire [C*ACC_W-1:0] acc_next;
genvar c;
generate
    for (c = 0; c < C; c = c + 1) begin : g_sum
        wire [IN_W-1:0] v = s_axis_tdata[c*IN_W +: IN_W];
        wire signed [ACC_W-1:0] v_x = $signed({IN_SIGNED ? v[IN_W-1] : 1'b0, v}) <<< (ACC_F - IN_F);
        wire signed [ACC_W-1:0] base = count == 0 ? {ACC_W{1'b0}} : $signed(acc[c*ACC_W +: ACC_W]);
        assign acc_next[c*ACC_W +: ACC_W] = base + v_x;
    end
endgenerate

// truncating division of one lane, a quotient bit per cycle (restoring division by N): the
// magnitude shifts out at the top while the quotient shifts in at the bottom, then the sign
wire [ACC_W-1:0] s = sums[ACC_W-1:0];
reg [ACC_W-1:0] mag = 0;
reg [RW-2:0] rem = 0;  // below N
reg negative = 0;
reg [$clog2(ACC_W+1)-1:0] step = 0;
reg stepping = 0, signing = 0, q_valid = 0;
reg [ACC_W-1:0] q = 0;
wire [RW-1:0] rem_in = {rem[RW-2:0], mag[ACC_W-1]};
localparam [RW-1:0] N_RW = N;
wire fits = rem_in >= N_RW;
wire [RW-2:0] rem_next = fits ? rem_in[RW-2:0] - N_RW[RW-2:0] : rem_in[RW-2:0];  // below N
wire [OUT_W-1:0] q_out;
reg [1:0] cast_valid = 0;  // rounding, saturation
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

always @(posedge clk) begin
    if (take) acc <= acc_next;
    if (take && at_end) sums <= acc_next;
    else if (dividing && !stepping && !signing) sums <= sums >> ACC_W;
    if (dividing && !stepping && !signing) begin  // load a lane
        mag <= s[ACC_W-1] ? -s : s;
        negative <= s[ACC_W-1];
        rem <= 0;
    end else if (stepping) begin
        rem <= rem_next;
        mag <= {mag[ACC_W-2:0], fits};
    end
    if (signing) q <= negative ? -mag : mag;
    if (rst) begin
        count <= 0; at_end <= N == 1; lane <= 0; lanes_out <= 0; step <= 0;
        dividing <= 0; stepping <= 0; signing <= 0; q_valid <= 0; cast_valid <= 0; busy <= 0; done <= 0;
    end else begin
        q_valid <= signing;
        cast_valid <= {cast_valid[0], q_valid};
        if (take) begin
            count <= at_end ? 0 : count + 1;
            at_end <= N == 1 || count == N-2;
        end
        if (take && at_end) begin
            dividing <= 1;
            busy <= 1;
            lane <= 0;
        end else if (signing) begin
            signing <= 0;
            lane <= lane + 1;
            if (lane == C-1) dividing <= 0;
        end else if (stepping) begin
            step <= step + 1;
            if (step == ACC_W-1) begin
                stepping <= 0;
                signing <= 1;
            end
        end else if (dividing) begin
            stepping <= 1;
            step <= 0;
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

axis_register #(.WIDTH(C*OUT_W)) out_reg (
    .clk(clk), .rst(rst),
    .s_axis_tdata(avg), .s_axis_tvalid(done), .s_axis_tready(out_ready),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)
);

endmodule

`resetall
