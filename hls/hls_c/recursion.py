"""Recursion elimination (a pass on the Python AST, before typing).

Hardware has no call stack, so a self-recursive function becomes a loop when its recursion is

* tail recursion: every self-call is the whole returned value (``return f(n - 1, acc * n)``), or, in a
  function without results, the last statement on its path; or
* linear recursion with an accumulator: every self-call is one operand of the same associative operator
  in a returned value (``return a[i] + f(a, i + 1)``, ``return (x * f(x, n - 1)) & 0xFF``, ``return
  f(s[1:]) + (s[0],)``); the other operands fold into an accumulator. The operator must be commutative for
  scalars (``+ * & | ^``, masked bit-vector forms included); for sequences (``+`` is concatenation, not
  commutative) the self-call must sit on the same side in every return.

``return c and f(...)`` / ``return c or f(...)`` are first rewritten into ``if`` statements (keeping
short-circuit evaluation, which may guard the call's precondition), and ``x = f(...); return E(x)`` into
``return E(f(...))``. Anything else (two self-calls in one expression, a self-call in a loop or in a
condition, an argument of another call) is rejected: "non-tail recursion in F (line N) cannot be
synthesized".

The loop form: parameters are reassigned in parallel from the call's arguments and the loop restarts::

    def f(p...) -> T:
        _p2s_acc: T = IDENTITY
        while True:
            <body; base returns become `return _p2s_acc OP value`>
"""

from __future__ import annotations

import ast
import copy

from hls.hls_c.errors import NotSynthesizable

ACC = "_p2s_acc"
_ASSOC = {ast.Add: "+", ast.Mult: "*", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^"}


def _is_self_call(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name


def _count_calls(node: ast.AST, name: str) -> int:
    return sum(1 for n in ast.walk(node) if _is_self_call(n, name))


def _reject(fn: ast.FunctionDef, line: int | None, why: str) -> NotSynthesizable:
    return NotSynthesizable(
        f"recursion in {fn.name}", line,
        f"non-tail recursion in {fn.name} (line {line}) cannot be synthesized: {why}",
    )


class _Leaf:
    """How one return statement recurses: ``kind`` base / tail / fold (``operands`` fold into the accumulator)."""

    def __init__(self, kind: str, call: ast.Call | None = None, op: str | None = None,
                 operands: list[ast.expr] | None = None, side: str = "", mask: ast.expr | None = None):
        self.kind = kind
        self.call = call
        self.op = op
        self.operands = operands or []
        self.side = side  # fold: "left" (call is the last operand) or "right" (call is the first)
        self.mask = mask


def eliminate_recursion(fn: ast.FunctionDef, returns_sequence: bool) -> ast.FunctionDef:
    """Return ``fn`` with its self-recursion turned into a loop (``fn`` itself when it does not recurse).

    Args:
        fn: the function.
        returns_sequence: whether its (single) result is a sequence (``+`` is then concatenation).

    Raises:
        NotSynthesizable: the recursion is not tail or accumulator-linear.
    """
    name = fn.name
    if _count_calls(fn, name) == 0:
        return fn
    fn = copy.deepcopy(fn)
    fn.body = _normalize(fn.body, name)
    leaves: list[tuple[ast.stmt, _Leaf]] = []
    _collect(fn, fn.body, name, leaves, in_loop=False, tail=True)
    folds = [lf for _, lf in leaves if lf.kind == "fold"]
    if folds:
        ops = {(lf.op, ast.unparse(lf.mask) if lf.mask is not None else None) for lf in folds}
        if len(ops) > 1:
            raise _reject(fn, folds[0].call.lineno, "the recursive results are combined with different operators")
        if returns_sequence:
            if folds[0].op != "+":
                raise _reject(fn, folds[0].call.lineno, f"operator {folds[0].op} on sequences")
            if len({lf.side for lf in folds}) > 1 or folds[0].side == "middle":
                raise _reject(fn, folds[0].call.lineno, "the recursive call is on both sides of a concatenation")
    params = [a.arg for a in fn.args.args]
    op = folds[0].op if folds else None
    mask = folds[0].mask if folds else None
    side = folds[0].side if folds else ""
    new_body = _rewrite(fn.body, name, params, op, mask, side)
    if fn.returns is None or (isinstance(fn.returns, ast.Constant) and fn.returns.value is None):
        new_body.append(ast.Return(value=None))
    loop = ast.While(test=ast.Constant(value=True), body=new_body, orelse=[])
    body: list[ast.stmt] = []
    if op is not None:
        init = _identity(op, mask, returns_sequence)
        body.append(ast.AnnAssign(target=ast.Name(id=ACC, ctx=ast.Store()), annotation=copy.deepcopy(fn.returns),
                                  value=init, simple=1))
    body.append(loop)
    fn.body = body
    ast.fix_missing_locations(fn)
    return fn


def _identity(op: str, mask: ast.expr | None, seq: bool) -> ast.expr:
    if seq:
        return ast.Tuple(elts=[], ctx=ast.Load())
    if op == "*":
        return ast.Constant(value=1)
    if op == "&":
        return copy.deepcopy(mask) if mask is not None else ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=1))
    return ast.Constant(value=0)


# --------------------------------------------------------------------------------------------- normalization


def _sink_returns(stmts: list[ast.stmt]) -> list[ast.stmt]:
    """``if c: x = A else: x = B; return x`` → the return copied into both branches (method-style results)."""
    if len(stmts) >= 2 and isinstance(stmts[-1], ast.Return) and isinstance(stmts[-2], ast.If):
        ret, branch = stmts[-1], stmts[-2]
        for attr in ("body", "orelse"):
            part = getattr(branch, attr)
            if not part or not isinstance(part[-1], ast.Return):
                part = part + [ast.copy_location(copy.deepcopy(ret), ret)]
            setattr(branch, attr, _sink_returns(part))
        return stmts[:-1]
    return stmts


def _normalize(stmts: list[ast.stmt], name: str) -> list[ast.stmt]:
    """Expose self-calls as returned values: ternaries and and/or become ifs; ``x = f(); return E(x)`` merges."""
    stmts = _sink_returns(stmts)
    out: list[ast.stmt] = []
    i = 0
    while i < len(stmts):
        s = stmts[i]
        nxt = stmts[i + 1] if i + 1 < len(stmts) else None
        merged = _merge_assign_return(s, nxt, name)
        if merged is not None:
            out.extend(_normalize([merged], name))
            i += 2
            continue
        if isinstance(s, ast.Return) and s.value is not None and _count_calls(s.value, name):
            out.append(_split_return(s, name))
        elif isinstance(s, ast.If):
            s.body = _normalize(s.body, name)
            s.orelse = _normalize(s.orelse, name)
            out.append(s)
        else:
            out.append(s)
        i += 1
    return out


def _split_return(s: ast.Return, name: str) -> ast.stmt:
    v = s.value
    if isinstance(v, ast.IfExp):
        branch = ast.If(test=v.test, body=[ast.Return(value=v.body)], orelse=[ast.Return(value=v.orelse)])
        ast.copy_location(branch, s)
        for part in (branch.body[0], branch.orelse[0]):
            ast.copy_location(part, s)
        branch.body = _normalize(branch.body, name)
        branch.orelse = _normalize(branch.orelse, name)
        return branch
    if isinstance(v, ast.BoolOp) and _count_calls(v.values[-1], name) and not any(
        _count_calls(x, name) for x in v.values[:-1]
    ):
        head = v.values[0] if len(v.values) == 2 else ast.BoolOp(op=v.op, values=v.values[:-1])
        rest = [ast.Return(value=v.values[-1])]
        short = [ast.Return(value=ast.Constant(value=isinstance(v.op, ast.Or)))]
        if isinstance(v.op, ast.And):
            branch = ast.If(test=head, body=rest, orelse=short)
        else:
            branch = ast.If(test=head, body=short, orelse=rest)
        for part in [branch, *branch.body, *branch.orelse]:
            ast.copy_location(part, s)
        branch.body = _normalize(branch.body, name)
        branch.orelse = _normalize(branch.orelse, name)
        return branch
    return s


def _merge_assign_return(s: ast.stmt, nxt: ast.stmt | None, name: str) -> ast.Return | None:
    """``x = f(args)`` then ``return E`` using ``x`` once → ``return E[x := f(args)]``."""
    if not isinstance(nxt, ast.Return) or nxt.value is None:
        return None
    if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name) and s.value is not None:
        targets, value = [s.target.id], s.value
    elif isinstance(s, ast.Assign) and len(s.targets) == 1:
        t = s.targets[0]
        if isinstance(t, ast.Name):
            targets, value = [t.id], s.value
        elif isinstance(t, ast.Tuple) and all(isinstance(e, ast.Name) for e in t.elts):
            targets, value = [e.id for e in t.elts], s.value  # type: ignore[attr-defined]
        else:
            return None
    else:
        return None
    if not _is_self_call(value, name):
        return None
    ret = nxt.value
    if len(targets) > 1:
        if isinstance(ret, ast.Tuple) and [getattr(e, "id", None) for e in ret.elts] == targets:
            return ast.copy_location(ast.Return(value=value), nxt)
        return None
    uses = [n for n in ast.walk(ret) if isinstance(n, ast.Name) and n.id == targets[0]]
    if len(uses) != 1:
        return None

    class Sub(ast.NodeTransformer):
        def visit_Name(self, node: ast.Name) -> ast.AST:
            return value if node.id == targets[0] else node

    new = Sub().visit(copy.deepcopy(ret))
    return ast.copy_location(ast.Return(value=new), nxt)


# --------------------------------------------------------------------------------------------- classification


def _classify(fn: ast.FunctionDef, value: ast.expr, name: str, line: int) -> _Leaf:
    n = _count_calls(value, name)
    if n == 0:
        return _Leaf("base")
    if n > 1:
        raise _reject(fn, line, "more than one recursive call in one expression")
    if _is_self_call(value, name):
        return _Leaf("tail", call=value)  # type: ignore[arg-type]
    mask = None
    inner = value
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.BitAnd) and isinstance(value.right, ast.Constant):
        if isinstance(value.left, ast.BinOp) and type(value.left.op) in (ast.Add, ast.Mult) and _count_calls(
            value.left, name
        ):
            mask, inner = value.right, value.left
    if isinstance(inner, ast.BinOp) and type(inner.op) in _ASSOC:
        op = type(inner.op)
        operands = _flatten(inner, op)
        calls = [i for i, x in enumerate(operands) if _count_calls(x, name)]
        if len(calls) == 1 and _is_self_call(operands[calls[0]], name):
            idx = calls[0]
            side = "left" if idx == len(operands) - 1 else ("right" if idx == 0 else "middle")
            others = operands[:idx] + operands[idx + 1 :]
            return _Leaf("fold", call=operands[idx], op=_ASSOC[op], operands=others, side=side, mask=mask)
    raise _reject(fn, line, "the recursive call's result is used by a non-associative operation or a call")


def _flatten(node: ast.expr, op: type) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, op):
        return _flatten(node.left, op) + _flatten(node.right, op)
    return [node]


def _collect(fn, stmts, name, leaves, in_loop: bool, tail: bool) -> None:
    for k, s in enumerate(stmts):
        last = tail and k == len(stmts) - 1
        if isinstance(s, ast.Return):
            if s.value is not None and _count_calls(s.value, name):
                if in_loop:
                    raise _reject(fn, s.lineno, "the recursive call is inside a loop")
                leaves.append((s, _classify(fn, s.value, name, s.lineno)))
        elif isinstance(s, ast.If):
            if _count_calls(s.test, name):
                raise _reject(fn, s.lineno, "the recursive call is in a condition")
            _collect(fn, s.body, name, leaves, in_loop, last)
            _collect(fn, s.orelse, name, leaves, in_loop, last)
        elif isinstance(s, (ast.While, ast.For)):
            if _count_calls(s, name):
                raise _reject(fn, s.lineno, "the recursive call is inside a loop")
        elif isinstance(s, ast.Expr) and _is_self_call(s.value, name) and last and not in_loop:
            leaves.append((s, _Leaf("tail", call=s.value)))  # type: ignore[arg-type]
        elif _count_calls(s, name):
            raise _reject(fn, s.lineno, "the recursive call's result is stored, not returned")


# --------------------------------------------------------------------------------------------- rewriting


def _combine(op: str, parts: list[ast.expr]) -> ast.expr:
    pyop = {v: k for k, v in _ASSOC.items()}[op]
    out = parts[0]
    for p in parts[1:]:
        out = ast.BinOp(left=out, op=pyop(), right=p)
    return out


def _masked(e: ast.expr, mask: ast.expr | None) -> ast.expr:
    return ast.BinOp(left=e, op=ast.BitAnd(), right=copy.deepcopy(mask)) if mask is not None else e


def _acc() -> ast.Name:
    return ast.Name(id=ACC, ctx=ast.Load())


def _rebind(call: ast.Call, params: list[str], line: int) -> list[ast.stmt]:
    """Parallel assignment of the call's arguments to the parameters (unchanged ones skipped)."""
    if call.keywords or len(call.args) != len(params):
        raise NotSynthesizable("recursive call", line, "recursive calls must pass every parameter positionally")
    pairs = [(p, a) for p, a in zip(params, call.args, strict=True) if not (isinstance(a, ast.Name) and a.id == p)]
    if not pairs:
        return []
    if len(pairs) == 1:
        p, a = pairs[0]
        return [ast.Assign(targets=[ast.Name(id=p, ctx=ast.Store())], value=a, lineno=line)]
    target = ast.Tuple(elts=[ast.Name(id=p, ctx=ast.Store()) for p, _ in pairs], ctx=ast.Store())
    return [ast.Assign(targets=[target], value=ast.Tuple(elts=[a for _, a in pairs], ctx=ast.Load()), lineno=line)]


def _rewrite(stmts, name, params, op, mask, side) -> list[ast.stmt]:
    out: list[ast.stmt] = []
    for s in stmts:
        if isinstance(s, ast.Return):
            if s.value is None:
                out.append(s)
                continue
            n = _count_calls(s.value, name)
            if n == 0:
                if op is None:
                    out.append(s)
                else:
                    parts = [_acc(), s.value] if side != "right" else [s.value, _acc()]
                    out.append(ast.copy_location(ast.Return(value=_masked(_combine(op, parts), mask)), s))
                continue
            leaf = _LeafCache.get(s, name)
            assert leaf.call is not None
            if leaf.kind == "fold":
                contrib = _combine(op, leaf.operands)
                parts = [_acc(), contrib] if side != "right" else [contrib, _acc()]
                out.append(ast.copy_location(
                    ast.Assign(targets=[ast.Name(id=ACC, ctx=ast.Store())], value=_masked(_combine(op, parts), mask)), s
                ))
            out.extend(ast.copy_location(x, s) for x in _rebind(leaf.call, params, s.lineno))
            out.append(ast.copy_location(ast.Continue(), s))
        elif isinstance(s, ast.Expr) and _is_self_call(s.value, name):
            out.extend(ast.copy_location(x, s) for x in _rebind(s.value, params, s.lineno))  # type: ignore[arg-type]
            out.append(ast.copy_location(ast.Continue(), s))
        elif isinstance(s, ast.If):
            s.body = _rewrite(s.body, name, params, op, mask, side)
            s.orelse = _rewrite(s.orelse, name, params, op, mask, side)
            out.append(s)
        else:
            out.append(s)
    return out


class _LeafCache:
    """Re-derives a return's leaf during rewriting (classification already validated it)."""

    @staticmethod
    def get(s: ast.Return, name: str) -> _Leaf:
        fn = ast.FunctionDef(name=name, args=ast.arguments(), body=[], decorator_list=[])
        return _classify(fn, s.value, name, s.lineno)  # type: ignore[arg-type]
