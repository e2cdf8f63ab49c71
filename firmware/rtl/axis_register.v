// axis_register: a skid buffer, the stage every module's output goes through.
//   s_axis in, m_axis out (tdata/tvalid/tready), WIDTH bits, full throughput.
//   Both s_axis_tready and m_axis_* are registers: a stall downstream reaches the producer one
//   cycle later, and the beat that arrives in that cycle waits in the second (skid) register.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module axis_register #(
    parameter WIDTH = 8
) (
    input  wire             clk,
    input  wire             rst,
    input  wire [WIDTH-1:0] s_axis_tdata,
    input  wire             s_axis_tvalid,
    output reg              s_axis_tready = 0,
    output reg  [WIDTH-1:0] m_axis_tdata = 0,
    output reg              m_axis_tvalid = 0,
    input  wire             m_axis_tready
);

reg [WIDTH-1:0] skid_tdata = 0;
reg skid_tvalid = 0;

// ready next cycle unless the skid register will hold a beat then
wire ready_next = m_axis_tready || (!skid_tvalid && (!m_axis_tvalid || !s_axis_tvalid));

// The data registers (hundreds of bits after a window) load whenever their content may be
// replaced, so that their enables are one register (skid) or one gate of m_axis_tready (output),
// not the handshake: the skid is empty whenever s_axis_tready is high, and an output register
// that is not valid holds nothing.
always @(posedge clk) begin
    if (s_axis_tready) skid_tdata <= s_axis_tdata;
    if (m_axis_tready || !m_axis_tvalid) m_axis_tdata <= s_axis_tready ? s_axis_tdata : skid_tdata;
    if (rst) begin
        s_axis_tready <= 0;
        m_axis_tvalid <= 0;
        skid_tvalid <= 0;
    end else begin
        s_axis_tready <= ready_next;
        if (s_axis_tready) begin
            if (m_axis_tready || !m_axis_tvalid) begin
                m_axis_tvalid <= s_axis_tvalid;
            end else begin
                skid_tvalid <= s_axis_tvalid;
            end
        end else if (m_axis_tready) begin
            m_axis_tvalid <= skid_tvalid;
            skid_tvalid <= 0;
        end
    end
end

endmodule

`resetall
