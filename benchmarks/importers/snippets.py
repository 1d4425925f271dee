"""Read straight-line Dafny test code into test vectors.

Public suites state their tests as Dafny statements: ``var a1 := new int[] [1, 2]; var out1 := F(a1, 2);
assert out1 == 3;`` (MBPP-DFY) or a ``Test`` method that calls the target and prints the results with the
expected value in a comment (CloverBench). This module runs such code symbolically over literal values: it
tracks variables bound to literals, records every call of the target method with its argument values, and
turns ``assert`` statements (and, for printing tests, the caller's expectations) into expected outputs.
Nothing is executed; anything beyond literals, calls and simple asserts is reported, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from benchmarks.importers.common import ConversionError, eval_literal, to_typed
from benchmarks.importers.dafny_text import split_top_level
from pipeline.task import Signature
from verifiers.front.lexer import LexError, Token, gate_tokens


@dataclass
class CallRecord:
    """One call of the target method: argument values by parameter, and what the test expects of it."""

    inputs: dict[str, Any]
    results: dict[str, str]  # result variable -> return name
    arrays: dict[str, str]  # argument variable holding an array -> parameter name
    line: int
    expected: dict[str, Any] = field(default_factory=dict)


@dataclass
class Statement:
    text: str
    line: int
    end_line: int


@dataclass
class SnippetRun:
    """The calls found, the problems met (statement and reason) and the printed names per line."""

    calls: list[CallRecord] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    prints: dict[int, list[str]] = field(default_factory=dict)  # line -> identifiers printed there
    env: dict[str, Any] = field(default_factory=dict)
    result_of: dict[str, tuple[int, str]] = field(default_factory=dict)  # variable -> (call index, name)


def statements(text: str) -> list[Statement]:
    """Split a statement list on top-level ``;``; a block statement (``if``/``while``/``for``) is one item."""
    try:
        toks = gate_tokens(text)
    except LexError as exc:
        raise ConversionError(str(exc)) from None
    out, depth, start = [], 0, 0
    for i, t in enumerate(toks):
        if t.kind != "op":
            continue
        if t.text in "([{":
            depth += 1
        elif t.text in ")]}":
            depth -= 1
            if depth == 0 and t.text == "}" and _is_block(toks, start, i):
                out.append(_stmt(text, toks, start, i))
                start = i + 1
        elif t.text == ";" and depth == 0:
            if i > start:
                out.append(_stmt(text, toks, start, i - 1))
            start = i + 1
    if start < len(toks):
        out.append(_stmt(text, toks, start, len(toks) - 1))
    return out


def _is_block(toks: list[Token], start: int, end: int) -> bool:
    return start < len(toks) and toks[start].text in ("if", "while", "for", "forall", "match", "{")


def _stmt(text: str, toks: list[Token], i: int, j: int) -> Statement:
    return Statement(text[toks[i].start : toks[j].end], toks[i].line, toks[j].line)


def run(text: str, sig: Signature, line_offset: int = 0) -> SnippetRun:
    """Interpret the statements of ``text`` against the target ``sig`` (see the module docstring)."""
    state = SnippetRun()
    for st in statements(text):
        try:
            _statement(st, sig, state, line_offset)
        except ConversionError as exc:
            state.problems.append(f"line {st.line + line_offset}: {exc}")
    return state


def _statement(st: Statement, sig: Signature, state: SnippetRun, off: int) -> None:
    toks = gate_tokens(st.text)
    head = toks[0].text
    if head in ("if", "while", "for", "forall", "match", "{"):
        raise ConversionError(f"`{head}` statements are not followed (only straight-line tests are read)")
    if head in ("assert", "expect"):  # a test's run-time check states the expected value just as well
        _assert(st.text[toks[1].start :], sig, state)
        return
    if head == "print":
        state.prints.setdefault(st.line + off, []).extend(t.text for t in toks[1:] if t.kind == "ident")
        return
    body = st.text[toks[1].start :] if head == "var" else st.text
    if ":=" not in [t.text for t in gate_tokens(body)]:
        _bare_call(body, sig, state, st.line + off)
        return
    lhs_text, rhs_text = _split_assign(body)
    lhs = [_lhs_name(x) for x in split_top_level(lhs_text)]
    rhs = split_top_level(rhs_text)
    if len(rhs) == 1 and _is_call(rhs[0], sig.name):
        _call(rhs[0], lhs, sig, state, st.line + off)
        return
    if len(rhs) == 1 and _is_call(rhs[0], None):
        for name, _ in lhs:
            state.env.pop(name, None)  # bound to something we do not evaluate
        raise ConversionError(f"`{rhs[0].strip()}` calls another method; its result is unknown")
    if len(lhs) != len(rhs):
        raise ConversionError(f"cannot read the assignment `{st.text.strip()}`")
    values = [eval_literal(r, state.env) for r in rhs]
    for (name, index), value in zip(lhs, values, strict=True):
        if index is None:
            state.env[name] = value
        elif name in state.env and isinstance(state.env[name], list):
            state.env[name][eval_literal(index, state.env)] = value
        else:
            raise ConversionError(f"element assignment to unknown array {name}")


def _split_assign(body: str) -> tuple[str, str]:
    toks = gate_tokens(body)
    k = next(i for i, t in enumerate(toks) if t.text == ":=")
    return body[: toks[k].start], body[toks[k].end :]


def _lhs_name(text: str) -> tuple[str, str | None]:
    """``x``, ``x: T`` -> (x, None); ``a[i]`` -> (a, "i")."""
    toks = gate_tokens(text)
    if not toks or toks[0].kind != "ident":
        raise ConversionError(f"cannot read the assignment target `{text.strip()}`")
    if len(toks) > 1 and toks[1].text == "[":
        return toks[0].text, text[toks[2].start : toks[-1].start]
    return toks[0].text, None


def _is_call(text: str, name: str | None) -> bool:
    toks = gate_tokens(text)
    if len(toks) < 3 or toks[0].kind != "ident" or toks[1].text != "(" or toks[-1].text != ")":
        return False
    return name is None or toks[0].text == name


def _args(text: str) -> list[str]:
    toks = gate_tokens(text)
    inner = text[toks[1].end : toks[-1].start]
    return [a for a in split_top_level(inner) if a.strip()] if inner.strip() else []


def _call(text: str, lhs: list[tuple[str, str | None]], sig: Signature, state: SnippetRun, line: int) -> None:
    args = _args(text)
    if len(args) != len(sig.params):
        raise ConversionError(f"{sig.name} is called with {len(args)} arguments, it takes {len(sig.params)}")
    if len(lhs) != len(sig.returns):
        raise ConversionError(f"{sig.name} returns {len(sig.returns)} value(s), the call binds {len(lhs)}")
    rec = CallRecord(inputs={}, results={}, arrays={}, line=line)
    for param, arg in zip(sig.params, args, strict=True):
        value = to_typed(eval_literal(arg, state.env), param.type)
        rec.inputs[param.name] = value
        toks = gate_tokens(arg)
        if param.type.kind in ("array", "array2") and len(toks) == 1 and toks[0].kind == "ident":
            rec.arrays[toks[0].text] = param.name
    state.calls.append(rec)
    k = len(state.calls) - 1
    for (name, _), ret in zip(lhs, sig.returns, strict=True):
        rec.results[name] = ret.name
        state.result_of[name] = (k, ret.name)
        state.env.pop(name, None)


def _bare_call(text: str, sig: Signature, state: SnippetRun, line: int) -> None:
    if _is_call(text, sig.name):
        _call(text, [], sig, state, line)
    elif _is_call(text, None):
        # a helper such as PrintArray(res1) prints what it is given (an expectation comment may describe it);
        # any other helper has nothing to evaluate
        name = gate_tokens(text)[0].text
        if name.lower().startswith("print"):
            state.prints.setdefault(line, []).extend(a.strip() for a in _args(text))
        return
    else:
        raise ConversionError(f"cannot read the statement `{text.strip()}`")


# Element-wise equality helpers that test snippets define for themselves (``arrayEquals(res1, e1)``,
# ``sequenceEquals(res1, e1)``): two arguments, read as ``==``.
EQUALS_HELPER = re.compile(r"^(?:array|sequence|seq|list)s?_?equals?$", re.I)


def _assert(expr: str, sig: Signature, state: SnippetRun) -> None:
    """Turn ``out == v``, ``v == out``, ``a[..] == v``, ``arrayEquals(out, e)`` / ``sequenceEquals(out, e)``,
    ``out`` and ``!out`` (and conjunctions of these) into expected values of the call that produced ``out`` (or
    modified array ``a``)."""
    parts = split_top_level(expr, "&&")
    if len(parts) > 1:
        for part in parts:
            _assert(part, sig, state)
        return
    toks = gate_tokens(expr)
    texts = [t.text for t in toks]
    if len(toks) == 1 and toks[0].kind == "ident":
        _expect(toks[0].text, True, state)
        return
    if len(toks) == 2 and texts[0] == "!" and toks[1].kind == "ident":
        _expect(toks[1].text, False, state)
        return
    if _is_call(expr, None) and EQUALS_HELPER.match(texts[0]) and len(_args(expr)) == 2:
        a, b = _args(expr)
        if not _expect_either(a, b, state):
            raise ConversionError(f"`{expr.strip()}` compares nothing a call produced")
        return
    parts = _split_eq(expr)
    if parts is None:
        raise ConversionError(f"cannot read the assertion `{expr.strip()}`")
    if not _expect_either(*parts, state):
        unknown = [t.text for t in toks if t.kind == "ident" and t.text not in state.env and t.text not in (
            "true", "false", "new", "int", "bool", "nat", "char")]
        if unknown:
            raise ConversionError(f"assertion `{' '.join(expr.split())}` uses unknown variable {unknown[0]}")
        # an assertion about the inputs only (a hint for the verifier): nothing to expect


def _expect_either(one: str, other: str, state: SnippetRun) -> bool:
    """Where one side names a call's result (or modified array), expect the other side's literal value of it;
    ``False`` when neither side does."""
    for named, value in ((one, other), (other, one)):
        name = _name(named, state)
        if name:
            _expect(name, eval_literal(value, state.env), state)
            return True
    return False


def _split_eq(expr: str) -> tuple[str, str] | None:
    toks = gate_tokens(expr)
    depth = 0
    for t in toks:
        if t.text in "([{":
            depth += 1
        elif t.text in ")]}":
            depth -= 1
        elif t.text == "==" and depth == 0:
            return expr[: t.start], expr[t.end :]
    return None


def _name(text: str, state: SnippetRun) -> str | None:
    """The result or modified-array variable an expression denotes (``out``, ``(out)``, ``a[..]``), if any."""
    toks = [t for t in gate_tokens(text) if t.text not in ("(", ")")]
    if not toks or toks[0].kind != "ident":
        return None
    rest = [t.text for t in toks[1:]]
    if rest not in ([], ["[", "..", "]"]):
        return None
    name = toks[0].text
    if name in state.result_of or any(name in c.arrays for c in state.calls):
        return name
    return None


def _expect(name: str, value: Any, state: SnippetRun) -> None:
    if name in state.result_of:
        k, ret = state.result_of[name]
        state.calls[k].expected[ret] = value
        return
    for rec in reversed(state.calls):  # the latest call that received this array
        if name in rec.arrays:
            rec.expected[rec.arrays[name]] = value
            return
    raise ConversionError(f"unknown variable {name} in an assertion")
