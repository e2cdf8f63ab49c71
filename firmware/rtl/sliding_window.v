// sliding_window: the K x K windows of a convolution, from a pixel stream (line buffer).
//   s_axis: pixels of an H x W x C image in raster order, lane c = bits [c*DW +: DW].
//   m_axis: one beat per output pixel (OH x OW, raster order) holding the K*K*C window,
//           element (ky, kx, c) at lane (ky*K + kx)*C + c; padding (PAD_T/L/B/R pixels of
//           zeros) and stride S as a Keras Conv2D with 'same' or 'valid' padding.
//   The buffer is K row banks (image row r in bank r mod K, at its column), read together: a
//   window is gathered a column (K pixels) per cycle, as soon as the last pixel it needs has
//   arrived, and every ready window is gathered before the next pixel is taken, so a row is
//   overwritten only when no pending window reads it. A window takes K + 3 cycles, a pixel one.
//   Timing: every address is a counter (no multiplier, no modulo); the next window's position
//   advances when a gather starts, so whether it is ready is a register computed while the
//   current one is gathered; a pixel that completes a window is caught by an equality test;
//   line-buffer writes and reads are registered; the output is a skid buffer.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module sliding_window #(
    parameter H = 4,
    parameter W = 4,
    parameter C = 1,
    parameter DW = 8,
    parameter K = 3,
    parameter S = 1,
    parameter PAD_T = 1,
    parameter PAD_L = 1,
    parameter PAD_B = 1,
    parameter PAD_R = 1
) (
    input  wire                clk,
    input  wire                rst,
    input  wire [C*DW-1:0]     s_axis_tdata,
    input  wire                s_axis_tvalid,
    output wire                s_axis_tready,
    output wire [K*K*C*DW-1:0] m_axis_tdata,
    output wire                m_axis_tvalid,
    input  wire                m_axis_tready
);

localparam OH = (H + PAD_T + PAD_B - K) / S + 1;
localparam OW = (W + PAD_L + PAD_R - K) / S + 1;
localparam PW = C * DW;
localparam CW = $clog2(H + W + K + PAD_T + PAD_L + S + 2) + 2;  // signed row/column arithmetic
localparam KB = K > 1 ? $clog2(K) : 1;
localparam XB = W > 1 ? $clog2(W) : 1;  // a bank address: the column
localparam [KB-1:0] TOP_SLOT0 = (K - PAD_T % K) % K;  // the bank of row -PAD_T
localparam [KB-1:0] STEP_SLOT = S % K;                 // S rows further down
// constants as wide as the row/column registers, so that no comparison is 32 bits wide
localparam signed [CW-1:0] TOP0 = -PAD_T, LEFT0 = -PAD_L;
localparam signed [CW-1:0] LAST_ROW0 = K - 1 - PAD_T > H - 1 ? H - 1 : K - 1 - PAD_T;
localparam signed [CW-1:0] LAST_COL0 = K - 1 - PAD_L > W - 1 ? W - 1 : K - 1 - PAD_L;
localparam signed [CW-1:0] HC = H, WC = W, OHC = OH, OWC = OW, SC = S, K1 = K - 1;

// input side: the next pixel to take and where it goes
reg [KB-1:0] wr_slot = 0;
reg signed [CW-1:0] iy = 0, ix = 0;
// the next window: its first row and column in the image, the last pixel it needs, its top row's bank
reg signed [CW-1:0] oy = 0, ox = 0;
reg signed [CW-1:0] top = TOP0, left = LEFT0;
reg signed [CW-1:0] last_row = LAST_ROW0, last_col = LAST_COL0;
reg signed [CW-1:0] bottom = LAST_ROW0, right = LAST_COL0;  // unclipped, a stage before them
reg [KB-1:0] top_slot = TOP_SLOT0;

// gathering: column kx read at rd_col (image column col) from every bank; the window's rows
// are in banks top_g, top_g+1, ... (mod K), row_ok says which are inside the image
reg gathering = 0, gathered = 0;
reg [KB-1:0] kx = 0, top_g = 0;
reg [XB-1:0] rd_col = 0;
reg signed [CW-1:0] col = 0;
reg [K-1:0] row_ok = 0;
reg [KB:0] reads = 0;
reg rd_valid = 0, q_valid = 0, rd_col_ok = 0, q_col_ok = 0;
reg [K*PW-1:0] win_cols [0:K-1];  // column kx of the window, row ky at [ky*PW +: PW]
wire [K*K*PW-1:0] win;

// registers, not comparisons, say whether windows are left and every pixel is in: the restart at
// the end of an image resets most of the registers here and must not wait on a comparator
reg windows_left = 1, all_in = 0, restart = 0;
// the next window is ready: the registered comparison, or the pixel just taken completed it;
// neither is trusted for the three cycles in which a move reaches ready_reg
reg ready_reg = 0, completed = 0;
reg [2:0] settling = 0;
wire settled = ~|settling;
wire ready = settled && (ready_reg || completed);
wire out_ready;
wire push = gathered && out_ready;
// a new gather may start once the reads are done and the last window is leaving
wire reading = gathering || rd_valid || q_valid;
wire start = ready && !reading && (!gathered || push);
assign s_axis_tready = !rst && settled && !all_in && !ready && !reading && !gathered;
wire take = s_axis_tvalid && s_axis_tready;

// the banks: the write is registered, so that the ready logic does not drive a RAM's write
// enable (a pixel is written the cycle after it is taken, before any window that needs it can
// read it); the read is registered, then its output once more before the rows are rotated
reg wr_en = 0;
reg [KB-1:0] wr_at_slot = 0;
reg [XB-1:0] wr_at = 0;
reg [PW-1:0] wr_data = 0;
wire [K*PW-1:0] q;
reg [K*PW-1:0] q_reg = 0;
// which rows of the next window are inside the image, two cycles after its position moved
wire [K-1:0] rows_in;
reg [K-1:0] rows_in_reg = 0;
genvar j;
generate
    for (j = 0; j < K; j = j + 1) begin : g_bank
        reg [PW-1:0] bank [0:W-1];
        reg [PW-1:0] bank_q = 0;
        always @(posedge clk) begin
            if (wr_en && wr_at_slot == j) bank[wr_at] <= wr_data;
            bank_q <= bank[rd_col];
        end
        assign q[j*PW +: PW] = bank_q;
        // two stages (an adder, then a comparison); the next gather starts K + 3 cycles later
        localparam signed [CW-1:0] OFFSET = j;
        reg signed [CW-1:0] row = 0;
        always @(posedge clk) row <= top + OFFSET;
        assign rows_in[j] = !row[CW-1] && row < HC;
    end
endgenerate

// the column in window order: row ky from bank (top_g + ky) mod K, zero outside the image
// (the rotation is a mux on top_g with constant bank numbers, no modulo in the logic)
reg [K*PW-1:0] column;
integer ky, b;
always @(*) begin
    column = {K*PW{1'b0}};
    for (ky = 0; ky < K; ky = ky + 1)
        for (b = 0; b < K; b = b + 1)
            if (top_g == b && q_col_ok && row_ok[ky]) column[ky*PW +: PW] = q_reg[((b + ky) % K)*PW +: PW];
end

always @(posedge clk) begin
    wr_en <= take;
    wr_at_slot <= wr_slot;
    wr_at <= ix[XB-1:0];
    wr_data <= s_axis_tdata;
    q_reg <= q;
    rows_in_reg <= rows_in;
end

integer i;
always @(posedge clk) begin
    if (rst) begin
        wr_slot <= 0; iy <= 0; ix <= 0; windows_left <= 1; all_in <= 0; restart <= 0;
        oy <= 0; ox <= 0; top <= TOP0; left <= LEFT0;
        last_row <= LAST_ROW0; last_col <= LAST_COL0; bottom <= LAST_ROW0; right <= LAST_COL0; top_slot <= TOP_SLOT0;
        gathering <= 0; gathered <= 0; reads <= 0; rd_valid <= 0; q_valid <= 0; ready_reg <= 0; completed <= 0; settling <= 0;
    end else begin
        settling <= {settling[1:0], start};
        ready_reg <= windows_left && (iy > last_row || (iy == last_row && ix > last_col));
        completed <= take && iy == last_row && ix == last_col;
        // the last pixel the next window needs follows its position two cycles later (an adder,
        // then a comparison): the position moves when a gather starts, and `settling` keeps
        // anyone from asking before ready_reg has seen the move
        bottom <= top + K1;
        right <= left + K1;
        last_row <= bottom > HC - 1 ? HC - 1 : bottom;
        last_col <= right > WC - 1 ? WC - 1 : right;
        if (take) begin
            if (ix == WC - 1) begin
                ix <= 0;
                iy <= iy + 1;
                all_in <= iy == HC - 1;
                wr_slot <= wr_slot == K - 1 ? 0 : wr_slot + 1;
            end else begin
                ix <= ix + 1;
            end
        end
        // issue the column reads of one window
        rd_valid <= gathering;
        rd_col_ok <= !col[CW-1] && col < WC;
        q_valid <= rd_valid;
        q_col_ok <= rd_col_ok;
        if (start) begin
            gathering <= 1;
            kx <= 0;
            rd_col <= left[XB-1:0];
            col <= left; top_g <= top_slot;
            row_ok <= rows_in_reg;
            ready_reg <= 0; completed <= 0;
            // move on to the next window
            if (ox == OWC - 1) begin
                ox <= 0;
                left <= LEFT0;
                oy <= oy + 1;
                windows_left <= oy != OHC - 1;
                top <= top + SC;
                top_slot <= top_slot + STEP_SLOT >= K ? top_slot + STEP_SLOT - K : top_slot + STEP_SLOT;
            end else begin
                ox <= ox + 1;
                left <= left + SC;
            end
        end else if (gathering) begin
            kx <= kx + 1;
            rd_col <= rd_col + 1;
            col <= col + 1;
            if (kx == K-1) gathering <= 0;
        end
        // collect the columns, kx = 0 first
        if (q_valid) begin
            win_cols[K-1] <= column;
            for (i = 0; i < K-1; i = i + 1) win_cols[i] <= win_cols[i+1];
            reads <= reads + 1;
            if (reads == K-1) gathered <= 1;
        end
        // hand the window over
        if (push) begin
            gathered <= 0;
            reads <= 0;
        end
        // image done: every pixel taken and every window emitted; the restart comes a cycle later
        // (nothing moves meanwhile: no input is taken and no window is left to start)
        restart <= all_in && !windows_left && !reading && !gathered && !restart;
        if (restart) begin
            wr_slot <= 0; iy <= 0; ix <= 0; windows_left <= 1; all_in <= 0;
            oy <= 0; ox <= 0; top <= TOP0; left <= LEFT0;
            last_row <= LAST_ROW0; last_col <= LAST_COL0; bottom <= LAST_ROW0; right <= LAST_COL0; top_slot <= TOP_SLOT0;
        end
    end
end

// element (ky, kx) of the window at lane ky*K + kx
genvar gy, gx;
generate
    for (gy = 0; gy < K; gy = gy + 1) begin : g_row
        for (gx = 0; gx < K; gx = gx + 1) begin : g_col
            assign win[(gy*K + gx)*PW +: PW] = win_cols[gx][gy*PW +: PW];
        end
    end
endgenerate

axis_register #(
    .WIDTH(K*K*PW)
) out_reg (
    .clk(clk), .rst(rst),
    .s_axis_tdata(win), .s_axis_tvalid(gathered), .s_axis_tready(out_ready),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)
);

endmodule

`resetall
