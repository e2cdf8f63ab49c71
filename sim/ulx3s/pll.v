// pll for simulation: the ecppll-written PLL of the ULX3S top, as a wire (the bench clocks
// clk_25mhz at the design clock, so the UART's bit time in clocks is the board's).
`resetall
`timescale 1ns / 1ps
`default_nettype none

module pll (
    input  wire clkin,
    output wire clkout0,
    output wire locked
);

assign clkout0 = clkin;
assign locked = 1'b1;

endmodule

`resetall
