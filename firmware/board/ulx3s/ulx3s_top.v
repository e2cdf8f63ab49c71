// ulx3s_top: the accelerator on a ULX3S (LFE5U-85F): the 25 MHz oscillator through a PLL
// (pll.v, written by ecppll for the design clock) to the accelerator behind the FTDI UART.
//   clk_25mhz: the oscillator; ftdi_txd: the FTDI's output (our rxd); ftdi_rxd: our txd;
//   btn[1] (FIRE1): reset while held; led[0]: PLL locked, led[1]: images in the network,
//   led[7]: reset.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module ulx3s_top #(
    parameter CLKS_PER_BIT = 33,
    parameter PIXELS = 784,
    parameter DW = 8,
    parameter RW = 256,
    parameter TIMEOUT_BYTES = 300  // a frame with a longer gap inside is rejected (about 1 ms at 3 Mbaud)
) (
    input  wire       clk_25mhz,
    input  wire       ftdi_txd,
    output wire       ftdi_rxd,
    input  wire [6:0] btn,
    output wire [7:0] led
);

wire clk, locked;
pll pll (.clkin(clk_25mhz), .clkout0(clk), .locked(locked));

// reset: held until the PLL locks and while FIRE1 is pressed, released synchronously
reg [3:0] hold = 4'hF;
wire rst = hold[3];
always @(posedge clk or negedge locked) begin
    if (!locked) hold <= 4'hF;
    else hold <= {hold[2:0], btn[1]};
end

wire busy;
uart_accelerator #(
    .CLKS_PER_BIT(CLKS_PER_BIT), .PIXELS(PIXELS), .DW(DW), .RW(RW), .TIMEOUT(CLKS_PER_BIT * 10 * TIMEOUT_BYTES)
) accelerator (
    .clk(clk), .rst(rst), .rxd(ftdi_txd), .txd(ftdi_rxd), .busy(busy)
);

assign led = {rst, 5'b0, busy, locked};

endmodule

`resetall
