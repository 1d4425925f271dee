"""Print syntax-tree expressions back as Dafny text (the inverse of :mod:`verifiers.front.parser` on
expressions).

The printer reproduces the source's own grouping: the parser keeps every parenthesis as a
:class:`~verifiers.front.ast.Paren` node, so printing each node in its source form, without adding or
dropping parentheses, gives text that parses back to the same tree. A caller that embeds the printed text in a
larger expression wraps it in parentheses itself (``expr(e, wrap=True)``). Used by the fixed-width proof
(:mod:`verifiers.width_proof`), which writes range assertions about the program's own expressions.
"""

from __future__ import annotations

from verifiers.front import ast as A
from verifiers.front.errors import UnsupportedConstruct

_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\0": "\\0", "\\": "\\\\"}


def expr(e: A.Expr, wrap: bool = False) -> str:
    """Dafny text of ``e``; ``wrap`` puts it in parentheses unless it is a single atom.

    Raises:
        UnsupportedConstruct: a node this printer has no Dafny form for (a statement-expression other than a
            simple ``assert``, ``reveal`` or ``calc``).
    """
    text = _Printer().expr(e)
    if wrap and not _is_atom(e):
        return f"({text})"
    return text


def type_text(t: A.Type) -> str:
    """Dafny text of a type (``array?<int>``, ``(int, bool)``, ``int -> int``)."""
    return str(t)


def pattern(p: A.Pattern) -> str:
    """Dafny text of a case pattern."""
    return _Printer().pattern(p)


def _is_atom(e: A.Expr) -> bool:
    if isinstance(e, A.Literal):
        return not (e.kind in ("int", "real") and str(e.value).startswith("-"))
    return isinstance(e, (A.Name, A.Paren, A.Card, A.TupleExpr, A.SeqDisplay, A.SetDisplay, A.MapDisplay,
                          A.This, A.Old, A.MultisetDisplay, A.MultisetOf, A.SeqInit)) or (
        isinstance(e, (A.Call, A.Member, A.Index, A.Slice, A.UpdateExpr)) and _is_suffix_base(e))


def _is_suffix_base(e: A.Expr) -> bool:
    """A suffix expression whose base is itself an atom (``a[i]``, ``f(x).0``)."""
    base = e.callee if isinstance(e, A.Call) else e.obj  # type: ignore[attr-defined]
    return _is_atom(base)


class _Printer:
    def expr(self, e: A.Expr) -> str:
        meth = getattr(self, "e_" + type(e).__name__, None)
        if meth is None:
            raise UnsupportedConstruct(f"printing {type(e).__name__}", e.line)
        return meth(e)

    def exprs(self, items: list[A.Expr]) -> str:
        return ", ".join(self.expr(i) for i in items)

    # ------------------------------------------------------------------------------------------ atoms

    def e_Literal(self, e: A.Literal) -> str:
        if e.kind == "int":
            return str(e.value)
        if e.kind == "real":
            return str(e.value)
        if e.kind == "bool":
            return "true" if e.value else "false"
        if e.kind == "char":
            return "'" + _escape(str(e.value), "'") + "'"
        if e.kind == "string":
            return '"' + _escape(str(e.value), '"') + '"'
        return "null"

    def e_Name(self, e: A.Name) -> str:
        return e.name + _type_args(e.type_args)

    def e_This(self, e: A.This) -> str:
        return "this"

    def e_Paren(self, e: A.Paren) -> str:
        return f"({self.expr(e.inner)})"

    def e_Card(self, e: A.Card) -> str:
        return f"|{self.expr(e.operand)}|"

    def e_TupleExpr(self, e: A.TupleExpr) -> str:
        return f"({self.exprs(e.items)})"

    def e_SeqDisplay(self, e: A.SeqDisplay) -> str:
        return f"[{self.exprs(e.items)}]"

    def e_SetDisplay(self, e: A.SetDisplay) -> str:
        return "{" + self.exprs(e.items) + "}"

    def e_MultisetDisplay(self, e: A.MultisetDisplay) -> str:
        return "multiset{" + self.exprs(e.items) + "}"

    def e_MultisetOf(self, e: A.MultisetOf) -> str:
        return f"multiset({self.expr(e.operand)})"

    def e_MapDisplay(self, e: A.MapDisplay) -> str:
        return "map[" + ", ".join(f"{self.expr(k)} := {self.expr(v)}" for k, v in e.items) + "]"

    def e_SeqInit(self, e: A.SeqInit) -> str:
        return f"seq({self.expr(e.length)}, {self.expr(e.init)})"

    def e_Old(self, e: A.Old) -> str:
        return f"{e.kind}({self.expr(e.operand)})"

    # ------------------------------------------------------------------------------------------ operators

    def e_Unary(self, e: A.Unary) -> str:
        inner = self.expr(e.operand)
        if inner.startswith(e.op):
            return f"{e.op} {inner}"  # `- -x`, not the `--` of another language
        return e.op + inner

    def e_Binary(self, e: A.Binary) -> str:
        return f"{self.expr(e.left)} {e.op} {self.expr(e.right)}"

    def e_Chain(self, e: A.Chain) -> str:
        parts = [self.expr(e.operands[0])]
        for op, o in zip(e.ops, e.operands[1:], strict=True):
            parts.append(f"{op} {self.expr(o)}")
        return " ".join(parts)

    def e_Ite(self, e: A.Ite) -> str:
        return f"if {self.expr(e.cond)} then {self.expr(e.then)} else {self.expr(e.else_)}"

    def e_Conversion(self, e: A.Conversion) -> str:
        return f"{self.expr(e.operand)} as {type_text(e.target)}"

    def e_TypeTest(self, e: A.TypeTest) -> str:
        return f"{self.expr(e.operand)} is {type_text(e.target)}"

    # ------------------------------------------------------------------------------------------ suffixes

    def e_Call(self, e: A.Call) -> str:
        return f"{self.expr(e.callee)}({self.exprs(e.args)})"

    def e_Member(self, e: A.Member) -> str:
        return f"{self.expr(e.obj)}.{e.name}{_type_args(e.type_args)}"

    def e_Index(self, e: A.Index) -> str:
        return f"{self.expr(e.obj)}[{self.exprs(e.indices)}]"

    def e_Slice(self, e: A.Slice) -> str:
        lo = self.expr(e.lo) if e.lo is not None else ""
        hi = self.expr(e.hi) if e.hi is not None else ""
        return f"{self.expr(e.obj)}[{lo}..{hi}]"

    def e_UpdateExpr(self, e: A.UpdateExpr) -> str:
        return f"{self.expr(e.obj)}[{self.expr(e.key)} := {self.expr(e.value)}]"

    # ------------------------------------------------------------------------------------------ binders

    def bound(self, vs: list[A.BoundVar]) -> str:
        return ", ".join(v.name + (f": {type_text(v.type)}" if v.type is not None else "") for v in vs)

    def attrs(self, attrs: list[A.Attribute]) -> str:
        out = []
        for a in attrs:
            args = (" " + self.exprs(a.args)) if a.args else ""
            out.append("{:" + a.name + args + "}")
        return (" " + " ".join(out)) if out else ""

    def e_Quantifier(self, e: A.Quantifier) -> str:
        rng = f" | {self.expr(e.range)}" if e.range is not None else ""
        return f"{e.kind} {self.bound(e.vars)}{self.attrs(e.attributes)}{rng} :: {self.expr(e.body)}"

    def e_SetComp(self, e: A.SetComp) -> str:
        term = f" :: {self.expr(e.term)}" if e.term is not None else ""
        return f"set {self.bound(e.vars)}{self.attrs(e.attributes)} | {self.expr(e.range)}{term}"

    def e_MapComp(self, e: A.MapComp) -> str:
        key = f"{self.expr(e.key)} := " if e.key is not None else ""
        return f"map {self.bound(e.vars)}{self.attrs(e.attributes)} | {self.expr(e.range)} :: {key}{self.expr(e.value)}"

    def e_Lambda(self, e: A.Lambda) -> str:
        specs = "".join(f" requires {self.expr(r)}" for r in e.requires)
        specs += "".join(f" reads {self.expr(r)}" for r in e.reads)
        return f"({self.bound(e.params)}){specs} => {self.expr(e.body)}"

    def e_Let(self, e: A.Let) -> str:
        if e.pattern is not None:
            head = self.pattern(e.pattern)
        else:
            head = self.bound(e.vars)
        op = ":|" if e.such_that else ":="
        return f"var {head} {op} {self.exprs(e.rhss)}; {self.expr(e.body)}"

    def e_MatchExpr(self, e: A.MatchExpr) -> str:
        cases = " ".join(f"case {self.pattern(c.pattern)} => {self.expr(c.body)}" for c in e.cases)  # type: ignore[arg-type]
        return f"match {self.expr(e.scrutinee)} {cases}"

    def e_StmtExpr(self, e: A.StmtExpr) -> str:
        s = e.stmt
        if isinstance(s, A.GhostStmt) and s.kind in ("assert", "assume", "expect") and s.exprs:
            return f"{s.kind} {self.exprs(s.exprs)}; {self.expr(e.body)}"
        if isinstance(s, A.GhostStmt) and s.kind == "calc" and s.text:
            return f"{s.text} {self.expr(e.body)}"
        raise UnsupportedConstruct("printing a statement inside an expression", e.line)

    # ------------------------------------------------------------------------------------------ patterns

    def pattern(self, p: A.Pattern) -> str:
        if p.literal is not None:
            return self.expr(p.literal)
        if p.var is not None:
            return p.var.name + (f": {type_text(p.var.type)}" if p.var.type is not None else "")
        args = ", ".join(self.pattern(a) for a in p.args)
        if p.ctor == "tuple":
            return f"({args})"
        return f"{p.ctor}({args})" if p.args else str(p.ctor)


def _type_args(types: list[A.Type]) -> str:
    return ("<" + ", ".join(type_text(t) for t in types) + ">") if types else ""


def _escape(text: str, quote: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch == quote:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)
