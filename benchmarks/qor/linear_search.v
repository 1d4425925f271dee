// first index of key in a[0 .. a_len), or -1: one element per cycle, the address one ahead of the compare.
module LinearSearch (
  input wire ap_clk, input wire ap_rst, input wire ap_start,
  output wire ap_done, output wire ap_idle, output wire ap_ready,
  output wire [3:0] a_address0, output wire a_ce0, input wire [31:0] a_q0,
  input wire [31:0] a_len, input wire [31:0] key, output wire [31:0] ap_return
);
  reg busy = 1'b0;
  reg [4:0] i;      // the next address
  reg valid;        // a_q0 holds element i - 1
  wire hit = valid && a_q0 == key;
  wire last = {27'd0, i} >= a_len;
  assign a_address0 = i[3:0];
  assign a_ce0 = busy && !last;
  assign ap_idle = !busy;
  assign ap_done = busy && (hit || last);
  assign ap_ready = ap_done;
  assign ap_return = hit ? {27'd0, i - 5'd1} : 32'hffffffff;
  always @(posedge ap_clk) begin
    if (ap_rst) busy <= 1'b0;
    else if (!busy) begin
      if (ap_start) begin busy <= 1'b1; i <= 5'd0; valid <= 1'b0; end
    end else if (hit || last) busy <= 1'b0;
    else begin i <= i + 5'd1; valid <= 1'b1; end
  end
endmodule
