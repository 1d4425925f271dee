"""Python → HLS C: refusals with reasons, pragmas, the interface record, names, and the C subset's shape."""

from __future__ import annotations

import re
import subprocess

import pytest

from hls import cfront
from hls.hls_c import NotSynthesizable, compile_to_c
from pipeline.hw_interface import HwInterface
from pipeline.task import task_from_dict
from tests.support import needs_gcc


def task(signature: str, **hardware):
    return task_from_dict({"id": "t", "description": "d", "signature": signature, "hardware": hardware or None})


def refused(src: str, signature: str, **hardware) -> NotSynthesizable:
    with pytest.raises(NotSynthesizable) as info:
        compile_to_c(src, task(signature, **hardware))
    return info.value


def gcc_ok(tmp_path, source: str, *extra: str) -> None:
    path = tmp_path / "design.c"
    path.write_text(source)
    res = subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O2", *extra, "-c", str(path), "-o",
                          str(tmp_path / "design.o")], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr


# --------------------------------------------------------------------------------------------- refusals


def test_non_tail_recursion_is_refused_with_its_line():
    src = "\n\ndef Fib(n: int) -> int:\n    return n if n < 2 else Fib(n - 1) + Fib(n - 2)\n"
    err = refused(src, "method Fib(n: int) returns (r: int)")
    assert "non-tail recursion in Fib (line 4) cannot be synthesized" in str(err)
    assert err.line == 4


def test_recursion_under_a_non_associative_operator_is_refused():
    src = "def F(n: int) -> int:\n    return 0 if n == 0 else n - F(n - 1)\n"
    err = refused(src, "method F(n: int) returns (r: int)")
    assert "non-tail recursion in F" in str(err) and "non-associative" in str(err)


def test_mutual_recursion_is_refused():
    src = '''
def Even(n: int) -> bool:
    return True if n == 0 else Odd(n - 1)


def Odd(n: int) -> bool:
    return False if n == 0 else Even(n - 1)
'''
    err = refused(src, "method Even(n: int) returns (b: bool)")
    assert "mutual recursion" in str(err) and "Even -> Odd -> Even" in str(err)


@pytest.mark.parametrize("annotation,words", [
    ("frozenset[int]", "sets have no fixed-size hardware form"),
    ("dict[int, bool]", "maps have no fixed-size hardware form"),
    ("Counter[int]", "multisets"),
    ("float", "real numbers"),
])
def test_types_without_a_hardware_form(annotation, words):
    src = f"def F(x: {annotation}) -> int:\n    return 0\n"
    assert words in str(refused(src, "method F(x: int) returns (r: int)"))


def test_datatypes_and_printing_are_refused():
    src = '''from dataclasses import dataclass


@dataclass(frozen=True)
class Point:
    x: int


def F(p: Point) -> int:
    return 0
'''
    assert "datatype Point" in str(refused(src, "method F(p: int) returns (r: int)"))
    src = "def F(x: int) -> int:\n    print(x)\n    return x\n"
    assert "print" in str(refused(src, "method F(x: int) returns (r: int)"))


def test_unbounded_allocation_names_the_operation():
    src = "def F(n: int) -> list[int]:\n    a: list[int] = [0] * n\n    return a\n"
    err = refused(src, "method F(n: int) returns (a: array<int>)")
    assert err.construct == "new array of size `n`" and err.line == 2 and "cannot be bounded" in str(err)


def test_an_allocation_bounded_by_the_pinned_requires_compiles_at_that_capacity():
    from hls.hls_c.bounds import requires_bounds

    src = "def F(n: int) -> list[int]:\n    a: list[int] = [0] * n\n    return a\n"
    t = task_from_dict({"id": "t", "description": "d", "signature": "method F(n: int) returns (a: array<int>)",
                        "requires": ["0 <= n <= 12"]})
    program = compile_to_c(src, t)
    assert re.search(r"\[12\]", program.source), program.source  # the result buffer holds 12 elements
    t.requires = ["n <= 12 || n == 100"]  # not a form the analysis reads: still refused
    with pytest.raises(NotSynthesizable):
        compile_to_c(src, t)
    assert requires_bounds(["m.Length == rows * cols && 1 <= rows < 0x11", "k > -3", "9 >= j"]) == {
        "rows": (1, 16), "k": (-2, None), "j": (None, 9)}
    assert requires_bounds(["c || d && n <= 3", "forall i :: i in s ==> n <= 3", "!(n <= 3 && c)",
                            "b ==> n <= 3"]) == {}
    assert requires_bounds(["n <= 010 && -0x10 <= m"]) == {"n": (None, 10), "m": (-16, None)}


def test_sequence_grown_in_a_while_loop_is_refused():
    src = '''
def F(n: int) -> tuple[int, ...]:
    s: tuple[int, ...] = ()
    i: int = 0
    while i < n:
        s = s + (i,)
        i = i + 1
    return s
'''
    err = refused(src, "method F(n: int) returns (s: seq<int>)")
    assert err.construct == "sequence s" and "while loop" in str(err)


def test_task_and_module_must_agree():
    assert "has no function Other" in str(refused("def F(x: int) -> int:\n    return x\n",
                                                 "method Other(x: int) returns (r: int)"))
    assert "annotated" in str(refused("def F(x: list[int]) -> int:\n    return 0\n",
                                      "method F(x: int) returns (r: int)"))
    assert "returns 1 value" in str(refused("def F(x: int) -> int:\n    return x\n",
                                            "method F(x: int) returns (r: int, s: int)"))
    assert "int_width=24" in str(refused("def F(x: int) -> int:\n    return x\n",
                                         "method F(x: int) returns (r: int)", int_width=24))


def test_real_division_is_refused():
    err = refused("def F(x: int) -> int:\n    return x / 2\n", "method F(x: int) returns (r: int)")
    assert "real division" in str(err)


# --------------------------------------------------------------------------------------------- pragmas


NESTED = '''
def Sort(a: list[int]) -> None:
    i: int = len(a) - 1
    while i > 0:
        j: int = 0
        while j < i:
            if a[j] > a[j + 1]:
                a[j], a[j + 1] = a[j + 1], a[j]
            j = j + 1
        i = i - 1
'''


def _loop_pragmas(source: str) -> list[tuple[str, list[str]]]:
    """(loop header, pragmas right after it) for every loop in ``source``."""
    lines = source.splitlines()
    out = []
    for k, line in enumerate(lines):
        if re.match(r"\s*(while|for) ", line):
            got = []
            m = k + 1
            if m < len(lines) and lines[m] == "#ifndef P2S_PLAIN_C":
                m += 1
                while lines[m] != "#endif":
                    got.append(lines[m].strip())
                    m += 1
            out.append((line.strip(), got))
    return out


def test_pipeline_pragma_only_on_innermost_loops():
    prog = compile_to_c(NESTED, task("method Sort(a: array<int>)"))
    loops = _loop_pragmas(prog.source)
    assert loops[0] == ("while (i > 0) {", [])
    assert loops[1] == ("while (j < i) {", ["#pragma HLS PIPELINE II=1"])


def test_unroll_and_no_pipeline():
    prog = compile_to_c(NESTED, task("method Sort(a: array<int>)", unroll=4, pipeline=False))
    assert _loop_pragmas(prog.source)[1][1] == ["#pragma HLS UNROLL factor=4"]
    assert "PIPELINE" not in prog.source


def test_interface_pragmas_sit_in_the_guard():
    prog = compile_to_c(NESTED, task("method Sort(a: array<int>)"))
    body = prog.source.split("void Sort(", 1)[1]
    guard = body.split("#ifndef P2S_PLAIN_C\n", 1)[1].split("#endif", 1)[0]
    assert guard.splitlines() == ["#pragma HLS INTERFACE ap_memory port=a", "#pragma HLS INTERFACE ap_none port=a_len",
                                  "#pragma HLS INTERFACE ap_ctrl_hs port=return"]
    assert all(re.search(r"#ifndef P2S_PLAIN_C\n[^#]*#pragma", prog.source[m.start() - 200: m.end()])
               for m in re.finditer("#pragma HLS", prog.source))


@needs_gcc
def test_pragmas_are_hidden_from_gcc_and_well_placed_for_hls(tmp_path):
    prog = compile_to_c(NESTED, task("method Sort(a: array<int>)", unroll=2))
    gcc_ok(tmp_path, prog.source)
    # With the HLS macro the pragmas are real: gcc then warns about them (proof they are seen), and nothing else.
    path = tmp_path / "d.c"
    path.write_text(prog.source)
    res = subprocess.run(["gcc", "-std=c99", "-Wall", "-Wextra", "-DP2S_HLS", "-c", str(path), "-o",
                          str(tmp_path / "d.o")], capture_output=True, text=True, timeout=60)
    warnings = [ln for ln in res.stderr.splitlines() if "warning" in ln]
    assert warnings and all("unknown-pragmas" in w for w in warnings)


# --------------------------------------------------------------------------------------------- interface


MIXED = '''
def Split(a: list[int], k: int, flag: bool) -> tuple[list[int], int, bool]:
    b: list[int] = [0] * len(a)
    n: int = 0
    for i in range(len(a)):
        if a[i] < k:
            b[n] = a[i]
            n = n + 1
    return (b, n, not flag)
'''


def test_interface_follows_the_calling_convention(tmp_path):
    prog = compile_to_c(MIXED, task("method Split(a: array<int>, k: int, flag: bool) returns (b: array<int>, n: int, "
                                    "f: bool)", max_array_length=8))
    roles = [(p.name, p.role, p.c_type, p.depth) for p in prog.interface.ports]
    assert roles == [("a", "array", "int32_t", 8), ("a_len", "len", "int32_t", 0), ("k", "in", "int32_t", 0),
                     ("flag", "in", "bool", 0), ("b", "array_out", "int32_t", 8), ("b_len", "len", "int32_t", 0),
                     ("n", "out", "int32_t", 0), ("f", "out", "bool", 0)]
    assert prog.prototype == ("void Split(int32_t a[8], int32_t a_len, int32_t k, bool flag, int32_t b[8], "
                              "int32_t *b_len, int32_t *n, bool *f);")
    assert prog.interface.port("b_len").of == "b"
    path = tmp_path / "interface.json"
    prog.interface.save(path)
    again = HwInterface.load(path)
    assert again == prog.interface and again.return_port is None
    assert again.port("f").dafny_type == "bool"


def test_bitvector_ports_record_their_width():
    src = "bv5 = int\n\ndef F(x: bv5) -> bv5:\n    return (x + 1) & 0x1F\n"
    prog = compile_to_c(src, task("method F(x: bv5) returns (y: bv5)"))
    assert prog.interface.port("x").c_type == "uint8_t"
    assert prog.interface.notes["bv_bits"] == {"x": 5, "return": 5}
    assert prog.interface.return_port.dafny_name == "y"


@needs_gcc
def test_c_keywords_and_reserved_prefixes_are_renamed(tmp_path):
    src = '''
def double(auto: int, p2s_x: int) -> int:
    register: int = auto * 2
    char: int = register + p2s_x
    return char
'''
    prog = compile_to_c(src, task("method double(auto: int, p2s_x: int) returns (r: int)"))
    assert prog.top == "double_"
    assert "int32_t double_(int32_t auto_, int32_t u_p2s_x)" in prog.source
    assert [p.dafny_name for p in prog.interface.ports] == ["auto", "p2s_x", "r"]
    gcc_ok(tmp_path, prog.source)


@needs_gcc
def test_verilog_keywords_are_renamed_too(tmp_path):
    """The C names become the RTL's (a DafnyBench method `join` made a module Icarus could not parse)."""
    src = '''
def join(wire: int, input: int) -> int:
    reg: int = wire + input
    return reg
'''
    prog = compile_to_c(src, task("method join(wire: int, input: int) returns (r: int)"))
    assert prog.top == "join_"
    assert "int32_t join_(int32_t wire_, int32_t input_)" in prog.source and "reg_" in prog.source
    assert [p.dafny_name for p in prog.interface.ports] == ["wire", "input", "r"]
    gcc_ok(tmp_path, prog.source)


def test_output_is_deterministic():
    t = task("method Split(a: array<int>, k: int, flag: bool) returns (b: array<int>, n: int, f: bool)")
    assert compile_to_c(MIXED, t).source == compile_to_c(MIXED, t).source


# --------------------------------------------------------------------------------------------- the C subset


STUB_HEADERS = {
    "stdint.h": "typedef signed char int8_t; typedef short int16_t; typedef int int32_t; typedef long long int64_t;\n"
                "typedef unsigned char uint8_t; typedef unsigned short uint16_t; typedef unsigned int uint32_t;\n"
                "typedef unsigned long long uint64_t;\n",
    "stdbool.h": "typedef _Bool bool;\n#define true 1\n#define false 0\n",
}

SUBSET_PROGRAMS = [
    (MIXED, "method Split(a: array<int>, k: int, flag: bool) returns (b: array<int>, n: int, f: bool)"),
    (NESTED, "method Sort(a: array<int>)"),
    ('''
def _dafny_div(a: int, b: int) -> int:
    return a // b if b > 0 else -(a // -b)


def Sum(a: tuple[int, ...], i: int) -> int:
    return 0 if i >= len(a) else _dafny_div(a[i], 2) + Sum(a, i + 1)


def Top(a: tuple[int, ...], m: list[list[int]]) -> tuple[int, tuple[int, ...]]:
    s: int = Sum(a, 0) + m[0][0]
    return (s, a[1:] + (s,))
''', "method Top(a: seq<int>, m: array2<int>) returns (s: int, t: seq<int>)"),
]


@needs_gcc
@pytest.mark.parametrize("src,signature", SUBSET_PROGRAMS)
def test_generated_c_parses_with_pycparser(tmp_path, src, signature):
    """The HLS side parses this C with pycparser: after preprocessing, only the documented constructs appear."""
    from pycparser import c_ast, c_parser

    prog = compile_to_c(src, task(signature))
    inc = tmp_path / "inc"
    inc.mkdir()
    for name, text in STUB_HEADERS.items():
        (inc / name).write_text(text)
    path = tmp_path / "d.c"
    path.write_text(prog.source)
    pre = subprocess.run(["gcc", "-E", "-P", "-nostdinc", "-I", str(inc), "-DP2S_HLS", str(path)],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    ast = c_parser.CParser().parse(pre)
    allowed = {
        "FileAST", "Typedef", "TypeDecl", "IdentifierType", "FuncDef", "Decl", "FuncDecl", "ParamList", "ArrayDecl",
        "PtrDecl", "Compound", "Constant", "ID", "Assignment", "BinaryOp", "UnaryOp", "TernaryOp", "Cast", "Typename",
        "ArrayRef", "FuncCall", "ExprList", "If", "While", "For", "Break", "Continue", "Return", "Pragma", "InitList",
    }
    seen = set()

    class V(c_ast.NodeVisitor):
        def generic_visit(self, node):
            seen.add(type(node).__name__)
            if isinstance(node, c_ast.UnaryOp):
                assert node.op in ("-", "!", "~", "*", "&"), node.op
            for _, child in node.children():
                self.visit(child)

    V().visit(ast)
    assert seen <= allowed, seen - allowed
    assert "Pragma" in seen


@pytest.mark.parametrize("src,signature", SUBSET_PROGRAMS)
def test_hls_front_end_reads_the_generated_c(src, signature):
    """Integration with the HLS C front end (``hls.cfront``)."""
    prog = compile_to_c(src, task(signature))
    parsed = cfront.parse_c(prog.source)
    assert prog.top in parsed.functions
    assert any("HLS INTERFACE" in p for p in parsed.pragmas)
