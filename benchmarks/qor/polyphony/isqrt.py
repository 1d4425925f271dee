# isqrt for Polyphony 0.4.2: the task's reference (count up while (r + 1)^2 <= n), written as Python.
from polyphony import testbench
from polyphony.typing import int32


def ISqrt(n: int32) -> int32:
    r = 0
    while (r + 1) * (r + 1) <= n:
        r = r + 1
    return r


@testbench
def test():  # Polyphony compiles what a testbench calls
    assert ISqrt(17) == 4
    assert ISqrt(0) == 0
