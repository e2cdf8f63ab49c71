// axis_fifo: first-word-fall-through stream FIFO of DEPTH beats of WIDTH bits, plus one in its
// output register.
//   s_axis_* in, m_axis_* out (tdata/tvalid/tready); s_axis_tready low when DEPTH beats are
//   stored. m_axis_tdata and m_axis_tvalid are registers: the memory's read (a pointer, a
//   DEPTH-to-1 select) ends here, not in the consumer's logic (it was the network's critical
//   path, a conv's output into a pool's comparators), and a registered read can be block RAM.
//   A beat written in one cycle is at the output two cycles later.
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
    output reg  [WIDTH-1:0] m_axis_tdata = 0,
    output reg              m_axis_tvalid = 0,
    input  wire             m_axis_tready
);

localparam AW = DEPTH > 1 ? $clog2(DEPTH) : 1;

reg [WIDTH-1:0] mem [0:DEPTH-1];
reg [AW-1:0] wr_ptr = 0, rd_ptr = 0;
reg [AW:0] count = 0;

wire push = s_axis_tvalid && s_axis_tready;
// the output register takes the oldest stored beat whenever it is empty or being emptied
wire fetch = count != 0 && (!m_axis_tvalid || m_axis_tready);

assign s_axis_tready = count != DEPTH;

always @(posedge clk) begin
    if (push) mem[wr_ptr] <= s_axis_tdata;
    if (fetch) m_axis_tdata <= mem[rd_ptr];
    if (rst) begin
        wr_ptr <= 0;
        rd_ptr <= 0;
        count <= 0;
        m_axis_tvalid <= 0;
    end else begin
        if (push) wr_ptr <= wr_ptr == DEPTH-1 ? 0 : wr_ptr + 1;
        if (fetch) rd_ptr <= rd_ptr == DEPTH-1 ? 0 : rd_ptr + 1;
        count <= count + push - fetch;
        if (fetch) m_axis_tvalid <= 1;
        else if (m_axis_tready) m_axis_tvalid <= 0;
    end
end

endmodule

`resetall
