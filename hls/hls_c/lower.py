"""Passes after bounds: sequence operations → loops over bounded buffers, then loop pragmas.

Every :class:`~hls.hls_c.ir.ArrAssign` becomes element loops: copies, slices (``t[k] = b[lo + k]``),
concatenation (parts appended at a running position), fills, comprehensions and single-element
updates. When the target also appears on the right, the pass uses an in-place form where one is safe
(append ``s = s + ...``, left shift ``s = s[k:]``, update ``s = s[i := v]``), else a temporary buffer.

The pragma pass marks innermost loops with ``PIPELINE II=1`` (``hardware.pipeline``) and
``UNROLL factor=N`` (``hardware.unroll > 1``).
"""

from __future__ import annotations

from hls.hls_c import ir
from hls.hls_c.ctype import BOOL, LEN, Arr2T, ArrT, BoolT, CType, IntT


class SequenceLowering:
    """Rewrites one function's ArrAssigns into loops."""

    def __init__(self, fn: ir.Function) -> None:
        self.fn = fn
        self.ns = fn.ns

    def run(self) -> None:
        self.fn.body = self.block(self.fn.body)

    def temp(self, t: CType, base: str, like: ir.Sym | None = None) -> ir.Sym:
        dims = 2 if isinstance(t, Arr2T) else 1 if isinstance(t, ArrT) else 0
        name = self.ns.alloc(base, dims)  # type: ignore[attr-defined]
        sym = ir.Sym(name, t, "temp")
        if like is not None:
            sym.bound, sym.cols = like.bound, like.cols
        self.fn.locals.append(sym)
        return sym

    def counter(self) -> ir.Sym:
        return self.temp(LEN, "p2s_k")

    def block(self, stmts: list[ir.Stmt]) -> list[ir.Stmt]:
        out: list[ir.Stmt] = []
        for s in stmts:
            if isinstance(s, ir.ArrAssign):
                out.extend(self.assign(s.target, s.value))
            elif isinstance(s, ir.If):
                s.then, s.other = self.block(s.then), self.block(s.other)
                out.append(s)
            elif isinstance(s, (ir.While, ir.For)):
                s.body = self.block(s.body)
                out.append(s)
            else:
                out.append(s)
        return out

    # ------------------------------------------------------------------------------------- helpers

    def simple(self, e: ir.Expr, out: list[ir.Stmt], base: str = "p2s_n") -> ir.Expr:
        """``e`` if it is a constant or a plain variable, else a temporary assigned once."""
        if isinstance(e, (ir.Const, ir.Ref)):
            return e
        t = e.t if isinstance(e.t, (IntT, BoolT)) else LEN
        tmp = self.temp(t, base)
        out.append(ir.Assign(ir.Ref(tmp), e))
        return ir.Ref(tmp)

    def set_len(self, t: ir.Sym, value: ir.Expr, dim: int = 0) -> ir.Stmt:
        return ir.SetLen(t, value, dim, out=t.role == "out")

    @staticmethod
    def conv(e: ir.Expr, t: CType) -> ir.Expr:
        if isinstance(t, IntT) and isinstance(e.t, (IntT, BoolT)) and e.t.c_name != t.c_name:
            return ir.Cast(e, t)
        if isinstance(t, BoolT) and isinstance(e.t, IntT):
            return ir.Bin("!=", e, ir.Const(0, e.t), BOOL)
        return e

    def store(self, t: ir.Sym, index: ir.Expr, value: ir.Expr) -> ir.Stmt:
        return ir.Assign(ir.Load(t, [index]), self.conv(value, t.type.elem))  # type: ignore[union-attr]

    @staticmethod
    def add(a: ir.Expr, b: ir.Expr) -> ir.Expr:
        if isinstance(b, ir.Const) and b.value == 0:
            return a
        if isinstance(a, ir.Const) and a.value == 0:
            return b
        return ir.Bin("+", a, b, LEN)

    @staticmethod
    def sub(a: ir.Expr, b: ir.Expr) -> ir.Expr:
        if isinstance(b, ir.Const) and b.value == 0:
            return a
        return ir.Bin("-", a, b, LEN)

    # ------------------------------------------------------------------------------------- assignment

    def assign(self, t: ir.Sym, v: ir.AExpr) -> list[ir.Stmt]:
        out: list[ir.Stmt] = []
        if isinstance(v, ir.ARef) and v.sym is t:
            return out
        if isinstance(t.type, Arr2T):
            return self.assign2(t, v)
        if isinstance(v, ir.ARef) and t.role == "out" and v.sym.storage == t.name:
            return [self.set_len(t, ir.Len(v.sym))]  # the local already lives in the result buffer
        if _reads(v, t):
            if isinstance(v, ir.AConcat) and isinstance(v.parts[0], ir.ARef) and v.parts[0].sym is t \
                    and not any(_reads(p, t) for p in v.parts[1:]) and t.role != "out":
                end = self.append_all(t, v.parts[1:], ir.Len(t), out)
                out.append(self.set_len(t, end))
                return out
            if isinstance(v, ir.ASlice) and v.base is t:
                lo = self.simple(v.lo, out) if v.lo is not None else ir.Const(0, LEN)
                hi = self.simple(v.hi, out) if v.hi is not None else ir.Len(t)
                n = self.simple(self.sub(hi, lo), out)
                k = self.counter()
                out.append(ir.For(k, ir.Const(0, LEN), n, 1,
                                  [self.store(t, ir.Ref(k), ir.Load(t, [self.add(lo, ir.Ref(k))]))]))
                out.append(self.set_len(t, n))
                return out
            if isinstance(v, ir.AUpdate) and v.base is t and not _expr_reads(v.index, t) \
                    and not _expr_reads(v.value, t):
                out.append(self.store(t, v.index, v.value))
                return out
            tmp = self.temp(t.type, "p2s_buf", like=t)
            out.extend(self.assign(tmp, v))
            out.extend(self.assign(t, ir.ARef(tmp)))
            return out
        parts = v.parts if isinstance(v, ir.AConcat) else [v]
        end = self.append_all(t, parts, ir.Const(0, LEN), out)
        out.append(self.set_len(t, end))
        return out

    def append_all(self, t: ir.Sym, parts: list[ir.AExpr], at: ir.Expr, out: list[ir.Stmt]) -> ir.Expr:
        """Write the parts one after the other from ``t[at]``; returns the end position."""
        for i, p in enumerate(parts):
            at = self.append(t, p, at, out)
            if i < len(parts) - 1 and not isinstance(at, (ir.Const, ir.Ref)):
                at = self.simple(at, out, "p2s_p")
        return at

    def append(self, t: ir.Sym, v: ir.AExpr, at: ir.Expr, out: list[ir.Stmt]) -> ir.Expr:
        """Write ``v`` at ``t[at...]`` (``t`` is not read by ``v``); returns the end position."""
        if isinstance(v, ir.AConcat):
            return self.append_all(t, v.parts, at, out)
        if isinstance(v, ir.ARef):
            src = v.sym
            k = self.counter()
            out.append(ir.For(k, ir.Const(0, LEN), ir.Len(src), 1,
                              [self.store(t, self.add(at, ir.Ref(k)), ir.Load(src, [ir.Ref(k)]))]))
            return self.add(at, ir.Len(src))
        if isinstance(v, ir.ASlice):
            lo = self.simple(v.lo, out) if v.lo is not None else ir.Const(0, LEN)
            hi = self.simple(v.hi, out) if v.hi is not None else ir.Len(v.base)
            n = self.simple(self.sub(hi, lo), out)
            k = self.counter()
            out.append(ir.For(k, ir.Const(0, LEN), n, 1,
                              [self.store(t, self.add(at, ir.Ref(k)), ir.Load(v.base, [self.add(lo, ir.Ref(k))]))]))
            return self.add(at, n)
        if isinstance(v, ir.ALit):
            if len(v.items) > 1 and not isinstance(at, (ir.Const, ir.Ref)):
                at = self.simple(at, out, "p2s_p")
            for i, item in enumerate(v.items):
                out.append(self.store(t, self.add(at, ir.Const(i, LEN)), item))
            return self.add(at, ir.Const(len(v.items), LEN))
        if isinstance(v, ir.AFill):
            value = self.simple(v.value, out, "p2s_v")
            n = self.simple(v.count, out)
            k = self.counter()
            out.append(ir.For(k, ir.Const(0, LEN), n, 1, [self.store(t, self.add(at, ir.Ref(k)), value)]))
            return self.add(at, n)
        if isinstance(v, ir.AComp):
            lo = self.simple(v.lo, out)
            hi = self.simple(v.hi, out)
            prelude = self.block(v.prelude)
            idx = self.add(at, self.sub(ir.Ref(v.var), lo))
            out.append(ir.For(v.var, lo, hi, 1, prelude + [self.store(t, idx, v.elem)]))
            n = ir.Cond(ir.Bin(">", hi, lo, BOOL), self.sub(hi, lo), ir.Const(0, LEN), LEN)
            return self.add(at, n)
        if isinstance(v, ir.AUpdate):
            index = self.simple(v.index, out, "p2s_i")
            value = self.simple(v.value, out, "p2s_v")
            start = at if isinstance(at, ir.Const) else self.simple(at, out, "p2s_p")
            end = self.append(t, ir.ARef(v.base), start, out)
            out.append(self.store(t, self.add(start, index), value))
            return end
        raise AssertionError(v)

    def assign2(self, t: ir.Sym, v: ir.AExpr) -> list[ir.Stmt]:
        out: list[ir.Stmt] = []
        if isinstance(v, ir.AFill2):
            value = self.simple(v.value, out, "p2s_v")
            rows = self.simple(v.rows, out)
            cols = self.simple(v.cols, out)
            i, j = self.counter(), self.counter()
            inner = ir.For(j, ir.Const(0, LEN), cols, 1,
                           [ir.Assign(ir.Load(t, [ir.Ref(i), ir.Ref(j)]), self.conv(value, t.type.elem))])  # type: ignore[union-attr]
            out.append(ir.For(i, ir.Const(0, LEN), rows, 1, [inner]))
            out.append(self.set_len(t, rows, 1))
            out.append(self.set_len(t, cols, 2))
            return out
        if isinstance(v, ir.ARef) and isinstance(v.sym.type, Arr2T):
            src = v.sym
            i, j = self.counter(), self.counter()
            inner = ir.For(j, ir.Const(0, LEN), ir.Len(src, 1), 1,
                           [ir.Assign(ir.Load(t, [ir.Ref(i), ir.Ref(j)]), ir.Load(src, [ir.Ref(i), ir.Ref(j)]))])
            out.append(ir.For(i, ir.Const(0, LEN), ir.Len(src, 0), 1, [inner]))
            out.append(self.set_len(t, ir.Len(src, 0), 1))
            out.append(self.set_len(t, ir.Len(src, 1), 2))
            return out
        from hls.hls_c.errors import NotSynthesizable

        raise NotSynthesizable("2-D array value", v.line, "only fresh 2-D arrays and whole copies are synthesized")


def _reads(v: ir.AExpr, t: ir.Sym) -> bool:
    if isinstance(v, ir.ARef):
        return v.sym is t
    if isinstance(v, ir.ASlice):
        return v.base is t or _expr_reads(v.lo, t) or _expr_reads(v.hi, t)
    if isinstance(v, ir.AUpdate):
        return v.base is t or _expr_reads(v.index, t) or _expr_reads(v.value, t)
    if isinstance(v, ir.AConcat):
        return any(_reads(p, t) for p in v.parts)
    if isinstance(v, ir.ALit):
        return any(_expr_reads(e, t) for e in v.items)
    if isinstance(v, ir.AFill):
        return _expr_reads(v.value, t) or _expr_reads(v.count, t)
    if isinstance(v, ir.AComp):
        return _expr_reads(v.lo, t) or _expr_reads(v.hi, t) or _expr_reads(v.elem, t) or any(
            _stmt_reads(s, t) for s in v.prelude
        )
    if isinstance(v, ir.AFill2):
        return any(_expr_reads(e, t) for e in (v.value, v.rows, v.cols))
    return True


def _expr_reads(e: ir.Expr | None, t: ir.Sym) -> bool:
    if e is None:
        return False
    for x in ir.sub_exprs(e):
        if isinstance(x, (ir.Load, ir.Len)) and x.sym is t:
            return True
        if isinstance(x, ir.Call) and any(isinstance(a, (ir.ArrArg, ir.OutArg)) and a.sym is t for a in x.args):
            return True
    return False


def _stmt_reads(s: ir.Stmt, t: ir.Sym) -> bool:
    return True  # comprehension preludes are rare: be conservative


# --------------------------------------------------------------------------------------------- result buffers


def alias_results(fn: ir.Function) -> None:
    """A local array that is the only thing a function returns lives in the result buffer itself.

    ``c = [0] * n; ...; return c`` then needs no copy into ``c`` the result: the local's elements are stored
    in the result array and only its length is copied to ``*c_len`` at the return.
    """
    assigns: dict[ir.Sym, list[ir.ArrAssign]] = {}
    for s in ir.walk_stmts(fn.body):
        if isinstance(s, ir.ArrAssign):
            assigns.setdefault(s.target, []).append(s)
    taken: set[int] = set()
    for o in fn.outs:
        if not isinstance(o.type, ArrT):
            continue
        srcs = {id(a.value.sym): a.value.sym for a in assigns.get(o, []) if isinstance(a.value, ir.ARef)}
        if len(srcs) != 1 or len(assigns.get(o, [])) != sum(isinstance(a.value, ir.ARef) for a in assigns[o]):
            continue
        (local,) = srcs.values()
        if local.role not in ("local", "temp") or local.type != o.type or id(local) in taken:
            continue
        local.storage = o.name
        taken.add(id(local))


# --------------------------------------------------------------------------------------------- dead stores


def _reads_of(stmts: list[ir.Stmt]) -> set[int]:
    """ids of the symbols some statement reads (expressions, call arguments, lengths, loop bounds)."""
    seen: set[int] = set()

    def expr(e: object) -> None:
        for x in ir.sub_exprs(e):
            if isinstance(x, (ir.Ref, ir.Len, ir.Load)):
                seen.add(id(x.sym))
            if isinstance(x, ir.Call):
                for a in x.args:
                    if isinstance(a, (ir.ArrArg, ir.OutArg)):
                        seen.add(id(a.sym))

    for s in ir.walk_stmts(stmts):
        if isinstance(s, ir.Assign):
            expr(s.value)
            if isinstance(s.target, ir.Load):
                for i in s.target.index:
                    expr(i)
        elif isinstance(s, (ir.If, ir.While)):
            expr(s.cond)
        elif isinstance(s, ir.For):
            expr(s.lo)
            expr(s.hi)
            seen.add(id(s.var))
        elif isinstance(s, ir.ExprStmt):
            expr(s.expr)
        elif isinstance(s, ir.Return) and s.value is not None:
            expr(s.value)
        elif isinstance(s, ir.SetLen):
            expr(s.value)
    return seen


def _has_call(e: ir.Expr) -> bool:
    return any(isinstance(x, ir.Call) for x in ir.sub_exprs(e))


def drop_dead_stores(fn: ir.Function) -> None:
    """Assignments to scalar locals nobody reads are removed (a call in the value stays, as a statement).

    The Python model declares every Dafny local with a default (``y: int = 0``) even when the value is never
    read; in C that is a set-but-unused variable (an error under ``-Wall -Werror``) and dead hardware.
    """
    while True:
        read = _reads_of(fn.body)
        dead = {id(s) for s in fn.locals if not s.is_array and id(s) not in read}
        fn.body, changed = _drop(fn.body, dead)
        if not changed:
            return


def _drop(stmts: list[ir.Stmt], dead: set[int]) -> tuple[list[ir.Stmt], bool]:
    out: list[ir.Stmt] = []
    changed = False
    for s in stmts:
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Ref) and id(s.target.sym) in dead:
            if isinstance(s.value, ir.Call):
                out.append(ir.ExprStmt(s.value))
                changed = True
            elif _has_call(s.value):
                out.append(s)  # keep the side effect (rare: a call inside an expression)
            else:
                changed = True
            continue
        if isinstance(s, ir.If):
            s.then, c1 = _drop(s.then, dead)
            s.other, c2 = _drop(s.other, dead)
            changed = changed or c1 or c2
        elif isinstance(s, (ir.While, ir.For)):
            s.body, c = _drop(s.body, dead)
            changed = changed or c
        out.append(s)
    return out, changed


# --------------------------------------------------------------------------------------------- pragmas


def _has_loop(stmts: list[ir.Stmt]) -> bool:
    return any(isinstance(s, (ir.While, ir.For)) for s in ir.walk_stmts(stmts))


def insert_pragmas(fn: ir.Function, pipeline: bool, unroll: int) -> None:
    """Innermost loops get ``PIPELINE II=1`` and, with ``unroll > 1``, ``UNROLL factor=unroll``."""
    for s in ir.walk_stmts(fn.body):
        if isinstance(s, (ir.While, ir.For)) and not _has_loop(s.body):
            if pipeline:
                s.pragmas.append("PIPELINE II=1")
            if unroll > 1:
                s.pragmas.append(f"UNROLL factor={unroll}")
