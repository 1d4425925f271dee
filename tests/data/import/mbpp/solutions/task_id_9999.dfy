method orphan() returns (x: int)
  ensures x == 1
{
  x := 1;
}
