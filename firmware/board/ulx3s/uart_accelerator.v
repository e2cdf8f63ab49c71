// uart_accelerator: the generated network (squeezenet_top) behind a UART.
//   rxd/txd: 8N1 at clock / CLKS_PER_BIT baud. In: frames of one image each (uart_frame_rx:
//   0xA5 0x5A, PIXELS pixels of DW bits, checksum); out: a frame per image with its RW-bit
//   result, or 0xA5 0xE1 for a frame rejected (uart_frame_tx), in the order the frames came.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module uart_accelerator #(
    parameter CLKS_PER_BIT = 33,
    parameter PIXELS = 784,
    parameter DW = 8,
    parameter RW = 256,
    parameter TIMEOUT = 1000000
) (
    input  wire clk,
    input  wire rst,
    input  wire rxd,
    output wire txd,
    output wire busy  // images in the network
);

wire [7:0] rx_data, tx_tdata;
wire rx_valid, tx_tvalid, tx_tready;
wire [DW-1:0] img_tdata;
wire img_tvalid, img_tready, img_tlast;
wire [RW-1:0] res_tdata;
wire res_tvalid, res_tready, res_tlast;
wire nak;

uart_rx #(.CLKS_PER_BIT(CLKS_PER_BIT)) rx (
    .clk(clk), .rst(rst), .rxd(rxd), .rx_data(rx_data), .rx_valid(rx_valid)
);

uart_frame_rx #(.PIXELS(PIXELS), .DW(DW), .TIMEOUT(TIMEOUT)) frames_in (
    .clk(clk), .rst(rst),
    .rx_data(rx_data), .rx_valid(rx_valid),
    .m_axis_tdata(img_tdata), .m_axis_tvalid(img_tvalid), .m_axis_tready(img_tready), .m_axis_tlast(img_tlast),
    .nak(nak)
);

squeezenet_top network (
    .clk(clk), .rst(rst),
    .s_axis_tdata(img_tdata), .s_axis_tvalid(img_tvalid), .s_axis_tready(img_tready), .s_axis_tlast(img_tlast),
    .m_axis_tdata(res_tdata), .m_axis_tvalid(res_tvalid), .m_axis_tready(res_tready), .m_axis_tlast(res_tlast)
);

// images whose last pixel went in and whose result has not come out (each image is a packet of
// its own, so its result carries tlast)
reg [3:0] in_flight = 0;
always @(posedge clk) begin
    if (rst) in_flight <= 0;
    else in_flight <= in_flight + (img_tvalid && img_tready && img_tlast) - (res_tvalid && res_tready && res_tlast);
end
assign busy = in_flight != 0;

uart_frame_tx #(.RW(RW)) frames_out (
    .clk(clk), .rst(rst),
    .s_axis_tdata(res_tdata), .s_axis_tvalid(res_tvalid), .s_axis_tready(res_tready),
    .nak(nak), .in_flight(busy),
    .m_axis_tdata(tx_tdata), .m_axis_tvalid(tx_tvalid), .m_axis_tready(tx_tready)
);

uart_tx #(.CLKS_PER_BIT(CLKS_PER_BIT)) tx (
    .clk(clk), .rst(rst), .s_axis_tdata(tx_tdata), .s_axis_tvalid(tx_tvalid), .s_axis_tready(tx_tready), .txd(txd)
);

endmodule

`resetall
