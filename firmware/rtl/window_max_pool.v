// window_max_pool: max pooling of any pool size K, stride S and padding (overlapping pools
//   such as SqueezeNet's 3x3/2, and Keras 'same' pools), as running maxima over the stream.
//   s_axis: pixels of H x W x C images in raster order, lane c = bits [c*DW +: DW];
//   m_axis: the OH x OW pooled pixels, same lanes, OH = (H + PAD_T + PAD_B - K) / S + 1.
//   The padded image is swept position by position, a padding position taking zeros, which is
//   the Keras result (padding left out of the maximum) only for unsigned inputs: padding with
//   SIGNED is refused at elaboration.
//   Separable and channel-serial: LANES of the C channels per cycle (LANES divides C), G = C /
//   LANES cycles per position, the groups read in place from s_axis_tdata (held until the last
//   group takes the beat). A position is in at most R = ceil(K / S) windows of its row, so R
//   running maxima across the columns (G words each) and, for each window finished in a row,
//   R running maxima down the rows (OW * G words each, block RAM beyond 64). No line buffer of
//   whole pixels and no K x K window register: a wide layer (SqueezeNet's pool5, 256 channels)
//   costs 2 * R * LANES comparators and memory of R * (OW + 1) * G * LANES words.
//   Throughput: G cycles per padded position and a cycle per output pixel (the output
//   register is the register the groups gather in; while it is full everything waits), i.e.
//   (H + PAD_T + PAD_B) * (W + PAD_L + PAD_R) * G + OH * OW cycles per image.
//   m_axis_tready enters one register (`full`); s_axis_tready is the AND of registers. The
//   group select is two registered muxes (a block of up to 8 groups, then the group), so a
//   wide beat (pool5: 128 groups) is no 128-way mux in one cycle.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module window_max_pool #(
    parameter H = 4,
    parameter W = 4,
    parameter C = 1,
    parameter LANES = C,
    parameter DW = 8,
    parameter SIGNED = 0,
    parameter K = 3,
    parameter S = 1,
    parameter PAD_T = 1,
    parameter PAD_L = 1,
    parameter PAD_B = 1,
    parameter PAD_R = 1
) (
    input  wire            clk,
    input  wire            rst,
    input  wire [C*DW-1:0] s_axis_tdata,
    input  wire            s_axis_tvalid,
    output wire            s_axis_tready,
    output wire [C*DW-1:0] m_axis_tdata,
    output wire            m_axis_tvalid,
    input  wire            m_axis_tready
);

generate
    if (SIGNED && PAD_T + PAD_L + PAD_B + PAD_R > 0) begin : g_check_pad
`ifdef __ICARUS__  // Icarus 11 has no elaboration-time $error: the check fails at time 0
        initial $fatal(1, "window_max_pool: padding takes zeros, so the input must be unsigned (SIGNED 0)");
`else
        $error("window_max_pool: padding takes zeros, so the input must be unsigned (SIGNED 0)");
`endif
    end
    if (LANES < 1 || C % LANES != 0) begin : g_check_lanes
`ifdef __ICARUS__
        initial $fatal(1, "window_max_pool: LANES must divide C");
`else
        $error("window_max_pool: LANES must divide C");
`endif
    end
    if (PAD_T >= K || PAD_L >= K || PAD_B >= K || PAD_R >= K) begin : g_check_window
`ifdef __ICARUS__
        initial $fatal(1, "window_max_pool: each padding must be below K (no window of padding only)");
`else
        $error("window_max_pool: each padding must be below K (no window of padding only)");
`endif
    end
    if (K > H + PAD_T + PAD_B || K > W + PAD_L + PAD_R) begin : g_check_size
`ifdef __ICARUS__
        initial $fatal(1, "window_max_pool: K must be at most the padded image (H + PAD_T + PAD_B, W + PAD_L + PAD_R)");
`else
        $error("window_max_pool: K must be at most the padded image (H + PAD_T + PAD_B, W + PAD_L + PAD_R)");
`endif
    end
    if (S < 1) begin : g_check_stride
`ifdef __ICARUS__
        initial $fatal(1, "window_max_pool: S must be at least 1");
`else
        $error("window_max_pool: S must be at least 1");
`endif
    end
endgenerate

localparam HP = H + PAD_T + PAD_B, WP = W + PAD_L + PAD_R;
localparam SP = S > 0 ? S : 1;   // S as a divisor (S < 1 is refused above)
localparam OW = (WP - K) / SP + 1;
localparam R = (K + SP - 1) / SP;  // windows a column (or row) is in, at most
localparam RS = R * SP;            // slot r holds every R-th window: it restarts every RS columns
localparam G = C / LANES;
localparam LW = LANES * DW;
localparam VD = OW * G;          // words of a running maximum down the rows: a group per window
localparam GB = G > 1 ? $clog2(G) : 1;
localparam XB = $clog2(WP + 1), YB = $clog2(HP + 1);
localparam OB = $clog2(RS + 1);
localparam VB = VD > 1 ? $clog2(VD) : 1;
localparam LB = G > 8 ? 3 : GB;    // group bits chosen in the second mux (a block of 2^LB groups)
localparam BW = (1 << LB) * LW;
localparam NB = (G + (1 << LB) - 1) >> LB;  // blocks; the last one's spare groups are zeros

// the maximum of the window that ends (one slot at most), OR-ed out of the R slots
function [LW-1:0] ending(input [R-1:0] ends, input [R*LW-1:0] maxima);
    integer r;
    ending = 0;
    for (r = 0; r < R; r = r + 1)
        if (ends[r]) ending = ending | maxima[r*LW +: LW];
endfunction

// what a window's first value is compared with: the least value of each lane
localparam [LW-1:0] LOWEST = SIGNED ? {LANES{1'b1, {DW - 1{1'b0}}}} : {LW{1'b0}};

function [LW-1:0] lane_max(input [LW-1:0] a, input [LW-1:0] b);
    integer c;
    for (c = 0; c < LANES; c = c + 1)
        lane_max[c*DW +: DW] = (SIGNED ? $signed(a[c*DW +: DW]) > $signed(b[c*DW +: DW]) : a[c*DW +: DW] > b[c*DW +: DW])
            ? a[c*DW +: DW] : b[c*DW +: DW];
endfunction

reg full = 0;  // the output pixel waits: nothing moves
wire en = !full;

// -- the position swept, its group, and each slot's offset in its window (across, then down)
reg [GB-1:0] g = 0;
reg [XB-1:0] px = 0;
reg [YB-1:0] py = 0;
reg [VB-1:0] vaddr = 0;  // {window across, group} of the next window finished in this row
// sized constants (a padding of 0 has X_PRE all ones: beyond every column, never matched)
localparam integer X_PRE = PAD_L - 1, X_LAST_IN = PAD_L + W - 1, X_END = WP - 1;
localparam integer Y_PRE = PAD_T - 1, Y_LAST_IN = PAD_T + H - 1, Y_END = HP - 1, G_END = G - 1;
wire last_g = g == G_END[GB-1:0];
wire row_end = px == X_END[XB-1:0];
wire img_end = row_end && py == Y_END[YB-1:0];
reg col_in = PAD_L == 0, row_in = PAD_T == 0;  // the position is a pixel, not padding
wire in_image = col_in && row_in;
wire move = en && (s_axis_tvalid || !in_image);
wire next_pos = move && last_g;
assign s_axis_tready = en && in_image && last_g;

wire [R-1:0] x_act, x_first, x_last, y_act, y_first, y_last;
genvar q;
generate
    for (q = 0; q < R; q = q + 1) begin : g_slot
        // slot q's first window (number q) starts at column (row) q*S: before it, none
        localparam integer START = (RS - q * SP) % RS, LAST = RS - 1, K_END = K - 1;
        localparam START_OK = q == 0;
        reg [OB-1:0] x_off = START[OB-1:0], y_off = START[OB-1:0];
        reg x_ok = START_OK, y_ok = START_OK;
        assign x_act[q] = x_ok && x_off <= K_END[OB-1:0];
        assign x_first[q] = x_off == 0;
        assign x_last[q] = x_off == K_END[OB-1:0];
        assign y_act[q] = y_ok && y_off <= K_END[OB-1:0];
        assign y_first[q] = y_off == 0;
        assign y_last[q] = y_off == K_END[OB-1:0];
        always @(posedge clk) begin
            if (next_pos) begin
                x_off <= x_off == LAST[OB-1:0] ? 0 : x_off + 1'b1;
                if (x_off == LAST[OB-1:0]) x_ok <= 1'b1;
                if (row_end) begin
                    x_off <= START[OB-1:0];
                    x_ok <= START_OK;
                    y_off <= y_off == LAST[OB-1:0] ? 0 : y_off + 1'b1;
                    if (y_off == LAST[OB-1:0]) y_ok <= 1'b1;
                    if (img_end) begin
                        y_off <= START[OB-1:0];
                        y_ok <= START_OK;
                    end
                end
            end
            if (rst) begin
                x_off <= START[OB-1:0];
                y_off <= START[OB-1:0];
                x_ok <= START_OK;
                y_ok <= START_OK;
            end
        end
    end
endgenerate
wire x_done = |(x_act & x_last);  // a window across ends at this column

always @(posedge clk) begin
    if (move) begin
        g <= last_g ? 0 : g + 1'b1;
        if (x_done) vaddr <= vaddr + 1'b1;
    end
    if (next_pos) begin
        px <= row_end ? 0 : px + 1'b1;
        if (px == X_PRE[XB-1:0]) col_in <= 1'b1;
        if (px == X_LAST_IN[XB-1:0]) col_in <= 1'b0;
        if (row_end) begin
            vaddr <= 0;
            col_in <= PAD_L == 0;
            py <= img_end ? 0 : py + 1'b1;
            if (py == Y_PRE[YB-1:0]) row_in <= 1'b1;
            if (py == Y_LAST_IN[YB-1:0]) row_in <= 1'b0;
            if (img_end) row_in <= PAD_T == 0;
        end
    end
    if (rst) begin
        g <= 0;
        px <= 0;
        py <= 0;
        vaddr <= 0;
        col_in <= PAD_L == 0;
        row_in <= PAD_T == 0;
    end
end

// -- stage p: the block of groups the group is in (zeros at a padding position), and the
//    position's controls
wire [BW-1:0] block;
generate
    if (G > 8) begin : g_blocks
        wire [NB*BW-1:0] beat;  // zero-extended to whole blocks
        if (NB * BW > C * DW) begin : g_extend
            assign beat = {{(NB * BW - C * DW){1'b0}}, s_axis_tdata};
        end else begin : g_whole
            assign beat = s_axis_tdata;
        end
        assign block = beat[g[GB-1:LB]*BW +: BW];
    end else if (BW > C * DW) begin : g_extend
        assign block = {{(BW - C * DW){1'b0}}, s_axis_tdata};
    end else begin : g_one
        assign block = s_axis_tdata;
    end
endgenerate
reg p_valid = 0, p_last_g = 0;
reg [BW-1:0] p_block = 0;
reg [GB-1:0] p_g = 0;
reg [VB-1:0] p_vaddr = 0;
reg [R-1:0] p_x_act = 0, p_x_first = 0, p_x_last = 0, p_y_act = 0, p_y_first = 0, p_y_last = 0;
always @(posedge clk) begin
    if (en) begin
        p_valid <= move;
        p_block <= in_image ? block : {BW{1'b0}};
        p_g <= g;
        p_last_g <= last_g;
        p_vaddr <= vaddr;
        p_x_act <= x_act;
        p_x_first <= x_first;
        p_x_last <= x_last;
        p_y_act <= y_act;
        p_y_first <= y_first;
        p_y_last <= y_last;
    end
    if (rst) p_valid <= 0;
end

// -- stage a: the group's lanes and where they go
reg a_valid = 0, a_last_g = 0;
reg [LW-1:0] a_v = 0;
reg [GB-1:0] a_g = 0;
reg [VB-1:0] a_vaddr = 0;
reg [R-1:0] a_x_act = 0, a_x_last = 0, a_y_act = 0, a_y_first = 0, a_y_last = 0;
wire [LB-1:0] p_lane_group = p_g[LB-1:0];
always @(posedge clk) begin
    if (en) begin
        a_valid <= p_valid;
        a_v <= p_block[p_lane_group*LW +: LW];
        a_g <= p_g;
        a_last_g <= p_last_g;
        a_vaddr <= p_vaddr;
        a_x_act <= p_x_act;
        a_x_last <= p_x_last;
        a_y_act <= p_y_act;
        a_y_first <= p_y_first;
        a_y_last <= p_y_last;
    end
    if (rst) a_valid <= 0;
end

// -- stage b: the maxima across the columns, one per slot; the one whose window ends leaves
reg b_valid = 0, b_last_g = 0;
reg [LW-1:0] b_h = 0;
reg [VB-1:0] b_vaddr = 0;
reg [R-1:0] b_y_act = 0, b_y_last = 0;
wire [R*LW-1:0] across;
generate
    for (q = 0; q < R; q = q + 1) begin : g_across
        // read a stage early (the group's address), so the memory's output is a register that
        // holds the least value at a window's first column: no mux sits before the comparator.
        // G = 1 reads the word as it is written (position after position): taken from the write
        (* ram_style = "distributed" *) reg [LW-1:0] run [0:G-1];  // G words: LUT RAM's read is fast
        reg [LW-1:0] rd = 0;
        wire write = en && a_valid && a_x_act[q];
        wire [LW-1:0] stored = G == 1 && write ? across[q*LW +: LW] : run[p_g];
        assign across[q*LW +: LW] = lane_max(rd, a_v);
        always @(posedge clk) begin
            if (write) run[a_g] <= across[q*LW +: LW];
            if (en) rd <= p_x_first[q] ? LOWEST : stored;
        end
    end
endgenerate

wire [LW-1:0] h_done = ending(a_x_act & a_x_last, across);

always @(posedge clk) begin
    if (en) begin
        b_valid <= a_valid && |(a_x_act & a_x_last);
        b_h <= h_done;
        b_vaddr <= a_vaddr;
        b_last_g <= a_last_g;
        b_y_act <= a_y_act;
        b_y_last <= a_y_last;
    end
    if (rst) b_valid <= 0;
end

// -- stage c: the maxima down the rows, one per slot
wire [R*LW-1:0] down;
wire [R-1:0] b_write = {R{b_valid}} & b_y_act & ~b_y_last;
generate
    for (q = 0; q < R; q = q + 1) begin : g_down
        // The memory is read three stages early (the sweep's address, then the memory's output
        // register, then a register beside it), so that a block RAM's slow output (5.8 ns of the
        // 8 at 125 MHz on the ECP5) drives one register and nothing else, and its write is
        // registered, so that the comparator drives registers only. The writes of the four
        // positions ahead that the read cannot see are forwarded, each into the register where
        // its data is at hand, a later one before an earlier one: the write in flight and the
        // one at stage b as the read is issued (fwd0), the next one as the read leaves the memory
        // (fwd1), the last one (or the least value at a window's first row) by the one mux before
        // the comparator, so that the loop through it is a LUT, the compare and the pick.
        wire [LW-1:0] rd;
        reg [LW-1:0] w_data = 0, rd_q = 0, rd_q2 = 0, fwd0_data = 0, fwd1_data = 0, fwd_data = 0;
        reg [VB-1:0] w_addr = 0;
        reg w_en = 0, fwd0 = 0, fwd1 = 0, fwd = 0;
        wire [LW-1:0] result = lane_max(fwd ? fwd_data : rd_q2, b_h);
        wire b_to_0 = b_write[q] && b_vaddr == vaddr, b_to_p = b_write[q] && b_vaddr == p_vaddr;
        assign down[q*LW +: LW] = result;
        if (VD > 64) begin : g_block
            // in columns as wide as one 18 Kb block RAM is at this depth (36 bits at 512 words,
            // 18 at 1 K, ... 1 at 16 K), so that no block's output passes a mux across blocks
            // before its register
            localparam CW = VD <= 512 ? 36 : VD <= 1024 ? 18 : VD <= 2048 ? 9 : VD <= 4096 ? 4 : VD <= 8192 ? 2 : 1;
            genvar k;
            for (k = 0; k < (LW + CW - 1) / CW; k = k + 1) begin : g_column
                localparam LO = k * CW, CWK = LW - LO < CW ? LW - LO : CW;
                // no_rw_check: a read of the word being written is never used (fwd0 forwards it),
                // so Yosys need not build the old-data logic that would sit after the block
                (* ram_style = "block", no_rw_check *) reg [CWK-1:0] run [0:VD-1];
                reg [CWK-1:0] rd_k;  // no initial value: a block's output register has none
                                     // (Yosys emulates one with a LUT after the block)
                assign rd[LO +: CWK] = rd_k;
                always @(posedge clk) if (en) begin
                    if (w_en) run[w_addr] <= w_data[LO +: CWK];
                    rd_k <= run[vaddr];
                end
            end
        end else begin : g_lutram
            reg [LW-1:0] run [0:VD-1];
            reg [LW-1:0] rd_r = 0;
            assign rd = rd_r;
            always @(posedge clk) if (en) begin
                if (w_en) run[w_addr] <= w_data;
                rd_r <= run[vaddr];
            end
        end
        always @(posedge clk) if (en) begin
            w_en <= b_write[q];
            w_addr <= b_vaddr;
            w_data <= result;
            fwd0 <= b_to_0 || (w_en && w_addr == vaddr);
            fwd0_data <= b_to_0 ? result : w_data;
            rd_q <= rd;
            fwd1 <= b_to_p || fwd0;
            fwd1_data <= b_to_p ? result : fwd0_data;
            rd_q2 <= fwd1 ? fwd1_data : rd_q;
            fwd <= a_y_first[q] || (b_write[q] && b_vaddr == a_vaddr);
            fwd_data <= a_y_first[q] ? LOWEST : result;
        end
    end
endgenerate

// -- stage d: the maxima down, registered before the one that ends is picked (the comparator
//    and the pick are two stages' logic on the ECP5 at 125 MHz)
reg d_valid = 0, d_last_g = 0;
reg [R*LW-1:0] d_down = 0;
reg [R-1:0] d_ends = 0;
always @(posedge clk) begin
    if (en) begin
        d_valid <= b_valid && |(b_y_act & b_y_last);
        d_down <= down;
        d_ends <= b_y_act & b_y_last;
        d_last_g <= b_last_g;
    end
    if (rst) d_valid <= 0;
end
wire [LW-1:0] v_done = ending(d_ends, d_down);
wire emit = en && d_valid;

reg [C*DW-1:0] pixel = 0;
generate
    if (G > 1) begin : g_gather
        always @(posedge clk) if (emit) pixel <= {v_done, pixel[C*DW-1:LW]};
    end else begin : g_single
        always @(posedge clk) if (emit) pixel <= v_done;
    end
endgenerate

always @(posedge clk) begin
    if (emit && d_last_g) full <= 1'b1;
    else if (m_axis_tready) full <= 1'b0;
    if (rst) full <= 1'b0;
end
assign m_axis_tdata = pixel;
assign m_axis_tvalid = full;

endmodule

`resetall
