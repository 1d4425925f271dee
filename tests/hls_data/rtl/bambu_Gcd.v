// Hand-written stand-in for a PandA Bambu design of Gcd (written for Proof2Silicon's tests, not tool
// output): Bambu's block protocol (clock, active-low reset, start_port, done_port pulse, return_port)
// with scalar arguments named after the C parameters. Used by the mock bambu and the co-simulation tests.
`timescale 1ns / 1ps
module Gcd(clock, reset, start_port, a, b, done_port, return_port);
  input clock;
  input reset;
  input start_port;
  input [63:0] a;
  input [63:0] b;
  output done_port;
  output [63:0] return_port;

  reg [1:0] state;
  reg [63:0] x;
  reg [63:0] y;
  reg done_port;
  assign return_port = x;

  always @(posedge clock) begin
    if (reset == 1'b0) begin
      state <= 2'd0;
      done_port <= 1'b0;
      x <= 64'd0;
      y <= 64'd0;
    end else begin
      done_port <= 1'b0;
      case (state)
        2'd0: if (start_port) begin
          x <= a[63] ? -a : a;
          y <= b[63] ? -b : b;
          state <= 2'd1;
        end
        2'd1: if (y == 64'd0) begin
          done_port <= 1'b1;
          state <= 2'd0;
        end else begin
          x <= y;
          y <= x % y;
        end
        default: state <= 2'd0;
      endcase
    end
  end
endmodule
