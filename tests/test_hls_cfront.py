"""The C front end of the open flow: preprocessing, types, literals, signatures, and refusals with lines."""

from __future__ import annotations

import pytest

from hls.c_to_mlir import c_to_mlir
from hls.cfront import CSubsetError, parse_int_literal, preprocess, top_signature

GENERATED_STYLE = """\
#include <stdint.h>
#include <stdbool.h>
#if defined(__SYNTHESIS__) && !defined(P2S_HLS)
#define P2S_HLS 1
#endif
#define N 16
int32_t f(int32_t a[N], int32_t a_len, bool *flag) {
#ifdef P2S_HLS
#pragma HLS INTERFACE ap_memory port=a
#else
    this line is not C and must be skipped
#endif
    // a comment with #pragma inside
    /* and a block comment
       over two lines */
    *flag = a_len > 0;
    return a[0];
}
"""


def test_preprocess_keeps_lines_and_records_active_pragmas():
    text, pragmas = preprocess(GENERATED_STYLE)
    assert pragmas == ["#pragma HLS INTERFACE ap_memory port=a"]
    assert "not C" not in text
    assert "a[(16)]" in text
    body = text.split("\n")
    assert len(body) == GENERATED_STYLE.count("\n") + 1  # the prelude is on the first line


def test_preprocess_without_p2s_hls_takes_the_else_branch():
    text, pragmas = preprocess(GENERATED_STYLE, predefined={})
    assert pragmas == []
    assert "this line is not C" in text


def test_signature_of_generated_style_c():
    sig = top_signature(GENERATED_STYLE, "f")
    assert [(p.name, p.kind, p.dims) for p in sig.params] == [("a", "array", [16]), ("a_len", "scalar", []),
                                                              ("flag", "pointer", [])]
    assert sig.returns is not None and sig.returns.width == 32 and sig.returns.signed
    assert sig.params[2].ctype.is_bool


@pytest.mark.parametrize("text,value,ctype", [
    ("7", 7, "int32_t"), ("4294967295", 4294967295, "int64_t"), ("0xFFFFFFFF", 4294967295, "uint32_t"),
    ("10u", 10, "uint32_t"), ("5LL", 5, "int64_t"), ("017", 15, "int32_t"), ("0x7f", 127, "int32_t"),
])
def test_integer_literals_get_c_types(text, value, ctype):
    v, t = parse_int_literal(text)
    assert (v, str(t)) == (value, ctype)


@pytest.mark.parametrize("source,construct,line", [
    ("int32_t f(int32_t x) { switch (x) { default: return 1; } }", "switch", 1),
    ("int32_t g;\nint32_t f(int32_t x) { return x; }", "Decl", 1),
    ("int32_t f(int32_t x) {\n  return f(x - 1);\n}", "call to 'f'", 2),
    ("#define SQ(x) ((x)*(x))\nint32_t f(int32_t x) { return x; }", "#define", 1),
    ("int32_t f(int32_t x) {\n  float y = 1;\n  return x;\n}", "type 'float'", 2),
    ("int32_t f(int32_t x) {\n  return undefined_name + x;\n}", "identifier 'undefined_name'", 2),
    ("int32_t f(int32_t x) {\n  int32_t y = 1\n  return x;\n}", "syntax", 3),
    ("int32_t f(int32_t x) {\n  return printf(x);\n}", "call to 'printf'", 2),
])
def test_unsupported_c_is_refused_with_construct_and_line(source, construct, line):
    with pytest.raises(CSubsetError) as info:
        c_to_mlir(source, "f")
    assert info.value.construct.startswith(construct)
    assert info.value.line == line
    assert "(C line" in str(info.value)


def test_unknown_top_lists_the_functions():
    with pytest.raises(CSubsetError, match="functions: f"):
        c_to_mlir("int32_t f(int32_t x) { return x; }", "g")
