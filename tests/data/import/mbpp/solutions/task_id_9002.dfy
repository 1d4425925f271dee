method splitTen(n: nat) returns (q: nat, r: nat)
  ensures n == 10 * q + r && r < 10
{
  q := n / 10;
  r := n % 10;
}
