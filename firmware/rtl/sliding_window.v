// sliding_window: the K x K windows of a convolution, from a pixel stream (line buffer).
//   s_axis: pixels of an H x W x C image in raster order, lane c = bits [c*DW +: DW].
//   m_axis: one beat per output pixel (OH x OW, raster order) holding the K*K*C window,
//           element (ky, kx, c) at lane (ky*K + kx)*C + c; padding (PAD_T/L/B/R pixels of
//           zeros) and stride S as a Keras Conv2D with 'same' or 'valid' padding.
//   The buffer holds K rows (row r at address (r mod K)*W + column). A window is gathered as
//   soon as the last pixel it needs has arrived, and every ready window is gathered before the
//   next pixel is taken, so a row is overwritten only when no pending window reads it.
//   Gathering reads one pixel per cycle: a window takes K*K + 2 cycles, a pixel one.
//   Timing: every address is a counter (no multiplier, no modulo); the next window's position
//   advances when a gather starts, so whether it is ready is a register computed while the
//   current one is gathered; a pixel that completes a window is caught by an equality test;
//   line-buffer writes are registered; the output is a skid buffer.
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
localparam AW = $clog2(2*K*W);  // room for a base plus a step before the wrap
localparam [AW-1:0] ROWS = K * W;
localparam [AW-1:0] LAST_BASE = (K - 1) * W;
localparam [AW-1:0] TOP_BASE0 = ((K - PAD_T % K) % K) * W;  // row -PAD_T
localparam [AW-1:0] STEP_BASE = (S % K) * W;                 // S rows further down
// constants as wide as the row/column registers, so that no comparison is 32 bits wide
localparam signed [CW-1:0] TOP0 = -PAD_T, LEFT0 = -PAD_L;
localparam signed [CW-1:0] LAST_ROW0 = K - 1 - PAD_T > H - 1 ? H - 1 : K - 1 - PAD_T;
localparam signed [CW-1:0] LAST_COL0 = K - 1 - PAD_L > W - 1 ? W - 1 : K - 1 - PAD_L;
localparam signed [CW-1:0] HC = H, WC = W, OHC = OH, OWC = OW, SC = S, K1 = K - 1;

reg [PW-1:0] rows [0:K*W-1];

// input side: the next pixel to take and where it goes
reg [AW-1:0] wr_addr = 0;
reg signed [CW-1:0] iy = 0, ix = 0;
// the next window: its first row and column in the image, the last pixel it needs, its row's address
reg signed [CW-1:0] oy = 0, ox = 0;
reg signed [CW-1:0] top = TOP0, left = LEFT0;
reg signed [CW-1:0] last_row = LAST_ROW0, last_col = LAST_COL0;
reg signed [CW-1:0] bottom = LAST_ROW0, right = LAST_COL0;  // unclipped, a stage before them
reg [AW-1:0] top_base = TOP_BASE0;

// gathering: element (ky, kx) read at rd_addr, image position (r, col) in the window at column
// left_g (the position registers have moved on to the next window)
reg gathering = 0, gathered = 0;
reg [KB-1:0] ky = 0, kx = 0;
reg [AW-1:0] row_base = 0, rd_addr = 0;
reg signed [CW-1:0] r = 0, col = 0, left_g = 0;
reg [$clog2(K*K+1)-1:0] reads = 0;
reg rd_valid = 0, rd_in_image = 0;
reg [PW-1:0] rd_data = 0;
reg [K*K*PW-1:0] win = 0;

wire in_image = !r[CW-1] && r < HC && !col[CW-1] && col < WC;
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
wire reading = gathering || rd_valid;
wire start = ready && !reading && (!gathered || push);
assign s_axis_tready = !rst && settled && !all_in && !ready && !reading && !gathered;
wire take = s_axis_tvalid && s_axis_tready;

// the write is registered, so that the ready logic does not drive the RAM's write enable; a
// pixel is written the cycle after it is taken, before any window that needs it can read it
reg wr_en = 0;
reg [AW-1:0] wr_at = 0;
reg [PW-1:0] wr_data = 0;
always @(posedge clk) begin
    wr_en <= take;
    wr_at <= wr_addr;
    wr_data <= s_axis_tdata;
    if (wr_en) rows[wr_at] <= wr_data;
    rd_data <= rows[rd_addr];
end

always @(posedge clk) begin
    if (rst) begin
        wr_addr <= 0; iy <= 0; ix <= 0; windows_left <= 1; all_in <= 0; restart <= 0;
        oy <= 0; ox <= 0; top <= TOP0; left <= LEFT0;
        last_row <= LAST_ROW0; last_col <= LAST_COL0; bottom <= LAST_ROW0; right <= LAST_COL0; top_base <= TOP_BASE0;
        gathering <= 0; gathered <= 0; reads <= 0; rd_valid <= 0; ready_reg <= 0; completed <= 0; settling <= 0;
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
            wr_addr <= wr_addr == ROWS - 1 ? 0 : wr_addr + 1;
            if (ix == WC - 1) begin
                ix <= 0;
                iy <= iy + 1;
                all_in <= iy == HC - 1;
            end else begin
                ix <= ix + 1;
            end
        end
        // issue the reads of one window
        rd_valid <= gathering;
        rd_in_image <= in_image;
        if (start) begin
            gathering <= 1;
            ky <= 0; kx <= 0;
            row_base <= top_base;
            rd_addr <= top_base + left;
            r <= top; col <= left; left_g <= left;
            ready_reg <= 0; completed <= 0;
            // move on to the next window
            if (ox == OWC - 1) begin
                ox <= 0;
                left <= LEFT0;
                oy <= oy + 1;
                windows_left <= oy != OHC - 1;
                top <= top + SC;
                top_base <= top_base + STEP_BASE >= ROWS ? top_base + STEP_BASE - ROWS : top_base + STEP_BASE;
            end else begin
                ox <= ox + 1;
                left <= left + SC;
            end
        end else if (gathering) begin
            if (kx == K-1) begin
                kx <= 0;
                ky <= ky + 1;
                row_base <= row_base == LAST_BASE ? 0 : row_base + W;
                rd_addr <= rd_addr - (K - 1) + (row_base == LAST_BASE ? W - ROWS : W);
                r <= r + 1;
                col <= left_g;
                if (ky == K-1) gathering <= 0;
            end else begin
                kx <= kx + 1;
                rd_addr <= rd_addr + 1;
                col <= col + 1;
            end
        end
        // collect them: shifted in at the top so that element 0 ends at the bottom
        if (rd_valid) begin
            win <= {rd_in_image ? rd_data : {PW{1'b0}}, win[K*K*PW-1:PW]};
            reads <= reads + 1;
            if (reads == K*K-1) gathered <= 1;
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
            wr_addr <= 0; iy <= 0; ix <= 0; windows_left <= 1; all_in <= 0;
            oy <= 0; ox <= 0; top <= TOP0; left <= LEFT0;
            last_row <= LAST_ROW0; last_col <= LAST_COL0; bottom <= LAST_ROW0; right <= LAST_COL0; top_base <= TOP_BASE0;
        end
    end
end

axis_register #(
    .WIDTH(K*K*PW)
) out_reg (
    .clk(clk), .rst(rst),
    .s_axis_tdata(win), .s_axis_tvalid(gathered), .s_axis_tready(out_ready),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)
);

endmodule

`resetall
