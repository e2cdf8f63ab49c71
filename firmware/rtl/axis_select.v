// axis_select: the lanes of each beat that KEEP names, in order: output lane i is input lane
// j where bit j of KEEP is its i-th set bit. Wiring only (no register, no logic): the
// convolution after it was pruned of whole input channels, whose weights are all zero, so
// those lanes are neither stored in its ROM nor multiplied.
//   s_axis: LANES lanes of LANE_W bits; m_axis: KEPT lanes (KEPT = the set bits of KEEP).
`resetall
`timescale 1ns / 1ps
`default_nettype none

module axis_select #(
    parameter LANES = 2,
    parameter LANE_W = 8,
    parameter [LANES-1:0] KEEP = {LANES{1'b1}},
    parameter KEPT = LANES
) (
    input  wire                     clk,
    input  wire                     rst,
    input  wire [LANES*LANE_W-1:0]  s_axis_tdata,
    input  wire                     s_axis_tvalid,
    output wire                     s_axis_tready,
    output wire [KEPT*LANE_W-1:0]   m_axis_tdata,
    output wire                     m_axis_tvalid,
    input  wire                     m_axis_tready
);

function integer kept_count;
    input integer unused;
    integer j;
    begin
        kept_count = 0;
        for (j = 0; j < LANES; j = j + 1) kept_count = kept_count + KEEP[j];
    end
endfunction

// the input lane of output lane i
function integer source_lane;
    input integer i;
    integer j, seen;
    begin
        source_lane = 0;
        seen = 0;
        for (j = 0; j < LANES; j = j + 1) begin
            if (KEEP[j]) begin
                if (seen == i) source_lane = j;
                seen = seen + 1;
            end
        end
    end
endfunction

generate
    if (KEPT < 1 || KEPT != kept_count(0)) begin : g_check_kept
`ifdef __ICARUS__  // Icarus 11 has no elaboration-time $error: the check fails at time 0
        initial $fatal(1, "axis_select: KEPT must be the number of set bits of KEEP, at least 1");
`else
        $error("axis_select: KEPT must be the number of set bits of KEEP, at least 1");
`endif
    end
endgenerate

genvar i;
generate
    for (i = 0; i < KEPT; i = i + 1) begin : g_lane
        assign m_axis_tdata[i*LANE_W +: LANE_W] = s_axis_tdata[source_lane(i)*LANE_W +: LANE_W];
    end
endgenerate
assign m_axis_tvalid = s_axis_tvalid;
assign s_axis_tready = m_axis_tready;

endmodule

`resetall
