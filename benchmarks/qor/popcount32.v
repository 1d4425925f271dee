// population count: shift right until the word is zero, one bit per cycle.
module PopCount32 (
  input wire ap_clk, input wire ap_rst, input wire ap_start,
  output wire ap_done, output wire ap_idle, output wire ap_ready,
  input wire [31:0] x, output wire [31:0] ap_return
);
  reg busy = 1'b0;
  reg [31:0] y;
  reg [5:0] c;
  assign ap_idle = !busy;
  assign ap_done = busy && y == 32'd0;
  assign ap_ready = ap_done;
  assign ap_return = {26'd0, c};
  always @(posedge ap_clk) begin
    if (ap_rst) busy <= 1'b0;
    else if (!busy) begin
      if (ap_start) begin busy <= 1'b1; y <= x; c <= 6'd0; end
    end else if (y == 32'd0) busy <= 1'b0;
    else begin c <= c + y[0]; y <= y >> 1; end
  end
endmodule
