"""The integrity gate: a candidate counts as verified only if nothing escapes the verifier and it proves the
task's own contract.

Checks, on tokens (so comments and strings never trigger or hide anything):

* no escape hatch anywhere in the program: ``assume``, ``expect`` (a run-time check the proof would rest
  on), ``{:axiom}``, ``{:verify false}``, ``{:extern}``, ``{:only}``, ``{:termination false}``,
  ``{:selective_checking}``/``{:start_checking_here}``, ``{:assume_concurrent}`` (and Dafny 4's
  ``@Axiom``/``@Verify``/``@Extern``), however spelled (``{ :axiom }`` with layout or comments inside the
  braces is an attribute to Dafny, so it is one here), ``include`` of other files, ``decreases *``, ``free``
  clauses (assumed, never proved), and no method, function, lemma, loop or ``forall ... ensures`` statement
  without a body (an instance member of a ``trait`` that a class of the program extends is fine: the class
  must implement it, with a proof; a static one, or one of a trait nothing extends, is trusted);
  :func:`trusted_constructs` lists them, and without a task ``p2s verify`` reports them instead of failing;
* with a task: the target method exists once, at top level, compiled, with the task's parameter and result
  names and types; each of its ``requires`` conjuncts is one of the task's (an extra one weakens the spec);
  the program does not define a function or predicate that the pinned contract mentions (it could define
  it to be ``true``);
* the task's pinned ``requires``/``ensures`` are spliced into the target method before verification (the
  candidate's own ``ensures`` stay: more to prove is fine), and the task's own definitions of the functions
  its contract uses (:func:`task_definitions`) are prepended;
* after verification, at least one declaration was verified ("0 verified, 0 errors" is a failure; see
  :func:`verifiers.api.verify_source`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.task import Task, parse_signature
from verifiers.diagnostics import Diagnostic
from verifiers.front.lexer import Token, gate_tokens
from verifiers.rewrite import Edit, Rewrite, apply_edits
from verifiers.syntax import (
    LOOP_SPEC,
    METHOD_SPEC,
    Decl,
    expression_end,
    find_containers,
    find_decls,
    find_for_loops,
    find_while_loops,
    is_kw,
    is_op,
    split_top,
    statement_start,
    strip_parens,
)

FORBIDDEN_ATTRIBUTES = {
    "axiom": "{:axiom} makes Dafny trust a declaration without proof",
    "extern": "{:extern} declares code outside Dafny that is never verified",
    "only": "{:only} makes Dafny skip every other declaration",
    "selective_checking": "{:selective_checking} assumes every assertion before {:start_checking_here}",
    "start_checking_here": "{:start_checking_here} assumes every assertion before it",
    "assume_concurrent": "{:assume_concurrent} trusts a reads or modifies frame without checking it",
}
FORBIDDEN_AT_ATTRIBUTES = {"axiom", "verify", "extern", "only", "assumeconcurrent"}


@dataclass
class GateResult:
    """Violations found (empty: the gate passes) and the program to verify (the contract spliced in)."""

    violations: list[Diagnostic]
    rewrite: Rewrite
    target: Decl | None = None
    notes: list[str] = field(default_factory=list)
    trusted: list[Trusted] = field(default_factory=list)  # also in violations unless the caller allowed them

    @property
    def ok(self) -> bool:
        return not self.violations


@dataclass(frozen=True)
class Trusted:
    """One construct whose claim Dafny accepts without proving it (an escape hatch, or an uninterpreted symbol).

    With a task each is a violation of the gate; without one, ``p2s verify`` lets Dafny judge the program and
    lists these beside its verdict, because public programs use body-less functions on purpose.
    """

    kind: str  # e.g. "assume", "attribute {:axiom}", "bodyless function"
    name: str  # the declaration it is in or names ("" at top level)
    line: int
    column: int
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "name": self.name, "line": self.line, "column": self.column,
                "message": self.message}

    def diagnostic(self) -> Diagnostic:
        return Diagnostic("integrity", self.line, self.column, self.message)


def _violation(tok: Token, message: str) -> Diagnostic:
    return Diagnostic("integrity", tok.line, tok.col, message)


# ------------------------------------------------------------------------------------------ escapes


def trusted_constructs(tokens: list[Token], decls: list[Decl]) -> list[Trusted]:
    """Every construct that lets a claim through without proof, read from tokens (never from text patterns)."""
    out: list[Trusted] = []

    def add(i: int, kind: str, message: str, name: str | None = None) -> None:
        tok = tokens[i]
        out.append(Trusted(kind, _owner(decls, i) if name is None else name, tok.line, tok.col, message))

    for i, t in enumerate(tokens):
        if t.kind == "keyword" and t.text == "assume":
            add(i, "assume", "assume statement: an assumption the verifier does not prove")
        elif t.kind == "keyword" and t.text == "expect" and statement_start(tokens, i):
            add(i, "expect", "expect statement: the proof would rest on a run-time check")
        elif t.text == "free" and i + 1 < len(tokens) and tokens[i + 1].text in METHOD_SPEC | LOOP_SPEC:
            add(i, f"free {tokens[i + 1].text}",
                f"free {tokens[i + 1].text}: Dafny 2.3 assumes a free clause without proof")
        elif t.kind == "keyword" and t.text == "include":
            add(i, "include", "include: the program must be self-contained")
        elif t.kind == "keyword" and t.text == "decreases" and i + 1 < len(tokens) and is_op(tokens[i + 1], "*"):
            add(i, "decreases *", "decreases *: termination would not be proved")
        elif t.kind == "attr":
            why = _attribute_escape(t)
            if why:
                add(i, f"attribute {{:{t.attr_name}}}", why)
        elif is_op(t, "@") and i + 1 < len(tokens) and tokens[i + 1].kind == "ident":
            name = tokens[i + 1].text
            if name.lower() in FORBIDDEN_AT_ATTRIBUTES and not _is_old_label(tokens, i):
                add(i, f"attribute @{name}", f"@{name}: an attribute that escapes verification")
    out.extend(_bodyless(tokens, decls))
    return sorted(out, key=lambda d: (d.line, d.column))


def _owner(decls: list[Decl], i: int) -> str:
    """The name of the innermost declaration whose tokens include index ``i`` ("" if none)."""
    inside = [d for d in decls if d.start <= i < d.end]
    return max(inside, key=lambda d: d.start).name if inside else ""


def _attribute_escape(t: Token) -> str | None:
    name = t.attr_name
    if name in FORBIDDEN_ATTRIBUTES:
        return f"{{:{name}}}: {FORBIDDEN_ATTRIBUTES[name]}"
    if name == "verify" and t.attr_args != "true":
        return f"{{:verify {t.attr_args}}}: the declaration would not be verified"
    if name == "termination" and t.attr_args == "false":
        return "{:termination false}: termination would not be checked"
    return None


def _is_old_label(tokens: list[Token], i: int) -> bool:
    return i > 0 and is_kw(tokens[i - 1], "old", "unchanged", "fresh", "allocated")


def _implemented_traits(tokens: list[Token]) -> set[str]:
    """Traits some class of the program extends (directly): their abstract members must be implemented there."""
    return {name for c in find_containers(tokens) if c.kind == "class" for name in c.extends}


def _bodyless(tokens: list[Token], decls: list[Decl]) -> list[Trusted]:
    out = []
    implemented = _implemented_traits(tokens)
    for d in decls:
        if d.body is not None or _abstract_trait_member(tokens, d, implemented):
            continue
        what = f"{d.kind} {d.name}".strip()
        tok = tokens[d.keyword]
        why = f"{what} has no body: its contract would be trusted, not proved"
        if d.container and d.container.kind == "trait":
            why += (" (a static member of a trait is never implemented)" if "static" in d.modifier_texts(tokens)
                    else f" (no class of the program extends trait {d.container.name})")
        out.append(Trusted(f"bodyless {d.kind}", d.name, tok.line, tok.col, why))
    for loop in find_while_loops(tokens):
        if loop.body is None:
            tok = tokens[loop.start]
            out.append(Trusted("bodyless while loop", _owner(decls, loop.start), tok.line, tok.col,
                               "while loop without a body: its invariant would be trusted"))
    for floop in find_for_loops(tokens):
        if floop.body is None:
            tok = tokens[floop.start]
            out.append(Trusted("bodyless for loop", _owner(decls, floop.start), tok.line, tok.col,
                               "for loop without a body: its invariant would be trusted"))
    for i, t in enumerate(tokens):
        if t.kind == "keyword" and t.text == "forall" and statement_start(tokens, i):
            k = expression_end(tokens, i + 1, frozenset({"ensures"}))
            has_ensures = False
            while k < len(tokens) and is_kw(tokens[k], "ensures"):
                has_ensures = True
                k = expression_end(tokens, k + 1, frozenset({"ensures"}))
            if has_ensures and not (k < len(tokens) and is_op(tokens[k], "{")):
                out.append(Trusted("bodyless forall", _owner(decls, i), t.line, t.col,
                                   "forall statement with ensures and no body: its conclusion would be trusted"))
    return out


def _abstract_trait_member(tokens: list[Token], d: Decl, implemented: set[str]) -> bool:
    """A body-less instance member of a trait that a class extends: that class must implement it, with a proof.

    A static member is never implemented, and a trait no class extends leaves its members' contracts trusted
    by every caller that holds a value of the trait's type, so neither counts.
    """
    c = d.container
    return (c is not None and c.kind == "trait" and c.name in implemented
            and "static" not in d.modifier_texts(tokens))


# ------------------------------------------------------------------------------------------ the target


def _norm(tokens: list[Token]) -> str:
    return " ".join(t.text for t in strip_parens(tokens))


def conjuncts(tokens: list[Token]) -> list[str]:
    """Top-level ``&&`` conjuncts of an expression, each normalized (layout and outer parentheses ignored)."""
    return [_norm(part) for part in split_top(strip_parens(tokens), "&&") if part]


def _header_text(tokens: list[Token], d: Decl) -> str:
    end = (d.returns[1] if d.returns else d.params[1] if d.params else d.keyword) + 1
    return " ".join(t.text for t in tokens[d.keyword : end] if t.kind != "attr")


def check_target(tokens: list[Token], decls: list[Decl], task: Task) -> tuple[list[Diagnostic], Decl | None]:
    """Find the target method and check its header and ``requires`` against the task."""
    sig = task.signature
    first = tokens[0] if tokens else Token("op", "", 0, 0, 1, 1)
    found = [d for d in decls if d.name == sig.name]
    methods = [d for d in found if d.kind == "method"]
    if not methods:
        others = ", ".join(sorted({d.kind for d in found}))
        extra = f" (there is a {others} of that name)" if others else ""
        return [_violation(first, f"target method {sig.name} not found{extra}; expected `{sig.text}`")], None
    if len(methods) > 1:
        return [_violation(tokens[methods[1].keyword], f"method {sig.name} is defined more than once")], None
    d = methods[0]
    kw = tokens[d.keyword]
    out: list[Diagnostic] = []
    if d.container is not None and d.container.kind != "module":
        out.append(_violation(kw, f"method {sig.name} must be at top level, not inside {d.container.kind} "
                                  f"{d.container.name}"))
    if "ghost" in d.modifier_texts(tokens):
        out.append(_violation(kw, f"method {sig.name} must be compiled, not ghost"))
    header = _header_text(tokens, d)
    try:
        found_sig = parse_signature(header)
    except ValueError as exc:
        out.append(_violation(kw, f"the header of {sig.name} cannot be read ({exc}); expected `{sig.text}`"))
        return out, d
    want = ([(p.name, p.type) for p in sig.params], [(p.name, p.type) for p in sig.returns])
    got = ([(p.name, p.type) for p in found_sig.params], [(p.name, p.type) for p in found_sig.returns])
    if want != got:
        out.append(_violation(kw, f"signature differs from the task's: expected `{sig.text}`, "
                                  f"found `{found_sig.text}`"))
    allowed = {c for r in task.requires for c in conjuncts(gate_tokens(r))}
    for clause in d.clauses:
        if clause.kind != "requires":
            continue
        for c in conjuncts(clause.expr_tokens(tokens)):
            if c not in allowed:
                out.append(_violation(tokens[clause.keyword], f"extra requires `{c}` weakens the task's contract "
                                                              f"(only the task's requires are allowed)"))
    out.extend(_redefined_helpers(tokens, decls, task))
    return out, d


def task_definitions(task: Task) -> str:
    """Dafny declarations the task supplies for its contract (e.g. a predicate its ``ensures`` call).

    The task's ``definitions`` field wins; else ``metadata.definitions``; else they are taken from the task's
    reference solution: the functions and predicates the pinned contract calls, with those they call in
    turn, in the reference's order. The gate prepends them to the candidate; the candidate may repeat them
    word for word (its copy is dropped) but not define them differently, so it cannot weaken the contract.
    """
    text = task.definitions or task.metadata.get("definitions") or ""
    if isinstance(text, str) and text.strip():
        return text
    return contract_definitions_from(task.reference or "", task.requires + task.ensures)


def contract_definitions_from(program: str, contract: list[str]) -> str:
    """The functions/predicates of ``program`` that ``contract`` uses, transitively, as program text."""
    if not program.strip() or not contract:
        return ""
    tokens = gate_tokens(program)
    decls = {d.name: d for d in find_decls(tokens) if d.kind in ("function", "predicate")}
    pending = [t.text for expr in contract for t in gate_tokens(expr) if t.kind == "ident" and t.text in decls]
    wanted: set[str] = set()
    while pending:
        name = pending.pop()
        if name in wanted:
            continue
        wanted.add(name)
        d = decls[name]
        pending.extend(t.text for t in tokens[d.start : d.end] if t.kind == "ident" and t.text in decls)
    chosen = sorted((decls[n] for n in wanted), key=lambda d: d.start)
    return "\n\n".join(program[tokens[d.start].start : tokens[d.end - 1].end] for d in chosen)


def _provided(task: Task) -> dict[str, str]:
    toks = gate_tokens(task_definitions(task))
    return {d.name: " ".join(t.text for t in toks[d.start : d.end]) for d in find_decls(toks)}


def _redefined_helpers(tokens: list[Token], decls: list[Decl], task: Task) -> list[Diagnostic]:
    used = {t.text for expr in task.requires + task.ensures for t in gate_tokens(expr) if t.kind == "ident"}
    provided = _provided(task)
    out = []
    for d in decls:
        if d.name in provided:
            if " ".join(t.text for t in tokens[d.start : d.end]) != provided[d.name]:
                out.append(_violation(tokens[d.keyword], f"{d.kind} {d.name} differs from the task's definition "
                                                         f"of it (repeat it word for word or leave it out)"))
        elif d.name in used and d.kind in ("function", "predicate", "copredicate"):
            out.append(_violation(tokens[d.keyword], f"{d.kind} {d.name} is used by the task's pinned contract and "
                                                     f"must not be defined by the candidate"))
    return out


# ------------------------------------------------------------------------------------------ the splice


def splice_contract(source: str, tokens: list[Token], target: Decl, task: Task, decls: list[Decl]) -> Rewrite:
    """Insert the task's pinned ``requires``/``ensures`` into the target method, on lines of their own, and
    prepend the task's definitions (dropping the candidate's identical copies).

    A pinned clause the candidate already states (same tokens) is not repeated.
    """
    if target.body is None:
        return Rewrite.identity(source)
    edits: list[Edit] = []
    present = {(c.kind, _norm(c.expr_tokens(tokens))) for c in target.clauses}
    before = tokens[target.body[0] - 1]
    anchor = tokens[target.keyword].start
    for kind, exprs in (("requires", task.requires), ("ensures", task.ensures)):
        for k, expr in enumerate(exprs, 1):
            if (kind, _norm(gate_tokens(expr))) not in present:
                edits.append(Edit(before.end, before.end, f"\n  {kind} {expr}", anchor=anchor,
                                  note=f"task's pinned {kind} #{k}: {expr}"))
    definitions = task_definitions(task).strip()
    if definitions:
        edits.append(Edit(0, 0, definitions + "\n\n", anchor=0, note="task's definitions"))
        provided = _provided(task)
        for d in decls:
            if d.name in provided:
                edits.append(Edit(tokens[d.start].start, tokens[d.end - 1].end, ""))
    return apply_edits(source, edits) if edits else Rewrite.identity(source)


def gate(source: str, task: Task | None, tokens: list[Token] | None = None, *,
         allow_trusted: bool = False) -> GateResult:
    """Run the pre-verification checks and, with a task, splice its contract into the target method.

    ``allow_trusted`` (only without a task: a task's gate is always strict) lists the escape hatches in
    ``trusted`` without counting them as violations, so Dafny can still give its own verdict.
    """
    if allow_trusted and task is not None:
        raise ValueError("a task's gate is strict: allow_trusted needs task=None")
    tokens = gate_tokens(source) if tokens is None else tokens
    decls = find_decls(tokens)
    trusted = trusted_constructs(tokens, decls)
    violations = [] if allow_trusted else [t.diagnostic() for t in trusted]
    target = None
    if task is not None:
        more, target = check_target(tokens, decls, task)
        violations += more
    if violations or task is None or target is None:
        return GateResult(violations, Rewrite.identity(source), target, trusted=trusted)
    return GateResult([], splice_contract(source, tokens, target, task, decls), target, trusted=trusted)
