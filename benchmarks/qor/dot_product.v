// sum of a[i] * b[i] over i < a_len: both arrays read one element ahead, one product per cycle.
module DotProduct (
  input wire ap_clk, input wire ap_rst, input wire ap_start,
  output wire ap_done, output wire ap_idle, output wire ap_ready,
  output wire [3:0] a_address0, output wire a_ce0, input wire [31:0] a_q0, input wire [31:0] a_len,
  output wire [3:0] b_address0, output wire b_ce0, input wire [31:0] b_q0, input wire [31:0] b_len,
  output wire [31:0] ap_return
);
  reg busy = 1'b0;
  reg [4:0] i;
  reg valid;
  reg [31:0] acc;
  wire [31:0] sum = valid ? acc + a_q0 * b_q0 : acc;
  wire last = {27'd0, i} >= a_len;
  assign a_address0 = i[3:0];
  assign b_address0 = i[3:0];
  assign a_ce0 = busy && !last;
  assign b_ce0 = busy && !last;
  assign ap_idle = !busy;
  assign ap_done = busy && last;
  assign ap_ready = ap_done;
  assign ap_return = sum;
  always @(posedge ap_clk) begin
    if (ap_rst) busy <= 1'b0;
    else if (!busy) begin
      if (ap_start) begin busy <= 1'b1; i <= 5'd0; valid <= 1'b0; acc <= 32'd0; end
    end else if (last) busy <= 1'b0;
    else begin acc <= sum; i <= i + 5'd1; valid <= 1'b1; end
  end
endmodule
