"""The verified program as the width proof reads it: parsed with source positions, and typed.

The width proof inserts assertions into the program's own text, so it needs, beyond the syntax tree of
:mod:`verifiers.front`, where each statement starts and ends and where each body's braces are. A
:class:`PositionedParser` (a subclass of that package's parser, which it leaves unchanged) records those
positions on the nodes it builds: ``start``/``end`` (character offsets) on statements, ``open``/``close`` on
blocks and function bodies, ``name_at`` on methods and functions.

The package's checker types the resolved, ghost-free program; the verified program is ordinary source with
ghost variables, lemma calls, proof-only ``forall`` statements and locals whose types Dafny infers.
:class:`SourceChecker` (a subclass) skips ghost statements (marking them ``ghost``), infers a local's type
from its initializer, and checks only the declarations the hardware runs (reachable from the top method
through compiled calls), so that spec-only functions that the Python compiler would refuse do not matter.
"""

from __future__ import annotations

from verifiers.front import ast as A
from verifiers.front.checker import Checker, Scope
from verifiers.front.errors import UnsupportedConstruct
from verifiers.front.lexer import Token, tokenize
from verifiers.front.parser import Parser


class PositionedParser(Parser):
    """The package parser, recording character offsets of statements, blocks and declaration names."""

    def __init__(self, text: str, dialect: str = "dafny3") -> None:
        super().__init__(tokenize(text), dialect)

    def offset(self, tok: Token) -> int:
        return tok.start

    def end_offset(self, tok: Token) -> int:
        """Offset just after ``tok``."""
        return tok.end

    def statement(self) -> A.Stmt:
        first = self.tok
        s = super().statement()
        s.start = self.offset(first)  # type: ignore[attr-defined]
        s.end = self.end_offset(self.toks[self.i - 1])  # type: ignore[attr-defined]
        return s

    def block(self) -> A.Block:
        first = self.tok
        b = super().block()
        b.open = self.offset(first)  # type: ignore[attr-defined]
        b.close = self.offset(self.toks[self.i - 1])  # type: ignore[attr-defined]
        return b

    def _name_offset(self, start: int, name: str) -> int | None:
        for j in range(start, self.i):
            t = self.toks[j]
            if t.kind == "ident" and t.text == name and j > start:
                return self.offset(t)
        return None

    def _spec_words(self, start: int, words: tuple[str, ...], limit: int | None) -> list[int]:
        """Offsets of the spec keywords ``words`` among the tokens parsed since ``start`` (before ``limit``),
        outside brackets and not already ``free``."""
        out, depth = [], 0
        for j in range(start, self.i):
            t = self.toks[j]
            if limit is not None and self.offset(t) >= limit:
                break
            depth += t.is_op("(", "[") - t.is_op(")", "]")
            if depth == 0 and t.kind == "ident" and t.text in words and not self.toks[j - 1].is_word("free"):
                out.append(self.offset(t))
        return out

    def method(self, attrs: list[A.Attribute], mods: set[str]) -> A.Method:
        start = self.i
        m = super().method(attrs, mods)
        m.name_at = self._name_offset(start, m.name)  # type: ignore[attr-defined]
        limit = m.body.open if m.body is not None else None  # type: ignore[attr-defined]
        m.spec_at = self._spec_words(start, ("requires", "ensures"), limit)  # type: ignore[attr-defined]
        return m

    def while_stmt(self) -> A.Stmt:
        start = self.i
        s = super().while_stmt()
        if isinstance(s, A.While) and s.body is not None:
            s.spec_at = self._spec_words(start, ("invariant",), s.body.open)  # type: ignore[attr-defined]
        return s

    def for_stmt(self) -> A.Stmt:
        start = self.i
        s = super().for_stmt()
        if isinstance(s, A.ForLoop) and s.body is not None:
            s.spec_at = self._spec_words(start, ("invariant",), s.body.open)  # type: ignore[attr-defined]
        return s

    def function(self, attrs: list[A.Attribute], mods: set[str]) -> A.Function:
        start = self.i
        f = super().function(attrs, mods)
        f.name_at = self._name_offset(start, f.name)  # type: ignore[attr-defined]
        if f.body is not None:
            close = self.i - 1
            depth, j = 0, close
            while j >= start:
                t = self.toks[j]
                depth += t.is_op("}") - t.is_op("{")
                if depth == 0:
                    break
                j -= 1
            f.open = self.offset(self.toks[j])  # type: ignore[attr-defined]
            f.close = self.offset(self.toks[close])  # type: ignore[attr-defined]
        return f


def typed_program(text: str, top: str, dialect: str = "dafny3", dafny_path: str | None = None,
                  timeout: float = 60.0) -> tuple[A.Program, SourceChecker]:
    """Parse ``text`` with positions and type its hardware part; with ``dafny_path``, locals whose type Dafny
    infers from later uses get Dafny's own types first (one resolver run, only when such locals exist)."""
    from verifiers.front.parser import parse_program

    program = parse_positioned(text, dialect)
    if dafny_path and _literal_locals(program):
        printed = resolved_print(text, dafny_path, timeout)
        if printed:
            try:
                fill_local_types(program, parse_program(printed, dialect))
            except UnsupportedConstruct:
                pass  # the resolved print has a construct the parser does not model: keep the checker's types
    return program, check_source(program, top)


def parse_positioned(text: str, dialect: str = "dafny3") -> A.Program:
    """Parse ``text`` recording positions (see :class:`PositionedParser`).

    Raises:
        DafnySyntaxError: the text is not Dafny the parser reads.
        UnsupportedConstruct: a construct the parser recognizes but does not model.
    """
    return PositionedParser(text, dialect).program()


def is_ghost(node: A.Node) -> bool:
    """Whether the checker marked a statement as proof-only."""
    return bool(getattr(node, "ghost_stmt", False))


class SourceChecker(Checker):
    """Types the compiled parts of ordinary Dafny source (see the module docstring).

    ``reachable`` lists the methods and functions the hardware runs, the top first, in the order found.
    """

    def __init__(self, program: A.Program, top: str) -> None:
        super().__init__(program)
        self.top = top
        self.reachable: list[A.Method | A.Function] = []
        self._pending: list[A.Method | A.Function] = []

    def check(self) -> None:
        top = self.methods.get(self.top) or self.functions.get(self.top)
        if top is None:
            raise UnsupportedConstruct("top declaration", 0, f"no compiled method or function named {self.top}")
        self._pending = [top]
        while self._pending:
            decl = self._pending.pop(0)
            if decl in self.reachable:
                continue
            self.reachable.append(decl)
            try:
                if isinstance(decl, A.Function):
                    self.function(decl)
                else:
                    self.method(decl)
            except UnsupportedConstruct as exc:
                kind = 'function' if isinstance(decl, A.Function) else 'method'
                raise exc.in_decl(f"{kind} {decl.name}") from None

    def _reach(self, decl: A.Method | A.Function) -> None:
        if decl not in self.reachable and decl not in self._pending:
            self._pending.append(decl)

    # ------------------------------------------------------------------------------------------ calls

    def method_call(self, call: A.Call, scope: Scope) -> list[A.Type]:
        outs = super().method_call(call, scope)
        self._reach(call.callee.ref)  # type: ignore[attr-defined]
        return outs

    def expr_Call(self, e: A.Call, scope: Scope, expected: A.Type | None) -> A.Type:
        t = super().expr_Call(e, scope, expected)
        if getattr(e, "kind", "") == "function":
            self._reach(e.callee.ref)  # type: ignore[attr-defined]
        return t

    def expr_Name(self, e: A.Name, scope: Scope, expected: A.Type | None) -> A.Type:
        t = super().expr_Name(e, scope, expected)
        ref = getattr(e, "ref", None)
        if isinstance(ref, A.Function):
            self._reach(ref)
        return t

    # ------------------------------------------------------------------------------------------ ghost code

    def _begin(self, decl: A.Method | A.Function) -> Scope:
        """The declaration's scope, with its ghost parameters and results known as ghost variables."""
        scope = super()._begin(decl)
        formals = decl.params if isinstance(decl, A.Function) else decl.ins + decl.outs
        for f in formals:
            if f.ghost and f.name not in scope.vars:
                scope.vars[f.name] = self._ghost_var(f.name)
        return scope

    def _ghost(self, s: A.Stmt) -> None:
        s.ghost_stmt = True  # type: ignore[attr-defined]

    def _is_ghost_name(self, e: A.Expr, scope: Scope) -> bool:
        while isinstance(e, (A.Index, A.Member)):
            e = e.obj
        if isinstance(e, A.Name):
            v = scope.lookup(e.name)
            return v is not None and v.kind == "ghost"
        return False

    def stmt_VarDecl(self, s: A.VarDecl, scope: Scope) -> None:
        if any(v.ghost for v in s.vars):
            self._ghost(s)
            for v in s.vars:
                scope.vars[v.name] = self._ghost_var(v.name)
            return
        if s.such_that is not None or s.pattern is not None or all(v.type is not None for v in s.vars):
            super().stmt_VarDecl(s, scope)
            return
        types = self._infer(s, scope)
        for v, t in zip(s.vars, types, strict=True):
            v.var = self.declare(scope, v.name, v.type or t, t)  # type: ignore[attr-defined]

    def _ghost_var(self, name: str):
        from verifiers.front.checker import Var

        return Var(name, name, A.INT, A.INT, "ghost")

    def _infer(self, s: A.VarDecl, scope: Scope) -> list[A.Type]:
        """Types of ``var x := e`` locals: declared where written, else the initializer's type (as Dafny does
        for everything but a literal whose type a later use decides; such a literal is read as ``int``)."""
        declared = [self.norm(v.type) if v.type is not None else None for v in s.vars]
        if not s.rhss:
            raise UnsupportedConstruct("local variable without a type or initializer", s.line,
                                       ", ".join(v.name for v in s.vars))
        if len(s.rhss) == 1 and self.is_method_call(s.rhss[0], scope):
            outs = self.method_call(s.rhss[0], scope)  # type: ignore[arg-type]
            if len(outs) != len(s.vars):
                raise UnsupportedConstruct("method call with ghost or mismatched results", s.line)
            return [d or o for d, o in zip(declared, outs, strict=True)]
        if len(s.rhss) != len(s.vars):
            raise UnsupportedConstruct("declaration with mismatched sides", s.line)
        out = []
        for r, d in zip(s.rhss, declared, strict=True):
            t = self.rhs(r, scope, d)
            out.append(d or t)
        return out

    def _mentions_ghost(self, e: A.Expr, scope: Scope) -> bool:
        from verifiers.front.walk import walk

        for n in walk(e):
            if isinstance(n, A.Name):
                v = scope.lookup(n.name)
                if v is not None and v.kind == "ghost":
                    return True
        return False

    def stmt_If(self, s: A.If, scope: Scope) -> None:
        if s.cond is not None and self._mentions_ghost(s.cond, scope):
            self._ghost(s)  # a ghost `if`: its branches are proof only
            return
        super().stmt_If(s, scope)

    def stmt_While(self, s: A.While, scope: Scope) -> None:
        if s.cond is not None and self._mentions_ghost(s.cond, scope):
            self._ghost(s)
            return
        s.scope_vars = _visible(scope)  # type: ignore[attr-defined]
        super().stmt_While(s, scope)

    def stmt_Assign(self, s: A.Assign, scope: Scope) -> None:
        ghost = [self._is_ghost_name(e, scope) for e in s.lhss]
        if all(ghost):
            self._ghost(s)
            return
        if any(ghost):  # `r, at := cur, i;` with `at` ghost: the compiled part is `r := cur`
            if len(s.rhss) != len(s.lhss):
                raise UnsupportedConstruct("method call assigning ghost and compiled variables", s.line)
            s.ghost_targets = [i for i, g in enumerate(ghost) if g]  # type: ignore[attr-defined]
            types = [self.lhs(e, scope) for e, g in zip(s.lhss, ghost, strict=True) if not g]
            compiled = [r for r, g in zip(s.rhss, ghost, strict=True) if not g]
            self.rhs_list(compiled, types, scope, s.line)
            return
        super().stmt_Assign(s, scope)

    def stmt_CallStmt(self, s: A.CallStmt, scope: Scope) -> None:
        callee = s.call.callee
        if isinstance(callee, A.Name) and callee.name not in self.methods and scope.lookup(callee.name) is None:
            self._ghost(s)  # a lemma or ghost method: proof only
            return
        super().stmt_CallStmt(s, scope)

    def _forall_stmt(self, s: A.ForallStmt, scope: Scope) -> None:
        body = s.body.stmts if s.body is not None else []
        assigns = len(body) == 1 and isinstance(body[0], A.Assign) and len(body[0].lhss) == 1 and \
            isinstance(body[0].lhss[0], A.Index)
        if s.ensures or not assigns:
            self._ghost(s)  # a proof (lemma calls, aggregate ensures), not an array update
            return
        super().stmt_ForallStmt(s, scope)

    def bound(self, bvars: list[A.BoundVar], scope: Scope) -> None:
        """Bound variables; an untyped one (``forall i | 0 <= i < n``) gets the element type of a collection its
        range ranges over (``x in s``, see :meth:`_prefill`), else ``int``, as Dafny infers for index ranges."""
        for b in bvars:
            if b.type is None:
                b.type = A.INT
        super().bound(bvars, scope)

    def _in_type(self, name: str, range_: A.Expr | None, scope: Scope) -> A.Type | None:
        from verifiers.front.walk import walk

        if range_ is None:
            return None
        for n in walk(range_):
            if isinstance(n, A.Binary) and n.op == "in" and isinstance(n.left, A.Name) and n.left.name == name:
                try:
                    t = self.expr(n.right, scope)
                except UnsupportedConstruct:
                    return None
                return t.args[0] if t.args else None
        return None

    def _prefill(self, bvars: list[A.BoundVar], range_: A.Expr | None, scope: Scope) -> None:
        for b in bvars:
            if b.type is None:
                b.type = self._in_type(b.name, range_, scope) or A.INT

    def stmt_ForallStmt(self, s: A.ForallStmt, scope: Scope) -> None:
        self._prefill(s.vars, s.range, scope)
        self._forall_stmt(s, scope)

    def expr_Quantifier(self, e: A.Quantifier, scope: Scope, expected: A.Type | None) -> A.Type:
        self._prefill(e.vars, e.range if e.range is not None else e.body, scope)
        return super().expr_Quantifier(e, scope, expected)

    def expr_SetComp(self, e: A.SetComp, scope: Scope, expected: A.Type | None) -> A.Type:
        self._prefill(e.vars, e.range, scope)
        return super().expr_SetComp(e, scope, expected)

    def expr_MapComp(self, e: A.MapComp, scope: Scope, expected: A.Type | None) -> A.Type:
        self._prefill(e.vars, e.range, scope)
        return super().expr_MapComp(e, scope, expected)

    def stmt_ForLoop(self, s: A.ForLoop, scope: Scope) -> None:
        s.scope_vars = _visible(scope)  # type: ignore[attr-defined]
        super().stmt_ForLoop(s, scope)


def _visible(scope: Scope) -> list:
    """The variables visible in ``scope`` (innermost binding of each name)."""
    seen: dict[str, object] = {}
    s: Scope | None = scope
    while s is not None:
        for name, v in s.vars.items():
            seen.setdefault(name, v)
        s = s.parent
    return list(seen.values())


def _literal_locals(program: A.Program) -> bool:
    """Whether some local is declared without a type and initialized by integer literals only (``var c := 0xFF;``)
    or not at all (``var m;``): Dafny types it from later uses (a bit-vector, say), which the checker's
    initializer rule cannot see."""
    from verifiers.front.checker import _is_literal_expr
    from verifiers.front.walk import walk

    for d in program.decls:
        if isinstance(d, A.Method) and d.body is not None:
            for n in walk(d.body):
                if isinstance(n, A.VarDecl) and not n.rhss and any(v.type is None for v in n.vars):
                    return True
                if isinstance(n, A.VarDecl) and len(n.rhss) == len(n.vars) and any(
                        v.type is None and isinstance(r, A.Expr) and _is_literal_expr(r)
                        for v, r in zip(n.vars, n.rhss, strict=True)):
                    return True
    return False


def resolved_print(text: str, dafny_path: str, timeout: float = 60.0) -> str | None:
    """Dafny's resolved print of ``text`` with ghost code (every local's type written out), or ``None``."""
    import tempfile
    from pathlib import Path

    from pipeline.process import run_command
    from verifiers.dafny import extract_printed_program

    with tempfile.TemporaryDirectory(prefix="p2s-width-") as scratch:
        Path(scratch, "program.dfy").write_text(text, encoding="utf-8")
        res = run_command([dafny_path, "/compile:0", "/noVerify", "/rprint:-", "program.dfy"], cwd=scratch,
                          timeout=timeout)
    if res.timed_out or res.returncode != 0:
        return None
    return extract_printed_program(res.stdout) or None


def fill_local_types(program: A.Program, resolved: A.Program) -> int:
    """Give the untyped locals of ``program`` the types Dafny resolved (``resolved``: the resolved print of the
    same text); locals are matched by method, name and order. Returns how many types were filled in."""
    from verifiers.front.walk import walk

    def locals_of(m: A.Method) -> list[A.LocalVar]:
        return [v for n in walk(m.body) if isinstance(n, A.VarDecl) for v in n.vars] if m.body else []

    filled = 0
    for d in program.decls:
        r = resolved.find(d.name)
        if not (isinstance(d, A.Method) and isinstance(r, A.Method)):
            continue
        mine, theirs = locals_of(d), locals_of(r)
        if [v.name for v in mine] == [v.name for v in theirs]:
            pairs = list(zip(mine, theirs, strict=True))
        else:  # the printer wrote something differently: match names that have one type throughout
            types: dict[str, set[str]] = {}
            for v in theirs:
                types.setdefault(v.name, set()).add(str(v.type))
            unique = {v.name: v for v in theirs if len(types[v.name]) == 1}
            pairs = [(v, unique[v.name]) for v in mine if v.name in unique]
        for v, t in pairs:
            if v.type is None and t.type is not None:
                v.type = t.type
                filled += 1
    return filled


def check_source(program: A.Program, top: str) -> SourceChecker:
    """Type the hardware part of ``program`` (the top declaration ``top`` and what it calls).

    Raises:
        UnsupportedConstruct: a construct the checker does not model, with its declaration and line.
    """
    checker = SourceChecker(program, top)
    checker.check()
    return checker
