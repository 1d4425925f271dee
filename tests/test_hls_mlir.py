"""The MLIR emitter: C widths (no 64-bit index arithmetic), minimal block arguments, loop shape, inlining."""

from __future__ import annotations

import re

from hls.c_to_mlir import c_to_mlir
from tests.hls_data.helpers import program


def ops(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if " = " in ln or ln.strip().startswith(("memref.store", "cf."))]


def test_widths_follow_c_types_and_index_only_subscripts():
    p = program("checksum")
    text = c_to_mlir(p.source, p.top).text
    assert "memref<8xi8>" in text and "memref<4xi8>" in text  # uint8_t data[8], the local salt table
    assert "i64" not in text  # nothing in this C is 64-bit
    for line in text.splitlines():
        if "index" in line:
            assert "arith.index_cast" in line or "memref." in line or "arith.constant" in line and ": index" in line


def test_loop_carries_only_the_changed_variables():
    p = program("max_array")
    text = c_to_mlir(p.source, p.top).text
    # the loop header takes k and m; a_len and the array stay function arguments
    header_args = [m.group(1) for m in re.finditer(r"^\^bb\d+\((.*)\):", text, flags=re.M)]
    assert ["%" in a for a in header_args].count(True) >= 1
    assert max(a.count(":") for a in header_args) == 2
    assert "arith.index_cast %arg1" not in text  # the length is never an address


def test_signed_division_avoids_divsi():
    text = c_to_mlir("int32_t f(int32_t a, int32_t b) { return a / b; }", "f").text
    assert "divsi" not in text and "divui" in text
    unsigned = c_to_mlir("uint32_t f(uint32_t a, uint32_t b) { return a / b; }", "f").text
    assert unsigned.count("arith.") <= 2  # divui and nothing else


def test_loops_have_one_exit_and_one_back_edge():
    """lower-cf-to-handshake rejects loops with several exits: break/return go through a flag."""
    p = program("linear_search")
    module = c_to_mlir(p.source, p.top)
    text = module.text
    assert "func.call" not in text
    blocks = re.split(r"^\^bb\d+", text, flags=re.M)
    returns = [b for b in blocks if "return" in b and "cf." not in b.split("return")[-1]]
    assert len(returns) == 1  # one exit block for the function


def test_helpers_are_inlined_and_results_follow_the_return_value():
    p = program("divmod")
    module = c_to_mlir(p.source, p.top)
    assert "func.call" not in module.text and module.text.count("func.func") == 1
    assert [r.name for r in module.results] == ["q", "r"]
    assert [a.name for a in module.args] == ["x", "y"]
    assert "-> (i32, i32)" in module.text


def test_two_dimensional_arrays_and_bool_and_i64():
    p = program("matrix_trace")
    module = c_to_mlir(p.source, p.top)
    assert "memref<4x4xi32>" in module.text
    assert "arith.extsi" in module.text and "i64" in module.text
    assert module.args[0].dims == [4, 4]
    flags = c_to_mlir(program("linear_search").source, "LinearSearch").text
    assert re.search(r"%arg\d: i1", flags)


def test_local_array_zero_fill_is_one_loop():
    p = program("reverse")
    text = c_to_mlir(p.source, p.top).text
    assert "memref.alloca() : memref<16xi32>" in text
    assert text.count("memref.store") == 3  # the fill loop, tmp[...] = a[i], r[j] = tmp[j]


def test_short_circuit_with_side_effects_branches():
    src = """
    #include <stdint.h>
    static int32_t bump(int32_t *c) { *c = *c + 1; return *c; }
    int32_t f(int32_t x) {
        int32_t calls = 0;
        if (x > 0 && bump(&calls) > 0) { x = x + 1; }
        int32_t pure = (x > 1 && x < 5) ? 1 : 0;
        return calls * 10 + pure;
    }
    """
    text = c_to_mlir(src, "f").text
    assert text.count("cf.cond_br") >= 2  # && with a call is a branch
    assert "arith.andi" in text  # && of pure comparisons is an and


def test_void_cast_of_an_unused_parameter_is_accepted():
    module = c_to_mlir("#include <stdint.h>\nvoid f(int32_t a[4], int32_t n) {\n  (void)n;\n  a[0] = 1;\n}", "f")
    assert [a.name for a in module.args] == ["a", "n"] and "memref.store" in module.text


def predecessors(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for target in re.findall(r"\^bb\d+", "\n".join(ln for ln in text.splitlines() if "cf." in ln)):
        counts[target] = counts.get(target, 0) + 1
    return counts


def test_every_merge_has_two_predecessors():
    """Three returns reach the exit: the emitter adds a nested two-way merge (CIRCT needs them)."""
    p = program("is_prime")
    text = c_to_mlir(p.source, p.top).text
    assert max(predecessors(text).values()) == 2


def test_arrays_with_several_ports_share_a_bank():
    p = program("merge")
    module = c_to_mlir(p.source, p.top)
    assert module.bank is not None and module.bank.width == 32 and module.bank.depth == 32
    assert module.bank.members["b"] == {"offset": 8, "depth": 8, "width": 16}
    assert [a.name for a in module.args] == ["a_len", "b_len", "p2s_bank"]
    assert "arith.trunci" in module.text and "i16" in module.text  # b's words are narrowed on load


def test_one_array_with_several_ports_goes_last():
    src = """#include <stdint.h>
    void f(int32_t a[4], int32_t b[4], int32_t n) { b[0] = a[0]; b[1] = b[0] + 1; }"""
    module = c_to_mlir(src, "f")
    assert module.bank is None
    assert [a.name for a in module.args] == ["a", "n", "b"]
