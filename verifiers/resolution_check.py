"""A cheap resolution check before Dafny runs: the scope errors small models make, in Dafny's own words.

The grammar used for decoding (``agents.grammar``) cannot see scopes; Dafny can, but a Dafny call costs seconds.
:func:`resolution_errors` walks the method bodies of a parsed program with a scope stack and reports, with the
messages Dafny 2.3 prints for them,

* ``Duplicate local-variable name: x`` — a ``var`` naming a result or a local of the same block;
* ``LHS of assignment must denote a mutable variable`` — an assignment to an in-parameter;
* ``unresolved identifier: x`` — a name no scope, declaration or binder provides (a name used before its
  ``var``, or never declared).

It must never reject a program Dafny resolves, so it stays silent where it is not sure: a program it cannot
parse (Dafny then reports the parse error), classes, modules, traits or ``match``, statements it does not
model, and names that any binder in the same expression could bind. ``tests/test_resolution_check.py`` checks
its messages against Dafny's and its silence on every verified program of the references and public corpora.
"""

from __future__ import annotations

from dataclasses import dataclass

from verifiers.front import ast as A
from verifiers.front.walk import walk

# Names an expression may use without a declaration of ours (built-in functions and types).
BUILTINS = frozenset({
    "fresh", "allocated", "unchanged", "old", "multiset", "set", "seq", "map", "iset", "imap", "null", "this",
    "int", "nat", "real", "bool", "char", "string", "array", "array2", "array3", "object", "ORDINAL", "result",
    "*",  # a nondeterministic choice: `x := *;`, `if * { ... }`
})
HANDLED = (A.VarDecl, A.Assign, A.AssignSuchThat, A.CallStmt, A.Block, A.If, A.While, A.ForLoop, A.Return,
           A.Break, A.GhostStmt, A.Print, A.ForallStmt)


@dataclass(frozen=True)
class ScopeError:
    """One resolution error: where (1-based line; column 1-based, 0 when unknown) and Dafny's message."""

    line: int
    column: int
    message: str


class _Unsure(Exception):
    """A construct the check does not model: it says nothing about this method."""


def resolution_errors(source: str) -> list[ScopeError]:
    """The scope errors of ``source``'s top-level methods; ``[]`` when there are none or it cannot tell."""
    from verifiers.front.errors import DafnySyntaxError, UnsupportedConstruct
    from verifiers.front.parser import parse_program, source_dialect

    try:
        program = parse_program(source, dialect=source_dialect(source))
    except (DafnySyntaxError, UnsupportedConstruct, RecursionError, ValueError, IndexError, KeyError):
        return []  # Dafny reports what it makes of the text
    if any(isinstance(d, (A.ClassDecl, A.ModuleDecl, A.Import)) for d in program.decls):
        return []
    globals_ = _global_names(program)
    errors: list[ScopeError] = []
    for decl in program.decls:
        if isinstance(decl, A.Method) and decl.body is not None:
            try:
                errors += _MethodCheck(decl, globals_).run()
            except _Unsure:
                continue
    return errors


def _global_names(program: A.Program) -> frozenset[str]:
    names: set[str] = set(BUILTINS)
    for d in program.decls:
        names.add(d.name)
        if isinstance(d, A.Datatype):
            for ctor in d.ctors:
                names.add(ctor.name)
                names.update(f.name for f in ctor.fields)
            names.update(m.name for m in d.members)
    return frozenset(names)


class _MethodCheck:
    def __init__(self, method: A.Method, globals_: frozenset[str]) -> None:
        self.ins = {f.name for f in method.ins}
        self.globals = globals_
        self.method = method
        # scope 0: the in-parameters (shadowable, immutable); scope 1: the results and the body's top level
        self.scopes: list[set[str]] = [set(self.ins), {f.name for f in method.outs}]
        self.errors: list[ScopeError] = []

    def run(self) -> list[ScopeError]:
        for stmt in self.method.body.stmts:
            self.stmt(stmt)
        return self.errors

    # ------------------------------------------------------------------------------------ scopes

    def declared(self, name: str) -> bool:
        return any(name in s for s in self.scopes) or name in self.globals

    def report(self, node: A.Node, message: str) -> None:
        self.errors.append(ScopeError(node.line, getattr(node, "column", 0) or 0, message))

    def block(self, stmts: list[A.Stmt], extra: set[str] = frozenset()) -> None:
        self.scopes.append(set(extra))
        for s in stmts:
            self.stmt(s)
        self.scopes.pop()

    def expr(self, e: A.Node | None) -> None:
        """Report names of ``e`` nothing declares (a name any binder inside ``e`` binds counts as bound)."""
        if e is None:
            return
        nodes = list(walk(e))
        bound = {v.name for n in nodes for v in getattr(n, "vars", []) if isinstance(v, A.BoundVar)}
        bound |= {n.var.name for n in nodes if isinstance(n, A.Pattern) and n.var is not None}
        bound |= {p.name for n in nodes if isinstance(n, A.Lambda) for p in n.params}
        if any(isinstance(n, (A.MatchExpr, A.StmtExpr)) for n in nodes):
            return
        for n in nodes:
            if isinstance(n, A.Name) and n.name not in bound and not self.declared(n.name):
                self.report(n, f"unresolved identifier: {n.name}")
                return  # one per expression, as Dafny's first complaint

    def rhs(self, r: A.Node) -> None:
        if isinstance(r, A.NewArray):
            for d in r.dims:
                self.expr(d)
            for x in r.display or []:
                self.expr(x)
            self.expr(r.init)
        elif isinstance(r, A.NewObject):
            raise _Unsure
        else:
            self.expr(r)

    # --------------------------------------------------------------------------------- statements

    def stmt(self, s: A.Stmt) -> None:
        if not isinstance(s, HANDLED):
            raise _Unsure
        if isinstance(s, A.VarDecl):
            if s.pattern is not None:
                raise _Unsure
            for r in s.rhss:
                self.rhs(r)
            here = self.scopes[-1]
            for v in s.vars:
                if v.name in here:
                    self.report(s, f"Duplicate local-variable name: {v.name}")
                here.add(v.name)
            self.expr(s.such_that)
        elif isinstance(s, (A.Assign, A.AssignSuchThat)):
            for r in getattr(s, "rhss", []):
                self.rhs(r)
            self.expr(getattr(s, "cond", None))
            for lhs in s.lhss:
                self.lhs(lhs)
        elif isinstance(s, A.CallStmt):
            self.expr(s.call)
        elif isinstance(s, A.Block):
            self.block(s.stmts)
        elif isinstance(s, A.If):
            self.expr(s.cond)
            self.block(s.then.stmts)
            if isinstance(s.else_, A.Block):
                self.block(s.else_.stmts)
            elif s.else_ is not None:
                self.stmt(s.else_)
        elif isinstance(s, A.While):
            self.scoped(set(), (s.cond, *s.invariants, *s.decreases, *s.modifies), s.body)
        elif isinstance(s, A.ForLoop):
            self.expr(s.lo)
            self.expr(s.hi)
            self.scoped({s.var.name}, (*s.invariants, *s.decreases), s.body)
        elif isinstance(s, A.Return):
            for r in s.values:
                self.rhs(r)
        elif isinstance(s, A.ForallStmt):
            self.scoped({v.name for v in s.vars}, (s.range, *s.ensures), s.body)
        elif isinstance(s, A.Print):
            for e in s.args:
                self.expr(e)
        elif isinstance(s, A.GhostStmt) and s.kind in ("assert", "assume"):
            for e in s.exprs:
                self.expr(e)

    def scoped(self, names: set[str], clauses: tuple, body: A.Block | None) -> None:
        """Clauses and a body that see ``names`` (a loop variable, a forall's bound variables; none for while)."""
        self.scopes.append(set(names))
        for e in clauses:
            self.expr(e)
        if body is not None:
            self.block(body.stmts)
        self.scopes.pop()

    def lhs(self, lhs: A.Expr) -> None:
        if not isinstance(lhs, A.Name):
            self.expr(lhs)
            return
        name = lhs.name
        for i in range(len(self.scopes) - 1, -1, -1):
            if name in self.scopes[i]:
                if i == 0:  # the innermost binding is an in-parameter
                    self.report(lhs, "LHS of assignment must denote a mutable variable")
                return
        if name not in self.globals:
            self.report(lhs, f"unresolved identifier: {name}")
