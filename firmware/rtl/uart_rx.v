// uart_rx: 8N1 serial in, a byte per beat out.
//   rxd: the line (idle high), brought into the clock domain by two registers; CLKS_PER_BIT
//   clock cycles per bit (clock / baud rate, rounded). m_axis: one byte per received frame;
//   a frame whose stop bit is low (a break, or a start bit that was noise) is dropped. The
//   byte is held until taken; one that arrives while the last is still held replaces it
//   (the line cannot be stalled: the frame layer above must keep up, at 8 bits per 10 bit times).
`resetall
`timescale 1ns / 1ps
`default_nettype none

module uart_rx #(
    parameter CLKS_PER_BIT = 868
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       rxd,
    output reg  [7:0] m_axis_tdata = 0,
    output reg        m_axis_tvalid = 0,
    input  wire       m_axis_tready
);

localparam CB = $clog2(CLKS_PER_BIT * 3 / 2 + 1);

reg [1:0] sync = 2'b11;
wire line = sync[1];
reg busy = 0;
reg [CB-1:0] count = 0;  // cycles to the middle of the next bit
reg [3:0] bit_index = 0; // 0..7 data, 8 stop
reg [7:0] shift = 0;

always @(posedge clk) begin
    sync <= {sync[0], rxd};
    if (m_axis_tvalid && m_axis_tready) m_axis_tvalid <= 0;
    if (rst) begin
        busy <= 0;
        m_axis_tvalid <= 0;
    end else if (!busy) begin
        if (!line) begin  // a start bit: sample the data bits in their middles
            busy <= 1;
            count <= CLKS_PER_BIT * 3 / 2 - 1;
            bit_index <= 0;
        end
    end else if (count != 0) begin
        count <= count - 1;
    end else if (bit_index != 8) begin
        shift <= {line, shift[7:1]};
        bit_index <= bit_index + 1;
        count <= CLKS_PER_BIT - 1;
    end else begin
        busy <= 0;
        if (line) begin
            m_axis_tdata <= shift;
            m_axis_tvalid <= 1;
        end
    end
end

endmodule

`resetall
