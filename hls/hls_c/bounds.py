"""Array bounds: the fixed capacity of every buffer, or a refusal naming the one that cannot be bounded.

Arrays the top function receives hold at most ``hardware.max_array_length`` elements. Every other buffer's
capacity follows from what is assigned to it: a slice is no longer than its base, a concatenation is the
sum of its parts, ``[v] * n`` and comprehensions are as long as the upper bound of ``n`` (found by a small
interval analysis over constants, lengths, loop variables and single-assignment locals), and a sequence
that grows inside a loop (``s = s + (x,)``) grows by its increment times the loop's trip count, which is
known for ``for ... in range(...)`` loops over bounded ranges and unknown for ``while`` loops. A call
unifies the capacity of each array argument with the callee's parameter (so C array sizes match across
calls), and of each array result with the caller's buffer. The whole program is iterated to a fixpoint.
"""

from __future__ import annotations

import re

from hls.hls_c import ir
from hls.hls_c.ctype import LEN, Arr2T
from hls.hls_c.errors import NotSynthesizable


def cap_for(max_len: int) -> int:
    """Largest capacity the compiler allocates for one buffer."""
    return max(4096, 64 * max_len)


class _FunctionFacts:
    """Per-function facts the interval analysis uses: scalar definitions, for-loop variables and, for the top
    function, the bounds its pinned ``requires`` put on scalar parameters (``param_bounds``: name -> (lo, hi))."""

    def __init__(self, fn: ir.Function, param_bounds: dict[str, tuple[int | None, int | None]] | None = None) -> None:
        self.fn = fn
        self.param_bounds = param_bounds or {}
        self.defs: dict[ir.Sym, list[ir.Expr]] = {}
        self.loops: dict[ir.Sym, list[ir.For]] = {}
        self.enclosing: dict[int, list[ir.Stmt]] = {}  # id(ArrAssign) -> loops around it
        self.assigns: list[ir.ArrAssign] = []
        self.calls: list[ir.Call] = []
        self.counted: dict[int, ir.For] = {}  # id(While) -> the for loop it counts like
        self._scan(fn.body, [])

    def _scan(self, stmts: list[ir.Stmt], loops: list[ir.Stmt]) -> None:
        for k, s in enumerate(stmts):
            if isinstance(s, ir.While):
                counted = counted_loop(s, stmts[:k])
                if counted is not None:
                    self.counted[id(s)] = counted
            if isinstance(s, ir.Assign) and isinstance(s.target, ir.Ref):
                self.defs.setdefault(s.target.sym, []).append(s.value)
            if isinstance(s, (ir.Assign, ir.If, ir.While, ir.ExprStmt, ir.Return)):
                for e in _exprs_of(s):
                    for x in ir.sub_exprs(e):
                        if isinstance(x, ir.Call):
                            self.calls.append(x)
            if isinstance(s, ir.ArrAssign):
                self.assigns.append(s)
                self.enclosing[id(s)] = list(loops)
                if isinstance(s.value, ir.AComp):
                    self.loops.setdefault(s.value.var, []).append(
                        ir.For(s.value.var, s.value.lo, s.value.hi, 1, [])
                    )
                    self._scan(s.value.prelude, loops + [ir.For(s.value.var, s.value.lo, s.value.hi, 1, [])])
            if isinstance(s, ir.If):
                self._scan(s.then, loops)
                self._scan(s.other, loops)
            elif isinstance(s, ir.While):
                self._scan(s.body, loops + [s])
            elif isinstance(s, ir.For):
                self.loops.setdefault(s.var, []).append(s)
                self._scan(s.body, loops + [s])

    # ------------------------------------------------------------------------------------- intervals

    def ub(self, e: ir.Expr | None, depth: int = 0) -> int | None:
        if e is None or depth > 12:
            return None
        d = depth + 1
        if isinstance(e, ir.Const):
            return int(e.value)
        if isinstance(e, ir.Len):
            return e.sym.cols if (e.dim == 1 and isinstance(e.sym.type, Arr2T)) else e.sym.bound
        if isinstance(e, ir.Cast):
            return self.ub(e.expr, d)
        if isinstance(e, ir.Ref):
            return self._ref_bound(e.sym, d, upper=True)
        if isinstance(e, ir.Cond):
            a, b = self.ub(e.then, d), self.ub(e.other, d)
            return None if a is None or b is None else max(a, b)
        if isinstance(e, ir.Bin):
            return self._bin(e, d, upper=True)
        if isinstance(e, ir.Call) and _is_div(e.func):
            return self._div(e.args[0], e.args[1], d, upper=True)  # type: ignore[arg-type]
        if isinstance(e, ir.Call) and e.func.startswith(("p2s_mod_", "p2s_fmod_")):
            return self._mod(e.args[0], e.args[1], d, True, e.func.startswith("p2s_mod_"))  # type: ignore[arg-type]
        return None

    def lb(self, e: ir.Expr | None, depth: int = 0) -> int | None:
        if e is None or depth > 12:
            return None
        d = depth + 1
        if isinstance(e, ir.Const):
            return int(e.value)
        if isinstance(e, ir.Len):
            return 0
        if isinstance(e, ir.Cast):
            return self.lb(e.expr, d)
        if isinstance(e, ir.Ref):
            return self._ref_bound(e.sym, d, upper=False)
        if isinstance(e, ir.Cond):
            a, b = self.lb(e.then, d), self.lb(e.other, d)
            return None if a is None or b is None else min(a, b)
        if isinstance(e, ir.Bin):
            return self._bin(e, d, upper=False)
        if isinstance(e, ir.Call) and _is_div(e.func):
            return self._div(e.args[0], e.args[1], d, upper=False)  # type: ignore[arg-type]
        if isinstance(e, ir.Call) and e.func.startswith(("p2s_mod_", "p2s_fmod_")):
            return self._mod(e.args[0], e.args[1], d, False, e.func.startswith("p2s_mod_"))  # type: ignore[arg-type]
        return None

    def _ref_bound(self, sym: ir.Sym, d: int, upper: bool) -> int | None:
        kind, signed = getattr(sym.type, "kind", ""), getattr(sym.type, "signed", True)
        natural = 0 if (kind in ("nat", "len") or not signed) else None
        loops = self.loops.get(sym, [])
        defs = self.defs.get(sym, [])
        if sym.role == "param":
            lo, hi = self.param_bounds.get(sym.py_name or sym.name, (None, None)) if not defs else (None, None)
            if upper:
                return hi
            return natural if lo is None else lo if natural is None else max(lo, natural)
        if len(loops) == 1 and not defs:
            loop = loops[0]
            if loop.step > 0:
                if upper:
                    hi = self.ub(loop.hi, d)
                    return None if hi is None else hi - 1
                return self.lb(loop.lo, d)
            if upper:
                return self.ub(loop.lo, d)
            lo = self.lb(loop.hi, d)
            return None if lo is None else lo + 1
        if len(defs) == 1 and not loops:
            v = self.ub(defs[0], d) if upper else self.lb(defs[0], d)
            if v is None and not upper:
                return natural
            return v
        return None if upper else natural

    def _bin(self, e: ir.Bin, d: int, upper: bool) -> int | None:
        op = e.op
        if op == "+":
            a, b = (self.ub(e.left, d), self.ub(e.right, d)) if upper else (self.lb(e.left, d), self.lb(e.right, d))
            return None if a is None or b is None else a + b
        if op == "-":
            a = self.ub(e.left, d) if upper else self.lb(e.left, d)
            b = self.lb(e.right, d) if upper else self.ub(e.right, d)
            return None if a is None or b is None else a - b
        if op == "*":
            la, lb_ = self.lb(e.left, d), self.lb(e.right, d)
            if la is None or lb_ is None or la < 0 or lb_ < 0:
                return None
            if not upper:
                return la * lb_
            a, b = self.ub(e.left, d), self.ub(e.right, d)
            return None if a is None or b is None else a * b
        if op == "%":
            return self._mod(e.left, e.right, d, upper)
        if op == "/":
            return self._div(e.left, e.right, d, upper)
        return None

    def _mod(self, a: ir.Expr, b: ir.Expr, d: int, upper: bool, euclid: bool = False) -> int | None:
        lb_b = self.lb(b, d)
        if lb_b is None or lb_b <= 0:
            return None
        la = self.lb(a, d)
        if not euclid and (la is None or la < 0):
            return None
        if not upper:
            return 0
        hi = self.ub(b, d)
        return None if hi is None else hi - 1

    def _div(self, a: ir.Expr, b: ir.Expr, d: int, upper: bool) -> int | None:
        if not isinstance(b, ir.Const) or int(b.value) <= 0:
            return None
        la = self.lb(a, d)
        if la is None or la < 0:
            return None
        v = self.ub(a, d) if upper else la
        return None if v is None else v // int(b.value)

    def trips(self, loop: ir.Stmt) -> int | None:
        if isinstance(loop, ir.While):
            counted = self.counted.get(id(loop))
            if counted is None:
                return None
            loop = counted
        if not isinstance(loop, ir.For):
            return None
        if loop.step > 0:
            hi, lo = self.ub(loop.hi), self.lb(loop.lo)
            if hi is None or lo is None:
                return None
            return max(0, -(-(hi - lo) // loop.step))
        hi, lo = self.ub(loop.lo), self.lb(loop.hi)
        if hi is None or lo is None:
            return None
        return max(0, -(-(hi - lo) // -loop.step))


def counted_loop(loop: ir.While, before: list[ir.Stmt]) -> ir.For | None:
    """The for loop a ``while`` is (``i = lo; while i < hi: ...; i = i + c``), or ``None``.

    The counter must be stepped by a constant exactly once, at the top level of the body, assigned nowhere
    else in the body, with no ``continue`` that could skip the step; the bound must not change in the body;
    the counter's value on entry is the last assignment to it before the loop in the same block.
    """
    c = loop.cond
    if not isinstance(c, ir.Bin) or c.op not in ("<", "<=", "!=", ">", ">="):
        return None
    if isinstance(c.left, ir.Ref):
        var, op, bound = c.left.sym, c.op, c.right
    elif isinstance(c.right, ir.Ref) and c.op in ("<", "<=", ">", ">="):
        var, bound = c.right.sym, c.left
        op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[c.op]
    else:
        return None
    steps = [s for s in loop.body if isinstance(s, ir.Assign) and isinstance(s.target, ir.Ref) and s.target.sym is var]
    if len(steps) != 1:
        return None
    v = steps[0].value
    if not (isinstance(v, ir.Bin) and v.op in "+-" and isinstance(v.left, ir.Ref) and v.left.sym is var
            and isinstance(v.right, ir.Const) and int(v.right.value) > 0):
        return None
    step = int(v.right.value) if v.op == "+" else -int(v.right.value)
    if (step > 0) != (op in ("<", "<=", "!=")):
        return None
    written = _written(loop.body)
    if sum(1 for s in ir.walk_stmts(loop.body) if _assigns(s, var)) != 1 or _has_continue(loop.body):
        return None
    if any(isinstance(x, (ir.Ref, ir.Len)) and x.sym in written for x in ir.sub_exprs(bound)) or any(
        isinstance(x, (ir.Call, ir.Load)) for x in ir.sub_exprs(bound)
    ):
        return None
    start = None
    for s in reversed(before):
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Ref) and s.target.sym is var:
            start = s.value
            break
        if any(_assigns(x, var) for x in ir.walk_stmts([s])):
            return None
    if start is None:
        return None
    if op == "<=":
        bound = ir.Bin("+", bound, ir.Const(1, LEN), LEN)
    elif op == ">=":
        bound = ir.Bin("-", bound, ir.Const(1, LEN), LEN)
    return ir.For(var, start, bound, step, [])


def _assigns(s: ir.Stmt, var: ir.Sym) -> bool:
    return isinstance(s, ir.Assign) and isinstance(s.target, ir.Ref) and s.target.sym is var


def _written(stmts: list[ir.Stmt]) -> set[ir.Sym]:
    out: set[ir.Sym] = set()
    for s in ir.walk_stmts(stmts):
        if isinstance(s, ir.Assign) and isinstance(s.target, ir.Ref):
            out.add(s.target.sym)
        elif isinstance(s, (ir.ArrAssign, ir.SetLen)):
            out.add(s.target if isinstance(s, ir.ArrAssign) else s.sym)
        elif isinstance(s, ir.ExprStmt):
            out.update(a.sym for a in s.expr.args if isinstance(a, (ir.OutArg, ir.ArrArg)))
    return out


def _has_continue(stmts: list[ir.Stmt]) -> bool:
    for s in stmts:
        if isinstance(s, ir.Continue):
            return True
        if isinstance(s, ir.If) and (_has_continue(s.then) or _has_continue(s.other)):
            return True
    return False


def _is_div(name: str) -> bool:
    return name.startswith(("p2s_div_", "p2s_fdiv_"))


def _exprs_of(s: ir.Stmt) -> list[ir.Expr]:
    if isinstance(s, ir.Assign):
        return [s.target, s.value]
    if isinstance(s, (ir.If, ir.While)):
        return [s.cond]
    if isinstance(s, ir.ExprStmt):
        return [s.expr]
    if isinstance(s, ir.Return) and s.value is not None:
        return [s.value]
    return []


def _mentions(av: ir.AExpr, sym: ir.Sym) -> int:
    """How many times the array expression reads ``sym`` as a whole (0 for none)."""
    if isinstance(av, ir.ARef):
        return int(av.sym is sym)
    if isinstance(av, (ir.ASlice, ir.AUpdate)):
        return int(av.base is sym)
    if isinstance(av, ir.AConcat):
        return sum(_mentions(p, sym) for p in av.parts)
    return 0


class BoundInference:
    """Fixpoint over the program: capacities of all array symbols."""

    def __init__(self, functions: list[ir.Function], top: ir.Function, max_len: int,
                 param_bounds: dict[str, tuple[int | None, int | None]] | None = None) -> None:
        self.functions = functions
        self.top = top
        self.max_len = max_len
        self.cap = cap_for(max_len)
        self.by_name = {f.name: f for f in functions}
        self.facts = {f.name: _FunctionFacts(f, param_bounds if f is top else None) for f in functions}

    def run(self) -> None:
        for f in self.functions:
            for s in self._array_syms(f):
                s.cols = self.max_len if isinstance(s.type, Arr2T) else 0
                s.bound = self.max_len if (f is self.top and s.role == "param") else 0
        for _ in range(200):
            before = self._snapshot()
            for f in self.functions:
                self._function(f)
            if self._snapshot() == before:
                break
        else:  # pragma: no cover - the cap stops growth first
            raise NotSynthesizable("array sizes", None, "capacities do not converge")
        for f in self.functions:
            for s in self._array_syms(f):
                s.bound = max(s.bound, 1)

    def _array_syms(self, f: ir.Function) -> list[ir.Sym]:
        return [s for s in f.params + f.outs + f.locals if s.is_array]

    def _snapshot(self) -> list[tuple[int, int]]:
        return [(s.bound, s.cols) for f in self.functions for s in self._array_syms(f)]

    def _raise(self, sym: ir.Sym, value: int, line: int | None) -> None:
        if value > self.cap:
            what = sym.py_name or sym.name
            raise NotSynthesizable(
                f"array {what}", line or sym.line,
                f"needs {value} elements, more than the {self.cap} the compiler allocates for one buffer "
                f"(hardware.max_array_length={self.max_len})",
            )
        if value > sym.bound:
            sym.bound = value

    def _function(self, f: ir.Function) -> None:
        facts = self.facts[f.name]
        for a in facts.assigns:
            self._assign(facts, a)
        for call in facts.calls:
            callee = self.by_name.get(call.func)
            if callee is None:
                continue
            params = [p for p in callee.params]
            for arg, p in zip(call.args[: len(params)], params, strict=False):
                if isinstance(arg, ir.ArrArg) and p.is_array:
                    m = max(arg.sym.bound, p.bound)
                    self._raise(p, m, call_line(call, f))
                    self._raise(arg.sym, m, call_line(call, f))
            outs = [a for a in call.args[len(params):] if isinstance(a, ir.OutArg)]
            for arg, o in zip(outs, callee.outs, strict=False):
                if o.is_array:
                    m = max(arg.sym.bound, o.bound)
                    self._raise(o, m, f.line)
                    self._raise(arg.sym, m, f.line)

    def _assign(self, facts: _FunctionFacts, a: ir.ArrAssign) -> None:
        t = a.target
        n = _mentions(a.value, t)
        if n == 0:
            if isinstance(a.value, ir.AFill2):
                rows, cols = facts.ub(a.value.rows), facts.ub(a.value.cols)
                if rows is None or cols is None:
                    raise NotSynthesizable(
                        f"2-D array {t.py_name or t.name}", a.line,
                        "its size cannot be bounded (rows or columns unknown)",
                    )
                if cols > self.max_len:
                    raise NotSynthesizable(
                        f"2-D array {t.py_name or t.name}", a.line,
                        f"{cols} columns exceed hardware.max_array_length={self.max_len}",
                    )
                self._raise(t, rows, a.line)
                return
            self._raise(t, self.size(facts, a.value, a.line), a.line)
            return
        if n > 1:
            raise NotSynthesizable(
                f"sequence {t.py_name or t.name}", a.line, "is concatenated with itself: its length cannot be bounded"
            )
        saved = t.bound
        t.bound = 0
        try:
            delta = self.size(facts, a.value, a.line)
        finally:
            t.bound = saved
        if delta <= 0:
            return
        total = 1
        for loop in facts.enclosing[id(a)]:
            k = facts.trips(loop)
            if k is None:
                kind = "while loop" if isinstance(loop, ir.While) else "loop with an unbounded range"
                raise NotSynthesizable(
                    f"sequence {t.py_name or t.name}", a.line,
                    f"grows inside a {kind}, so its length cannot be bounded "
                    "(use a for loop over a bounded range, or an array of fixed size)",
                )
            total *= k
        base = max((self.size(facts, b.value, b.line) for b in facts.assigns
                    if b.target is t and _mentions(b.value, t) == 0), default=0)
        self._raise(t, base + delta * total, a.line)

    def size(self, facts: _FunctionFacts, av: ir.AExpr, line: int | None) -> int:
        """Upper bound of the length of ``av`` (raises when it cannot be bounded)."""
        if isinstance(av, ir.ARef):
            return av.sym.bound
        if isinstance(av, (ir.ASlice, ir.AUpdate)):
            return av.base.bound
        if isinstance(av, ir.AConcat):
            return self._concat_size(facts, av.parts, line)
        if isinstance(av, ir.ALit):
            return len(av.items)
        if isinstance(av, ir.AFill):
            n = facts.ub(av.count)
            if n is None:
                size = f" of size `{av.text}`" if av.text else ""
                raise NotSynthesizable(
                    f"new array{size}", line,
                    "its size cannot be bounded from constants, lengths and loop ranges "
                    "(allocate arrays whose size follows from the inputs' lengths)",
                )
            return max(n, 0)
        if isinstance(av, ir.AComp):
            hi, lo = facts.ub(av.hi), facts.lb(av.lo)
            if hi is None or lo is None:
                raise NotSynthesizable("array comprehension", line, "its length cannot be bounded")
            return max(hi - lo, 0)
        if isinstance(av, ir.AFill2):
            rows = facts.ub(av.rows)
            if rows is None:
                raise NotSynthesizable("2-D array", line, "its size cannot be bounded")
            return rows
        raise AssertionError(av)


    def _concat_size(self, facts: _FunctionFacts, parts: list[ir.AExpr], line: int | None) -> int:
        """Sum of the parts, except that ``b[:X] ... b[Y:]`` with ``Y >= X`` (the update idiom) counts ``b`` once."""
        used: set[int] = set()
        total = 0
        for i, p in enumerate(parts):
            if not (isinstance(p, ir.ASlice) and p.lo is None and p.hi is not None):
                continue
            for j in range(i + 1, len(parts)):
                q = parts[j]
                suffix = isinstance(q, ir.ASlice) and q.base is p.base and q.hi is None and q.lo is not None
                if j in used or not suffix:
                    continue
                if _at_least(q.lo, p.hi):
                    used.update((i, j))
                    total += p.base.bound
                    break
        return total + sum(self.size(facts, p, line) for k, p in enumerate(parts) if k not in used)


def _at_least(a: ir.Expr, b: ir.Expr) -> bool:
    """Structurally ``a >= b``: equal expressions, ``b + k`` with ``k >= 0``, or constants."""
    if isinstance(a, ir.Const) and isinstance(b, ir.Const):
        return int(a.value) >= int(b.value)
    if _same(a, b):
        return True
    if isinstance(a, ir.Bin) and a.op == "+" and isinstance(a.right, ir.Const) and int(a.right.value) >= 0:
        return _same(a.left, b)
    return False


_same = ir.same_expr


def call_line(call: ir.Call, f: ir.Function) -> int | None:
    return f.line


def infer_bounds(functions: list[ir.Function], top: ir.Function, max_len: int,
                 param_bounds: dict[str, tuple[int | None, int | None]] | None = None) -> None:
    """Fill ``bound``/``cols`` of every array symbol of the program (see the module docstring).

    ``param_bounds``: constant bounds the task's pinned ``requires`` put on the top's scalar parameters
    (:func:`requires_bounds`); every input the hardware is specified for meets them.

    Raises:
        NotSynthesizable: a buffer whose length cannot be bounded, or that exceeds the compiler's cap.
    """
    BoundInference(functions, top, max_len, param_bounds).run()


_NUM = r"(-?(?:0x[0-9a-fA-F_]+|[0-9_]+))"
_NAME = r"([A-Za-z_][\w']*)"
# a clause with any of these may hold without each of its `&&` parts holding (`a || b && n < 3`,
# `forall k :: k in s ==> n < 3`, `!(n < 3 && m)`, `if c then n < 3 else true`): its bounds are not read
_NOT_A_CONJUNCTION = re.compile(r"\|\||==>|<==|::|!|\bif\b|\bmatch\b|\bvar\b")


def requires_bounds(requires: list[str]) -> dict[str, tuple[int | None, int | None]]:
    """Constant bounds on names from ``requires`` clauses of the forms ``x <= K``, ``x < K``, ``K <= x``,
    ``K < x``, ``x >= K``, ``x > K`` and chains ``K1 <= x < K2``, in top-level ``&&`` conjuncts; anything else
    is ignored (the analysis only gets tighter from what it understands), and so is every clause that is not a
    plain conjunction."""
    lo: dict[str, int] = {}
    hi: dict[str, int] = {}

    def num(text: str) -> int:
        digits = text.replace("_", "")
        return int(digits, 16) if digits.lstrip("-").startswith("0x") else int(digits, 10)

    def bound(name: str, op: str, k: int, name_left: bool) -> None:
        if not name_left:  # K op x  ==  x op' K
            op = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}[op]
        if op in ("<", "<="):
            hi[name] = min(hi.get(name, k), k - (op == "<"))
        else:
            lo[name] = max(lo.get(name, k), k + (op == ">"))

    for clause in requires:
        if _NOT_A_CONJUNCTION.search(clause):
            continue
        for part in clause.split("&&"):
            part = part.strip().strip("()").strip()
            chain = re.fullmatch(rf"{_NUM}\s*(<=|<)\s*{_NAME}\s*(<=|<)\s*{_NUM}", part)
            if chain:
                bound(chain[3], chain[2], num(chain[1]), name_left=False)
                bound(chain[3], chain[4], num(chain[5]), name_left=True)
                continue
            left = re.fullmatch(rf"{_NAME}\s*(<=|<|>=|>)\s*{_NUM}", part)
            if left:
                bound(left[1], left[2], num(left[3]), name_left=True)
                continue
            right = re.fullmatch(rf"{_NUM}\s*(<=|<|>=|>)\s*{_NAME}", part)
            if right:
                bound(right[3], right[2], num(right[1]), name_left=False)
    return {n: (lo.get(n), hi.get(n)) for n in set(lo) | set(hi)}
