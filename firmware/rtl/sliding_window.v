// sliding_window: the K x K windows of a convolution, from a pixel stream (line buffer).
//   s_axis: pixels of an H x W x C image in raster order, lane c = bits [c*DW +: DW].
//   m_axis: one beat per output pixel (OH x OW, raster order) holding the K*K*C window,
//           element (ky, kx, c) at lane (ky*K + kx)*C + c; padding (PAD_T/L/B/R pixels of
//           zeros) and stride S as a Keras Conv2D with 'same' or 'valid' padding.
//   The buffer holds K rows. A window is emitted as soon as the last pixel it needs has
//   arrived, and every ready window is gathered before the next pixel is taken, so a row is
//   overwritten only when no pending window reads it. Gathering reads one pixel per cycle.
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
    output reg  [K*K*C*DW-1:0] m_axis_tdata = 0,
    output reg                 m_axis_tvalid = 0,
    input  wire                m_axis_tready
);

localparam OH = (H + PAD_T + PAD_B - K) / S + 1;
localparam OW = (W + PAD_L + PAD_R - K) / S + 1;
localparam PW = C * DW;
localparam CW = $clog2(H + W + K + PAD_T + PAD_L + 2) + 2;  // signed row/column arithmetic
localparam SB = K > 1 ? $clog2(K) : 1;

reg [PW-1:0] rows [0:K*W-1];  // row r of the image lives in slot r % K
reg [SB-1:0] in_slot = 0;
reg signed [CW-1:0] iy = 0, ix = 0;      // next pixel to take
reg signed [CW-1:0] oy = 0, ox = 0;      // next window to gather
reg signed [CW-1:0] top = -PAD_T, left = -PAD_L;  // its first row and column in the image
reg [SB-1:0] top_slot = (K - PAD_T % K) % K;

// gathering: window element kk = ky*K + kx, read one per cycle, result one cycle later
reg gathering = 0, gathered = 0;
reg [SB-1:0] ky = 0, kx = 0;
reg [SB-1:0] slot = 0;
reg [$clog2(K*K+1)-1:0] reads = 0;
reg rd_valid = 0, rd_in_image = 0;
reg [PW-1:0] rd_data = 0;
reg [K*K*PW-1:0] win = 0;

wire signed [CW-1:0] r = top + ky;
wire signed [CW-1:0] col = left + kx;
wire in_image = r >= 0 && r < H && col >= 0 && col < W;

wire signed [CW-1:0] last_row = top + K - 1 > H - 1 ? H - 1 : top + K - 1;
wire signed [CW-1:0] last_col = left + K - 1 > W - 1 ? W - 1 : left + K - 1;
wire windows_left = oy < OH;
wire ready = windows_left && (iy > last_row || (iy == last_row && ix > last_col));
wire all_in = iy == H;

wire busy = gathering || rd_valid || gathered;
assign s_axis_tready = !rst && !all_in && !ready && !busy;
wire take = s_axis_tvalid && s_axis_tready;

always @(posedge clk) begin
    if (take) rows[in_slot*W + ix] <= s_axis_tdata;
    rd_data <= rows[slot*W + col];
end

always @(posedge clk) begin
    if (rst) begin
        in_slot <= 0; iy <= 0; ix <= 0;
        oy <= 0; ox <= 0; top <= -PAD_T; left <= -PAD_L; top_slot <= (K - PAD_T % K) % K;
        gathering <= 0; gathered <= 0; reads <= 0; rd_valid <= 0;
        m_axis_tvalid <= 0;
    end else begin
        if (m_axis_tready) m_axis_tvalid <= 0;
        if (take) begin
            if (ix == W-1) begin
                ix <= 0;
                iy <= iy + 1;
                in_slot <= in_slot == K-1 ? 0 : in_slot + 1;
            end else begin
                ix <= ix + 1;
            end
        end
        // issue the reads of one window
        rd_valid <= gathering;
        rd_in_image <= in_image;
        if (!busy && ready) begin
            gathering <= 1;
            ky <= 0; kx <= 0; slot <= top_slot;
        end else if (gathering) begin
            if (kx == K-1) begin
                kx <= 0;
                ky <= ky + 1;
                slot <= slot == K-1 ? 0 : slot + 1;
                if (ky == K-1) gathering <= 0;
            end else begin
                kx <= kx + 1;
            end
        end
        // collect them: shifted in at the top so that element 0 ends at the bottom
        if (rd_valid) begin
            win <= {rd_in_image ? rd_data : {PW{1'b0}}, win[K*K*PW-1:PW]};
            reads <= reads + 1;
            if (reads == K*K-1) gathered <= 1;
        end
        // hand the window over and move to the next one
        if (gathered && (!m_axis_tvalid || m_axis_tready)) begin
            gathered <= 0;
            reads <= 0;
            m_axis_tdata <= win;
            m_axis_tvalid <= 1;
            if (ox == OW-1) begin
                ox <= 0;
                left <= -PAD_L;
                oy <= oy + 1;
                top <= top + S;
                top_slot <= (top_slot + S) % K;
            end else begin
                ox <= ox + 1;
                left <= left + S;
            end
        end
        // image done: every pixel taken and every window emitted
        if (all_in && !windows_left && !busy) begin
            in_slot <= 0; iy <= 0; ix <= 0;
            oy <= 0; ox <= 0; top <= -PAD_T; left <= -PAD_L; top_slot <= (K - PAD_T % K) % K;
        end
    end
end

endmodule

`resetall
