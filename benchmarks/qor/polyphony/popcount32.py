# popcount32 for Polyphony 0.4.2: the task's reference (shift out one bit per step), written as Python.
from polyphony import testbench
from polyphony.typing import bit32, int32


def PopCount32(x: bit32) -> int32:
    c = 0
    y = x
    while y != 0:
        if y & 1 == 1:
            c = c + 1
        y = y >> 1
    return c


@testbench
def test():  # Polyphony compiles what a testbench calls
    assert PopCount32(0xF0F0F0F0) == 16
    assert PopCount32(0) == 0
