// axis_fifo: first-word-fall-through stream FIFO of DEPTH beats of WIDTH bits.
//   s_axis_* in, m_axis_* out (tdata/tvalid/tready); full when DEPTH beats are held.
//   s_axis_tready and m_axis_tvalid are registers (a consumer's enables start at a flip-flop).
`resetall
`timescale 1ns / 1ps
`default_nettype none

module axis_fifo #(
    parameter WIDTH = 8,
    parameter DEPTH = 16
) (
    input  wire             clk,
    input  wire             rst,
    input  wire [WIDTH-1:0] s_axis_tdata,
    input  wire             s_axis_tvalid,
    output wire             s_axis_tready,
    output wire [WIDTH-1:0] m_axis_tdata,
    output wire             m_axis_tvalid,
    input  wire             m_axis_tready
);

localparam AW = DEPTH > 1 ? $clog2(DEPTH) : 1;
localparam integer LAST = DEPTH - 1;

generate
    if (DEPTH < 1) begin : g_check_depth
`ifdef __ICARUS__  // Icarus 11 has no elaboration-time $error: the check fails at time 0
        initial $fatal(1, "axis_fifo: DEPTH must be at least 1");
`else
        $error("axis_fifo: DEPTH must be at least 1");
`endif
    end
endgenerate

reg [WIDTH-1:0] mem [0:DEPTH-1];
reg [AW-1:0] wr_ptr = 0, rd_ptr = 0;
reg [AW:0] count = 0;
reg not_full = 1, not_empty = 0;  // count != DEPTH, count != 0

wire push = s_axis_tvalid && s_axis_tready;
wire pop = m_axis_tvalid && m_axis_tready;
wire [AW:0] count_next = count + push - pop;

assign s_axis_tready = not_full;
assign m_axis_tvalid = not_empty;
assign m_axis_tdata = mem[rd_ptr];

always @(posedge clk) begin
    if (push) begin
        mem[wr_ptr] <= s_axis_tdata;
    end
    if (rst) begin
        wr_ptr <= 0;
        rd_ptr <= 0;
        count <= 0;
        not_full <= 1;
        not_empty <= 0;
    end else begin
        if (push) wr_ptr <= wr_ptr == LAST[AW-1:0] ? 0 : wr_ptr + 1;
        if (pop) rd_ptr <= rd_ptr == LAST[AW-1:0] ? 0 : rd_ptr + 1;
        count <= count_next;
        not_full <= count_next != DEPTH[AW:0];
        not_empty <= count_next != 0;
    end
end

endmodule

`resetall
