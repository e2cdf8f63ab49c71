// sliding_window: the K x K windows of a convolution, from a pixel stream (line buffer).
//   s_axis: pixels of H x W x C images in raster order, lane c = bits [c*DW +: DW].
//   m_axis: one beat per output pixel (OH x OW, raster order) holding the K*K*C window,
//           element (ky, kx, c) at lane (ky*K + kx)*C + c; padding (PAD_T/L/B/R pixels of
//           zeros) and stride S as a Keras Conv2D with 'same' or 'valid' padding.
//   Throughput: up to a window per S cycles (one per cycle at stride 1). The windows of an
//   output row are swept a column (K pixels) per cycle into a K-column shift register, which
//   holds a finished window every S columns; a row of windows takes (OW-1)*S + K + 3 cycles,
//   a row of pixels W + 1.
//   Input and output overlap: the buffer is B = K + S row banks, so the input runs up to
//   S rows ahead of the rows being read, across image boundaries too (rows are numbered from
//   the first image on; nothing restarts between images). A pixel that would overwrite a row
//   still to be read waits. The banks are kept K times, a copy per window row, each read at
//   its own row: K x B x W pixels of memory (block RAM where a copy is deeper than 64 words)
//   instead of a row mux per bit.
//   Timing: every address is a counter (no multiplier, no modulo); whether a column may be
//   read is a register computed from the input position a cycle before (it only grows within
//   an output row, and reads wait three cycles after a row change); so is whether a pixel may be
//   taken (the cycle after a row of pixels it waits); reads are never stalled:
//   one is issued only with room for its column in a 4-deep FIFO (a credit counter), so a
//   stalled output never holds a read while the input overwrites its row.
//   OUT_REG 1: the output is a skid buffer, so m_axis_tready enters only registers. OUT_REG 0:
//   the output is the window register itself and m_axis_tready enters its shift enable; for a
//   consumer whose tready comes from its own registers (conv2d's pointwise_conv), where the
//   skid buffer would only add two more window-wide registers (K*K*C*DW bits each) to place.
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
    parameter PAD_R = 1,
    parameter OUT_REG = 1
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
localparam NC = (OW - 1) * S + K;  // columns swept per output row
localparam B = K + S;              // row banks
localparam PW = C * DW;
localparam CW = $clog2(H + W + K + PAD_T + PAD_L + S + 2) + 2;  // signed row/column arithmetic
localparam BB = $clog2(B);
localparam XB = W > 1 ? $clog2(W) : 1;  // a bank address: the column
localparam NB = $clog2(NC + 1);
localparam KB = $clog2(K + S + 1);
localparam CREDITS = 4;            // reads in flight (3) or waiting in the FIFO, at most
localparam RB = $clog2(CREDITS + 1);
// from the last output row of an image to the first of the next: its top row moves this much
localparam DELTA = H - (OH - 1) * S;
localparam [BB-1:0] TOP_SLOT0 = ((-PAD_T) % B + B) % B;  // bank of row -PAD_T of the first image
localparam [BB-1:0] STEP_SLOT = S % B;
localparam integer DELTA_MOD = (DELTA % B + B) % B;
localparam [BB-1:0] DELTA_SLOT = DELTA_MOD[BB-1:0];
// constants as wide as the row/column registers, so that no comparison is 32 bits wide
localparam signed [CW-1:0] TOP0 = -PAD_T, LEFT0 = -PAD_L, LAST_TOP = (OH - 1) * S - PAD_T;
localparam signed [CW-1:0] HC = H, WC = W, SC = S, K1 = K - 1, BM1 = B - 1;
localparam integer IX_PRE_LAST = W - 2;

generate
    if (K > H + PAD_T + PAD_B) begin : g_check_rows
`ifdef __ICARUS__  // Icarus 11 has no elaboration-time $error: the check fails at time 0
        initial $fatal(1, "sliding_window: K must be at most H + PAD_T + PAD_B");
`else
        $error("sliding_window: K must be at most H + PAD_T + PAD_B");
`endif
    end
    if (K > W + PAD_L + PAD_R) begin : g_check_columns
`ifdef __ICARUS__
        initial $fatal(1, "sliding_window: K must be at most W + PAD_L + PAD_R");
`else
        $error("sliding_window: K must be at most W + PAD_L + PAD_R");
`endif
    end
    if (S < 1) begin : g_check_stride
`ifdef __ICARUS__
        initial $fatal(1, "sliding_window: S must be at least 1");
`else
        $error("sliding_window: S must be at least 1");
`endif
    end
endgenerate

// -- input: the next pixel's column and bank; how far its row is below the top row being read
reg [XB-1:0] ix = 0;
reg ix_last = W == 1;      // ix == W - 1
reg [BB-1:0] wr_slot = 0;  // row 0 of the first image is in bank 0
reg signed [CW-1:0] ahead = PAD_T;  // input row - top row (of the output row being swept)
// the row that a pixel overwrites (B rows up) is read no more once ahead <= B - 1; `room` says
// so a cycle late, so it is cleared for the cycle after a row ends (ahead has grown by then)
reg room = 0;
reg signed [CW-1:0] moved = 0;  // rows the top moved down at the last output row's end, not yet off `ahead`
assign s_axis_tready = room;
wire take = s_axis_tvalid && s_axis_tready;
wire row_done = take && ix_last;

// -- reads: output row (top row, its bank, rows inside the image), column col of the sweep
reg signed [CW-1:0] top = TOP0, col = LEFT0;
reg [BB-1:0] top_slot = TOP_SLOT0;
reg [XB-1:0] need = 0;             // the column read: col within the image
reg [NB-1:0] swept = 0;            // columns issued in this output row
reg signed [CW-1:0] bottom_rel = 0;  // the last row inside the image, less top
reg [K-1:0] rows_in = 0;
reg [2:0] settling = 3'b111;       // cycles since the output row changed, until the registers below follow
// column `need` of the row strip is in: registers of the state a cycle before
reg all_rows = 0, last_row = 0;
reg [XB-1:0] ix_seen = 0;
wire col_in = all_rows || (last_row && need < ix_seen);
reg [RB-1:0] credits = CREDITS[RB-1:0];  // reads that may be issued
wire shift;
reg sweep_last = NC == 1, last_top = OH == 1;  // swept == NC - 1, top is the image's last output row
wire issue = !rst && settling == 0 && col_in && (credits != 0 || shift);
wire row_end = issue && sweep_last;
wire image_end = row_end && last_top;

// the last row inside the image, less top: two stages (an adder, then a comparison)
reg signed [CW-1:0] bottom = 0, rows_left = 0;
always @(posedge clk) begin
    all_rows <= ahead > bottom_rel;
    last_row <= ahead == bottom_rel;
    ix_seen <= ix;
    bottom <= top + K1;
    rows_left <= HC - 1 - top;
    bottom_rel <= bottom > HC - 1 ? rows_left : K1;
end

// which rows of the output row are inside the image, two stages after top moved
genvar j;
generate
    for (j = 0; j < K; j = j + 1) begin : g_rows
        localparam signed [CW-1:0] OFFSET = j;
        reg signed [CW-1:0] row = 0;
        always @(posedge clk) begin
            row <= top + OFFSET;
            rows_in[j] <= !row[CW-1] && row < HC;
        end
    end
endgenerate

always @(posedge clk) begin
    if (rst) begin
        ix <= 0; ix_last <= W == 1; wr_slot <= 0; room <= 0; moved <= 0;
        ahead <= PAD_T; top <= TOP0; col <= LEFT0; top_slot <= TOP_SLOT0; need <= 0; swept <= 0;
        sweep_last <= NC == 1; last_top <= OH == 1;
        settling <= 3'b111; credits <= CREDITS[RB-1:0];
    end else begin
        settling <= {settling[1:0], 1'b0};
        credits <= credits - issue + shift;
        if (take) begin
            ix <= ix_last ? 0 : ix + 1;
            ix_last <= W == 1 || (!ix_last && ix == IX_PRE_LAST[XB-1:0]);
            if (ix_last) wr_slot <= wr_slot == B - 1 ? 0 : wr_slot + 1;
        end
        // the top's move comes off `ahead` a cycle late: ahead is never less than the truth
        ahead <= ahead + row_done - moved;
        moved <= !row_end ? 0 : image_end ? DELTA[CW-1:0] : S[CW-1:0];
        room <= !row_done && ahead <= BM1;
        if (issue) begin
            swept <= swept + 1;
            sweep_last <= NC == 1 || swept == NC - 2;
            col <= col + 1;
            if (!col[CW-1] && col < WC - 1) need <= need + 1;
        end
        if (row_end) begin
            swept <= 0; sweep_last <= NC == 1; col <= LEFT0; need <= 0; settling <= 3'b111;
            last_top <= OH == 1 || (!image_end && top == LAST_TOP - SC);
            if (image_end) begin
                top <= TOP0;
                top_slot <= top_slot + DELTA_SLOT >= B ? top_slot + DELTA_SLOT - B : top_slot + DELTA_SLOT;
            end else begin
                top <= top + SC;
                top_slot <= top_slot + STEP_SLOT >= B ? top_slot + STEP_SLOT - B : top_slot + STEP_SLOT;
            end
        end
    end
end

// -- the rows: writes registered (a pixel is written the cycle after it is taken, before any
// read of it is issued); reads registered, then their output once more, zeroed outside the image
reg wr_en = 0;
reg [BB-1:0] wr_at_slot = 0;
reg [XB-1:0] wr_at = 0;
reg [PW-1:0] wr_data = 0;
always @(posedge clk) begin
    wr_en <= take;
    wr_at_slot <= wr_slot;
    wr_at <= ix;
    wr_data <= s_axis_tdata;
end

// K views of the B row banks, one per window row: view ky holds every row (each pixel is written
// into all K) and reads row (slot + ky) mod B at address {bank, column}, so a column needs no
// rotation mux over the banks (K x PW muxes of B inputs: most of the LUTs of a wide window);
// zero outside the image is the column register's synchronous reset (no LUT either). A view
// deeper than 64 words is block RAM, as firmware/backend/modules.py counts it.
localparam VB = BB + XB;
reg [2:1] rd_valid = 0;
reg [K*PW-1:0] column = 0;
genvar v;
generate
    for (v = 0; v < K; v = v + 1) begin : g_view
        reg [PW-1:0] row_q = 0;
        localparam [BB:0] VIEW = v, BANKS = B;
        localparam integer SLOT0 = (((-PAD_T) % B + B) % B + v) % B;  // TOP_SLOT0 + v, modulo B
        wire [BB:0] sum = {1'b0, top_slot} + VIEW;
        // the bank this view reads, a register: reads wait three cycles after top_slot moves,
        // so the address of a read is registers only (no adder before the LUT RAM)
        reg [BB-1:0] slot = SLOT0[BB-1:0];
        always @(posedge clk) slot <= sum >= BANKS ? sum[BB-1:0] - BANKS[BB-1:0] : sum[BB-1:0];  // below B
        if ((1 << VB) > 64) begin : g_block
            (* ram_style = "block" *) reg [PW-1:0] rows [0:(1 << VB) - 1];
            always @(posedge clk) begin
                if (wr_en) rows[{wr_at_slot, wr_at}] <= wr_data;
                row_q <= rows[{slot, need}];
            end
        end else begin : g_lutram
            reg [PW-1:0] rows [0:(1 << VB) - 1];
            always @(posedge clk) begin
                if (wr_en) rows[{wr_at_slot, wr_at}] <= wr_data;
                row_q <= rows[{slot, need}];
            end
        end
        always @(posedge clk) begin
            if (!rd_ok[v]) column[v*PW +: PW] <= 0;
            else column[v*PW +: PW] <= row_q;
        end
    end
endgenerate
reg [K-1:0] rd_ok = 0;
always @(posedge clk) begin
    rd_valid <= {rd_valid[1], issue && !rst};
    rd_ok <= rows_in & {K{!col[CW-1] && col < WC}};
end

wire [K*PW-1:0] next_column;
wire next_valid, columns_ready;
axis_fifo #(
    .WIDTH(K*PW), .DEPTH(CREDITS)
) columns (
    .clk(clk), .rst(rst),
    .s_axis_tdata(column), .s_axis_tvalid(rd_valid[2]), .s_axis_tready(columns_ready),
    .m_axis_tdata(next_column), .m_axis_tvalid(next_valid), .m_axis_tready(shift)
);

`ifndef SYNTHESIS
// the credit rule: a read is issued only with room for its column, so reads never stall
always @(posedge clk) begin
    if (!rst && rd_valid[2] && !columns_ready) $fatal(1, "sliding_window: a column met a full FIFO (credits)");
end
`endif

// -- the window: K columns, kx = 0 the oldest; a finished window waits for the output register
reg [K*PW-1:0] win_cols [0:K-1];
reg win_valid = 0;
reg [KB-1:0] due = K;  // shifts until the next window is finished
reg [NB-1:0] shifted = 0;
wire out_ready;
wire push = win_valid && out_ready;
assign shift = next_valid && (!win_valid || out_ready);
integer i;
always @(posedge clk) begin
    if (shift) begin
        win_cols[K-1] <= next_column;
        for (i = 0; i < K-1; i = i + 1) win_cols[i] <= win_cols[i+1];
    end
    if (rst) begin
        win_valid <= 0; due <= K; shifted <= 0;
    end else begin
        if (push) win_valid <= 0;
        if (shift) begin
            shifted <= shifted == NC - 1 ? 0 : shifted + 1;
            due <= shifted == NC - 1 ? K : due == 1 ? S : due - 1;
            if (due == 1) win_valid <= 1;
        end
    end
end

// element (ky, kx) of the window at lane ky*K + kx
wire [K*K*PW-1:0] win;
genvar gy, gx;
generate
    for (gy = 0; gy < K; gy = gy + 1) begin : g_row
        for (gx = 0; gx < K; gx = gx + 1) begin : g_col
            assign win[(gy*K + gx)*PW +: PW] = win_cols[gx][gy*PW +: PW];
        end
    end
endgenerate

generate
    if (OUT_REG) begin : g_out_reg
        axis_register #(
            .WIDTH(K*K*PW)
        ) out_reg (
            .clk(clk), .rst(rst),
            .s_axis_tdata(win), .s_axis_tvalid(win_valid), .s_axis_tready(out_ready),
            .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)
        );
    end else begin : g_out_window
        assign m_axis_tdata = win;
        assign m_axis_tvalid = win_valid;
        assign out_ready = m_axis_tready;
    end
endgenerate

endmodule

`resetall
