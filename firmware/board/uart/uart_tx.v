// uart_tx: a byte per beat in, 8N1 serial out.
//   s_axis: the bytes, taken one per frame (10 bit times); txd: the line, idle high, registered.
//   CLKS_PER_BIT clock cycles per bit.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module uart_tx #(
    parameter CLKS_PER_BIT = 868
) (
    input  wire       clk,
    input  wire       rst,
    input  wire [7:0] s_axis_tdata,
    input  wire       s_axis_tvalid,
    output wire       s_axis_tready,
    output reg        txd = 1
);

localparam CB = $clog2(CLKS_PER_BIT + 1);

reg [9:0] frame = 0;     // stop, data (LSB first), start: shifted out from bit 0
reg [3:0] left = 0;      // bit times still to start, the last one the end of the stop bit
reg [CB-1:0] count = 0;
assign s_axis_tready = !rst && left == 0;

always @(posedge clk) begin
    if (rst) begin
        left <= 0;
        txd <= 1;
    end else if (left == 0) begin
        if (s_axis_tvalid) begin
            frame <= {1'b1, s_axis_tdata, 1'b0};
            left <= 11;
            count <= 0;
        end
    end else if (count != 0) begin
        count <= count - 1;
    end else begin
        if (left != 1) txd <= frame[0];
        frame <= {1'b1, frame[9:1]};
        left <= left - 1;
        count <= CLKS_PER_BIT - 1;
    end
end

endmodule

`resetall
