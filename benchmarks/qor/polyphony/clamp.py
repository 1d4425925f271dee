# clamp for Polyphony 0.4.2: the task's reference, x limited to [lo, hi], written as Python.
from polyphony import testbench
from polyphony.typing import int32


def Clamp(x: int32, lo: int32, hi: int32) -> int32:
    if x < lo:
        r = lo
    elif x > hi:
        r = hi
    else:
        r = x
    return r


@testbench
def test():  # Polyphony compiles what a testbench calls
    assert Clamp(5, 0, 3) == 3
    assert Clamp(-1, 0, 3) == 0
