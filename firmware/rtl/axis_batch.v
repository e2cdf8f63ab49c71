// axis_batch: batch boundaries through the network, as a DMA's packets need them.
//   s_axis: the host's pixels (DW bits) with tlast; m_img: the same to the network, PIXELS beats
//   per image, no tlast. s_res: the network's results, one beat per image (RW bits); m_axis: the
//   same to the host, tlast set on the result of an image whose last pixel had tlast, so a
//   packet of N images comes back as a packet of N results.
//   A tlast before an image's last pixel (a packet that is not whole images) ends that image:
//   its other pixels go to the network as zeros (no host beat is taken for them) and its result
//   carries tlast, so the packet after it starts on an image again. The tlast of each image in
//   flight waits in a FIFO of DEPTH flags; the input waits at an image's last pixel while the
//   FIFO is full, so the flags never overflow, whatever the network holds.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module axis_batch #(
    parameter DW = 8,
    parameter RW = 8,
    parameter PIXELS = 4,
    parameter DEPTH = 16
) (
    input  wire          clk,
    input  wire          rst,
    input  wire [DW-1:0] s_axis_tdata,
    input  wire          s_axis_tvalid,
    output wire          s_axis_tready,
    input  wire          s_axis_tlast,
    output wire [DW-1:0] m_img_tdata,
    output wire          m_img_tvalid,
    input  wire          m_img_tready,
    input  wire [RW-1:0] s_res_tdata,
    input  wire          s_res_tvalid,
    output wire          s_res_tready,
    output wire [RW-1:0] m_axis_tdata,
    output wire          m_axis_tvalid,
    input  wire          m_axis_tready,
    output wire          m_axis_tlast
);

localparam PB = PIXELS > 1 ? $clog2(PIXELS) : 1;
localparam integer PRE_LAST = PIXELS - 2;

reg [PB-1:0] pixel = 0;
reg padding = 0;  // the packet ended inside this image: the rest is zeros
reg last_pixel = PIXELS == 1;
wire flag_ready, flag_valid;
wire room = !last_pixel || flag_ready;

assign m_img_tdata = padding ? {DW{1'b0}} : s_axis_tdata;
assign m_img_tvalid = (padding || s_axis_tvalid) && room;
assign s_axis_tready = !padding && m_img_tready && room;
wire sent = m_img_tvalid && m_img_tready;

always @(posedge clk) begin
    if (rst) begin
        pixel <= 0;
        padding <= 0;
        last_pixel <= PIXELS == 1;
    end else if (sent) begin
        pixel <= last_pixel ? 0 : pixel + 1;
        last_pixel <= PIXELS == 1 || pixel == PRE_LAST[PB-1:0];
        padding <= !last_pixel && (padding || s_axis_tlast);
    end
end

axis_fifo #(
    .WIDTH(1), .DEPTH(DEPTH)
) flags (
    .clk(clk), .rst(rst),
    .s_axis_tdata(padding || s_axis_tlast), .s_axis_tvalid(sent && last_pixel), .s_axis_tready(flag_ready),
    .m_axis_tdata(m_axis_tlast), .m_axis_tvalid(flag_valid), .m_axis_tready(m_axis_tvalid && m_axis_tready)
);

// a result never comes before its image's flag: the flag is written with the image's last pixel
assign m_axis_tdata = s_res_tdata;
assign m_axis_tvalid = s_res_tvalid;
assign s_res_tready = m_axis_tready;

`ifndef SYNTHESIS
always @(posedge clk) if (!rst && m_axis_tvalid && !flag_valid) $fatal(1, "axis_batch: a result came before its image's last pixel");
`endif

endmodule

`resetall
