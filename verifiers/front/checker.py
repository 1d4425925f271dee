"""Resolution and typing: every name bound to its declaration, every expression annotated with its type.

The checker reads a resolved, ghost-free program (declared types on every local, as Dafny's printer writes them)
and fills in what the emitter needs and the syntax does not show: which operation an operator is (``+`` on
integers, bit-vectors, sequences, sets, multisets; ``<`` on numbers or sequence prefixes), which literals are
bit-vectors (``-1`` passed as a ``bv8`` is 255), which calls are methods, functions, constructors or function
values, and a Python name for every variable (unique where Dafny shadows). Types are *normalized* for semantics
(``nat``, subset types and newtypes become their base type, ``string`` becomes ``seq<char>``), while declarations
keep the written type for annotations.

Expression nodes get ``ty`` (normalized type); :class:`~verifiers.front.ast.Name` nodes get ``ref`` (a
:class:`Var`, :class:`~verifiers.front.ast.Function`, :class:`~verifiers.front.ast.Method` or
:class:`CtorRef`); :class:`~verifiers.front.ast.Call` nodes get ``kind`` (``function``, ``method``,
``ctor``, ``value``).
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass, field

from verifiers.front import ast as A
from verifiers.front.errors import UnsupportedConstruct

INT, BOOL, CHAR, REAL = A.INT, A.BOOL, A.CHAR, A.REAL
STR = A.seq_of(CHAR)

# Names the emitted module uses itself: a Dafny variable with one of these names gets a suffix.
RESERVED = set(keyword.kwlist) | {
    "len", "range", "print", "tuple", "list", "dict", "int", "str", "bool", "chr", "ord", "isinstance", "all",
    "any", "min", "max", "abs", "sum", "iter", "next", "frozenset", "object", "type", "super", "sys", "Counter",
    "dataclass", "dataclasses", "Callable", "TypeVar", "annotations", "None", "True", "False", "self", "zip",
    "map", "set", "reversed", "enumerate", "id", "hash", "float", "slice", "repr", "format", "input", "open",
    "nat",
}


def py_name(name: str) -> str:
    """A Dafny identifier as a Python identifier: ``'`` -> ``_q``, ``#`` -> ``_h``, ``?`` -> ``_Q``; Python
    keywords and the builtins the emitted code uses get a trailing ``_``."""
    out = name.replace("'", "_q").replace("#", "_h").replace("?", "_Q")
    if out in RESERVED or out.startswith("_dafny") or out.startswith("__"):
        out += "_"
    return out


@dataclass(eq=False)
class Var:
    """A variable: local, parameter, out-parameter, bound variable or constant."""

    name: str
    py: str
    type: A.Type  # as declared (for annotations)
    norm: A.Type  # normalized (for semantics)
    kind: str = "local"


@dataclass(eq=False)
class CtorRef:
    datatype: A.Datatype
    ctor: A.Ctor


@dataclass
class MethodInfo:
    """What the emitter needs to know about a compiled method or function."""

    decl: A.Method | A.Function
    py: str
    params: list[Var] = field(default_factory=list)  # non-ghost inputs
    outs: list[Var] = field(default_factory=list)  # non-ghost results (functions: one, named "result")
    ghost_params: list[int] = field(default_factory=list)  # positions of ghost inputs (dropped at calls)
    ghost_outs: list[int] = field(default_factory=list)


def is_typevar(t: A.Type) -> bool:
    return t.name.startswith("'")


def elem(t: A.Type) -> A.Type:
    return t.args[0] if t.args else A.Type("'?")


class Scope:
    def __init__(self, parent: Scope | None = None) -> None:
        self.parent = parent
        self.vars: dict[str, Var] = {}

    def lookup(self, name: str) -> Var | None:
        s: Scope | None = self
        while s is not None:
            if name in s.vars:
                return s.vars[name]
            s = s.parent
        return None

    def live_py(self) -> set[str]:
        out: set[str] = set()
        s: Scope | None = self
        while s is not None:
            out |= {v.py for v in s.vars.values()}
            s = s.parent
        return out


class Checker:
    """Checks one program; use :func:`check_program`."""

    def __init__(self, program: A.Program) -> None:
        self.program = program
        self.datatypes: dict[str, A.Datatype] = {}
        self.ctors: dict[str, CtorRef] = {}
        self.subsets: dict[str, A.SubsetType] = {}
        self.synonyms: dict[str, A.TypeSynonym] = {}
        self.functions: dict[str, A.Function] = {}
        self.methods: dict[str, A.Method] = {}
        self.consts: dict[str, Var] = {}
        self.infos: dict[int, MethodInfo] = {}
        self.global_py: set[str] = set()
        self.ctor_py: dict[tuple[str, str], str] = {}
        self.type_params: list[set[str]] = []
        # per function body
        self.used_py: dict[str, A.Type] = {}
        self.current: MethodInfo | None = None
        self.collect()

    # ------------------------------------------------------------------------------------------ globals

    def collect(self) -> None:
        for d in self.program.decls:
            if isinstance(d, A.ModuleDecl):
                raise UnsupportedConstruct("module", d.line, f"module {d.name}")
            if isinstance(d, A.Import):
                raise UnsupportedConstruct("import", d.line)
            if isinstance(d, A.ClassDecl):
                raise UnsupportedConstruct(d.kind, d.line, f"{d.kind} {d.name}")
            if isinstance(d, A.Datatype):
                if d.co:
                    raise UnsupportedConstruct("codatatype", d.line, d.name)
                if d.members:
                    raise UnsupportedConstruct("datatype members", d.line, d.name)
                self.datatypes[d.name] = d
                for c in d.ctors:
                    self.ctors[c.name] = CtorRef(d, c)
            elif isinstance(d, A.SubsetType):
                self.subsets[d.name] = d
            elif isinstance(d, A.TypeSynonym):
                self.synonyms[d.name] = d
            elif isinstance(d, A.Function):
                if d.compiled:
                    self.functions[d.name] = d
            elif isinstance(d, A.Method):
                if not d.ghost:
                    self.methods[d.name] = d
            elif isinstance(d, A.Const):
                if d.ghost:
                    continue
                if d.type is None:
                    raise UnsupportedConstruct("constant without a type", d.line, d.name)
                v = Var(d.name, py_name(d.name), d.type, self.norm(d.type), "const")
                self.consts[d.name] = v
            elif isinstance(d, A.Field):
                raise UnsupportedConstruct("field outside a class", d.line, d.name)
        self.global_py = {py_name(n) for n in [*self.datatypes, *self.functions, *self.methods, *self.consts,
                                                *self.subsets, *self.synonyms]}
        all_ctor_names = [c.name for d in self.datatypes.values() for c in d.ctors]
        for d in self.datatypes.values():
            for c in d.ctors:
                simple = py_name(c.name)
                clash = simple in self.global_py or all_ctor_names.count(c.name) > 1
                self.ctor_py[(d.name, c.name)] = py_name(f"{d.name}_{c.name}") if clash else simple
        self.global_py |= set(self.ctor_py.values())

    # ------------------------------------------------------------------------------------------ types

    def norm(self, t: A.Type, subst: dict[str, A.Type] | None = None) -> A.Type:
        """The semantic type behind ``t``: synonyms expanded, subset types and newtypes replaced by their base,
        ``nat``/``ORDINAL`` -> ``int``, ``string`` -> ``seq<char>``, type parameters as ``'T``."""
        n = t.name
        if subst and n in subst:
            return subst[n]
        if any(n in tp for tp in self.type_params):
            return A.Type("'" + n)
        args = tuple(self.norm(a, subst) for a in t.args)
        if n in ("int", "nat"):
            return INT
        if n == "ORDINAL":
            raise UnsupportedConstruct("ORDINAL", 0)
        if n == "string":
            return STR
        if n in ("bool", "char", "real") or t.bv_width is not None:
            return A.Type(n)
        if t.array_dims and not args:  # `a: array`: Dafny infers the element type, we do not
            raise UnsupportedConstruct("array without an element type", 0, f"{n} (write {n}<int>, say)")
        if n in ("seq", "set", "multiset", "map", "tuple", "->", "-->", "~>") or t.array_dims:
            if n in ("-->", "~>"):
                n = "->"
            return A.Type(n, args)
        if n in ("iset", "imap"):
            raise UnsupportedConstruct(n, 0)
        if n in self.subsets:
            st = self.subsets[n]
            inner = dict(zip([p.name for p in st.type_params], args, strict=False))
            return self.norm(st.base, inner or None)
        if n in self.synonyms:
            syn = self.synonyms[n]
            if syn.rhs is None:
                raise UnsupportedConstruct("opaque type", syn.line, n)
            inner = dict(zip([p.name for p in syn.type_params], args, strict=False))
            return self.norm(syn.rhs, inner or None)
        if n in self.datatypes:
            return A.Type(n, args)
        if n in ("object", "object?"):
            raise UnsupportedConstruct("object type", 0)
        raise UnsupportedConstruct(f"type {t}", 0, "unknown or unsupported type")

    def unify(self, pattern: A.Type, actual: A.Type | None, binding: dict[str, A.Type]) -> None:
        """Bind the type variables of ``pattern`` (names ``'T``) from ``actual``, as far as they match."""
        if actual is None or is_typevar(actual) and actual.name == "'?":
            return
        if is_typevar(pattern):
            binding.setdefault(pattern.name, actual)
            return
        if pattern.name == actual.name and len(pattern.args) == len(actual.args):
            for p, a in zip(pattern.args, actual.args, strict=True):
                self.unify(p, a, binding)

    def subst(self, t: A.Type, binding: dict[str, A.Type]) -> A.Type:
        if is_typevar(t):
            return binding.get(t.name, t)
        if not t.args:
            return t
        return A.Type(t.name, tuple(self.subst(a, binding) for a in t.args), t.nullable)

    def datatype_of(self, t: A.Type) -> A.Datatype | None:
        return self.datatypes.get(t.name)

    def field_type(self, dt: A.Datatype, dtype: A.Type, f: A.Formal) -> A.Type:
        self.type_params.append({p.name for p in dt.type_params})
        try:
            ft = self.norm(f.type)
        finally:
            self.type_params.pop()
        binding = {"'" + p.name: a for p, a in zip(dt.type_params, dtype.args, strict=False)}
        return self.subst(ft, binding)

    # ------------------------------------------------------------------------------------------ program

    def check(self) -> None:
        for d in self.program.decls:
            if isinstance(d, A.Const) and not d.ghost and d.value is not None:
                self.type_params.append(set())
                self.expr(d.value, Scope(), self.consts[d.name].norm)
                self.type_params.pop()
        for d in self.program.decls:
            try:
                if isinstance(d, A.Function) and d.compiled:
                    self.function(d)
                elif isinstance(d, A.Method) and not d.ghost:
                    self.method(d)
            except UnsupportedConstruct as exc:
                raise exc.in_decl(decl_label(d)) from None

    def info(self, decl: A.Method | A.Function) -> MethodInfo:
        key = id(decl)
        if key not in self.infos:
            self.type_params.append({p.name for p in decl.type_params})
            try:
                mi = MethodInfo(decl, py_name(decl.name))
                ins = decl.params if isinstance(decl, A.Function) else decl.ins
                for i, f in enumerate(ins):
                    if f.ghost:
                        mi.ghost_params.append(i)
                    else:
                        mi.params.append(Var(f.name, py_name(f.name), f.type, self.norm(f.type), "param"))
                if isinstance(decl, A.Function):
                    mi.outs.append(Var("result", "result", decl.result, self.norm(decl.result), "out"))
                else:
                    for i, f in enumerate(decl.outs):
                        if f.ghost:
                            mi.ghost_outs.append(i)
                        else:
                            mi.outs.append(Var(f.name, py_name(f.name), f.type, self.norm(f.type), "out"))
            finally:
                self.type_params.pop()
            self.infos[key] = mi
        return self.infos[key]

    def _begin(self, decl: A.Method | A.Function) -> Scope:
        mi = self.info(decl)
        self.current = mi
        self.used_py = {}
        scope = Scope()
        for v in mi.params + (mi.outs if isinstance(decl, A.Method) else []):
            v.py = self.fresh(v.name, v.norm, scope)
            scope.vars[v.name] = v
        return scope

    def function(self, d: A.Function) -> None:
        if d.body is None:
            raise UnsupportedConstruct("function without a body", d.line, d.name)
        self.type_params.append({p.name for p in d.type_params})
        try:
            scope = self._begin(d)
            self.expr(d.body, scope, self.info(d).outs[0].norm)
        finally:
            self.type_params.pop()

    def method(self, d: A.Method) -> None:
        if d.kind == "constructor":
            raise UnsupportedConstruct("constructor", d.line)
        if d.body is None:
            # Dafny's printer leaves out a body that is empty once ghost code is erased (``method M() {}``); a
            # source method that really has no body is refused by check_source_bodies before Dafny runs.
            d.body = A.Block([], line=d.line)
        self.type_params.append({p.name for p in d.type_params})
        try:
            scope = self._begin(d)
            self.block(d.body.stmts, Scope(scope))
        finally:
            self.type_params.pop()

    def fresh(self, name: str, norm: A.Type, scope: Scope) -> str:
        """A Python name for a new variable: its Dafny name unless that would shadow a live variable, clash with
        a global, or reuse a name that held another type in this function."""
        base = py_name(name)
        live = scope.live_py()
        cand, k = base, 0
        while cand in live or cand in self.global_py or (cand in self.used_py and self.used_py[cand] != norm):
            k += 1
            cand = f"{base}_{k}"
        self.used_py[cand] = norm
        return cand

    def declare(self, scope: Scope, name: str, typ: A.Type, norm: A.Type, kind: str = "local") -> Var:
        v = Var(name, self.fresh(name, norm, scope), typ, norm, kind)
        scope.vars[name] = v
        return v

    # ------------------------------------------------------------------------------------------ statements

    def block(self, stmts: list[A.Stmt], scope: Scope) -> None:
        for s in stmts:
            self.stmt(s, scope)

    def stmt(self, s: A.Stmt, scope: Scope) -> None:
        meth = getattr(self, "stmt_" + type(s).__name__, None)
        if meth is None:
            raise UnsupportedConstruct(type(s).__name__, s.line)
        meth(s, scope)

    def stmt_Block(self, s: A.Block, scope: Scope) -> None:
        self.block(s.stmts, Scope(scope))

    def stmt_VarDecl(self, s: A.VarDecl, scope: Scope) -> None:
        if s.pattern is not None:
            raise UnsupportedConstruct("pattern variable declaration", s.line)
        if any(v.ghost for v in s.vars):
            raise UnsupportedConstruct("ghost variable", s.line)
        types = []
        for v in s.vars:
            if v.type is None:
                raise UnsupportedConstruct("local variable without a type", s.line, v.name)
            types.append(self.norm(v.type))
        if s.such_that is not None:
            inner = Scope(scope)
            for v, t in zip(s.vars, types, strict=True):
                v.var = self.declare(inner, v.name, v.type, t)  # type: ignore[attr-defined]
            self.expr(s.such_that, inner, BOOL)
            for v in s.vars:
                scope.vars[v.name] = v.var  # type: ignore[attr-defined]
            return
        self.rhs_list(s.rhss, types, scope, s.line)
        for v, t in zip(s.vars, types, strict=True):
            v.var = self.declare(scope, v.name, v.type, t)  # type: ignore[attr-defined]

    def rhs_list(self, rhss: list[A.Rhs], types: list[A.Type | None], scope: Scope, line: int) -> None:
        """Check right-hand sides against the targets' types (one method call may produce several values)."""
        if not rhss:
            return
        if len(rhss) == 1 and self.is_method_call(rhss[0], scope):
            outs = self.method_call(rhss[0], scope)  # type: ignore[arg-type]
            if len(outs) != len(types):
                raise UnsupportedConstruct("method call with ghost or mismatched results", line)
            return
        if len(rhss) != len(types):
            raise UnsupportedConstruct("assignment with mismatched sides", line)
        for r, t in zip(rhss, types, strict=True):
            self.rhs(r, scope, t)

    def is_method_call(self, e: A.Rhs, scope: Scope) -> bool:
        return isinstance(e, A.Call) and isinstance(e.callee, A.Name) and e.callee.name in self.methods and \
            scope.lookup(e.callee.name) is None

    def method_call(self, call: A.Call, scope: Scope) -> list[A.Type]:
        assert isinstance(call.callee, A.Name)
        m = self.methods[call.callee.name]
        mi = self.info(m)
        call.kind = "method"  # type: ignore[attr-defined]
        call.callee.ref = m  # type: ignore[attr-defined]
        binding = self.call_args(call, mi, scope)
        outs = [self.subst(v.norm, binding) for v in mi.outs]
        call.ty = A.Type("tuple", tuple(outs)) if len(outs) != 1 else outs[0]
        call.out_types = outs  # type: ignore[attr-defined]
        return outs

    def call_args(self, call: A.Call, mi: MethodInfo, scope: Scope) -> dict[str, A.Type]:
        decl = mi.decl
        ins = decl.params if isinstance(decl, A.Function) else decl.ins
        if len(call.args) != len(ins):
            raise UnsupportedConstruct("call with a wrong number of arguments", call.line, decl.name)
        kept = [a for i, a in enumerate(call.args) if i not in mi.ghost_params]
        call.compiled_args = kept  # type: ignore[attr-defined]
        binding: dict[str, A.Type] = {}
        explicit = call.callee.type_args if isinstance(call.callee, A.Name) else []
        for tp, ta in zip(decl.type_params, explicit, strict=False):
            binding["'" + tp.name] = self.norm(ta)
        for arg, v in zip(kept, mi.params, strict=True):
            expected = self.subst(v.norm, binding)
            at = self.expr(arg, scope, None if _has_typevar(expected) else expected)
            self.unify(v.norm, at, binding)
        return binding

    def rhs(self, r: A.Rhs, scope: Scope, expected: A.Type | None) -> A.Type:
        if isinstance(r, A.NewArray):
            return self.new_array(r, scope, expected)
        if isinstance(r, A.NewObject):
            raise UnsupportedConstruct("new object", r.line)
        return self.expr(r, scope, expected)

    def new_array(self, r: A.NewArray, scope: Scope, expected: A.Type | None = None) -> A.Type:
        if r.elem is A.INFERRED:
            if expected is None or expected.array_dims != len(r.dims):
                raise UnsupportedConstruct("new array without its element type", r.line,
                                           "write new int[n] [...], say, or declare the variable's type")
            r.elem = expected.args[0]
        et = self.norm(r.elem)
        for d in r.dims:
            if d is None:
                raise UnsupportedConstruct("array display without a size", r.line)
            self.expr(d, scope, INT)
        if r.display is not None:
            for item in r.display:
                self.expr(item, scope, et)
        if r.init is not None:
            self.expr(r.init, scope, A.Type("->", tuple([INT] * len(r.dims)) + (et,)))
        name = "array" if len(r.dims) == 1 else f"array{len(r.dims)}"
        r.elem_norm = et  # type: ignore[attr-defined]
        return A.Type(name, (et,))

    def lhs(self, e: A.Expr, scope: Scope) -> A.Type:
        if isinstance(e, A.Name):
            v = scope.lookup(e.name)
            if v is None:
                raise UnsupportedConstruct("assignment to an unknown variable (ghost or field)", e.line, e.name)
            return self.expr(e, scope)
        if isinstance(e, A.Index):
            return self.expr(e, scope)
        if isinstance(e, A.Member):
            raise UnsupportedConstruct("field assignment", e.line)
        raise UnsupportedConstruct("assignment target", e.line)

    def stmt_Assign(self, s: A.Assign, scope: Scope) -> None:
        if len(s.rhss) == 1 and self.is_method_call(s.rhss[0], scope):
            callee = self.methods[s.rhss[0].callee.name]  # type: ignore[union-attr]
            ghost = self.info(callee).ghost_outs
            if ghost and len(s.lhss) == len(callee.outs):
                # `g, x := M(a)` with a ghost result: the printer keeps the ghost target (its declaration is gone)
                s.lhss = [e for i, e in enumerate(s.lhss) if i not in ghost]
        elif len(s.lhss) == len(s.rhss) > 1:
            # `r, g := e1, e2` with a ghost variable `g`: the printer keeps the statement but not g's declaration
            # (a resolved program has no other undeclared targets), so the ghost pair is dropped as Dafny's
            # compiler drops it
            pairs = [(lhs, rhs) for lhs, rhs in zip(s.lhss, s.rhss, strict=True)
                     if not (isinstance(lhs, A.Name) and scope.lookup(lhs.name) is None)]
            s.lhss, s.rhss = [p[0] for p in pairs], [p[1] for p in pairs]
        types = [self.lhs(e, scope) for e in s.lhss]
        self.rhs_list(s.rhss, types, scope, s.line)

    def stmt_AssignSuchThat(self, s: A.AssignSuchThat, scope: Scope) -> None:
        for e in s.lhss:
            self.lhs(e, scope)
        self.expr(s.cond, scope, BOOL)

    def stmt_CallStmt(self, s: A.CallStmt, scope: Scope) -> None:
        if self.is_method_call(s.call, scope):
            self.method_call(s.call, scope)
            return
        raise UnsupportedConstruct("call statement of a non-method", s.line)

    def stmt_If(self, s: A.If, scope: Scope) -> None:
        if s.cond is None:
            raise UnsupportedConstruct("nondeterministic if (if *)", s.line)
        self.expr(s.cond, scope, BOOL)
        self.stmt(s.then, scope)
        if s.else_ is not None:
            self.stmt(s.else_, scope)

    def stmt_AltIf(self, s: A.AltIf, scope: Scope) -> None:
        for c in s.cases:
            self.expr(c.guard, scope, BOOL)
            self.block(c.body, Scope(scope))

    def stmt_While(self, s: A.While, scope: Scope) -> None:
        if s.cond is None:
            raise UnsupportedConstruct("nondeterministic loop (while *)", s.line)
        if s.body is None:
            raise UnsupportedConstruct("loop without a body", s.line)
        self.expr(s.cond, scope, BOOL)
        self.stmt(s.body, scope)

    def stmt_AltWhile(self, s: A.AltWhile, scope: Scope) -> None:
        for c in s.cases:
            self.expr(c.guard, scope, BOOL)
            self.block(c.body, Scope(scope))

    def stmt_ForLoop(self, s: A.ForLoop, scope: Scope) -> None:
        if s.hi is None:
            raise UnsupportedConstruct("unbounded for loop (to *)", s.line)
        if s.body is None:
            raise UnsupportedConstruct("loop without a body", s.line)
        typ = s.var.type or A.INT
        t = self.norm(typ)
        self.expr(s.lo, scope, t)
        self.expr(s.hi, scope, t)
        inner = Scope(scope)
        s.var.var = self.declare(inner, s.var.name, typ, t)  # type: ignore[attr-defined]
        self.stmt(s.body, inner)

    def stmt_MatchStmt(self, s: A.MatchStmt, scope: Scope) -> None:
        st = self.expr(s.scrutinee, scope)
        for c in s.cases:
            inner = Scope(scope)
            self.pattern(c.pattern, st, inner)
            assert isinstance(c.body, list)
            self.block(c.body, inner)

    def stmt_ForallStmt(self, s: A.ForallStmt, scope: Scope) -> None:
        if s.body is None or len(s.body.stmts) != 1 or not isinstance(s.body.stmts[0], A.Assign):
            raise UnsupportedConstruct("forall statement that is not a single array assignment", s.line)
        body = s.body.stmts[0]
        if len(body.lhss) != 1 or not isinstance(body.lhss[0], A.Index) or len(body.rhss) != 1:
            raise UnsupportedConstruct("forall statement that is not a single array assignment", s.line)
        inner = Scope(scope)
        self.bound(s.vars, inner)
        if s.range is not None:
            self.expr(s.range, inner, BOOL)
        target = self.expr(body.lhss[0].obj, inner)
        if not target.array_dims:
            raise UnsupportedConstruct("forall statement over a non-array", s.line)
        self.stmt_Assign(body, inner)

    def stmt_Print(self, s: A.Print, scope: Scope) -> None:
        for a in s.args:
            self.expr(a, scope)

    def stmt_Return(self, s: A.Return, scope: Scope) -> None:
        assert self.current is not None
        decl = self.current.decl
        ghost = self.current.ghost_outs
        if s.values and ghost and isinstance(decl, A.Method) and len(s.values) == len(decl.outs):
            s.values = [v for i, v in enumerate(s.values) if i not in ghost]  # values of ghost results: erased
        if s.values:
            types: list[A.Type | None] = [v.norm for v in self.current.outs]
            self.rhs_list(s.values, types, scope, s.line)

    def stmt_Break(self, s: A.Break, scope: Scope) -> None:
        pass

    def stmt_GhostStmt(self, s: A.GhostStmt, scope: Scope) -> None:
        pass  # proof-only: not compiled

    def stmt_Expect(self, s: A.Expect, scope: Scope) -> None:
        self.expr(s.cond, scope, BOOL)
        if s.message is not None:
            self.expr(s.message, scope)

    def bound(self, bvars: list[A.BoundVar], scope: Scope) -> None:
        for b in bvars:
            if b.type is None:
                raise UnsupportedConstruct("bound variable without a type", b.line, b.name)
            b.var = self.declare(scope, b.name, b.type, self.norm(b.type), "bound")  # type: ignore[attr-defined]

    def pattern(self, p: A.Pattern, t: A.Type, scope: Scope) -> None:
        p.ty = t  # type: ignore[attr-defined]
        dt = self.datatype_of(t)
        if p.var is not None and p.var.type is None and dt is not None and \
                any(c.name == p.var.name and not c.fields for c in dt.ctors):
            p.ctor, p.var = p.var.name, None  # a bare name that is a nullary constructor: `case Leaf =>`
        if p.var is not None:
            vt = self.norm(p.var.type) if p.var.type is not None else t
            p.var.var = self.declare(scope, p.var.name, p.var.type or t, vt, "bound")  # type: ignore[attr-defined]
            return
        if p.literal is not None:
            self.expr(p.literal, scope, t)
            return
        if p.ctor == "tuple":
            if t.name != "tuple" or len(t.args) != len(p.args):
                raise UnsupportedConstruct("tuple pattern", p.line)
            for sub, st in zip(p.args, t.args, strict=True):
                self.pattern(sub, st, scope)
            return
        assert p.ctor is not None
        ref = self.ctors.get(p.ctor.split(".")[-1])
        if ref is None:
            raise UnsupportedConstruct("pattern", p.line, f"unknown constructor {p.ctor}")
        p.ctor_ref = ref  # type: ignore[attr-defined]
        if len(p.args) != len(ref.ctor.fields):
            raise UnsupportedConstruct("pattern", p.line, f"wrong number of arguments to {p.ctor}")
        for sub, f in zip(p.args, ref.ctor.fields, strict=True):
            self.pattern(sub, self.field_type(ref.datatype, t, f), scope)

    # ------------------------------------------------------------------------------------------ expressions

    def expr(self, e: A.Expr, scope: Scope, expected: A.Type | None = None) -> A.Type:
        meth = getattr(self, "expr_" + type(e).__name__, None)
        if meth is None:
            raise UnsupportedConstruct(type(e).__name__, e.line)
        t = meth(e, scope, expected)
        e.ty = t
        return t

    def expr_Paren(self, e: A.Paren, scope: Scope, expected: A.Type | None) -> A.Type:
        return self.expr(e.inner, scope, expected)

    def expr_Literal(self, e: A.Literal, scope: Scope, expected: A.Type | None) -> A.Type:
        if e.kind == "int":
            if expected is not None and (expected.bv_width is not None or expected.name == "int"):
                return expected
            if expected is not None and expected.name == "real":
                raise UnsupportedConstruct("integer literal used as a real", e.line)
            return INT
        if e.kind == "real":
            return REAL
        if e.kind == "bool":
            return BOOL
        if e.kind == "char":
            return CHAR
        if e.kind == "string":
            return STR
        raise UnsupportedConstruct("null", e.line)

    def expr_This(self, e: A.This, scope: Scope, expected: A.Type | None) -> A.Type:
        raise UnsupportedConstruct("this", e.line)

    def expr_Name(self, e: A.Name, scope: Scope, expected: A.Type | None) -> A.Type:
        v = scope.lookup(e.name) or self.consts.get(e.name)
        if v is not None:
            e.ref = v  # type: ignore[attr-defined]
            return v.norm
        if e.name in self.ctors:
            ref = self.ctors[e.name]
            if ref.ctor.fields:
                raise UnsupportedConstruct("constructor used as a function value", e.line, e.name)
            e.ref = ref  # type: ignore[attr-defined]
            return self.ctor_type(ref, expected, {})
        if e.name in self.functions:
            f = self.functions[e.name]
            mi = self.info(f)
            if f.type_params or mi.ghost_params:
                raise UnsupportedConstruct("generic function used as a value", e.line, e.name)
            e.ref = f  # type: ignore[attr-defined]
            return A.Type("->", tuple(v.norm for v in mi.params) + (mi.outs[0].norm,))
        if e.name in self.methods:
            raise UnsupportedConstruct("method used in an expression", e.line, e.name)
        raise UnsupportedConstruct("reference to an unknown name (ghost or erased)", e.line, e.name)

    def ctor_type(self, ref: CtorRef, expected: A.Type | None, binding: dict[str, A.Type]) -> A.Type:
        dt = ref.datatype
        if expected is not None and expected.name == dt.name:
            for tp, a in zip(dt.type_params, expected.args, strict=False):
                binding.setdefault("'" + tp.name, a)
        args = tuple(binding.get("'" + tp.name, A.Type("'?")) for tp in dt.type_params)
        return A.Type(dt.name, args)

    def expr_Unary(self, e: A.Unary, scope: Scope, expected: A.Type | None) -> A.Type:
        if e.op == "!":
            t = self.expr(e.operand, scope, expected if expected is not None and expected.bv_width else BOOL)
            return t
        return self.expr(e.operand, scope, expected)

    def _pair(self, left: A.Expr, right: A.Expr, scope: Scope, expected: A.Type | None) -> tuple[A.Type, A.Type]:
        """Type two operands that share a type; a literal side takes the other side's type."""
        if _is_literal_expr(left) and not _is_literal_expr(right):
            rt = self.expr(right, scope, expected)
            return self.expr(left, scope, rt), rt
        lt = self.expr(left, scope, expected)
        return lt, self.expr(right, scope, lt)

    def expr_Binary(self, e: A.Binary, scope: Scope, expected: A.Type | None) -> A.Type:
        op = e.op
        if op in ("&&", "||", "==>", "<==", "<==>"):
            self.expr(e.left, scope, BOOL)
            self.expr(e.right, scope, BOOL)
            return BOOL
        if op in ("in", "!in"):
            ct = self.expr(e.right, scope)
            key = ct.args[0] if ct.args else None
            self.expr(e.left, scope, key)
            return BOOL
        if op in ("==", "!=", "<", "<=", ">", ">=", "!!"):
            self._pair(e.left, e.right, scope, None)
            return BOOL
        if op in ("<<", ">>"):
            lt = self.expr(e.left, scope, expected)
            self.expr(e.right, scope, INT if _is_literal_expr(e.right) else None)
            return lt
        if op in ("+", "-", "*", "/", "%", "&", "|", "^"):
            lt, rt = self._pair(e.left, e.right, scope, expected)
            if lt.name == "'?":
                return rt
            return lt
        raise UnsupportedConstruct(f"operator {op}", e.line)

    def expr_Chain(self, e: A.Chain, scope: Scope, expected: A.Type | None) -> A.Type:
        concrete = next((o for o in e.operands if not _is_literal_expr(o)), e.operands[0])
        t = self.expr(concrete, scope)
        for o in e.operands:
            if o is not concrete:
                self.expr(o, scope, t)
        return BOOL

    def expr_Ite(self, e: A.Ite, scope: Scope, expected: A.Type | None) -> A.Type:
        self.expr(e.cond, scope, BOOL)
        if _is_literal_expr(e.then) and not _is_literal_expr(e.else_) and expected is None:
            et = self.expr(e.else_, scope, expected)
            return self.expr(e.then, scope, et)
        tt = self.expr(e.then, scope, expected)
        et = self.expr(e.else_, scope, tt if tt.name != "'?" else expected)
        return et if tt.name == "'?" or _has_typevar(tt) and not _has_typevar(et) else tt

    def expr_Call(self, e: A.Call, scope: Scope, expected: A.Type | None) -> A.Type:
        callee = e.callee
        if isinstance(callee, A.Member) and isinstance(callee.obj, A.Name) and callee.obj.name in self.datatypes \
                and callee.name in self.ctors:
            callee = A.Name(callee.name, line=callee.line)
            e.callee = callee
        if isinstance(callee, A.Name) and scope.lookup(callee.name) is None and callee.name not in self.consts:
            name = callee.name
            if name in self.functions:
                f = self.functions[name]
                mi = self.info(f)
                e.kind = "function"  # type: ignore[attr-defined]
                callee.ref = f  # type: ignore[attr-defined]
                binding = self.call_args(e, mi, scope)
                return self.subst(mi.outs[0].norm, binding)
            if name in self.ctors:
                ref = self.ctors[name]
                e.kind = "ctor"  # type: ignore[attr-defined]
                callee.ref = ref  # type: ignore[attr-defined]
                if len(e.args) != len(ref.ctor.fields):
                    raise UnsupportedConstruct("constructor call with a wrong number of arguments", e.line, name)
                binding: dict[str, A.Type] = {}
                if expected is not None and expected.name == ref.datatype.name:
                    for tp, a in zip(ref.datatype.type_params, expected.args, strict=False):
                        if a.name != "'?":
                            binding["'" + tp.name] = a
                self.type_params.append({p.name for p in ref.datatype.type_params})
                try:
                    ftypes = [self.norm(f.type) for f in ref.ctor.fields]
                finally:
                    self.type_params.pop()
                for arg, ft in zip(e.args, ftypes, strict=True):
                    want = self.subst(ft, binding)
                    at = self.expr(arg, scope, None if _has_typevar(want) else want)
                    self.unify(ft, at, binding)
                e.compiled_args = e.args  # type: ignore[attr-defined]
                return self.ctor_type(ref, expected, binding)
            if name in self.methods:
                raise UnsupportedConstruct("method call inside an expression", e.line, name)
            raise UnsupportedConstruct("call of an unknown (ghost or erased) function", e.line, name)
        ft = self.expr(callee, scope)
        if ft.name != "->":
            raise UnsupportedConstruct("call of a non-function value", e.line)
        params, result = ft.args[:-1], ft.args[-1]
        if len(params) != len(e.args):
            raise UnsupportedConstruct("function value called with a wrong number of arguments", e.line)
        for a, pt in zip(e.args, params, strict=True):
            self.expr(a, scope, pt)
        e.kind = "value"  # type: ignore[attr-defined]
        e.compiled_args = e.args  # type: ignore[attr-defined]
        return result

    def expr_Member(self, e: A.Member, scope: Scope, expected: A.Type | None) -> A.Type:
        if isinstance(e.obj, A.Name) and e.obj.name in self.datatypes and scope.lookup(e.obj.name) is None:
            ref = self.ctors.get(e.name)
            if ref is None or ref.datatype.name != e.obj.name or ref.ctor.fields:
                raise UnsupportedConstruct("qualified name", e.line, f"{e.obj.name}.{e.name}")
            e.ref = ref  # type: ignore[attr-defined]
            return self.ctor_type(ref, expected, {})
        ot = self.expr(e.obj, scope)
        name = e.name
        dims = ot.array_dims
        if dims:
            if name == "Length" and dims == 1 or name.startswith("Length") and name[6:].isdigit() and \
                    int(name[6:]) < dims:
                return INT
            raise UnsupportedConstruct(f"array member .{name}", e.line)
        if ot.name == "map":
            if name == "Keys":
                return A.Type("set", (ot.args[0],))
            if name == "Values":
                return A.Type("set", (ot.args[1],))
            if name == "Items":
                return A.Type("set", (A.Type("tuple", ot.args),))
        if ot.name == "tuple" and name.isdigit():
            return ot.args[int(name)]
        if ot.name == "real" and name == "Floor":
            return INT
        if ot.bv_width is not None and name in ("RotateLeft", "RotateRight"):
            raise UnsupportedConstruct(f"bit-vector .{name}", e.line)
        dt = self.datatype_of(ot)
        if dt is not None:
            if name.endswith("?"):
                ref = self.ctors.get(name[:-1])
                if ref is None or ref.datatype is not dt:
                    raise UnsupportedConstruct("discriminator", e.line, name)
                e.ref = ref  # type: ignore[attr-defined]
                e.kind = "discriminator"  # type: ignore[attr-defined]
                return BOOL
            for c in dt.ctors:
                for f in c.fields:
                    if f.name == name:
                        if f.ghost:
                            raise UnsupportedConstruct("ghost destructor", e.line, name)
                        e.kind = "destructor"  # type: ignore[attr-defined]
                        return self.field_type(dt, ot, f)
        raise UnsupportedConstruct(f"member .{name}", e.line, f"of type {ot}")

    def expr_Index(self, e: A.Index, scope: Scope, expected: A.Type | None) -> A.Type:
        ot = self.expr(e.obj, scope)
        dims = ot.array_dims
        if dims:
            if len(e.indices) != dims:
                raise UnsupportedConstruct("array access with the wrong number of indices", e.line)
            for i in e.indices:
                self.expr(i, scope, INT if _is_literal_expr(i) else None)
            return ot.args[0]
        if len(e.indices) != 1:
            raise UnsupportedConstruct("multi-index on a non-array", e.line)
        if ot.name == "seq":
            self.expr(e.indices[0], scope, INT if _is_literal_expr(e.indices[0]) else None)
            return ot.args[0]
        if ot.name == "map":
            self.expr(e.indices[0], scope, ot.args[0])
            return ot.args[1]
        if ot.name == "multiset":
            self.expr(e.indices[0], scope, ot.args[0])
            return INT
        raise UnsupportedConstruct("indexing", e.line, f"of type {ot}")

    def expr_Slice(self, e: A.Slice, scope: Scope, expected: A.Type | None) -> A.Type:
        ot = self.expr(e.obj, scope)
        for b in (e.lo, e.hi):
            if b is not None:
                self.expr(b, scope, INT if _is_literal_expr(b) else None)
        if ot.name == "seq":
            return ot
        if ot.array_dims == 1:
            return A.seq_of(ot.args[0])
        raise UnsupportedConstruct("slice", e.line, f"of type {ot}")

    def expr_UpdateExpr(self, e: A.UpdateExpr, scope: Scope, expected: A.Type | None) -> A.Type:
        ot = self.expr(e.obj, scope, expected)
        if ot.name == "seq":
            self.expr(e.key, scope, INT if _is_literal_expr(e.key) else None)
            self.expr(e.value, scope, ot.args[0])
        elif ot.name == "map":
            self.expr(e.key, scope, ot.args[0])
            self.expr(e.value, scope, ot.args[1])
        elif ot.name == "multiset":
            self.expr(e.key, scope, ot.args[0])
            self.expr(e.value, scope, INT)
        else:
            raise UnsupportedConstruct("update expression", e.line, f"of type {ot}")
        return ot

    def _items(self, items: list[A.Expr], scope: Scope, expected_elem: A.Type | None) -> A.Type:
        t = expected_elem
        first_concrete = next((i for i in items if not _is_literal_expr(i)), None)
        if first_concrete is not None and (t is None or _has_typevar(t)):
            t = self.expr(first_concrete, scope, t)
        for i in items:
            if i is not first_concrete or i.ty is None:
                it = self.expr(i, scope, t)
                if t is None or t.name == "'?":
                    t = it
        return t or A.Type("'?")

    def _expected_elem(self, expected: A.Type | None, name: str) -> A.Type | None:
        if expected is not None and expected.name == name and expected.args:
            return expected.args[0]
        return None

    def expr_SeqDisplay(self, e: A.SeqDisplay, scope: Scope, expected: A.Type | None) -> A.Type:
        return A.seq_of(self._items(e.items, scope, self._expected_elem(expected, "seq")))

    def expr_SetDisplay(self, e: A.SetDisplay, scope: Scope, expected: A.Type | None) -> A.Type:
        return A.Type("set", (self._items(e.items, scope, self._expected_elem(expected, "set")),))

    def expr_MultisetDisplay(self, e: A.MultisetDisplay, scope: Scope, expected: A.Type | None) -> A.Type:
        return A.Type("multiset", (self._items(e.items, scope, self._expected_elem(expected, "multiset")),))

    def expr_MultisetOf(self, e: A.MultisetOf, scope: Scope, expected: A.Type | None) -> A.Type:
        want = self._expected_elem(expected, "multiset")
        t = self.expr(e.operand, scope, A.seq_of(want) if want is not None else None)
        if t.name not in ("seq", "set"):
            raise UnsupportedConstruct("multiset conversion", e.line, f"of type {t}")
        return A.Type("multiset", t.args)

    def expr_MapDisplay(self, e: A.MapDisplay, scope: Scope, expected: A.Type | None) -> A.Type:
        kt = expected.args[0] if expected is not None and expected.name == "map" else None
        vt = expected.args[1] if expected is not None and expected.name == "map" else None
        kt = self._items([k for k, _ in e.items], scope, kt)
        vt = self._items([v for _, v in e.items], scope, vt)
        return A.Type("map", (kt, vt))

    def expr_TupleExpr(self, e: A.TupleExpr, scope: Scope, expected: A.Type | None) -> A.Type:
        exp = expected.args if expected is not None and expected.name == "tuple" and \
            len(expected.args) == len(e.items) else [None] * len(e.items)
        return A.Type("tuple", tuple(self.expr(i, scope, t) for i, t in zip(e.items, exp, strict=True)))

    def expr_Card(self, e: A.Card, scope: Scope, expected: A.Type | None) -> A.Type:
        t = self.expr(e.operand, scope)
        if t.name not in ("seq", "set", "multiset", "map"):
            raise UnsupportedConstruct("cardinality", e.line, f"of type {t}")
        return INT

    def expr_Lambda(self, e: A.Lambda, scope: Scope, expected: A.Type | None) -> A.Type:
        inner = Scope(scope)
        exp_params = expected.args[:-1] if expected is not None and expected.name == "->" else ()
        for i, b in enumerate(e.params):
            if b.type is None:
                if i < len(exp_params):
                    t = exp_params[i]
                    b.var = self.declare(inner, b.name, A.INT, t, "bound")  # type: ignore[attr-defined]
                    continue
                raise UnsupportedConstruct("lambda parameter without a type", e.line, b.name)
            b.var = self.declare(inner, b.name, b.type, self.norm(b.type), "bound")  # type: ignore[attr-defined]
        if e.reads:
            raise UnsupportedConstruct("lambda with a reads clause", e.line)
        for r in e.requires:
            self.expr(r, inner, BOOL)
        result_exp = expected.args[-1] if expected is not None and expected.name == "->" else None
        rt = self.expr(e.body, inner, result_exp)
        return A.Type("->", tuple(b.var.norm for b in e.params) + (rt,))  # type: ignore[attr-defined]

    def expr_Quantifier(self, e: A.Quantifier, scope: Scope, expected: A.Type | None) -> A.Type:
        inner = Scope(scope)
        self.bound(e.vars, inner)
        if e.range is not None:
            self.expr(e.range, inner, BOOL)
        self.expr(e.body, inner, BOOL)
        return BOOL

    def expr_SetComp(self, e: A.SetComp, scope: Scope, expected: A.Type | None) -> A.Type:
        inner = Scope(scope)
        self.bound(e.vars, inner)
        self.expr(e.range, inner, BOOL)
        if e.term is None:
            if len(e.vars) != 1:
                raise UnsupportedConstruct("set comprehension without a term", e.line)
            return A.Type("set", (e.vars[0].var.norm,))  # type: ignore[attr-defined]
        return A.Type("set", (self.expr(e.term, inner, self._expected_elem(expected, "set")),))

    def expr_MapComp(self, e: A.MapComp, scope: Scope, expected: A.Type | None) -> A.Type:
        inner = Scope(scope)
        self.bound(e.vars, inner)
        self.expr(e.range, inner, BOOL)
        exp_k = expected.args[0] if expected is not None and expected.name == "map" else None
        exp_v = expected.args[1] if expected is not None and expected.name == "map" else None
        if e.key is None:
            if len(e.vars) != 1:
                raise UnsupportedConstruct("map comprehension without a key", e.line)
            kt = e.vars[0].var.norm  # type: ignore[attr-defined]
        else:
            kt = self.expr(e.key, inner, exp_k)
        return A.Type("map", (kt, self.expr(e.value, inner, exp_v)))

    def expr_SeqInit(self, e: A.SeqInit, scope: Scope, expected: A.Type | None) -> A.Type:
        self.expr(e.length, scope, INT)
        want = self._expected_elem(expected, "seq")
        ft = self.expr(e.init, scope, A.Type("->", (INT, want)) if want is not None else None)
        if ft.name != "->":
            raise UnsupportedConstruct("seq initializer", e.line)
        return A.seq_of(ft.args[-1])

    def expr_Let(self, e: A.Let, scope: Scope, expected: A.Type | None) -> A.Type:
        if e.pattern is not None:
            raise UnsupportedConstruct("pattern let expression", e.line)
        if e.such_that:
            raise UnsupportedConstruct("let such-that expression (var x :| P; e)", e.line)
        if len(e.vars) != len(e.rhss):
            raise UnsupportedConstruct("let expression with mismatched sides", e.line)
        inner = Scope(scope)
        for b, r in zip(e.vars, e.rhss, strict=True):
            want = self.norm(b.type) if b.type is not None else None
            t = self.expr(r, scope, want)
            b.var = self.declare(inner, b.name, b.type or A.INT, want or t, "bound")  # type: ignore[attr-defined]
        return self.expr(e.body, inner, expected)

    def expr_MatchExpr(self, e: A.MatchExpr, scope: Scope, expected: A.Type | None) -> A.Type:
        st = self.expr(e.scrutinee, scope)
        result = expected
        for c in e.cases:
            inner = Scope(scope)
            self.pattern(c.pattern, st, inner)
            assert isinstance(c.body, A.Expr)
            t = self.expr(c.body, inner, result)
            if result is None or result.name == "'?":
                result = t
        return result or A.Type("'?")

    def expr_Conversion(self, e: A.Conversion, scope: Scope, expected: A.Type | None) -> A.Type:
        target = self.norm(e.target)
        self.expr(e.operand, scope, INT if _is_literal_expr(e.operand) else None)
        return target

    def expr_TypeTest(self, e: A.TypeTest, scope: Scope, expected: A.Type | None) -> A.Type:
        raise UnsupportedConstruct("type test (is)", e.line)

    def expr_Old(self, e: A.Old, scope: Scope, expected: A.Type | None) -> A.Type:
        raise UnsupportedConstruct(e.kind, e.line, "ghost expression in compiled code")

    def expr_StmtExpr(self, e: A.StmtExpr, scope: Scope, expected: A.Type | None) -> A.Type:
        return self.expr(e.body, scope, expected)


def _has_typevar(t: A.Type) -> bool:
    return is_typevar(t) or any(_has_typevar(a) for a in t.args)


def _is_literal_expr(e: A.Expr) -> bool:
    """An expression made only of integer literals (its type comes from the context, as in Dafny)."""
    if isinstance(e, A.Literal):
        return e.kind == "int"
    if isinstance(e, A.Paren):
        return _is_literal_expr(e.inner)
    if isinstance(e, A.Unary) and e.op == "-":
        return _is_literal_expr(e.operand)
    if isinstance(e, A.Binary) and e.op in ("+", "-", "*", "/", "%", "&", "|", "^"):
        return _is_literal_expr(e.left) and _is_literal_expr(e.right)
    return False


def decl_label(d: A.Decl) -> str:
    """``method Foo``, ``function Bar``, ``datatype T`` ... for messages."""
    if isinstance(d, A.Method):
        return f"{d.kind} {d.name}"
    if isinstance(d, A.Function):
        return f"{'predicate' if d.is_predicate else 'function'} {d.name}"
    kind = {A.Datatype: "datatype", A.Const: "const", A.SubsetType: "type"}.get(type(d), "declaration")
    return f"{kind} {d.name}"


def check_program(program: A.Program) -> Checker:
    """Resolve and type ``program`` in place.

    Raises:
        UnsupportedConstruct: a construct the compiler does not handle (modules, classes, ghost code that the
            resolved printer left in place, ...).
    """
    c = Checker(program)
    c.check()
    return c
