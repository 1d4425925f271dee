# abs_diff for Polyphony 0.4.2: the task's reference, d = |a - b|, written as Python.
from polyphony import testbench
from polyphony.typing import int32


def AbsDiff(a: int32, b: int32) -> int32:
    if a >= b:
        d = a - b
    else:
        d = b - a
    return d


@testbench
def test():  # Polyphony compiles what a testbench calls
    assert AbsDiff(5, -3) == 8
    assert AbsDiff(-3, 5) == 8
