"""The range-checked variant of a verified program at one integer width (the input of the width proof).

The hardware computes every Dafny ``int``/``nat`` in a signed ``W``-bit C integer (``intW_t``). The variant is
the verified program's own text with additions that Dafny checks, so that "the variant verifies" means "no
value the compiled code computes or stores leaves ``[-2^(W-1), 2^(W-1) - 1]``":

* before each compiled statement, ``assert LO <= (e) <= HI;`` for every integer *computation* ``e`` in it
  (``+ - * / %``, unary ``-``, ``.Length``, ``|s|``, conversions to ``int``, constants), inside the
  guards under which the compiled code evaluates it (``if``-branches, ``&&``/``||``/``==>``, ``var`` and
  ``match`` binders, quantifier ranges); for ``a % b`` also its quotient (``INT_MIN % -1`` traps in C);
  constants are decided here without Dafny. Reads of variables, array and sequence elements are not
  computations: every store into them is one of the above, so they hold in-range values by construction;
* loop conditions' computations become loop invariants (checked on entry and after every iteration, i.e.
  exactly where the condition is evaluated); every loop gets the *typed-state* invariants: each integer
  variable it assigns, each integer array in scope and each integer sequence it assigns stays in range (the
  C variables have that type, and every store was checked, so these are provable, and they are checked);
* the top method gets the hardware's input assumptions as ``requires``: integer parameters in range, array
  and sequence elements in range, lengths at most ``hardware.max_array_length``. Every other method the top
  reaches gets the same clauses (lengths at most ``HI``) as ``requires``, checked at each call, and as
  ``ensures`` for its results and arrays. Functions get them as a condition (``COND ==> ...``) on their body
  assertions and on a result-range ``ensures``, so spec-only calls to the function are unaffected; each
  compiled call checks the lengths of sequence arguments;
* where Dafny's value is arbitrary but the hardware's is some value of the C type (results before their
  first assignment, ``var x: int;`` without a value, a fresh ``new int[n]``'s elements), an ``assume`` says
  that the value is in range - the only facts the variant assumes besides the top's input ranges and the
  program's own clauses;
* the program's own ``requires``/``ensures``/``invariant``/``assert`` become ``free`` (``assume``): the verify
  stage proved them and the variant's executions are a subset of the verified program's, so re-proving them
  could only fail on prover instability (``free_original``; Dafny 2.x/3.x only);
* declarations the hardware does not run (lemmas, ghost and unreachable functions and methods) get
  ``{:verify false}``: they were verified by the verify stage, and the width proof is about the hardware;
* on request (``candidates``), guessed loop bounds for counters (``c <= i``, ``i <= a.Length``), for built
  sequences (``|v| <= i``) and for
  accumulators (``s <= B * i``, ``-B * i <= s`` with ``B`` the width's share per element, ``HI //
  max_array_length``), ordinary checked invariants that :func:`verifiers.width_proof.prove_widths` keeps only when
  Dafny accepts them.

Ghost code is skipped (ghost variables, lemma calls, proof ``forall``, ``if``/``while`` on ghost conditions);
in an assignment to ghost and compiled variables at once, the compiled part is checked.

Every insertion stays on the line of the statement it belongs to, and carries a note ``width:N`` naming its
:class:`Obligation`, so :mod:`verifiers.width_proof` maps Dafny's errors back to "line L: ``e`` may
overflow int8_t".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from verifiers.front import ast as A
from verifiers.front import printer as P
from verifiers.front.checker import Var
from verifiers.front.errors import UnsupportedConstruct
from verifiers.rewrite import Edit, Rewrite, apply_edits
from verifiers.width_source import SourceChecker, check_source, is_ghost, parse_positioned

K, L = "p2s_k", "p2s_l"  # bound variables of the inserted quantifiers


@dataclass(frozen=True)
class IntRange:
    """The values of ``intW_t``."""

    width: int

    @property
    def lo(self) -> int:
        return -(1 << (self.width - 1))

    @property
    def hi(self) -> int:
        return (1 << (self.width - 1)) - 1

    @property
    def c_name(self) -> str:
        return f"int{self.width}_t"

    def holds(self, text: str, nat: bool = False) -> str:
        """``LO <= (text) <= HI`` (``0 <= ...`` for a ``nat``)."""
        return f"{0 if nat else self.lo} <= {text} <= {self.hi}"


@dataclass
class Obligation:
    """One fact the variant checks: a value ``text`` on ``line`` (of the verified program) stays in range.

    ``kind``: ``value`` (a computation), ``quotient`` (of ``%``), ``constant``, ``argument`` (a call's
    argument or argument length), ``result`` (a method's or function's result range), ``state`` (a variable
    or array kept in range across a loop), ``input`` (an assumption: reported only if Dafny rejects it).
    ``static`` is the verdict when it was decided without Dafny (constants).
    """

    id: int
    kind: str
    line: int
    text: str
    decl: str
    detail: str = ""
    static: bool | None = None

    def describe(self, rng: IntRange, line: int | None = None) -> str:
        """``line 5: `x + y` may overflow int8_t (-128..127)`` and the like (``line``: shown instead of ours)."""
        where = f"line {self.line if line is None else line}"
        bounds = f"{rng.c_name} ({rng.lo}..{rng.hi})"
        if self.kind == "quotient":
            return f"{where}: `{self.text}` may overflow {rng.c_name} in its quotient (INT_MIN % -1)"
        if self.kind == "constant":
            return f"{where}: constant `{self.text}` does not fit {bounds}"
        if self.kind == "argument":
            return f"{where}: {self.detail or f'argument `{self.text}`'} may not fit {bounds}"
        if self.kind == "result":
            return f"{where}: {self.detail or f'result `{self.text}`'} may not fit {bounds}"
        if self.kind == "state":
            return f"{where}: {self.detail or f'`{self.text}`'} may leave {bounds} across the loop"
        if self.kind == "candidate":
            return f"{where}: the guessed loop invariant `{self.text}` does not hold"
        if self.kind == "input":
            return f"{where}: the input range assumption `{self.text}` is rejected by Dafny"
        return f"{where}: `{self.text}` may overflow {bounds}"


@dataclass
class Variant:
    """The variant at one width: its text, the map back to the verified program, and its obligations."""

    width: int
    text: str
    rewrite: Rewrite
    obligations: list[Obligation] = field(default_factory=list)
    int_values: bool = False  # the hardware part computes or stores any integer (else: no proof needed)

    def obligation(self, note: str | None) -> Obligation | None:
        if note and note.startswith("width:") and note[6:].isdigit():
            idx = int(note[6:])
            if 0 <= idx < len(self.obligations):
                return self.obligations[idx]
        return None


class WidthUnsupported(UnsupportedConstruct):
    """A construct in the hardware's code that the variant generator cannot state a range proof for."""


# ------------------------------------------------------------------------------------------------ contexts

# The guards and binders an expression is evaluated under, outermost first: (prefix, suffix) text pairs.
Ctx = tuple[tuple[str, str], ...]
Candidates = str | frozenset[str] | None  # guessed loop invariants to add: none, "all", or these keys


def _wrap(ctx: Ctx, formula: str) -> str:
    for prefix, suffix in reversed(ctx):
        formula = prefix + formula + suffix
    return formula


def _guard(cond: str) -> tuple[str, str]:
    return f"({cond} ==> ", ")"


def _binder(head: str) -> tuple[str, str]:
    """``forall x :: range ==> _`` or ``var x := e; _`` (``head`` ends just before the hole)."""
    return f"({head}", ")"


# ------------------------------------------------------------------------------------------------ builder


class VariantBuilder:
    """Builds the :class:`Variant` of one program at one width (see the module docstring)."""

    def __init__(self, text: str, program: A.Program, checker: SourceChecker, width: int, max_len: int,
                 free_original: bool = True, candidates: Candidates = None, input_width: int | None = None) -> None:
        self.text = text
        self.inputs = IntRange(input_width or width)  # the values the task's inputs take (its int_width)
        self.candidates = candidates
        self.free_original = free_original
        self.program = program
        self.checker = checker
        self.rng = IntRange(width)
        self.max_len = max_len
        self.edits: list[Edit] = []
        self.obligations: list[Obligation] = []
        self.int_values = False
        self.decl = ""
        self.top = checker.reachable[0]

    # -------------------------------------------------------------------------------------- bookkeeping

    def new(self, kind: str, line: int, text: str, detail: str = "", static: bool | None = None) -> Obligation:
        ob = Obligation(len(self.obligations), kind, line, text, self.decl, detail, static)
        self.obligations.append(ob)
        return ob

    def free(self, offsets: list[int]) -> None:
        """Make the program's own spec clauses at ``offsets`` assumed (``free``): the verify stage proved them,
        and the width proof's executions are a subset of the verified program's (inputs restricted, nothing else
        changed), so they hold here; checking them again would only let the prover stumble on them."""
        if self.free_original:
            for at in offsets:
                self.edits.append(Edit(at, at, "free ", note="width"))

    def insert(self, offset: int, text: str, ob: Obligation | None = None) -> None:
        note = f"width:{ob.id}" if ob is not None else "width"
        self.edits.append(Edit(offset, offset, text, note=note))

    def build(self) -> Variant:
        reachable = set(map(id, self.checker.reachable))
        for d in self.program.decls:
            if isinstance(d, A.Method):
                self.free(getattr(d, "spec_at", []))
            if isinstance(d, (A.Method, A.Function)):
                if id(d) in reachable:
                    self.decl = f"{'function' if isinstance(d, A.Function) else 'method'} {d.name}"
                    try:
                        if isinstance(d, A.Method):
                            self.method(d)
                        else:
                            self.function(d)
                    except UnsupportedConstruct as exc:
                        raise exc.in_decl(self.decl) from None
                elif getattr(d, "name_at", None) is not None and (d.body is not None):
                    self.edits.append(Edit(d.name_at, d.name_at, "{:verify false} ", note="width"))  # type: ignore[attr-defined]
        rewrite = apply_edits(self.text, self.edits)
        return Variant(self.rng.width, rewrite.text, rewrite, self.obligations, self.int_values)

    # -------------------------------------------------------------------------------------- range clauses

    def clauses(self, name: str, var: Var, max_len: int, rng: IntRange | None = None) -> list[str]:
        """Range facts about a parameter or result ``name``: an integer in ``rng`` (default the width's); an
        array's or sequence's length at most ``max_len`` and its integer elements in ``rng``."""
        rng = rng or self.rng
        norm = var.norm
        if norm.name == "int":
            self.int_values = True
            return [rng.holds(name, nat=var.type.name == "nat")]
        if not norm.args or not (norm.array_dims or norm.name == "seq"):
            return []
        self.int_values = True  # the length is an integer the hardware may compute with
        if norm.array_dims == 2:
            out = [f"{name}.Length0 <= {max_len} && {name}.Length1 <= {max_len}"]
        else:
            out = [f"{name}.Length <= {max_len}" if norm.array_dims else f"|{name}| <= {max_len}"]
        el = self.element_clause(name, norm, rng)
        return out + ([el] if el else [])

    def element_clause(self, name: str, norm: A.Type, rng: IntRange | None = None) -> str | None:
        """Element range of an integer array or sequence (no length bound), else ``None``."""
        rng = rng or self.rng
        if not norm.args or norm.args[0].name != "int":
            return None
        if norm.array_dims == 2:
            return (f"(forall {K}, {L} :: 0 <= {K} < {name}.Length0 && 0 <= {L} < {name}.Length1 ==> "
                    f"{rng.holds(f'{name}[{K}, {L}]')})")
        length = f"{name}.Length" if norm.array_dims == 1 else f"|{name}|" if norm.name == "seq" else None
        if length is None:
            return None
        return f"(forall {K} :: 0 <= {K} < {length} ==> {rng.holds(f'{name}[{K}]')})"

    # -------------------------------------------------------------------------------------- methods

    def method(self, m: A.Method) -> None:
        mi = self.checker.info(m)
        is_top = m is self.top
        body = m.body
        assert body is not None
        at = body.open  # type: ignore[attr-defined]
        inputs: list[str] = []
        for v in mi.params:
            for c in (self.clauses(v.name, v, self.max_len, self.inputs) if is_top
                      else self.clauses(v.name, v, self.rng.hi)):
                if is_top:
                    inputs.append(c)  # the hardware's input assumption
                else:
                    ob = self.new("argument", m.line, v.name, f"argument `{v.name}` of method {m.name}")
                    self.insert(at, f"requires {c} ", ob)
            el = self.element_clause(v.name, v.norm) if v.norm.array_dims and not is_top else None
            if el:
                ob = self.new("result", m.line, v.name, f"array `{v.name}` written by method {m.name}")
                self.insert(at, f"ensures {el} ", ob)
        if inputs:
            ob = self.new("input", m.line, " && ".join(inputs))
            self.insert(at, "".join(f"requires {c} " for c in inputs), ob)
        for v in mi.outs:
            for c in self.clauses(v.name, v, self.rng.hi):
                ob = self.new("result", m.line, v.name, f"result `{v.name}` of method {m.name}")
                self.insert(at, f"ensures {c} ", ob)
            if v.norm.name == "int":  # before its first assignment the result register holds some intW_t
                self.insert(at + 1, f" assume {self.rng.holds(v.name)};")
        self.block(body.stmts)

    # -------------------------------------------------------------------------------------- functions

    def cond(self, f: A.Function) -> str:
        mi = self.checker.info(f)
        parts: list[str] = []
        for v in mi.params:
            parts += (self.clauses(v.name, v, self.max_len, self.inputs) if f is self.top
                      else self.clauses(v.name, v, self.rng.hi))
        return " && ".join(parts)

    def function(self, f: A.Function) -> None:
        if f.body is None:
            return
        cond = self.cond(f)
        mi = self.checker.info(f)
        result = mi.outs[0]
        if result.norm.name == "int":
            self.int_values = True
            args = ", ".join(p.name for p in f.params)
            value = f"{f.name}({args})"
            fact = self.rng.holds(value, nat=result.type.name == "nat")
            ob = self.new("result", f.line, value, f"result of function {f.name}")
            self.insert(f.open, f"ensures {f'({cond}) ==> ' if cond else ''}{fact} ", ob)  # type: ignore[attr-defined]
        obs = self.collect(f.body, ())
        for ob, formula in obs:
            self.insert(f.open + 1, f" assert {f'({cond}) ==> ' if cond else ''}{formula};", ob)  # type: ignore[attr-defined]

    # -------------------------------------------------------------------------------------- statements

    def block(self, stmts: list[A.Stmt]) -> None:
        for s in stmts:
            self.stmt(s)

    def before(self, s: A.Stmt, obs: list[tuple[Obligation, str]]) -> None:
        seen: set[str] = set()
        for ob, formula in obs:
            if formula not in seen:  # `a[j + 1] := a[j + 1]`: one check of `j + 1`
                seen.add(formula)
                self.insert(s.start, f"assert {formula}; ", ob)  # type: ignore[attr-defined]

    def stmt(self, s: A.Stmt) -> None:
        if isinstance(s, A.GhostStmt) and s.kind == "assert" and self.free_original:
            start, end = s.start, s.end  # type: ignore[attr-defined]
            if self.text.startswith("assert", start) and self.text[end - 1] == ";":
                self.edits.append(Edit(start, start + len("assert"), "assume", note="width"))  # proved already
        if is_ghost(s) or isinstance(s, (A.GhostStmt, A.Break)):
            return
        meth = getattr(self, "s_" + type(s).__name__, None)
        if meth is None:
            raise WidthUnsupported(type(s).__name__, s.line, "statement in the hardware's code")
        meth(s)

    def s_Block(self, s: A.Block) -> None:
        self.block(s.stmts)

    def rhs_obligations(self, r: A.Rhs) -> list[tuple[Obligation, str]]:
        if isinstance(r, A.NewArray):
            obs: list[tuple[Obligation, str]] = []
            for d in r.dims:
                if d is not None:
                    obs += self.collect(d, ())
            for item in r.display or []:
                obs += self.collect(item, ())
            if r.init is not None:
                if not isinstance(r.init, A.Lambda) or len(r.init.params) != len(r.dims):
                    raise WidthUnsupported("array initializer", r.line, "only a lambda initializer is checked")
                lam = r.init
                names = ", ".join(b.name for b in lam.params)
                bounds = " && ".join(f"0 <= {b.name} < {P.expr(d, wrap=True)}"  # type: ignore[arg-type]
                                     for b, d in zip(lam.params, r.dims, strict=True))
                ctx: Ctx = (_binder(f"forall {names} :: {bounds} ==> "),)
                obs += self.collect(lam.body, ctx)
            return obs
        if isinstance(r, A.NewObject):
            raise WidthUnsupported("new object", r.line)
        return self.collect(r, ())

    def fresh_assumes(self, s: A.Stmt, targets: list[tuple[str, A.Type]], rhss: list[A.Rhs]) -> None:
        """``new int[n]`` without initial values: its elements hold some intW_t values in hardware."""
        if len(targets) != len(rhss):
            return
        for (name, norm), r in zip(targets, rhss, strict=True):
            if isinstance(r, A.NewArray) and r.display is None and r.init is None:
                el = self.element_clause(name, norm)
                if el:
                    self.insert(s.end, f" assume {el};")  # type: ignore[attr-defined]

    def s_VarDecl(self, s: A.VarDecl) -> None:
        obs: list[tuple[Obligation, str]] = []
        for r in s.rhss:
            obs += self.rhs_obligations(r)
        if s.such_that is not None:
            raise WidthUnsupported("var x :| P", s.line, "such-that assignment in the hardware's code")
        self.before(s, obs)
        targets = []
        for v in s.vars:
            var = getattr(v, "var", None)
            if var is None:
                continue
            if var.norm.name == "int" or (var.norm.args and var.norm.args[0].name == "int"):
                self.int_values = True
            targets.append((v.name, var.norm))
            if not s.rhss and var.norm.name == "int":  # `var x: int;`: the hardware initializes it
                self.insert(s.end, f" assume {self.rng.holds(v.name)};")  # type: ignore[attr-defined]
        self.fresh_assumes(s, targets, s.rhss)

    def s_Assign(self, s: A.Assign) -> None:
        ghost = set(getattr(s, "ghost_targets", []))  # parts of a mixed assignment that are proof only
        lhss = [e for i, e in enumerate(s.lhss) if i not in ghost]
        rhss = [r for i, r in enumerate(s.rhss) if i not in ghost] if ghost else s.rhss
        obs: list[tuple[Obligation, str]] = []
        for lhs in lhss:
            if isinstance(lhs, A.Index):
                for i in lhs.indices:
                    obs += self.collect(i, ())
        for r in rhss:
            obs += self.rhs_obligations(r)
        self.before(s, obs)
        targets = [(P.expr(e), e.ty) for e in lhss if isinstance(e, A.Name) and e.ty is not None]
        if len(targets) == len(lhss):
            self.fresh_assumes(s, targets, rhss)  # type: ignore[arg-type]

    def s_CallStmt(self, s: A.CallStmt) -> None:
        self.before(s, self.collect(s.call, ()))

    def s_Return(self, s: A.Return) -> None:
        obs: list[tuple[Obligation, str]] = []
        for r in s.values:
            obs += self.rhs_obligations(r)
        self.before(s, obs)

    def s_Print(self, s: A.Print) -> None:
        obs: list[tuple[Obligation, str]] = []
        for a in s.args:
            obs += self.collect(a, ())
        self.before(s, obs)

    def s_Expect(self, s: A.Expect) -> None:
        obs = self.collect(s.cond, ())
        if s.message is not None:
            obs += self.collect(s.message, (_guard("!" + P.expr(s.cond, wrap=True)),))
        self.before(s, obs)

    def s_If(self, s: A.If) -> None:
        obs: list[tuple[Obligation, str]] = []
        node: A.If | None = s
        ctx: Ctx = ()
        while node is not None and not is_ghost(node):  # an `else if` on a ghost condition is proof only
            assert node.cond is not None
            obs += self.collect(node.cond, ctx)
            self.block(node.then.stmts)
            ctx = ctx + (_guard("!" + P.expr(node.cond, wrap=True)),)
            if isinstance(node.else_, A.If):
                node = node.else_
            else:
                if node.else_ is not None:
                    self.block(node.else_.stmts)
                node = None
        self.before(s, obs)

    def s_AltIf(self, s: A.AltIf) -> None:
        obs: list[tuple[Obligation, str]] = []
        ctx: Ctx = ()
        for c in s.cases:
            obs += self.collect(c.guard, ctx)
            ctx = ctx + (_guard("!" + P.expr(c.guard, wrap=True)),)
            self.block(c.body)
        self.before(s, obs)

    def s_MatchStmt(self, s: A.MatchStmt) -> None:
        self.before(s, self.collect(s.scrutinee, ()))
        for c in s.cases:
            assert isinstance(c.body, list)
            self.block(c.body)

    def s_ForallStmt(self, s: A.ForallStmt) -> None:
        assert s.body is not None
        body = s.body.stmts[0]
        assert isinstance(body, A.Assign)
        names = ", ".join(v.name + (f": {v.type}" if v.type else "") for v in s.vars)
        rng = f"{P.expr(s.range, wrap=True)} ==> " if s.range is not None else ""
        ctx: Ctx = (_binder(f"forall {names} :: {rng}"),)
        obs: list[tuple[Obligation, str]] = []
        for lhs in body.lhss:
            if isinstance(lhs, A.Index):
                for i in lhs.indices:
                    obs += self.collect(i, ctx)
        for r in body.rhss:
            if isinstance(r, A.Expr):
                obs += self.collect(r, ctx)
        self.before(s, obs)

    def loop(self, s: A.While | A.ForLoop, cond_obs: list[tuple[Obligation, str]]) -> None:
        body = s.body
        assert body is not None
        at = body.open  # type: ignore[attr-defined]
        self.free(getattr(s, "spec_at", []))
        for ob, formula in cond_obs:
            self.insert(at, f"invariant {formula} ", ob)
        assigned = _assigned(body.stmts)
        for var in getattr(s, "scope_vars", []):
            if not isinstance(var, Var) or var.kind in ("ghost", "const", "bound"):
                continue
            fact = None
            if var.norm.name == "int" and id(var) in assigned:
                fact = self.rng.holds(var.name, nat=var.type.name == "nat")
            elif var.norm.array_dims or (var.norm.name == "seq" and id(var) in assigned):
                # arrays: the loop may write any array in the method's frame (and fresh ones)
                fact = self.element_clause(var.name, var.norm)
            if fact:
                ob = self.new("state", s.line, var.name, f"`{var.name}`")
                self.insert(at, f"invariant {fact} ", ob)
        self.candidate_invariants(s, at, assigned)
        self.block(body.stmts)

    def candidate_invariants(self, s: A.While | A.ForLoop, at: int, assigned: set[int]) -> None:
        """Guessed bounds for a loop's counters (``c <= i``, ``c <= a.Length``, ``i <= n``): a *counter* is a
        variable the loop only ever sets to ``c + 1`` or to a non-negative constant, an *index* one it steps by
        ``i := i + 1`` once per iteration (at the top level of the body), a *bound* an integer or length the loop
        does not change. The program's own invariants often relate a counter to a spec function only; its bound
        by the index is what the width needs.

        A *built sequence* (set only to ``v + [e]`` or ``[]``) gets ``|v| <= i`` for each index ``i`` (and the
        ``for`` loop's variable): the buffer a loop fills one element per iteration at most is no longer than the
        inputs it walks, which the width and the hardware's buffer need.

        An *accumulator* (set only to ``s + e``, ``s - e``, ``s + 1`` or a non-negative constant, at least once
        to ``s +- e``) gets ``s <= B * i`` and ``-B * i <= s`` with ``B = HI // max_array_length``: where each
        ``e`` is provably within ``[-B, B]`` (a sum of bytes, digits, bounded inputs) and the index is bounded by
        a length, the sum fits, whatever spec function the program's invariant ties it to
        (``s == Sum(a[..i])`` says nothing about ``s + a[i]`` fitting; ``s <= B * i <= B * a.Length`` does).

        The guesses are ordinary checked invariants; the prover keeps those Dafny accepts (see
        :func:`verifiers.width_proof.prove_widths`)."""
        if self.candidates is None or s.body is None:
            return
        scope = [v for v in getattr(s, "scope_vars", []) if isinstance(v, Var) and v.kind not in ("ghost", "bound")]
        shapes = _assignment_shapes(s.body.stmts)
        counters = [v for v in scope if v.norm.name == "int" and shapes.get(id(v), {"other"}) <= {"inc", "const"}]
        indexes = [v for v in scope if v.norm.name == "int" and shapes.get(id(v)) == {"step"}]
        bounds = [v.name for v in scope if v.norm.name == "int" and id(v) not in assigned] + [
            f"{v.name}.Length" for v in scope if v.norm.array_dims == 1 and id(v) not in assigned] + [
            f"|{v.name}|" for v in scope if v.norm.name == "seq" and id(v) not in assigned]
        forms = [f"{c.name} <= {i.name}" for c in counters for i in indexes]
        forms += [f"{v.name} <= {b}" for v in counters + indexes for b in bounds]
        steps = [i.name for i in indexes] + ([s.var.name] if isinstance(s, A.ForLoop) and not s.down else [])
        built = [v for v in scope if v.norm.name == "seq" and "append" in shapes.get(id(v), set())
                 and shapes[id(v)] <= {"append", "const"}]
        forms += [f"|{v.name}| <= {i}" for v in built for i in steps]  # one element per iteration at most
        share = self.rng.hi // self.max_len if self.max_len > 0 else 0
        if share > 0:
            accumulators = [v for v in scope if v.norm.name == "int" and "acc" in shapes.get(id(v), set())
                            and shapes[id(v)] <= {"acc", "inc", "const"}]
            for acc in accumulators:
                for i in indexes:
                    forms += [f"{acc.name} <= {share} * {i.name}", f"-{share} * {i.name} <= {acc.name}"]
        for form in forms:
            key = f"{at}:{form}"
            if self.candidates == "all" or key in self.candidates:
                ob = self.new("candidate", s.line, form, key)
                self.insert(at, f"invariant {form} ", ob)

    def s_While(self, s: A.While) -> None:
        assert s.cond is not None
        self.loop(s, self.collect(s.cond, ()))

    def s_ForLoop(self, s: A.ForLoop) -> None:
        obs = self.collect(s.lo, ())
        if s.hi is not None:
            obs += self.collect(s.hi, ())
        self.before(s, obs)
        self.loop(s, [])

    # -------------------------------------------------------------------------------------- expressions

    def collect(self, e: A.Expr, ctx: Ctx) -> list[tuple[Obligation, str]]:
        """The obligations of the compiled expression ``e`` evaluated under ``ctx``, with their formulas."""
        out: list[tuple[Obligation, str]] = []
        self._collect(e, ctx, out)
        return out

    def _value(self, e: A.Expr, ctx: Ctx, out: list, kind: str = "value", text: str | None = None) -> None:
        shown = P.expr(e)
        ob = self.new(kind, e.line, shown)
        out.append((ob, _wrap(ctx, self.rng.holds(text or P.expr(e, wrap=True)))))

    def _collect(self, e: A.Expr, ctx: Ctx, out: list) -> None:
        t = e.ty
        is_int = t is not None and t.name == "int"
        if is_int and not isinstance(e, A.Literal):  # a constant alone (a shift count) makes no int value
            self.int_values = True
        if isinstance(e, A.Literal):
            if is_int and isinstance(e.value, int):
                self._constant(e, int(e.value))
            return
        if isinstance(e, A.Unary) and e.op == "-" and _literal_value(e) is not None:
            if is_int:
                self._constant(e, _literal_value(e))  # type: ignore[arg-type]
            return
        if isinstance(e, A.Name):
            ref = getattr(e, "ref", None)
            if is_int and isinstance(ref, Var) and ref.kind == "const":
                self._value(e, ctx, out)
            return
        if isinstance(e, A.Lambda):
            raise WidthUnsupported("lambda", e.line, "a function value in the hardware's code")
        if isinstance(e, A.Call) and getattr(e, "kind", "") == "value":
            raise WidthUnsupported("call of a function value", e.line)
        if is_int and isinstance(e, A.Binary) and e.op in ("+", "-", "*", "/", "%"):
            self._value(e, ctx, out)
            if e.op == "%" and _literal_value(e.right) in (None, -1):  # INT_MIN % -1 traps in C
                ob = self.new("quotient", e.line, P.expr(e))
                q = f"{P.expr(e.left, wrap=True)} / {P.expr(e.right, wrap=True)}"
                out.append((ob, _wrap(ctx, self.rng.holds(q))))
        elif is_int and isinstance(e, (A.Unary, A.Card, A.Conversion)) and not (
                isinstance(e, A.Unary) and e.op != "-"):
            self._value(e, ctx, out)
        elif is_int and isinstance(e, A.Member) and e.name.startswith("Length"):
            self._value(e, ctx, out)
        self._children(e, ctx, out)

    def _constant(self, e: A.Expr, value: int) -> None:
        fits = self.rng.lo <= value <= self.rng.hi
        if not fits:
            self.new("constant", e.line, P.expr(e), static=False)

    def _children(self, e: A.Expr, ctx: Ctx, out: list) -> None:
        c = self._collect
        if isinstance(e, A.Binary):
            c(e.left, ctx, out)
            left = P.expr(e.left, wrap=True)
            if e.op in ("&&", "==>"):
                c(e.right, ctx + (_guard(left),), out)
            elif e.op == "||":
                c(e.right, ctx + (_guard("!" + left),), out)
            else:
                c(e.right, ctx, out)
        elif isinstance(e, A.Ite):
            c(e.cond, ctx, out)
            cond = P.expr(e.cond, wrap=True)
            c(e.then, ctx + (_guard(cond),), out)
            c(e.else_, ctx + (_guard("!" + cond),), out)
        elif isinstance(e, A.Let):
            if e.such_that or e.pattern is not None:
                raise WidthUnsupported("let expression with a pattern or such-that", e.line)
            for r in e.rhss:
                c(r, ctx, out)
            head = ", ".join(b.name + (f": {b.type}" if b.type else "") for b in e.vars)
            rhs = ", ".join(P.expr(r) for r in e.rhss)
            c(e.body, ctx + (_binder(f"var {head} := {rhs}; "),), out)
        elif isinstance(e, A.MatchExpr):
            c(e.scrutinee, ctx, out)
            scrut = P.expr(e.scrutinee, wrap=True)
            pats = [P.pattern(mc.pattern) for mc in e.cases]
            for i, mc in enumerate(e.cases):
                before = "".join(f"case {p} => true " for p in pats[:i])
                after = "".join(f" case {p} => true" for p in pats[i + 1:])
                assert isinstance(mc.body, A.Expr)
                c(mc.body, ctx + ((f"(match {scrut} {before}case {pats[i]} => ", after + ")"),), out)
        elif isinstance(e, (A.Quantifier, A.SetComp, A.MapComp)):
            names = ", ".join(v.name + (f": {v.type}" if v.type else "") for v in e.vars)
            if e.range is not None:
                c(e.range, ctx + (_binder(f"forall {names} :: "),), out)
            rng = f"{P.expr(e.range, wrap=True)} ==> " if e.range is not None else ""
            inner = ctx + (_binder(f"forall {names} :: {rng}"),)
            if isinstance(e, A.Quantifier):
                c(e.body, inner, out)
            elif isinstance(e, A.SetComp):
                if e.term is not None:
                    c(e.term, inner, out)
            else:
                if e.key is not None:
                    c(e.key, inner, out)
                c(e.value, inner, out)
        elif isinstance(e, A.Call):
            args = getattr(e, "compiled_args", e.args)
            for a in args:
                c(a, ctx, out)
            self._call_lengths(e, args, ctx, out)
        elif isinstance(e, A.StmtExpr):
            c(e.body, ctx, out)
        elif isinstance(e, A.Old):
            return
        else:
            from verifiers.front.walk import children

            for ch in children(e):
                if isinstance(ch, A.Expr):
                    c(ch, ctx, out)

    def _call_lengths(self, e: A.Call, args: list[A.Expr], ctx: Ctx, out: list) -> None:
        """A compiled call of a function: the lengths of its sequence and array arguments (the function's
        range condition assumes them; the hardware does not guarantee them)."""
        if getattr(e, "kind", "") != "function":
            return
        f = e.callee.ref  # type: ignore[attr-defined]
        mi = self.checker.info(f)
        bound = self.max_len if f is self.top else self.rng.hi
        for a, v in zip(args, mi.params, strict=False):
            norm = v.norm
            text = P.expr(a, wrap=True)
            if norm.array_dims == 1:
                facts = [f"{text}.Length <= {bound}"]
            elif norm.array_dims == 2:
                facts = [f"{text}.Length0 <= {bound} && {text}.Length1 <= {bound}"]
            elif norm.name == "seq" and norm.args and norm.args[0].name in ("int", "char"):
                facts = [f"|{text}| <= {bound}"]
            else:
                continue
            ob = self.new("argument", e.line, P.expr(a), f"length of argument `{P.expr(a)}` of function {f.name}")
            out.append((ob, _wrap(ctx, " && ".join(facts))))


def _assignment_shapes(stmts: list[A.Stmt]) -> dict[int, set[str]]:
    """For each variable a loop body assigns (by id of its checker ``Var``), the shapes of its assignments:
    ``step`` (``x := x + 1`` at the body's top level, the only assignment), ``inc`` (``x := x + 1`` anywhere),
    ``const`` (a non-negative literal), ``acc`` (``x := x + e``, ``x := e + x``, ``x := x - e``), ``other``."""
    from verifiers.front.walk import walk

    top = {id(s) for s in stmts}
    shapes: dict[int, list[str]] = {}
    for s in stmts:
        for n in walk(s):
            if not isinstance(n, A.Assign) or is_ghost(n) or len(n.lhss) != len(n.rhss):
                continue
            for lhs, rhs in zip(n.lhss, n.rhss, strict=True):
                ref = getattr(lhs, "ref", None)
                if not isinstance(ref, Var):
                    continue
                value = _literal_value(rhs) if isinstance(rhs, A.Expr) else None
                if _appends(lhs.name, rhs):
                    shape = "append"
                elif isinstance(rhs, A.SeqDisplay) and not rhs.items:
                    shape = "const"
                elif isinstance(rhs, A.Binary) and rhs.op == "+" and _literal_value(rhs.right) == 1 and \
                        isinstance(rhs.left, A.Name) and rhs.left.name == lhs.name:
                    shape = "step" if id(n) in top else "inc"
                elif value is not None and value >= 0:
                    shape = "const"
                elif _accumulates(lhs.name, rhs):
                    shape = "acc"
                else:
                    shape = "other"
                shapes.setdefault(id(ref), []).append(shape)
    out: dict[int, set[str]] = {}
    for key, found in shapes.items():
        kinds = set(found)
        if kinds == {"step"} and len(found) > 1:
            kinds = {"inc"}  # stepped twice per iteration: a counter, not an index
        out[key] = kinds if kinds != {"step", "inc"} else {"inc"}
    return out


def _appends(name: str, rhs: A.Expr | object) -> bool:
    """``rhs`` is ``name + [e]``: one element appended to the sequence ``name``."""
    return (isinstance(rhs, A.Binary) and rhs.op == "+" and isinstance(rhs.left, A.Name) and rhs.left.name == name
            and isinstance(rhs.right, A.SeqDisplay) and len(rhs.right.items) == 1)


def _accumulates(name: str, rhs: A.Expr | object) -> bool:
    """``rhs`` is ``name + e``, ``e + name`` or ``name - e``."""
    if not isinstance(rhs, A.Binary) or rhs.op not in ("+", "-"):
        return False

    def is_name(e: A.Expr) -> bool:
        return isinstance(e, A.Name) and e.name == name

    return is_name(rhs.left) or (rhs.op == "+" and is_name(rhs.right))


def _literal_value(e: A.Expr) -> int | None:
    if isinstance(e, A.Literal) and e.kind == "int" and isinstance(e.value, int):
        return e.value
    if isinstance(e, A.Unary) and e.op == "-":
        inner = _literal_value(e.operand)
        return -inner if inner is not None else None
    if isinstance(e, A.Paren):
        return _literal_value(e.inner)
    return None


def _assigned(stmts: list[A.Stmt]) -> set[int]:
    """Ids of the variables a loop body assigns (compiled assignments only)."""
    from verifiers.front.walk import walk

    out: set[int] = set()
    for s in stmts:
        for n in walk(s):
            if isinstance(n, A.Assign) and not is_ghost(n):
                for lhs in n.lhss:
                    ref = getattr(lhs, "ref", None)
                    if isinstance(ref, Var):
                        out.add(id(ref))
    return out


def build_variant(text: str, top: str, width: int, max_array_length: int, dialect: str = "dafny3", *,
                  free_original: bool = True, typed: tuple[A.Program, SourceChecker] | None = None,
                  candidates: Candidates = None, input_width: int | None = None) -> Variant:
    """The range-checked variant of the verified program ``text`` (in ``dialect``) at ``width`` bits.

    ``input_width``: the top's integer inputs are assumed to fit this many bits (default ``width``). When the
    proof widens past the task's ``int_width``, the inputs stay values of ``int_width`` bits (what the task
    says its ports carry) while every computed value is checked at the wider ``width``.

    ``free_original``: ``text`` was verified, so its own spec clauses may be assumed (``free``) rather than
    checked again; only possible in the ``dafny3`` dialect (Dafny 4 has no ``free`` clauses).
    ``typed``: ``text`` already parsed and checked (:func:`verifiers.width_source.typed_program`), to reuse.
    ``candidates``: guessed loop invariants to add (``"all"``, or the keys of the ones to keep).

    Raises:
        DafnySyntaxError: the text does not parse.
        UnsupportedConstruct: the hardware's code uses a construct the generator cannot state ranges for
            (:class:`WidthUnsupported`), or that the checker does not type.
    """
    program, checker = typed if typed is not None else (parse_positioned(text, dialect), None)
    checker = checker or check_source(program, top)
    free = free_original and dialect == "dafny3"
    return VariantBuilder(text, program, checker, width, max_array_length, free, candidates, input_width).build()
