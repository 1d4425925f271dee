# gcd for Polyphony 0.4.2: the task's reference (Euclid by remainders), written as Python.
from polyphony import testbench
from polyphony.typing import int32


def ComputeGcd(a: int32, b: int32) -> int32:
    x = a
    y = b
    while y != 0:
        t = x % y
        x = y
        y = t
    return x


@testbench
def test():  # Polyphony compiles what a testbench calls
    assert ComputeGcd(12, 18) == 6
    assert ComputeGcd(7, 0) == 7
