class Counter {
  var value: int
  constructor ()
    ensures value == 0
  {
    value := 0;
  }
  method Increment()
    modifies this
    ensures value == old(value) + 1
  {
    value := value + 1;
  }
}
