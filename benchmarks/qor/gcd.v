// gcd of two naturals by repeated remainder: one iteration per cycle; done in the cycle y reaches 0.
module ComputeGcd (
  input wire ap_clk, input wire ap_rst, input wire ap_start,
  output wire ap_done, output wire ap_idle, output wire ap_ready,
  input wire [31:0] a, input wire [31:0] b, output wire [31:0] ap_return
);
  reg busy = 1'b0;
  reg [31:0] x, y;
  assign ap_idle = !busy;
  assign ap_done = busy && y == 32'd0;
  assign ap_ready = ap_done;
  assign ap_return = x;
  always @(posedge ap_clk) begin
    if (ap_rst) busy <= 1'b0;
    else if (!busy) begin
      if (ap_start) begin busy <= 1'b1; x <= a; y <= b; end
    end else if (y == 32'd0) busy <= 1'b0;
    else begin x <= y; y <= x % y; end
  end
endmodule
