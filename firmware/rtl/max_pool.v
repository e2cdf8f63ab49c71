// max_pool: P x P max pooling with stride P and no padding (hls4ml io_stream pooling).
//   s_axis: pixels of an H x W x C image in raster order, lane c = bits [c*DW +: DW];
//   m_axis: the (H/P) x (W/P) pooled pixels, same lanes. Rows and columns beyond the last
//   full window are dropped. One row of partial maxima is kept (W/P pixels). Input and output
//   are skid buffers: s_axis_tready is a register, and the producer's output logic (a FIFO's read
//   port, in the network) ends at a register instead of running on into the comparators.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module max_pool #(
    parameter H = 4,
    parameter W = 4,
    parameter C = 1,
    parameter DW = 8,
    parameter SIGNED = 0,
    parameter P = 2
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

localparam OH = H / P;
localparam OW = W / P;
localparam OXB = OW > 1 ? $clog2(OW) : 1;  // an entry of the row of partial maxima

generate
    if (P < 1 || P > H || P > W) begin : g_check_pool
`ifdef __ICARUS__  // Icarus 11 has no elaboration-time $error: the check fails at time 0
        initial $fatal(1, "max_pool: P must be at least 1 and at most H and W");
`else
        $error("max_pool: P must be at least 1 and at most H and W");
`endif
    end
endgenerate

reg [C*DW-1:0] partial [0:OW-1];
reg [$clog2(H+1)-1:0] y = 0;
reg [$clog2(W+1)-1:0] x = 0;
reg [$clog2(P+1)-1:0] py = 0, px = 0;
reg [$clog2(OW+1)-1:0] ox = 0;

wire [C*DW-1:0] in_tdata;
wire in_tvalid, out_ready;
axis_register #(.WIDTH(C*DW)) in_reg (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .m_axis_tdata(in_tdata), .m_axis_tvalid(in_tvalid), .m_axis_tready(out_ready)
);
wire take = in_tvalid && out_ready;
// where the pixel at hand falls, as registers set when the one before is taken: each flag
// selects among all C*DW bits, so no comparator may sit before it
reg in_range = OW > 0 && OH > 0;  // x < OW*P && y < OH*P
reg first = 1;                    // px == 0 && py == 0
reg last = P == 1;                // px == P-1 && py == P-1

// partial[ox] is read a cycle ahead, at the ox of the next pixel; a write in the last cycle to
// the same entry is forwarded, so no comparison waits for the RAM
// (both candidates are read at addresses held in registers; the take only picks one at the end)
reg row_end = W == 1, seg_end = P == 1;  // x == W-1, px == P-1, as registers
reg [$clog2(OW+1)-1:0] ox_plus = 1;      // ox + 1
wire [$clog2(OW+1)-1:0] ox_after = row_end ? 0 : seg_end ? ox_plus : ox;
wire [$clog2(OW+1)-1:0] ox_next = take ? ox_after : ox;
reg [C*DW-1:0] read_ahead = 0, written = 0;
reg forward = 0;
wire [C*DW-1:0] best;
genvar c;
generate
    for (c = 0; c < C; c = c + 1) begin : g_lane
        // both candidates compared at once, the forwarding choice made after the comparators
        wire [DW-1:0] a = in_tdata[c*DW +: DW];
        wire [DW-1:0] w = written[c*DW +: DW];
        wire [DW-1:0] r = read_ahead[c*DW +: DW];
        wire beats_w = SIGNED ? $signed(a) > $signed(w) : a > w;
        wire beats_r = SIGNED ? $signed(a) > $signed(r) : a > r;
        wire a_wins = forward ? beats_w : beats_r;
        assign best[c*DW +: DW] = first || a_wins ? a : forward ? w : r;
    end
endgenerate

always @(posedge clk) begin
    // past the last full window ox may reach OW: nothing is written there, and what is read is unused
    if (take && in_range && !last) partial[ox[OXB-1:0]] <= best;
    read_ahead <= take ? partial[ox_after[OXB-1:0]] : partial[ox[OXB-1:0]];
    if (take) written <= best;
    forward <= take && in_range && !last && ox_next == ox;
    if (rst) begin
        x <= 0; y <= 0; px <= 0; py <= 0; ox <= 0; row_end <= W == 1; seg_end <= P == 1; ox_plus <= 1;
        in_range <= OW > 0 && OH > 0; first <= 1; last <= P == 1;
    end else begin
        if (take) begin
            // the next pixel's flags, from the positions it will have
            in_range <= (row_end ? OW > 0 : x < OW*P - 1)
                     && (row_end ? (y == H-1 ? OH > 0 : y < OH*P - 1) : y < OH*P);
            first <= (row_end || seg_end) && (row_end ? y == H-1 || py == P-1 : py == 0);
            last <= (row_end || seg_end ? P == 1 : px == P-2)
                 && (row_end ? (y == H-1 || py == P-1 ? P == 1 : py == P-2) : py == P-1);
            row_end <= row_end ? W == 1 : x == W-2;
            seg_end <= row_end || seg_end ? P == 1 : px == P-2;
            ox_plus <= row_end ? 1 : seg_end ? ox_plus + 1 : ox_plus;
            if (row_end) begin
                x <= 0; px <= 0; ox <= 0;
                y <= y == H-1 ? 0 : y + 1;
                py <= y == H-1 || py == P-1 ? 0 : py + 1;
            end else begin
                x <= x + 1;
                px <= seg_end ? 0 : px + 1;
                if (seg_end) ox <= ox_plus;
            end
        end
    end
end

axis_register #(.WIDTH(C*DW)) out_reg (
    .clk(clk), .rst(rst),
    .s_axis_tdata(best), .s_axis_tvalid(take && in_range && last), .s_axis_tready(out_ready),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)
);

endmodule

`resetall
