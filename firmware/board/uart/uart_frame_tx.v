// uart_frame_tx: results and rejections as frames on a byte stream (a UART).
//   s_axis: one result of RW bits per image; m_axis: bytes. A result frame is 0xA5 0x5A, the
//   RW/8 result bytes (little-endian), then a checksum byte that makes their sum and itself 0
//   mod 256. nak: a pulse per rejected frame (uart_frame_rx), answered with 0xA5 0xE1. Frames
//   answer in order: a rejection waits until the images before it (`in_flight`, counted by the
//   caller) have their results out.
`resetall
`timescale 1ns / 1ps
`default_nettype none

module uart_frame_tx #(
    parameter RW = 256
) (
    input  wire          clk,
    input  wire          rst,
    input  wire [RW-1:0] s_axis_tdata,
    input  wire          s_axis_tvalid,
    output wire          s_axis_tready,
    input  wire          nak,
    input  wire          in_flight,
    output wire [7:0]    m_axis_tdata,
    output wire          m_axis_tvalid,
    input  wire          m_axis_tready
);

localparam BYTES = RW / 8;
localparam NB = $clog2(BYTES + 4);
localparam integer RESULT_BYTES = BYTES + 3;  // a result frame: sync, result, checksum

generate
    if (RW % 8 != 0 || RW < 8) begin : g_check_rw
`ifdef __ICARUS__  // Icarus 11 has no elaboration-time $error: the check fails at time 0
        initial $fatal(1, "uart_frame_tx: RW must be a multiple of 8");
`else
        $error("uart_frame_tx: RW must be a multiple of 8");
`endif
    end
endgenerate

reg [7:0] naks = 0;           // rejections not yet answered
reg [NB-1:0] index = 0;       // byte of the frame being sent
reg [NB-1:0] length = 0;      // its bytes
reg [RW-1:0] result = 0;      // shifted out a byte at a time
reg [7:0] sum = 0;
reg busy = 0;
wire take = !busy && s_axis_tvalid;
assign s_axis_tready = !rst && !busy;
wire [7:0] byte_out = index == 0 ? 8'hA5 : index == 1 ? (length == 2 ? 8'hE1 : 8'h5A) :
                      index == length - 1 ? -sum : result[7:0];
assign m_axis_tdata = byte_out;
assign m_axis_tvalid = busy;
wire sent = busy && m_axis_tready;

always @(posedge clk) begin
    if (rst) begin
        naks <= 0;
        busy <= 0;
    end else begin
        naks <= naks + {7'd0, nak} - {7'd0, !busy && !s_axis_tvalid && !in_flight && naks != 0};
        if (take) begin
            busy <= 1; index <= 0; length <= RESULT_BYTES[NB-1:0]; result <= s_axis_tdata; sum <= 0;
        end else if (!busy && !in_flight && naks != 0) begin
            busy <= 1; index <= 0; length <= 2;
        end else if (sent) begin
            index <= index + 1;
            if (index >= 2 && index < length - 1) begin
                result <= result >> 8;
                sum <= sum + result[7:0];
            end
            if (index == length - 1) busy <= 0;
        end
    end
end

endmodule

`resetall
