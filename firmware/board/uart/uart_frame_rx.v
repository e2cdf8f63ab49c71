// uart_frame_rx: images in frames from a byte stream (a UART), out as a pixel stream.
//   rx_data/rx_valid: the bytes as they arrive (no ready: a line cannot wait). A frame is 0xA5 0x5A, PIXELS*DW/8 bytes of pixels (each pixel DW bits,
//   little-endian), then a checksum byte that makes the sum of the pixel bytes and itself 0
//   mod 256. m_axis: the PIXELS pixels of each good frame, tlast on the last (one image a batch).
//   nak: a one-cycle pulse for each frame rejected: bad checksum, no free buffer, or a gap of
//   more than TIMEOUT cycles inside it (a short frame); the receiver then hunts for 0xA5 0x5A
//   again, so a malformed frame costs that frame only.
//   Two image buffers: one fills from the line while the other goes to the network.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module uart_frame_rx #(
    parameter PIXELS = 4,
    parameter DW = 8,
    parameter TIMEOUT = 100000
) (
    input  wire          clk,
    input  wire          rst,
    input  wire [7:0]    rx_data,
    input  wire          rx_valid,
    output reg  [DW-1:0] m_axis_tdata = 0,
    output reg           m_axis_tvalid = 0,
    input  wire          m_axis_tready,
    output reg           m_axis_tlast = 0,
    output reg           nak = 0
);

localparam BYTES = DW / 8;  // per pixel
localparam PB = $clog2(PIXELS + 1);
localparam AB = PIXELS > 1 ? $clog2(PIXELS) : 1;  // a pixel's address in a buffer
localparam TB = $clog2(TIMEOUT + 1);
localparam [1:0] HUNT = 0, SYNC = 1, DATA = 2, CHECK = 3;
localparam BB = $clog2(BYTES + 1);
localparam integer LAST_BYTE = BYTES - 1, LAST_PIXEL = PIXELS - 1;

generate
    if (DW % 8 != 0 || DW < 8) begin : g_check_dw
`ifdef __ICARUS__  // Icarus 11 has no elaboration-time $error: the check fails at time 0
        initial $fatal(1, "uart_frame_rx: DW must be a multiple of 8");
`else
        $error("uart_frame_rx: DW must be a multiple of 8");
`endif
    end
endgenerate

reg [DW-1:0] mem [0:(2 << AB)-1];  // buffer b at {b, pixel}

// -- receive
reg [1:0] state = HUNT;
reg [PB-1:0] wr_pixel = 0;
reg [BB-1:0] wr_byte = 0;
reg [7:0] sum = 0;
reg [TB-1:0] idle = 0;
reg wr_buf = 0;       // filled in turn, sent in turn: images leave in the order they came
reg accept = 0;       // wr_buf was free when the frame began: its pixels are kept
reg [1:0] full = 0;  // buffers holding an image not yet sent
wire [DW-1:0] next_pixel;  // little-endian: the byte at hand is the pixel's top one
generate
    if (BYTES > 1) begin : g_assemble
        reg [DW-1:8] assembled = 0;  // the pixel's bytes so far, in its top bits
        always @(posedge clk) if (rx_valid && state == DATA) assembled <= next_pixel[DW-1:8];
        assign next_pixel = {rx_data, assembled};
    end else begin : g_byte
        assign next_pixel = rx_data;
    end
endgenerate
reg send_done = 0;  // from the sender: buffer done_buf was emptied
reg done_buf = 0;

always @(posedge clk) begin
    nak <= 0;
    if (rst) begin
        state <= HUNT;
        full <= 0;
        idle <= 0;
        wr_buf <= 0;
    end else begin
        if (send_done) full[done_buf] <= 0;  // a cycle after the sender let go of it
        idle <= state == HUNT || rx_valid ? 0 : idle + 1;
        if (state != HUNT && idle == TIMEOUT[TB-1:0]) begin
            state <= HUNT;
            nak <= 1;
        end else if (rx_valid) begin
            case (state)
                HUNT: if (rx_data == 8'hA5) state <= SYNC;
                SYNC: begin
                    state <= rx_data == 8'h5A ? DATA : rx_data == 8'hA5 ? SYNC : HUNT;
                    wr_pixel <= 0; wr_byte <= 0; sum <= 0;
                    accept <= !full[wr_buf];
                end
                DATA: begin
                    sum <= sum + rx_data;
                    if (wr_byte == LAST_BYTE[BB-1:0]) begin
                        wr_byte <= 0;
                        if (accept) mem[{wr_buf, wr_pixel[AB-1:0]}] <= next_pixel;
                        wr_pixel <= wr_pixel + 1;
                        if (wr_pixel == LAST_PIXEL[PB-1:0]) state <= CHECK;
                    end else begin
                        wr_byte <= wr_byte + 1;
                    end
                end
                CHECK: begin
                    state <= HUNT;
                    if (sum + rx_data == 8'd0 && accept) begin
                        full[wr_buf] <= 1;
                        wr_buf <= !wr_buf;
                    end else begin
                        nak <= 1;
                    end
                end
            endcase
        end
    end
end

// -- send: the full buffers in turn, a pixel per cycle; the RAM read is the output register
reg [PB-1:0] rd_pixel = 0;
reg rd_buf = 0;
reg sending = 0;
always @(posedge clk) begin
    send_done <= 0;
    if (rst) begin
        sending <= 0;
        rd_buf <= 0;
        m_axis_tvalid <= 0;
        send_done <= 0;
    end else begin
        if (!sending && full[rd_buf] && !(send_done && done_buf == rd_buf)) begin
            sending <= 1;
            rd_pixel <= 0;
        end
        if (!m_axis_tvalid || m_axis_tready) begin
            m_axis_tvalid <= sending;
            if (sending) begin
                m_axis_tdata <= mem[{rd_buf, rd_pixel[AB-1:0]}];
                m_axis_tlast <= rd_pixel == LAST_PIXEL[PB-1:0];
                rd_pixel <= rd_pixel + 1;
                if (rd_pixel == LAST_PIXEL[PB-1:0]) begin
                    sending <= 0;
                    send_done <= 1;
                    done_buf <= rd_buf;
                    rd_buf <= !rd_buf;
                end
            end
        end
    end
end

endmodule

`resetall
