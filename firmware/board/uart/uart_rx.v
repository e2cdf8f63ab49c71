// uart_rx: 8N1 serial in, a byte per beat out.
//   rxd: the line (idle high), brought into the clock domain by two registers; CLKS_PER_BIT
//   clock cycles per bit (clock / baud rate, rounded). rx_data/rx_valid: each received byte,
//   rx_valid high for one cycle; a frame whose stop bit is low (a break, or a start bit that
//   was noise) is dropped, and the next start bit is looked for once the line is high again
//   (a break longer than a frame is not taken for more frames). There is no ready: the line cannot be stalled, so the frame layer
//   above takes every byte (uart_frame_rx does).
`resetall
`timescale 1ns / 1ps
`default_nettype none

module uart_rx #(
    parameter CLKS_PER_BIT = 868
) (
    input  wire       clk,
    input  wire       rst,
    input  wire       rxd,
    output reg  [7:0] rx_data = 0,
    output reg        rx_valid = 0
);

localparam CB = $clog2(CLKS_PER_BIT * 3 / 2 + 1);

reg [1:0] sync = 2'b11;
wire line = sync[1];
reg busy = 0;
reg [CB-1:0] count = 0;  // cycles to the middle of the next bit
reg [3:0] bit_index = 0; // 0..7 data, 8 stop
reg [7:0] shift = 0;
reg broken = 0;          // the last stop bit was low: wait for the line to go high

always @(posedge clk) begin
    sync <= {sync[0], rxd};
    rx_valid <= 0;
    if (rst) begin
        busy <= 0;
        broken <= 0;
    end else if (!busy) begin
        if (broken) begin
            broken <= !line;
        end else if (!line) begin  // a start bit: sample the data bits in their middles
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
        broken <= !line;
        if (line) begin
            rx_data <= shift;
            rx_valid <= 1;
        end
    end
end

endmodule

`resetall
