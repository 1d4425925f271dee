// Hand-written stand-in for a Vitis HLS design of MaxArray (written for Proof2Silicon's tests, not tool
// output): the ap_ctrl_hs block protocol and an ap_memory array port with a read latency of one cycle,
// named as Vitis HLS names them. Used by the mock vitis_hls and by the ap_ctrl co-simulation tests.
`timescale 1 ns / 1 ps
module MaxArray (
        ap_clk,
        ap_rst,
        ap_start,
        ap_done,
        ap_idle,
        ap_ready,
        a_address0,
        a_ce0,
        a_q0,
        a_len,
        ap_return
);
input   ap_clk;
input   ap_rst;
input   ap_start;
output   ap_done;
output   ap_idle;
output   ap_ready;
output  [3:0] a_address0;
output   a_ce0;
input  [31:0] a_q0;
input  [31:0] a_len;
output  [31:0] ap_return;

localparam IDLE = 3'd0, WAIT0 = 3'd1, CHECK = 3'd2, WAITK = 3'd3, DONE = 3'd4;
reg [2:0] state;
reg [31:0] m;
reg [31:0] k;

assign ap_idle = (state == IDLE);
assign ap_done = (state == DONE);
assign ap_ready = (state == DONE);
assign ap_return = m;
assign a_ce0 = (state == IDLE && ap_start) || (state == CHECK && $signed(k) < $signed(a_len));
assign a_address0 = (state == IDLE) ? 4'd0 : k[3:0];

always @(posedge ap_clk) begin
    if (ap_rst) begin
        state <= IDLE;
        m <= 32'd0;
        k <= 32'd0;
    end else begin
        case (state)
            IDLE: if (ap_start) state <= WAIT0;
            WAIT0: begin m <= a_q0; k <= 32'd1; state <= CHECK; end
            CHECK: state <= ($signed(k) < $signed(a_len)) ? WAITK : DONE;
            WAITK: begin
                if ($signed(a_q0) > $signed(m)) m <= a_q0;
                k <= k + 32'd1;
                state <= CHECK;
            end
            default: state <= IDLE;
        endcase
    end
end
endmodule
