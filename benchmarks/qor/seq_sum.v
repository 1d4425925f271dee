// sum of s[0 .. s_len): the address runs one element ahead of the accumulator, one element per cycle.
module SeqSum (
  input wire ap_clk, input wire ap_rst, input wire ap_start,
  output wire ap_done, output wire ap_idle, output wire ap_ready,
  output wire [3:0] s_address0, output wire s_ce0, input wire [31:0] s_q0,
  input wire [31:0] s_len, output wire [31:0] ap_return
);
  reg busy = 1'b0;
  reg [4:0] i;      // the next address
  reg valid;        // s_q0 holds element i - 1
  reg [31:0] acc;
  wire [31:0] sum = valid ? acc + s_q0 : acc;
  wire last = {27'd0, i} >= s_len;
  assign s_address0 = i[3:0];
  assign s_ce0 = busy && !last;
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
