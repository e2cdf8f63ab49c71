// window_max_pool: max pooling of any pool size K, stride S and padding (overlapping pools
//   such as SqueezeNet's 3x3/2, and Keras 'same' pools), on sliding_window's windows.
//   s_axis: pixels of H x W x C images in raster order, lane c = bits [c*DW +: DW];
//   m_axis: the OH x OW pooled pixels, same lanes, OH = (H + PAD_T + PAD_B - K) / S + 1.
//   sliding_window pads with zeros, which is the Keras result (padding left out of the
//   maximum) only for unsigned inputs: padding with SIGNED is refused at elaboration.
//   LANES channels are compared per cycle (LANES divides C): a window takes C / LANES cycles in
//   sliding_window's window register, group by group, so a wide layer costs LANES max trees of
//   K*K - 1 comparators, not C (SqueezeNet's pools have a hundred cycles per window to spare).
//   Throughput: a window per C/LANES + S - 1 cycles at most (sliding_window's, a window per S
//   cycles, at LANES = C). The maximum is two registered stages (across each window row, then
//   across rows: K-1 comparators each); the groups gather in a register and the pixel leaves
//   through a skid buffer, so m_axis_tready enters only registers.
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
endgenerate

wire [K*K*C*DW-1:0] win_tdata;
wire win_tvalid, win_tready;

// OUT_REG 0: the window register feeds the comparators; win_tready (below) is its shift enable
sliding_window #(
    .H(H), .W(W), .C(C), .DW(DW), .K(K), .S(S),
    .PAD_T(PAD_T), .PAD_L(PAD_L), .PAD_B(PAD_B), .PAD_R(PAD_R), .OUT_REG(0)
) window (
    .clk(clk), .rst(rst),
    .s_axis_tdata(s_axis_tdata), .s_axis_tvalid(s_axis_tvalid), .s_axis_tready(s_axis_tready),
    .m_axis_tdata(win_tdata), .m_axis_tvalid(win_tvalid), .m_axis_tready(win_tready)
);

localparam G = C / LANES;  // groups of lanes per window
localparam GB = G > 1 ? $clog2(G) : 1;
localparam LW = LANES * DW;
localparam integer G_LAST = G - 1;

function greater(input [DW-1:0] a, input [DW-1:0] b);
    greater = SIGNED ? $signed(a) > $signed(b) : a > b;
endfunction

// group `group` of the window: element (ky, kx) at lane ky*K + kx, LANES channels each (a
// select scaled by a constant within each element, which synthesis maps to a mux per bit)
reg [GB-1:0] group = 0;
wire last_group = group == G_LAST[GB-1:0];
wire [K*K*LW-1:0] part;
genvar e;
generate
    for (e = 0; e < K*K; e = e + 1) begin : g_part
        wire [C*DW-1:0] element = win_tdata[e*C*DW +: C*DW];
        assign part[e*LW +: LW] = element[group*LW +: LW];
    end
endgenerate

// each window row's maximum, then the maximum of the rows
reg [K*LW-1:0] row_best;
reg [LW-1:0] best;
reg [K*LW-1:0] row_best_q = 0;
reg row_valid = 0, row_last = 0;
integer ky, kx, c;
always @* begin
    for (ky = 0; ky < K; ky = ky + 1) begin
        for (c = 0; c < LANES; c = c + 1) begin
            row_best[(ky*LANES + c)*DW +: DW] = part[(ky*K*LANES + c)*DW +: DW];
            for (kx = 1; kx < K; kx = kx + 1) begin
                if (greater(part[((ky*K + kx)*LANES + c)*DW +: DW], row_best[(ky*LANES + c)*DW +: DW])) begin
                    row_best[(ky*LANES + c)*DW +: DW] = part[((ky*K + kx)*LANES + c)*DW +: DW];
                end
            end
        end
    end
    for (c = 0; c < LANES; c = c + 1) begin
        best[c*DW +: DW] = row_best_q[c*DW +: DW];
        for (ky = 1; ky < K; ky = ky + 1) begin
            if (greater(row_best_q[(ky*LANES + c)*DW +: DW], best[c*DW +: DW])) begin
                best[c*DW +: DW] = row_best_q[(ky*LANES + c)*DW +: DW];
            end
        end
    end
end

// the groups of a window gather in `pixel`, the first at the bottom; full: a whole pixel
// waits for the output register. Both stages move whenever `pixel` may change.
reg [C*DW-1:0] pixel = 0;
reg full = 0;
wire out_ready;
wire advance = !full || out_ready;
assign win_tready = advance && last_group;

generate
    if (G > 1) begin : g_gather
        always @(posedge clk) if (advance && row_valid) pixel <= {best, pixel[C*DW-1:LW]};
    end else begin : g_single
        always @(posedge clk) if (advance && row_valid) pixel <= best;
    end
endgenerate

always @(posedge clk) begin
    if (advance) begin
        row_best_q <= row_best;
        row_valid <= win_tvalid;
        row_last <= last_group;
        full <= row_valid && row_last;
        if (win_tvalid) group <= last_group ? 0 : group + 1;
    end
    if (rst) begin
        row_valid <= 0;
        full <= 0;
        group <= 0;
    end
end

axis_register #(.WIDTH(C*DW)) out_reg (
    .clk(clk), .rst(rst),
    .s_axis_tdata(pixel), .s_axis_tvalid(full), .s_axis_tready(out_ready),
    .m_axis_tdata(m_axis_tdata), .m_axis_tvalid(m_axis_tvalid), .m_axis_tready(m_axis_tready)
);

endmodule

`resetall
