"""IR → C99 text in the subset listed in the package docstring.

Locals are declared at the top of each function (scalars initialised to 0/false), expressions are fully
parenthesised, conversions between C types are explicit casts, and names that are never read get a
``(void)x;`` so that ``gcc -Wall -Wextra -Werror`` accepts every generated file. HLS pragmas sit inside
``#ifndef P2S_PLAIN_C`` blocks: gcc's ``-Wall`` rejects unknown pragmas, and ``P2S_PLAIN_C`` is defined
unless ``__SYNTHESIS__`` (Vitis/Vivado HLS) or ``P2S_HLS`` (any other tool, ``-DP2S_HLS``) is. Only
``#ifndef``/``#define``/``#endif`` are used, so a minimal preprocessor handles the file.
"""

from __future__ import annotations

import re

from hls.hls_c import ir
from hls.hls_c.ctype import Arr2T, ArrT, BoolT, CType, IntT, VoidT

PRAGMA_GUARD = """/* HLS directives: an HLS tool sees them, a plain C compiler skips them (gcc -Wall rejects unknown
   pragmas). Vitis/Vivado HLS define __SYNTHESIS__; other HLS tools may pass -DP2S_HLS. */
#ifndef __SYNTHESIS__
#ifndef P2S_HLS
#define P2S_PLAIN_C
#endif
#endif"""


def c_type(t: CType) -> str:
    if isinstance(t, (IntT, BoolT)):
        return t.c_name
    if isinstance(t, VoidT):
        return "void"
    raise TypeError(f"no scalar C type for {t}")


def const_text(value: int | bool, t: CType) -> str:
    if isinstance(value, bool) or isinstance(t, BoolT):
        return "true" if value else "false"
    v = int(value)
    if isinstance(t, IntT) and not t.signed:
        if v < 0:
            v &= (1 << t.width) - 1
        return f"{v}ull" if v > 0xFFFFFFFF else f"{v}u"
    if v == -(1 << 63):
        return "(-9223372036854775807LL - 1LL)"
    if v == -(1 << 31):
        return "(-2147483647 - 1)"
    suffix = "LL" if not -(1 << 31) <= v < (1 << 31) else ""
    return f"({v}{suffix})" if v < 0 else f"{v}{suffix}"


# --------------------------------------------------------------------------------------------- runtime helpers


def helper_source(name: str) -> str:
    """C text of one ``p2s_`` runtime helper (Euclidean/floor division, guarded shifts)."""
    m = re.fullmatch(r"p2s_(div|mod|fdiv|fmod)_i(\d+)", name)
    if m:
        kind, w = m.group(1), int(m.group(2))
        t = f"int{w}_t"
        if kind == "div":
            doc = "Dafny's Euclidean division (C truncates toward zero)"
            body = (f"    {t} q = ({t})(a / b);\n    {t} r = ({t})(a % b);\n"
                    "    if (r < 0) {\n        if (b > 0) {\n"
                    f"            q = ({t})(q - 1);\n        }} else {{\n"
                    f"            q = ({t})(q + 1);\n        }}\n    }}\n"
                    "    return q;\n")
        elif kind == "mod":
            doc = "Dafny's Euclidean modulo: always in [0, |b|)"
            body = (f"    {t} r = ({t})(a % b);\n    if (r < 0) {{\n        if (b > 0) {{\n"
                    f"            r = ({t})(r + b);\n        }} else {{\n"
                    f"            r = ({t})(r - b);\n        }}\n    }}\n"
                    "    return r;\n")
        elif kind == "fdiv":
            doc = "Python's floor division //"
            body = (f"    {t} q = ({t})(a / b);\n    {t} r = ({t})(a % b);\n"
                    f"    if ((r != 0) && ((r < 0) != (b < 0))) {{\n        q = ({t})(q - 1);\n    }}\n    return q;\n")
        else:
            doc = "Python's floor modulo %: the sign of the divisor"
            body = (f"    {t} r = ({t})(a % b);\n"
                    f"    if ((r != 0) && ((r < 0) != (b < 0))) {{\n        r = ({t})(r + b);\n    }}\n    return r;\n")
        return f"/* {doc} */\nstatic inline {t} {name}({t} a, {t} b) {{\n{body}}}\n"
    m = re.fullmatch(r"p2s_(shl|shr)_u(\d+)", name)
    if m:
        kind, w = m.group(1), int(m.group(2))
        t = f"uint{w}_t"
        op = "<<" if kind == "shl" else ">>"
        return (f"/* bit-vector shift: a shift by the width or more gives 0 (in C it is undefined) */\n"
                f"static inline {t} {name}({t} a, uint32_t s) {{\n"
                f"    return (s >= {w}u) ? (({t})0) : (({t})(a {op} s));\n}}\n")
    raise KeyError(name)


# --------------------------------------------------------------------------------------------- writer


class FunctionWriter:
    """Renders one function, recording which names are read so unused ones get a ``(void)``."""

    def __init__(self, fn: ir.Function) -> None:
        self.fn = fn
        self.reads: set[str] = set()
        self.mentions: set[str] = set()
        self.lines: list[str] = []

    # ------------------------------------------------------------------------------------- expressions

    def read(self, name: str) -> str:
        self.reads.add(name)
        self.mentions.add(name)
        return name

    def len_name(self, sym: ir.Sym, dim: int) -> str:
        if isinstance(sym.type, Arr2T):
            return sym.rows_name if dim == 0 else sym.cols_name
        return sym.len_name

    def expr(self, e: object) -> str:
        if isinstance(e, ir.Const):
            return const_text(e.value, e.t)
        if isinstance(e, ir.Ref):
            return self.read(e.sym.name)
        if isinstance(e, ir.Deref):
            return f"(*{self.read(e.sym.name)})"
        if isinstance(e, ir.Len):
            if e.sym.role == "out":
                raise AssertionError("result lengths are never read")
            return self.read(self.len_name(e.sym, e.dim))
        if isinstance(e, ir.Load):
            idx = "".join(f"[{self.expr(i)}]" for i in e.index)
            return f"{self.read(e.sym.buffer)}{idx}"
        if isinstance(e, ir.Bin):
            return f"({self.expr(e.left)} {e.op} {self.expr(e.right)})"
        if isinstance(e, ir.Un):
            return f"({e.op}{self.expr(e.operand)})"
        if isinstance(e, ir.Cond):
            return f"({self.expr(e.cond)} ? {self.expr(e.then)} : {self.expr(e.other)})"
        if isinstance(e, ir.Cast):
            return f"(({c_type(e.t)}){self.expr(e.expr)})"
        if isinstance(e, ir.Call):
            return f"{e.func}({', '.join(self.arg(a) for a in e.args)})"
        raise TypeError(f"cannot render {e!r}")

    def arg(self, a: object) -> str:
        if isinstance(a, ir.ArrArg):
            s = a.sym
            names = [s.buffer] + ([s.rows_name, s.cols_name] if isinstance(s.type, Arr2T) else [s.len_name])
            return ", ".join(self.read(n) for n in names)
        if isinstance(a, ir.OutArg):
            s = a.sym
            ptr = s.role == "out"
            self.mentions.add(s.name)
            if not s.is_array:
                if ptr:
                    self.reads.add(s.name)
                return s.name if ptr else f"&{s.name}"
            lens = [s.rows_name, s.cols_name] if isinstance(s.type, Arr2T) else [s.len_name]
            self.mentions.update(lens)
            self.mentions.add(s.buffer)
            if ptr:
                self.reads.update([s.name, *lens])
            else:
                self.reads.add(s.buffer)
            return ", ".join([s.buffer] + [n if ptr else f"&{n}" for n in lens])
        return self.expr(a)

    def target(self, t: ir.Expr) -> str:
        if isinstance(t, ir.Ref):
            self.mentions.add(t.sym.name)
            return t.sym.name
        if isinstance(t, ir.Deref):
            self.read(t.sym.name)
            return f"*{t.sym.name}"
        if isinstance(t, ir.Load):
            idx = "".join(f"[{self.expr(i)}]" for i in t.index)
            self.mentions.add(t.sym.buffer)
            if t.sym.role in ("param", "out") or t.sym.storage is not None:
                self.reads.add(t.sym.buffer)  # a store into an argument (or a result buffer) is its use
            return f"{t.sym.buffer}{idx}"
        raise TypeError(f"cannot assign to {t!r}")

    # ------------------------------------------------------------------------------------- statements

    def line(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def pragmas(self, depth: int, pragmas: list[str]) -> None:
        if pragmas:
            self.lines.append("#ifndef P2S_PLAIN_C")
            for p in pragmas:
                self.line(depth, f"#pragma HLS {p}")
            self.lines.append("#endif")

    def stmts(self, stmts: list[ir.Stmt], depth: int) -> None:
        for s in stmts:
            self.stmt(s, depth)

    def stmt(self, s: ir.Stmt, d: int) -> None:
        if isinstance(s, ir.Assign):
            value = self.expr(s.value)
            self.line(d, f"{self.target(s.target)} = {value};")
        elif isinstance(s, ir.SetLen):
            sym = s.sym
            name = {0: sym.len_name, 1: sym.rows_name, 2: sym.cols_name}[s.dim]
            value = self.expr(s.value)
            self.mentions.add(name)
            if s.out:
                self.reads.add(name)
                self.line(d, f"*{name} = {value};")
            else:
                self.line(d, f"{name} = {value};")
        elif isinstance(s, ir.ExprStmt):
            self.line(d, f"{self.expr(s.expr)};")
        elif isinstance(s, ir.If):
            self.line(d, f"if {self.cond(s.cond)} {{")
            self.stmts(s.then, d + 1)
            if s.other:
                self.line(d, "} else {")
                self.stmts(s.other, d + 1)
            self.line(d, "}")
        elif isinstance(s, ir.While):
            self.line(d, f"while {self.cond(s.cond)} {{")
            self.pragmas(d + 1, s.pragmas)
            self.stmts(s.body, d + 1)
            self.line(d, "}")
        elif isinstance(s, ir.For):
            v = s.var.name
            self.mentions.add(v)
            self.reads.add(v)
            lo, hi = self.expr(s.lo), self.expr(s.hi)
            cmp = "<" if s.step > 0 else ">"
            step = f"{v} = {v} + {s.step}" if s.step > 0 else f"{v} = {v} - {-s.step}"
            self.line(d, f"for ({v} = {lo}; {v} {cmp} {hi}; {step}) {{")
            self.pragmas(d + 1, s.pragmas)
            self.stmts(s.body, d + 1)
            self.line(d, "}")
        elif isinstance(s, ir.Break):
            self.line(d, "break;")
        elif isinstance(s, ir.Continue):
            self.line(d, "continue;")
        elif isinstance(s, ir.Return):
            self.line(d, "return;" if s.value is None else f"return {self.expr(s.value)};")
        elif isinstance(s, ir.Comment):
            self.line(d, f"/* {s.text} */")
        else:
            raise TypeError(f"cannot render {s!r} (should have been lowered)")

    def cond(self, e: ir.Expr) -> str:
        text = self.expr(e)
        return text if text.startswith("(") and _balanced_outer(text) else f"({text})"

    # ------------------------------------------------------------------------------------- function

    def signature(self) -> str:
        fn = self.fn
        parts: list[str] = []
        for p in fn.params:
            parts.extend(param_decls(p))
        for o in fn.outs:
            parts.extend(out_decls(o))
        ret = c_type(fn.ret) if not isinstance(fn.ret, VoidT) else "void"
        return f"{ret} {fn.name}({', '.join(parts) or 'void'})"

    def render(self) -> str:
        fn = self.fn
        self.stmts(fn.body, 1)
        body = self.lines
        decls: list[str] = []
        voids: list[str] = []
        for s in _unique(fn.locals):
            names = _names(s)
            if not any(n in self.mentions for n in names):
                continue
            decls.extend(local_decls(s))
            voids.extend(n for n in names if n not in self.reads)
        for p in fn.params + fn.outs:
            voids.extend(n for n in _names(p) if n not in self.reads)
        head = [self.signature() + " {"]
        if fn.interface_pragmas:
            head.append("#ifndef P2S_PLAIN_C")
            head.extend(f"#pragma HLS {p}" for p in fn.interface_pragmas)
            head.append("#endif")
        head.extend(f"    {d}" for d in decls)
        head.extend(f"    (void){n};" for n in voids)
        return "\n".join(head + body + ["}"]) + "\n"


def _balanced_outer(text: str) -> bool:
    """Whether the first '(' of ``text`` closes at its last character."""
    depth = 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0 and i != len(text) - 1:
                return False
    return True


def _unique(syms: list[ir.Sym]) -> list[ir.Sym]:
    seen: set[int] = set()
    out = []
    for s in syms:
        if id(s) not in seen:
            seen.add(id(s))
            out.append(s)
    return out


def _names(s: ir.Sym) -> list[str]:
    if s.storage is not None:
        return [s.len_name]
    if isinstance(s.type, Arr2T):
        return [s.name, s.rows_name, s.cols_name]
    if isinstance(s.type, ArrT):
        return [s.name, s.len_name]
    return [s.name]


def dims_text(s: ir.Sym) -> str:
    if isinstance(s.type, Arr2T):
        return f"[{max(s.bound, 1)}][{max(s.cols, 1)}]"
    return f"[{max(s.bound, 1)}]"


def param_decls(p: ir.Sym) -> list[str]:
    if isinstance(p.type, Arr2T):
        return [f"{c_type(p.type.elem)} {p.name}{dims_text(p)}", f"int32_t {p.rows_name}", f"int32_t {p.cols_name}"]
    if isinstance(p.type, ArrT):
        return [f"{c_type(p.type.elem)} {p.name}{dims_text(p)}", f"int32_t {p.len_name}"]
    return [f"{c_type(p.type)} {p.name}"]


def out_decls(o: ir.Sym) -> list[str]:
    if isinstance(o.type, Arr2T):
        return [f"{c_type(o.type.elem)} {o.name}{dims_text(o)}", f"int32_t *{o.rows_name}", f"int32_t *{o.cols_name}"]
    if isinstance(o.type, ArrT):
        return [f"{c_type(o.type.elem)} {o.name}{dims_text(o)}", f"int32_t *{o.len_name}"]
    return [f"{c_type(o.type)} *{o.name}"]


def local_decls(s: ir.Sym) -> list[str]:
    if s.storage is not None:  # lives in a result buffer: only its length is local
        return [f"int32_t {s.len_name} = 0;"]
    if isinstance(s.type, Arr2T):
        return [f"{c_type(s.type.elem)} {s.name}{dims_text(s)};", f"int32_t {s.rows_name} = 0;",
                f"int32_t {s.cols_name} = 0;"]
    if isinstance(s.type, ArrT):
        return [f"{c_type(s.type.elem)} {s.name}{dims_text(s)};", f"int32_t {s.len_name} = 0;"]
    init = "false" if isinstance(s.type, BoolT) else "0"
    return [f"{c_type(s.type)} {s.name} = {init};"]


def render_program(prog: ir.Program, banner: str) -> str:
    """The whole C file: banner, includes, pragma guard, helpers, functions (callees first)."""
    parts = [banner.rstrip(), "#include <stdint.h>\n#include <stdbool.h>", PRAGMA_GUARD]
    for name in sorted(prog.helpers):
        parts.append(helper_source(name).rstrip())
    for fn in prog.functions:
        parts.append(FunctionWriter(fn).render().rstrip())
    return "\n\n".join(parts) + "\n"


def prototype(fn: ir.Function) -> str:
    return FunctionWriter(fn).signature() + ";"
