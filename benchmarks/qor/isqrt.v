// floor(sqrt(n)) for n < 2^30 by counting up while (r + 1)^2 <= n: r fits 16 bits, one step per cycle.
module ISqrt (
  input wire ap_clk, input wire ap_rst, input wire ap_start,
  output wire ap_done, output wire ap_idle, output wire ap_ready,
  input wire [31:0] n, output wire [31:0] ap_return
);
  reg busy = 1'b0;
  reg [15:0] r;
  wire [16:0] r1 = r + 17'd1;
  wire more = r1 * r1 <= n;
  assign ap_idle = !busy;
  assign ap_done = busy && !more;
  assign ap_ready = ap_done;
  assign ap_return = {16'd0, r};
  always @(posedge ap_clk) begin
    if (ap_rst) busy <= 1'b0;
    else if (!busy) begin
      if (ap_start) begin busy <= 1'b1; r <= 16'd0; end
    end else if (!more) busy <= 1'b0;
    else r <= r1[15:0];
  end
endmodule
