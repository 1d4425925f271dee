"""Python emitter: a checked Dafny program -> the text of one readable Python 3.11 module.

The module follows the contract in DESIGN.md ("The Python reference model"): one annotated ``def`` per compiled
method or function (Dafny names kept), locals annotated where they are first assigned, Euclidean ``/`` and ``%``
through ``_dafny_div``/``_dafny_mod``, bit-vector arithmetic masked inline, arrays as lists, sequences as tuples
(``seq<char>`` as ``str``), sets as ``_Set`` (a frozenset that keeps Dafny's runtime order), multisets as
``Counter``, maps as ``dict``, datatypes as frozen dataclasses, ``Main`` as the ``__main__`` entry point.
Whatever it cannot translate faithfully raises :class:`~verifiers.front.errors.UnsupportedConstruct`.
"""

from __future__ import annotations

import json

from hls.dafny_python import runtime
from hls.dafny_python.bounds import Domain, conjuncts, find_domain, forall_antecedent, implied
from verifiers.front import ast as A
from verifiers.front.checker import Checker, CtorRef, MethodInfo, Var, decl_label, py_name
from verifiers.front.errors import UnsupportedConstruct
from verifiers.front.walk import walk

# Python precedences, low to high
LAMBDA, IFEXP, OR, AND, NOT, CMP, BOR, BXOR, BAND, SHIFT, ADD, MUL, UNARY, POW, ATOM = range(1, 16)

INDENT = "    "


def py_str(s: str) -> str:
    """A Python string literal for ``s`` (double quotes, escapes only where needed)."""
    return json.dumps(s, ensure_ascii=False)


def _mask(width: int) -> str:
    return f"0x{(1 << width) - 1:X}"


def _wrap(code: tuple[str, int], prec: int) -> str:
    text, p = code
    return text if p >= prec else f"({text})"


class Emitter:
    """Emits one checked program; use :func:`emit_module`."""

    def __init__(self, checker: Checker, source_name: str = "") -> None:
        self.c = checker
        self.source_name = source_name
        self.helpers: set[str] = set()
        self.imports: set[str] = set()
        self.aliases: dict[str, str] = {}
        self.typevars: set[str] = set()
        self.uses_print = False
        self.lines: list[str] = []
        self.loops: list[set[str]] = []  # labels of the enclosing loops (innermost last)
        self.temp_count = 0
        self.mi: MethodInfo | None = None

    # ------------------------------------------------------------------------------------------ plumbing

    def helper(self, name: str) -> str:
        self.helpers.add(name)
        return name

    def out(self, depth: int, text: str) -> None:
        self.lines.append(INDENT * depth + text)

    def temp(self, stem: str) -> str:
        self.temp_count += 1
        return f"_{stem}{self.temp_count}"

    # ------------------------------------------------------------------------------------------ annotations

    def ann(self, t: A.Type) -> str:
        """The Python annotation for a written Dafny type."""
        n = t.name
        if n in ("int", "bool"):
            return n
        if n == "nat":
            self.aliases["nat"] = "int"
            return "nat"
        if n == "char":  # a named alias, so that the C compiler can tell a character from a string
            self.aliases["char"] = "str"
            return "char"
        if n == "string":
            return "str"
        if n == "real":
            self.helper("_Real")
            return "_Real"
        if t.bv_width is not None:
            self.aliases[n] = "int"
            return n
        if n == "seq":
            if self.c.norm(t.args[0]).name == "char":
                return "str"
            return f"tuple[{self.ann(t.args[0])}, ...]"
        if n == "set":
            return f"frozenset[{self.ann(t.args[0])}]"
        if n == "multiset":
            self.imports.add("from collections import Counter")
            return f"Counter[{self.ann(t.args[0])}]"
        if n == "map":
            return f"dict[{self.ann(t.args[0])}, {self.ann(t.args[1])}]"
        if t.array_dims:
            inner = self.ann(t.args[0])
            for _ in range(t.array_dims):
                inner = f"list[{inner}]"
            return inner
        if n == "tuple":
            if not t.args:
                return "tuple[()]"
            return "tuple[" + ", ".join(self.ann(a) for a in t.args) + "]"
        if n in ("->", "-->", "~>"):
            self.imports.add("from collections.abc import Callable")
            return "Callable[[" + ", ".join(self.ann(a) for a in t.args[:-1]) + "], " + self.ann(t.args[-1]) + "]"
        if n.startswith("'"):  # a normalized type parameter ('T); '? is a type Dafny left open
            if n == "'?":
                return "object"
            self.typevars.add(n[1:])
            return n[1:]
        if any(n in tp for tp in self.c.type_params):
            self.typevars.add(n)
            return n
        if n in self.c.subsets or n in self.c.synonyms:
            if n in self.c.synonyms and self.c.synonyms[n].rhs is not None and self.c.synonyms[n].type_params:
                return self.ann(self.c.synonyms[n].rhs)  # type: ignore[arg-type]
            self.aliases[py_name(n)] = self.ann(self._alias_target(n))
            return py_name(n)
        if n in self.c.datatypes:
            return py_name(n)
        raise UnsupportedConstruct(f"type {t}", 0)

    def _alias_target(self, n: str) -> A.Type:
        if n in self.c.subsets:
            return self.c.subsets[n].base
        rhs = self.c.synonyms[n].rhs
        assert rhs is not None
        return rhs

    def default(self, t: A.Type, for_array: bool = False) -> str:
        """Python code for the value Dafny's compiled code starts a variable (or array element) with."""
        n = t.name
        if n in ("int", "nat") or t.bv_width is not None:
            return "0"
        if n == "bool":
            return "False"
        if n == "char":
            return py_str("\0") if for_array else py_str("D")
        if n == "real":
            self.helper("_Real")
            return "_Real(0)"
        if n == "seq":
            return '""' if t.args and t.args[0].name == "char" else "()"
        if n == "set":
            return self.helper("_Set") + "()"
        if n == "multiset":
            self.imports.add("from collections import Counter")
            return "Counter()"
        if n == "map":
            return "{}"
        if t.array_dims:
            return "None"
        if n == "tuple":
            self.helper("_Tuple")
            return "_Tuple((" + "".join(self.default(a) + ", " for a in t.args) + "))"
        dt = self.c.datatypes.get(n)
        if dt is not None:
            for ctor in dt.ctors:
                if not ctor.fields:
                    return self.c.ctor_py[(dt.name, ctor.name)] + "()"
            raise UnsupportedConstruct("default value of a datatype without a nullary constructor", 0, n)
        if n.startswith("'"):
            # Dafny knows nothing about the default of a type parameter T(0) (any value of T), so a verified program
            # cannot depend on it; None stands for it (and fails loudly if the program used it as a T).
            return "None"
        raise UnsupportedConstruct(f"default value of {t}", 0)

    # ------------------------------------------------------------------------------------------ module

    def module(self) -> str:
        body: list[str] = []
        decls = self.c.program.decls
        self.uses_print = any(isinstance(n, A.Print) for d in decls for n in walk(d))
        late_consts: list[A.Const] = []
        for d in decls:
            if isinstance(d, A.Const) and not d.ghost and any(isinstance(n, A.Call) for n in walk(d)):
                late_consts.append(d)
            elif isinstance(d, (A.Datatype, A.SubsetType, A.Const)):
                body += self.decl(d)
        for d in decls:
            if isinstance(d, (A.Function, A.Method)):
                body += self.decl(d)
        for d in late_consts:
            body += self.decl(d)
        has_main = "Main" in self.c.methods
        if has_main:
            main = self.c.methods["Main"]
            if self.c.info(main).params or self.c.info(main).outs:
                raise UnsupportedConstruct("Main with parameters or results", main.line)
        return self.assemble(body, has_main)

    def decl(self, d: A.Decl) -> list[str]:
        """The text of one declaration (empty for ghost ones)."""
        self.lines = []
        try:
            if isinstance(d, A.Datatype):
                self.datatype(d)
            elif isinstance(d, A.SubsetType):
                self.ann(A.Type(d.name))
            elif isinstance(d, A.Const) and not d.ghost:
                self.const(d)
            elif isinstance(d, A.Function) and d.compiled:
                self.function(d)
            elif isinstance(d, A.Method) and not d.ghost:
                self.method(d)
        except UnsupportedConstruct as exc:
            raise exc.in_decl(decl_label(d)) from None
        return ["\n".join(self.lines)] if self.lines else []

    def assemble(self, body: list[str], has_main: bool) -> str:
        helpers = runtime.closure(self.helpers)
        imports = set(self.imports)
        for h in helpers:
            imports.update(h.imports)
        if has_main:
            imports.add("import sys")
        if any(isinstance(d, A.Datatype) for d in self.c.program.decls):
            imports.add("from dataclasses import dataclass")
        if self.typevars:
            imports.add("from typing import TypeVar")
        origin = f" ({self.source_name})" if self.source_name else ""
        doc = f"Python reference model compiled from Dafny{origin} by Proof2Silicon's Dafny -> Python compiler."
        head = [f'"""{doc}"""', "", "from __future__ import annotations", ""]
        order = sorted(imports, key=lambda s: (s.startswith("from"), s))
        head += order
        parts = ["\n".join(head).rstrip()]
        defs = [f"{k} = {v}" for k, v in sorted(self.aliases.items())]
        defs += [f'{t} = TypeVar("{t}")' for t in sorted(self.typevars)]
        if defs:
            parts.append("\n".join(defs))
        parts += [h.source.strip() for h in helpers]
        parts += body
        if has_main:
            parts.append('if __name__ == "__main__":\n    sys.setrecursionlimit(100_000)\n    Main()')
        return "\n\n\n".join(p for p in parts if p.strip()) + "\n"

    # ------------------------------------------------------------------------------------------ declarations

    def datatype(self, d: A.Datatype) -> None:
        base = py_name(d.name)
        self.c.type_params.append({p.name for p in d.type_params})
        try:
            ctors_text = " | ".join(
                c.name + ("(" + ", ".join(f"{f.name}: {f.type}" if f.name else str(f.type) for f in c.fields) + ")"
                          if c.fields else "") for c in d.ctors)
            tps = "<" + ", ".join(p.name for p in d.type_params) + ">" if d.type_params else ""
            self.out(0, f"class {base}:")
            self.out(1, f'"""Dafny datatype {d.name}{tps} = {ctors_text}."""')
            if self.uses_print:
                self.helper("_dafny_datatype_str")
                self.out(0, "")
                self.out(1, "def _dafny_str(self) -> str:")
                self.out(2, f'return _dafny_datatype_str(self, "{d.name}", self._dafny_ctor)')
            for c in d.ctors:
                self.lines.append("")
                self.lines.append("")
                self.out(0, "@dataclass(frozen=True)")
                self.out(0, f"class {self.c.ctor_py[(d.name, c.name)]}({base}):")
                self.out(1, f'_dafny_ctor = "{c.name}"')
                for i, f in enumerate(c.fields):
                    if f.ghost:
                        raise UnsupportedConstruct("ghost constructor field", c.line, f.name)
                    self.out(1, f"{py_name(f.name) if f.name else f'_{i}'}: {self.ann(f.type)}")
        finally:
            self.c.type_params.pop()

    def const(self, d: A.Const) -> None:
        v = self.c.consts[d.name]
        if d.value is None:
            raise UnsupportedConstruct("constant without a value", d.line, d.name)
        self.c.type_params.append(set())
        try:
            self.out(0, f"{v.py}: {self.ann(v.type)} = {self.expr(d.value)[0]}")
        finally:
            self.c.type_params.pop()

    def signature(self, mi: MethodInfo) -> str:
        params = ", ".join(f"{v.py}: {self.ann(v.type)}" for v in mi.params)
        if not mi.outs:
            ret = "None"
        elif len(mi.outs) == 1:
            ret = self.ann(mi.outs[0].type)
        else:
            ret = "tuple[" + ", ".join(self.ann(v.type) for v in mi.outs) + "]"
        return f"def {mi.py}({params}) -> {ret}:"

    def function(self, d: A.Function) -> None:
        mi = self.c.info(d)
        self.mi = mi
        self.c.type_params.append({p.name for p in d.type_params})
        try:
            self.out(0, self.signature(mi))
            assert d.body is not None
            self.return_expr(d.body, 1)
        finally:
            self.c.type_params.pop()

    def method(self, d: A.Method) -> None:
        mi = self.c.info(d)
        self.mi = mi
        self.temp_count = 0
        self.c.type_params.append({p.name for p in d.type_params})
        try:
            self.out(0, self.signature(mi))
            start = len(self.lines)
            for v in mi.outs:
                self.out(1, f"{v.py}: {self.ann(v.type)} = {self.default(v.norm)}")
            assert d.body is not None
            self.stmts(d.body.stmts, 1)
            if mi.outs and not _always_returns(d.body.stmts):
                self.out(1, self.return_outs())
            if len(self.lines) == start:
                self.out(1, "pass")
        finally:
            self.c.type_params.pop()

    def return_outs(self) -> str:
        assert self.mi is not None
        outs = [v.py for v in self.mi.outs]
        if not outs:
            return "return"
        if len(outs) == 1:
            return f"return {outs[0]}"
        return "return (" + ", ".join(outs) + ")"

    # ------------------------------------------------------------------------------------------ statements

    def stmts(self, stmts: list[A.Stmt], depth: int) -> None:
        for s in stmts:
            self.stmt(s, depth)

    def body(self, stmts: list[A.Stmt], depth: int) -> None:
        """A nested suite: the statements, or ``pass`` when they emit nothing."""
        start = len(self.lines)
        self.stmts(stmts, depth)
        if len(self.lines) == start:
            self.out(depth, "pass")

    def stmt(self, s: A.Stmt, depth: int) -> None:
        meth = getattr(self, "stmt_" + type(s).__name__, None)
        if meth is None:
            raise UnsupportedConstruct(type(s).__name__, s.line)
        if s.labels and not isinstance(s, (A.While, A.AltWhile, A.ForLoop)):
            raise UnsupportedConstruct("label on a statement that is not a loop", s.line)
        meth(s, depth)

    def stmt_Block(self, s: A.Block, depth: int) -> None:
        self.stmts(s.stmts, depth)

    def stmt_GhostStmt(self, s: A.GhostStmt, depth: int) -> None:
        pass

    def stmt_VarDecl(self, s: A.VarDecl, depth: int) -> None:
        vs: list[Var] = [v.var for v in s.vars]  # type: ignore[attr-defined]
        if s.such_that is not None:
            if len(vs) != 1:
                raise UnsupportedConstruct("such-that declaration of several variables", s.line)
            self.out(depth, f"{vs[0].py}: {self.ann(vs[0].type)} = {self.pick(s.vars[0], vs[0], s.such_that, s.line)}")
            return
        if not s.rhss:
            for v in vs:
                self.out(depth, f"{v.py}: {self.ann(v.type)} = {self.default(v.norm)}")
            return
        if len(s.rhss) == 1 and getattr(s.rhss[0], "kind", None) == "method":
            call = self.call_code(s.rhss[0])  # type: ignore[arg-type]
            if len(vs) == 1:
                self.out(depth, f"{vs[0].py}: {self.ann(vs[0].type)} = {call}")
            else:
                for v in vs:
                    self.out(depth, f"{v.py}: {self.ann(v.type)}")
                self.out(depth, ", ".join(v.py for v in vs) + f" = {call}")
            return
        codes = [self.rhs(r) for r in s.rhss]
        for v, code in zip(vs, codes, strict=True):
            self.out(depth, f"{v.py}: {self.ann(v.type)} = {code}")

    def pick(self, bv: A.LocalVar | A.BoundVar, var: Var, cond: A.Expr, line: int) -> str:
        """``x :| cond``: the first value of ``x``'s domain (in runtime order) that satisfies ``cond``."""
        b = A.BoundVar(bv.name, bv.type, line=line)
        dom = find_domain(b, var.norm, conjuncts(cond) + implied(cond), {bv.name})
        if dom is None:
            raise UnsupportedConstruct("such-that (:|) without a finite bound", line)
        source = self.domain_code(dom, var.norm)
        self.helper("_dafny_pick")
        only_membership = isinstance(cond, A.Binary) and cond.op == "in" and dom.kind == "collection"
        if only_membership:
            return f"_dafny_pick({source})"
        return f"_dafny_pick({source}, lambda {var.py}: {self.expr(cond)[0]})"

    def rhs(self, r: A.Rhs) -> str:
        if isinstance(r, A.NewArray):
            return self.new_array(r)
        return self.expr(r)[0]

    def new_array(self, r: A.NewArray) -> str:
        et: A.Type = r.elem_norm  # type: ignore[attr-defined]
        dim_codes = [self.expr(d) for d in r.dims if d is not None]
        dims = [c[0] for c in dim_codes]
        if r.display is not None:
            if len(dims) != 1:
                raise UnsupportedConstruct("multi-dimensional array display", r.line)
            return "[" + ", ".join(self.expr(i)[0] for i in r.display) + "]"
        if r.init is not None:
            names = [self.temp("i") for _ in dims]
            if isinstance(r.init, A.Lambda) and len(r.init.params) == len(dims):
                names = [b.var.py for b in r.init.params]  # type: ignore[attr-defined]
                value = self.expr(r.init.body)[0]
            else:
                value = f"{_wrap(self.expr(r.init), ATOM)}({', '.join(names)})"
            code = value
            for n, d in reversed(list(zip(names, dims, strict=True))):
                code = f"[{code} for {n} in range({d})]"
            return code
        default = self.default(et, for_array=True)
        if len(dims) == 1:
            return f"[{default}] * {_wrap(dim_codes[0], MUL + 1)}"
        code = f"[{default}] * {_wrap(dim_codes[-1], MUL + 1)}"
        for d in reversed(dims[:-1]):
            code = f"[{code} for _ in range({d})]"
        return code

    def lhs(self, e: A.Expr) -> str:
        if isinstance(e, A.Index) and e.obj.ty is not None and e.obj.ty.array_dims:
            return _wrap(self.expr(e.obj), ATOM) + "".join(f"[{self.expr(i)[0]}]" for i in e.indices)
        return self.expr(e)[0]

    def stmt_Assign(self, s: A.Assign, depth: int) -> None:
        if len(s.rhss) == 1 and getattr(s.rhss[0], "kind", None) == "method":
            targets = [self.lhs(e) for e in s.lhss]
            call = self.call_code(s.rhss[0])  # type: ignore[arg-type]
            self.out(depth, (", ".join(targets) + " = " if targets else "") + call)
            return
        assigned = {e.name for e in s.lhss if isinstance(e, A.Name)}
        risky = len(s.lhss) > 1 and any(
            not isinstance(e, A.Name) and any(isinstance(n, A.Name) and n.name in assigned for n in walk(e))
            for e in s.lhss)
        if risky:  # evaluate the targets' indices before any assignment, as Dafny does
            raise UnsupportedConstruct("parallel assignment whose targets depend on each other", s.line)
        targets = [self.lhs(e) for e in s.lhss]
        values = [self.rhs(r) for r in s.rhss]
        self.out(depth, ", ".join(targets) + " = " + ", ".join(values))

    def stmt_AssignSuchThat(self, s: A.AssignSuchThat, depth: int) -> None:
        if len(s.lhss) != 1 or not isinstance(s.lhss[0], A.Name):
            raise UnsupportedConstruct("such-that assignment to several targets", s.line)
        v: Var = s.lhss[0].ref  # type: ignore[attr-defined]
        bv = A.BoundVar(v.name, v.type, line=s.line)
        self.out(depth, f"{v.py} = {self.pick(bv, v, s.cond, s.line)}")

    def stmt_CallStmt(self, s: A.CallStmt, depth: int) -> None:
        self.out(depth, self.call_code(s.call))

    def call_code(self, call: A.Call) -> str:
        callee = call.callee
        args: list[A.Expr] = call.compiled_args  # type: ignore[attr-defined]
        kind = call.kind  # type: ignore[attr-defined]
        if kind in ("method", "function"):
            mi = self.c.info(callee.ref)  # type: ignore[union-attr]
            name = mi.py
        elif kind == "ctor":
            ref: CtorRef = callee.ref  # type: ignore[union-attr]
            name = self.c.ctor_py[(ref.datatype.name, ref.ctor.name)]
        else:
            name = _wrap(self.expr(callee), ATOM)
        return f"{name}(" + ", ".join(self.expr(a)[0] for a in args) + ")"

    def stmt_If(self, s: A.If, depth: int, keyword: str = "if") -> None:
        assert s.cond is not None
        self.out(depth, f"{keyword} {self.expr(s.cond)[0]}:")
        self.body(s.then.stmts, depth + 1)
        if isinstance(s.else_, A.If) and not s.else_.labels:
            self.stmt_If(s.else_, depth, "elif")
        elif s.else_ is not None:
            assert isinstance(s.else_, A.Block)
            if s.else_.stmts:
                self.out(depth, "else:")
                self.body(s.else_.stmts, depth + 1)

    def stmt_AltIf(self, s: A.AltIf, depth: int) -> None:
        for i, c in enumerate(s.cases):
            self.out(depth, f"{'if' if i == 0 else 'elif'} {self.expr(c.guard)[0]}:")
            self.body(c.body, depth + 1)

    def _loop(self, s: A.Stmt, depth: int, header: str, body: list[A.Stmt]) -> None:
        self.out(depth, header)
        self.loops.append(set(s.labels))
        try:
            self.body(body, depth + 1)
        finally:
            self.loops.pop()

    def stmt_While(self, s: A.While, depth: int) -> None:
        assert s.cond is not None and s.body is not None
        self._loop(s, depth, f"while {self.expr(s.cond)[0]}:", s.body.stmts)

    def stmt_AltWhile(self, s: A.AltWhile, depth: int) -> None:
        cases = list(s.cases)
        guard_if = A.AltIf(cases, line=s.line)
        brk = A.Break(None, 1, line=s.line)
        self.out(depth, "while True:")
        self.loops.append(set(s.labels))
        try:
            self.stmt_AltIf(guard_if, depth + 1)
            self.out(depth + 1, "else:")
            self.stmt_Break(brk, depth + 2)
        finally:
            self.loops.pop()

    def stmt_ForLoop(self, s: A.ForLoop, depth: int) -> None:
        assert s.hi is not None and s.body is not None
        v: Var = s.var.var  # type: ignore[attr-defined]
        lo, hi = self.expr(s.lo)[0], self.expr(s.hi)
        if s.down:
            header = f"for {v.py} in range({_wrap(hi, ADD)} - 1, {_wrap(self.expr(s.lo), ADD)} - 1, -1):"
        else:
            header = f"for {v.py} in range({lo}, {hi[0]}):"
        self._loop(s, depth, header, s.body.stmts)

    def stmt_Break(self, s: A.Break, depth: int) -> None:
        if not self.loops:
            raise UnsupportedConstruct("break outside a loop", s.line)
        innermost = self.loops[-1]
        if s.count != 1 or (s.label is not None and s.label not in innermost):
            raise UnsupportedConstruct("break out of an outer loop or labelled block", s.line)
        self.out(depth, "break")

    def stmt_MatchStmt(self, s: A.MatchStmt, depth: int) -> None:
        subject = self.expr(s.scrutinee)
        if not isinstance(s.scrutinee, A.Name):
            tmp = self.temp("m")
            self.out(depth, f"{tmp} = {subject[0]}")
            subject = (tmp, ATOM)
        for i, c in enumerate(s.cases):
            cond, binds = self.pattern(c.pattern, subject[0])
            inner = self._case_header(i, len(s.cases), cond, depth)
            start = len(self.lines)
            for name, code in binds:
                self.out(inner, f"{name} = {code}")
            assert isinstance(c.body, list)
            self.stmts(c.body, inner)
            if len(self.lines) == start and inner > depth:
                self.out(inner, "pass")

    def _case_header(self, i: int, n: int, cond: str, depth: int) -> int:
        """Write ``if``/``elif``/``else`` for case ``i`` of ``n`` (the last case needs no test: Dafny checked
        that the cases are exhaustive) and return the depth of its body."""
        if n == 1:
            return depth
        if i == n - 1:
            self.out(depth, "else:")
        else:
            self.out(depth, f"{'if' if i == 0 else 'elif'} {cond}:")
        return depth + 1

    def pattern(self, p: A.Pattern, subject: str) -> tuple[str, list[tuple[str, str]]]:
        """The Python test for ``p`` on ``subject`` and the bindings it makes (annotated name, code)."""
        if p.var is not None:
            v: Var = p.var.var  # type: ignore[attr-defined]
            if v.name == "_":
                return "True", []
            return "True", [(f"{v.py}: {self.ann(v.type)}", subject)]
        if p.literal is not None:
            return f"{subject} == {_wrap(self.expr(p.literal), CMP + 1)}", []
        tests: list[str] = []
        binds: list[tuple[str, str]] = []
        if p.ctor == "tuple":
            subs = [(sub, f"{subject}[{i}]") for i, sub in enumerate(p.args)]
        else:
            ref: CtorRef = p.ctor_ref  # type: ignore[attr-defined]
            tests.append(f"isinstance({subject}, {self.c.ctor_py[(ref.datatype.name, ref.ctor.name)]})")
            subs = [(sub, f"{subject}.{py_name(f.name) if f.name else f'_{i}'}")
                    for i, (sub, f) in enumerate(zip(p.args, ref.ctor.fields, strict=True))]
        for sub, code in subs:
            t, b = self.pattern(sub, code)
            if t != "True":
                tests.append(t)
            binds += b
        return (" and ".join(tests) if tests else "True"), binds

    def stmt_ForallStmt(self, s: A.ForallStmt, depth: int) -> None:
        assert s.body is not None
        assign = s.body.stmts[0]
        assert isinstance(assign, A.Assign)
        target = assign.lhss[0]
        assert isinstance(target, A.Index)
        arr = _wrap(self.expr(target.obj), ATOM) + "".join(f"[{self.expr(i)[0]}]" for i in target.indices[:-1])
        index = self.expr(target.indices[-1])[0]
        value = self.rhs(assign.rhss[0])
        loops = self.generators(s.vars, s.range, s.line)
        self.helper("_dafny_forall_assign")
        self.out(depth, f"_dafny_forall_assign([({arr}, {index}, {value}) {loops}])")

    def stmt_Print(self, s: A.Print, depth: int) -> None:
        parts = []
        for a in s.args:
            t = a.ty
            if t is not None and _has_reference(t):
                # Dafny prints a C# type name for these (``System.Numerics.BigInteger[]``), no value
                raise UnsupportedConstruct("print of an array or function value", a.line, str(t))
            if isinstance(a, A.Literal) and a.kind in ("string", "char"):
                parts.append(py_str(a.value))  # type: ignore[arg-type]
            elif t is not None and (t.name == "char" or t.name == "seq" and t.args and t.args[0].name == "char"):
                parts.append(self.expr(a)[0])
            else:
                parts.append(f"{self.helper('_dafny_str')}({self.expr(a)[0]})")
        self.out(depth, "print(" + ", ".join(parts) + ', sep="", end="")')

    def stmt_Return(self, s: A.Return, depth: int) -> None:
        assert self.mi is not None
        if not s.values:
            self.out(depth, self.return_outs())
            return
        if len(s.values) == 1 and getattr(s.values[0], "kind", None) == "method":
            self.out(depth, f"return {self.call_code(s.values[0])}")  # type: ignore[arg-type]
            return
        values = [self.rhs(v) for v in s.values]
        self.out(depth, "return " + (values[0] if len(values) == 1 else "(" + ", ".join(values) + ")"))

    def stmt_Expect(self, s: A.Expect, depth: int) -> None:
        msg = f", {self.helper('_dafny_str')}({self.expr(s.message)[0]})" if s.message is not None else ""
        self.out(depth, f"if not {_wrap(self.expr(s.cond), NOT)}:")
        self.out(depth + 1, f"raise AssertionError(\"expectation violation\"{msg})")

    # ------------------------------------------------------------------------------------------ return position

    def return_expr(self, e: A.Expr, depth: int) -> None:
        """``return e`` for a function body, with ``if``/``match``/``var`` at the top written as statements."""
        while isinstance(e, (A.Paren, A.StmtExpr)):
            e = e.inner if isinstance(e, A.Paren) else e.body
        if isinstance(e, A.Ite):
            self.out(depth, f"if {self.expr(e.cond)[0]}:")
            self.return_expr(e.then, depth + 1)
            rest = e.else_
            while isinstance(rest, A.Paren):
                rest = rest.inner
            while isinstance(rest, A.Ite):
                self.out(depth, f"elif {self.expr(rest.cond)[0]}:")
                self.return_expr(rest.then, depth + 1)
                rest = rest.else_
                while isinstance(rest, A.Paren):
                    rest = rest.inner
            self.out(depth, "else:")
            self.return_expr(rest, depth + 1)
            return
        if isinstance(e, A.MatchExpr):
            subject = self.expr(e.scrutinee)
            if not isinstance(e.scrutinee, A.Name):
                tmp = self.temp("m")
                self.out(depth, f"{tmp} = {subject[0]}")
                subject = (tmp, ATOM)
            for i, c in enumerate(e.cases):
                cond, binds = self.pattern(c.pattern, subject[0])
                inner = self._case_header(i, len(e.cases), cond, depth)
                for name, code in binds:
                    self.out(inner, f"{name} = {code}")
                assert isinstance(c.body, A.Expr)
                self.return_expr(c.body, inner)
            return
        if isinstance(e, A.Let) and not e.such_that and e.pattern is None:
            for b, r in zip(e.vars, e.rhss, strict=True):
                v: Var = b.var  # type: ignore[attr-defined]
                self.out(depth, f"{v.py}: {self.ann(v.type)} = {self.expr(r)[0]}")
            self.return_expr(e.body, depth)
            return
        self.out(depth, f"return {self.expr(e)[0]}")

    # ------------------------------------------------------------------------------------------ expressions

    def expr(self, e: A.Expr) -> tuple[str, int]:
        """Python code for ``e`` and its precedence."""
        meth = getattr(self, "expr_" + type(e).__name__, None)
        if meth is None:
            raise UnsupportedConstruct(type(e).__name__, e.line)
        return meth(e)

    def expr_Paren(self, e: A.Paren) -> tuple[str, int]:
        return self.expr(e.inner)

    def expr_StmtExpr(self, e: A.StmtExpr) -> tuple[str, int]:
        return self.expr(e.body)

    def expr_Literal(self, e: A.Literal, negate: bool = False) -> tuple[str, int]:
        if e.kind == "int":
            value = -e.value if negate else e.value  # type: ignore[operator]
            w = e.ty.bv_width if e.ty is not None else None
            if w is not None:
                value &= (1 << w) - 1
            return str(value), (UNARY if value < 0 else ATOM)
        if e.kind == "real":
            text = ("-" if negate else "") + str(e.value)
            return f"{self.helper('_Real')}.of({py_str(text)})", ATOM
        if e.kind == "bool":
            return ("True" if e.value else "False"), ATOM
        if e.kind in ("char", "string"):
            return py_str(e.value), ATOM  # type: ignore[arg-type]
        raise UnsupportedConstruct("null", e.line)

    def expr_Name(self, e: A.Name) -> tuple[str, int]:
        ref = e.ref  # type: ignore[attr-defined]
        if isinstance(ref, Var):
            return ref.py, ATOM
        if isinstance(ref, CtorRef):
            return self.c.ctor_py[(ref.datatype.name, ref.ctor.name)] + "()", ATOM
        if isinstance(ref, A.Function):
            return self.c.info(ref).py, ATOM
        raise UnsupportedConstruct("name", e.line, e.name)

    def expr_Unary(self, e: A.Unary) -> tuple[str, int]:
        t = e.ty
        w = t.bv_width if t is not None else None
        inner = e.operand
        while isinstance(inner, A.Paren):
            inner = inner.inner
        if e.op == "-":
            if isinstance(inner, A.Literal) and inner.kind in ("int", "real"):
                return self.expr_Literal(inner, negate=True)
            code = "-" + _wrap(self.expr(e.operand), UNARY)
            if w is not None:
                return f"{code} & {_mask(w)}", BAND
            return code, UNARY
        if w is not None:
            return f"~{_wrap(self.expr(e.operand), UNARY)} & {_mask(w)}", BAND
        return "not " + _wrap(self.expr(e.operand), NOT), NOT

    def _cmp(self, op: str, left: A.Expr, right: A.Expr) -> tuple[str, int]:
        lt = left.ty
        assert lt is not None
        lc, rc = self.expr(left), self.expr(right)
        lw, rw = _wrap(lc, SHIFT), _wrap(rc, SHIFT)  # parenthesize bitwise operands for the reader
        if op in ("==", "!="):
            if lt.array_dims:
                return f"{lw} {'is' if op == '==' else 'is not'} {rw}", CMP
            return f"{lw} {op} {rw}", CMP
        if lt.name == "seq":
            if op in ("<", "<="):
                fn = "_dafny_is_proper_prefix" if op == "<" else "_dafny_is_prefix"
                return f"{self.helper(fn)}({lc[0]}, {rc[0]})", ATOM
            fn = "_dafny_is_proper_prefix" if op == ">" else "_dafny_is_prefix"
            return f"{self.helper(fn)}({rc[0]}, {lc[0]})", ATOM
        if op == "!!":
            if lt.name == "multiset":
                return f"not ({lc[0]} & {rc[0]})", NOT
            return f"{_wrap(lc, ATOM)}.isdisjoint({rc[0]})", ATOM
        return f"{lw} {op} {rw}", CMP

    def expr_Binary(self, e: A.Binary) -> tuple[str, int]:
        op = e.op
        lt = e.left.ty
        assert lt is not None
        if op == "&&":
            return f"{_wrap(self.expr(e.left), AND)} and {_wrap(self.expr(e.right), AND + 1)}", AND
        if op == "||":
            return f"{_wrap(self.expr(e.left), OR)} or {_wrap(self.expr(e.right), OR + 1)}", OR
        if op == "==>":
            return f"not {_wrap(self.expr(e.left), NOT)} or {_wrap(self.expr(e.right), OR + 1)}", OR
        if op == "<==":
            return f"{_wrap(self.expr(e.left), OR)} or not {_wrap(self.expr(e.right), NOT)}", OR
        if op == "<==>":
            return f"{_wrap(self.expr(e.left), CMP + 1)} == {_wrap(self.expr(e.right), CMP + 1)}", CMP
        if op in ("in", "!in"):
            rt = e.right.ty
            assert rt is not None
            if rt.name == "multiset":
                count = f"{_wrap(self.expr(e.right), ATOM)}[{self.expr(e.left)[0]}]"
                return f"{count} {'>' if op == 'in' else '=='} 0", CMP
            return f"{_wrap(self.expr(e.left), CMP + 1)} {'in' if op == 'in' else 'not in'} " \
                   f"{_wrap(self.expr(e.right), CMP + 1)}", CMP
        if op in ("==", "!=", "<", "<=", ">", ">=", "!!"):
            return self._cmp(op, e.left, e.right)
        t = e.ty
        assert t is not None
        w = t.bv_width
        lc, rc = self.expr(e.left), self.expr(e.right)
        if op in ("<<", ">>"):
            if w is None:
                raise UnsupportedConstruct(f"shift on {t}", e.line)
            code = f"{_wrap(lc, SHIFT)} {op} {_wrap(rc, SHIFT + 1)}"
            return (f"({code}) & {_mask(w)}", BAND) if op == "<<" else (code, SHIFT)
        if op in ("&", "|", "^"):
            prec = {"&": BAND, "|": BOR, "^": BXOR}[op]
            return f"{_wrap(lc, prec)} {op} {_wrap(rc, prec + 1)}", prec
        name = t.name
        if name in ("set", "multiset") and op in ("+", "*"):
            pyop = {"+": "|", "*": "&"}[op] if name == "set" else {"+": "+", "*": "&"}[op]
            prec = {"|": BOR, "&": BAND, "+": ADD}[pyop]
            if name == "set":
                self.helper("_Set")
            return f"{_wrap(lc, prec)} {pyop} {_wrap(rc, prec + 1)}", prec
        if name in ("set", "multiset", "seq") and op == "-" or name == "seq" and op == "+":
            return f"{_wrap(lc, ADD)} {op} {_wrap(rc, ADD + 1)}", ADD
        if name == "char":
            raise UnsupportedConstruct("arithmetic on characters", e.line)
        if op == "/":
            if name == "int":
                return f"{self.helper('_dafny_div')}({lc[0]}, {rc[0]})", ATOM
            if w is not None:
                return f"{_wrap(lc, MUL)} // {_wrap(rc, MUL + 1)}", MUL
            return f"{_wrap(lc, MUL)} / {_wrap(rc, MUL + 1)}", MUL
        if op == "%":
            if name == "int":
                return f"{self.helper('_dafny_mod')}({lc[0]}, {rc[0]})", ATOM
            if w is not None:
                return f"{_wrap(lc, MUL)} % {_wrap(rc, MUL + 1)}", MUL
            raise UnsupportedConstruct(f"% on {t}", e.line)
        if op in ("+", "-", "*"):
            if name not in ("int", "real") and w is None:
                raise UnsupportedConstruct(f"operator {op} on {t}", e.line)
            prec = ADD if op in ("+", "-") else MUL
            code = f"{_wrap(lc, prec)} {op} {_wrap(rc, prec + 1)}"
            if w is not None:
                return f"({code}) & {_mask(w)}", BAND
            return code, prec
        raise UnsupportedConstruct(f"operator {op}", e.line)

    def expr_Chain(self, e: A.Chain) -> tuple[str, int]:
        t = e.operands[0].ty
        simple = t is not None and (t.name in ("int", "real", "char", "bool") or t.bv_width is not None) and \
            all(op in ("==", "!=", "<", "<=", ">", ">=") for op in e.ops)
        if simple:
            parts = [_wrap(self.expr(e.operands[0]), SHIFT)]
            for op, o in zip(e.ops, e.operands[1:], strict=True):
                parts.append(f"{op} {_wrap(self.expr(o), SHIFT)}")
            return " ".join(parts), CMP
        links = [self._cmp(op, a, b) for op, a, b in zip(e.ops, e.operands, e.operands[1:], strict=False)]
        return " and ".join(_wrap(link, AND + 1) for link in links), AND

    def expr_Ite(self, e: A.Ite) -> tuple[str, int]:
        return (f"{_wrap(self.expr(e.then), IFEXP + 1)} if {_wrap(self.expr(e.cond), IFEXP + 1)} "
                f"else {_wrap(self.expr(e.else_), IFEXP)}"), IFEXP

    def expr_Call(self, e: A.Call) -> tuple[str, int]:
        return self.call_code(e), ATOM

    def expr_Member(self, e: A.Member) -> tuple[str, int]:
        ref = getattr(e, "ref", None)
        kind = getattr(e, "kind", None)
        if isinstance(ref, CtorRef) and kind != "discriminator":
            return self.c.ctor_py[(ref.datatype.name, ref.ctor.name)] + "()", ATOM
        ot = e.obj.ty
        assert ot is not None
        obj = self.expr(e.obj)
        name = e.name
        if ot.array_dims:
            if name in ("Length", "Length0"):
                return f"len({obj[0]})", ATOM
            k = int(name[6:])
            return f"len({_wrap(obj, ATOM)}{'[0]' * k})", ATOM
        if ot.name == "map":
            self.helper("_Set")
            if name == "Keys":
                return f"_Set({obj[0]})", ATOM
            if name == "Values":
                return f"_Set({_wrap(obj, ATOM)}.values())", ATOM
            self.helper("_Tuple")
            return f"_Set(_Tuple(kv) for kv in {_wrap(obj, ATOM)}.items())", ATOM
        if ot.name == "tuple":
            return f"{_wrap(obj, ATOM)}[{name}]", ATOM
        if ot.name == "real":
            return f"{_wrap(obj, ATOM)}.floor()", ATOM
        if kind == "discriminator":
            assert isinstance(ref, CtorRef)
            return f"isinstance({obj[0]}, {self.c.ctor_py[(ref.datatype.name, ref.ctor.name)]})", ATOM
        if kind == "destructor":
            return f"{_wrap(obj, ATOM)}.{py_name(name)}", ATOM
        raise UnsupportedConstruct(f"member .{name}", e.line)

    def expr_Index(self, e: A.Index) -> tuple[str, int]:
        obj = _wrap(self.expr(e.obj), ATOM)
        return obj + "".join(f"[{self.expr(i)[0]}]" for i in e.indices), ATOM

    def _is_char_seq(self, t: A.Type | None) -> bool:
        return t is not None and t.name == "seq" and bool(t.args) and t.args[0].name == "char"

    def expr_Slice(self, e: A.Slice) -> tuple[str, int]:
        ot = e.obj.ty
        assert ot is not None
        obj = self.expr(e.obj)
        lo = self.expr(e.lo)[0] if e.lo is not None else ""
        hi = self.expr(e.hi)[0] if e.hi is not None else ""
        if ot.name == "seq":
            if e.lo is None and e.hi is None:
                return obj
            return f"{_wrap(obj, ATOM)}[{lo}:{hi}]", ATOM
        part = obj[0] if e.lo is None and e.hi is None else f"{_wrap(obj, ATOM)}[{lo}:{hi}]"
        if ot.args and ot.args[0].name == "char":
            return f'"".join({part})', ATOM
        return f"tuple({part})", ATOM

    def expr_UpdateExpr(self, e: A.UpdateExpr) -> tuple[str, int]:
        ot = e.obj.ty
        assert ot is not None
        obj, key, value = self.expr(e.obj), self.expr(e.key), self.expr(e.value)
        if ot.name == "map":
            return f"{{**{_wrap(obj, ATOM)}, {key[0]}: {value[0]}}}", ATOM
        if ot.name == "multiset":
            return f"{self.helper('_dafny_multiset_update')}({obj[0]}, {key[0]}, {value[0]})", ATOM
        simple_key = isinstance(e.key, (A.Name, A.Literal))
        if simple_key and isinstance(e.obj, A.Name):
            item = value[0] if self._is_char_seq(ot) else f"({value[0]},)"
            k = key[0]
            return f"{obj[0]}[:{k}] + {item} + {obj[0]}[{_wrap(key, ADD)} + 1:]", ADD
        return f"{self.helper('_dafny_seq_update')}({obj[0]}, {key[0]}, {value[0]})", ATOM

    def expr_SeqDisplay(self, e: A.SeqDisplay) -> tuple[str, int]:
        if self._is_char_seq(e.ty):
            if all(isinstance(i, A.Literal) for i in e.items):
                return py_str("".join(i.value for i in e.items)), ATOM  # type: ignore[union-attr,misc]
            return " + ".join(_wrap(self.expr(i), ADD + 1) for i in e.items), ADD
        items = [self.expr(i)[0] for i in e.items]
        if len(items) == 1:
            return f"({items[0]},)", ATOM
        return "(" + ", ".join(items) + ")", ATOM

    def expr_SetDisplay(self, e: A.SetDisplay) -> tuple[str, int]:
        self.helper("_Set")
        if not e.items:
            return "_Set()", ATOM
        items = [self.expr(i)[0] for i in e.items]
        return "_Set((" + ", ".join(items) + ("," if len(items) == 1 else "") + "))", ATOM

    def expr_MultisetDisplay(self, e: A.MultisetDisplay) -> tuple[str, int]:
        self.imports.add("from collections import Counter")
        if not e.items:
            return "Counter()", ATOM
        items = [self.expr(i)[0] for i in e.items]
        return "Counter((" + ", ".join(items) + ("," if len(items) == 1 else "") + "))", ATOM

    def expr_MultisetOf(self, e: A.MultisetOf) -> tuple[str, int]:
        self.imports.add("from collections import Counter")
        return f"Counter({self.expr(e.operand)[0]})", ATOM

    def expr_MapDisplay(self, e: A.MapDisplay) -> tuple[str, int]:
        return "{" + ", ".join(f"{self.expr(k)[0]}: {self.expr(v)[0]}" for k, v in e.items) + "}", ATOM

    def expr_TupleExpr(self, e: A.TupleExpr) -> tuple[str, int]:
        self.helper("_Tuple")
        items = [self.expr(i)[0] for i in e.items]
        return "_Tuple((" + ", ".join(items) + ("," if len(items) == 1 else "") + "))", ATOM

    def expr_Card(self, e: A.Card) -> tuple[str, int]:
        t = e.operand.ty
        if t is not None and t.name == "multiset":
            return f"{_wrap(self.expr(e.operand), ATOM)}.total()", ATOM
        return f"len({self.expr(e.operand)[0]})", ATOM

    def expr_Lambda(self, e: A.Lambda) -> tuple[str, int]:
        """``lambda x: body``; local variables the body reads are bound by value through default arguments
        (``lambda x, k=k: x + k``), because a Dafny lambda captures values, a Python closure variables."""
        params = [b.var.py for b in e.params]  # type: ignore[attr-defined]
        inside = {id(n.var) for n in walk(e) if hasattr(n, "var") and isinstance(n.var, Var)}
        captured: dict[str, Var] = {}
        for n in walk(e.body):
            ref = getattr(n, "ref", None) if isinstance(n, A.Name) else None
            if isinstance(ref, Var) and ref.kind != "const" and id(ref) not in inside:
                captured.setdefault(ref.py, ref)
        sig = ", ".join(params + [f"{py}={py}" for py in captured])
        return f"lambda {sig}: {_wrap(self.expr(e.body), LAMBDA)}", LAMBDA

    def generators(self, bvars: list[A.BoundVar], rng: A.Expr | None, line: int,
                   extra: A.Expr | None = None) -> str:
        """``for x in dom ... if rest`` for bound variables: domains from the conjuncts of ``range`` (and
        ``extra``), and the range's conjuncts that the domains do not already guarantee as the filter."""
        range_parts = conjuncts(rng)
        constraints = range_parts + conjuncts(extra) + implied(rng) + implied(extra)
        loops = []
        used: list[A.Expr] = []
        names = [b.name for b in bvars]
        for i, b in enumerate(bvars):
            v: Var = b.var  # type: ignore[attr-defined]
            dom = find_domain(b, v.norm, constraints, set(names[i:]))
            if dom is None:
                raise UnsupportedConstruct("quantifier or comprehension without finite bounds", line, b.name)
            used += dom.used
            loops.append(f"for {v.py} in {self.domain_code(dom, v.norm)}")
        code = " ".join(loops)
        rest = [c for c in range_parts if not any(c is u for u in used)]
        if rest:
            code += " if " + " and ".join(_wrap(self.expr(c), AND + 1) for c in rest)
        return code

    def domain_code(self, dom: Domain, t: A.Type) -> str:
        if dom.kind == "bool":
            return "(False, True)"
        if dom.kind == "collection":
            assert dom.coll is not None
            ct = dom.coll.ty
            code = self.expr(dom.coll)
            if ct is not None and ct.array_dims:
                return code[0]
            return code[0] if code[1] >= CMP else f"({code[0]})"
        assert dom.lo is not None and dom.hi is not None
        lo = self.expr(dom.lo)
        hi = self.expr(dom.hi)
        lo_code = f"{_wrap(lo, ADD)} + 1" if dom.lo_exclusive else lo[0]
        hi_code = f"{_wrap(hi, ADD)} + 1" if dom.hi_inclusive else hi[0]
        return f"range({lo_code}, {hi_code})"

    def expr_Quantifier(self, e: A.Quantifier) -> tuple[str, int]:
        rng, body = e.range, e.body
        while isinstance(body, A.Paren):
            body = body.inner
        if e.kind == "forall" and rng is None and isinstance(body, A.Binary) and body.op == "==>":
            rng, body = body.left, body.right
        if e.kind == "exists":
            loops = self.generators(e.vars, rng, e.line, extra=body)
            return f"any({_wrap(self.expr(body), LAMBDA + 1)} {loops})", ATOM
        # `forall x | R :: A ==> B`: A bounds x too (outside A the body holds), so it feeds the domains
        loops = self.generators(e.vars, rng, e.line, extra=forall_antecedent(body))
        return f"all({_wrap(self.expr(body), LAMBDA + 1)} {loops})", ATOM

    def expr_SetComp(self, e: A.SetComp) -> tuple[str, int]:
        self.helper("_Set")
        term = self.expr(e.term)[0] if e.term is not None else e.vars[0].var.py  # type: ignore[attr-defined]
        return f"_Set({term} {self.generators(e.vars, e.range, e.line)})", ATOM

    def expr_MapComp(self, e: A.MapComp) -> tuple[str, int]:
        key = self.expr(e.key)[0] if e.key is not None else e.vars[0].var.py  # type: ignore[attr-defined]
        return f"{{{key}: {self.expr(e.value)[0]} {self.generators(e.vars, e.range, e.line)}}}", ATOM

    def expr_SeqInit(self, e: A.SeqInit) -> tuple[str, int]:
        n = self.expr(e.length)[0]
        if isinstance(e.init, A.Lambda) and len(e.init.params) == 1:
            i = e.init.params[0].var.py  # type: ignore[attr-defined]
            body = self.expr(e.init.body)[0]
        else:
            i = self.temp("i")
            body = f"{_wrap(self.expr(e.init), ATOM)}({i})"
        if self._is_char_seq(e.ty):
            return f'"".join({body} for {i} in range({n}))', ATOM
        return f"tuple({body} for {i} in range({n}))", ATOM

    def expr_Let(self, e: A.Let) -> tuple[str, int]:
        names = [b.var.py for b in e.vars]  # type: ignore[attr-defined]
        values = [self.expr(r)[0] for r in e.rhss]
        return f"(lambda {', '.join(names)}: {_wrap(self.expr(e.body), LAMBDA)})({', '.join(values)})", ATOM

    def expr_MatchExpr(self, e: A.MatchExpr) -> tuple[str, int]:
        subject_name = self.temp("m")
        code = ""
        for i, c in enumerate(reversed(e.cases)):
            cond, binds = self.pattern(c.pattern, subject_name)
            assert isinstance(c.body, A.Expr)
            body = self.expr(c.body)
            if binds:
                body = (f"(lambda {', '.join(n.split(':')[0] for n, _ in binds)}: {_wrap(body, LAMBDA)})"
                        f"({', '.join(b for _, b in binds)})", ATOM)
            if i == 0:
                code = _wrap(body, IFEXP)
            else:
                code = f"{_wrap(body, IFEXP + 1)} if {cond} else {code}"
        return f"(lambda {subject_name}: {code})({self.expr(e.scrutinee)[0]})", ATOM

    def expr_Conversion(self, e: A.Conversion) -> tuple[str, int]:
        src = e.operand.ty
        dst = e.ty
        assert src is not None and dst is not None
        code = self.expr(e.operand)
        if src.name == dst.name:
            return code
        if dst.name == "char":
            return f"chr({code[0]})", ATOM
        if src.name == "char":
            return f"ord({code[0]})", ATOM
        if dst.name == "real":
            return f"{self.helper('_Real')}({code[0]})", ATOM
        if src.name == "real":
            return f"{_wrap(code, ATOM)}.floor()", ATOM
        if (src.name == "int" or src.bv_width) and (dst.name == "int" or dst.bv_width):
            return code
        raise UnsupportedConstruct(f"conversion from {src} to {dst}", e.line)


def _has_reference(t: A.Type) -> bool:
    """Whether a value of type ``t`` contains an array or a function value."""
    return bool(t.array_dims) or t.name in ("->", "-->", "~>") or any(_has_reference(a) for a in t.args)


def _always_returns(stmts: list[A.Stmt]) -> bool:
    """Whether control cannot fall off the end of ``stmts`` (so no ``return`` of the results is needed there)."""
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, A.Return):
        return True
    if isinstance(last, A.Block):
        return _always_returns(last.stmts)
    if isinstance(last, A.If) and last.else_ is not None:
        other = last.else_.stmts if isinstance(last.else_, A.Block) else [last.else_]
        return _always_returns(last.then.stmts) and _always_returns(other)
    return False


def emit_module(checker: Checker, source_name: str = "") -> str:
    """The Python module text for a checked program."""
    return Emitter(checker, source_name).module()
