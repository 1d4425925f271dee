"""What every importer shares: the import result, picking the target method, building a task from a verified
program, and reading the literal values that test snippets pass and print.

An importer never drops a task silently: a task it cannot convert becomes a :class:`Skipped` entry with the
reason, and a part it had to leave out (one unreadable test case) becomes a warning on the task.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.importers.dafny_text import Decl, declarations, definitions_text, normalize
from pipeline.task import HardwareOptions, Signature, Task, TestVector, dump_task, parse_signature
from pipeline.types import DafnyType, check_value
from verifiers.front.lexer import LexError, Token, gate_tokens


class ConversionError(Exception):
    """A task that cannot be converted; the message is the reason shown to the user."""


@dataclass
class Skipped:
    """A source task that was not converted, and why."""

    name: str
    reason: str


@dataclass
class ImportResult:
    """Converted tasks, skipped ones with reasons, and per-task warnings (``id: text``)."""

    format: str
    tasks: list[Task] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        total = len(self.tasks) + len(self.skipped)
        vectors = sum(len(t.tests) for t in self.tasks)
        with_ref = sum(1 for t in self.tasks if t.reference)
        line = (f"{self.format}: {len(self.tasks)}/{total} tasks converted ({with_ref} with a reference, "
                f"{vectors} test vectors), {len(self.skipped)} skipped, {len(self.warnings)} warnings")
        kinds = self.skipped_by_reason()
        if kinds:
            line += "; skipped by reason: " + ", ".join(f"{k} ({n})" for k, n in kinds.items())
        return line

    def skipped_by_reason(self) -> dict[str, int]:
        """How many tasks were skipped for each kind of reason (names, types and numbers blanked), commonest
        first."""
        counts: dict[str, int] = {}
        for s in self.skipped:
            kind = reason_kind(s.reason)
            counts[kind] = counts.get(kind, 0) + 1
        return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write one ``<id>.yaml`` per task into ``out_dir`` (created if needed)."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for task in self.tasks:
            path = out / f"{task.id}.yaml"
            dump_task(task, path)
            paths.append(path)
        return paths


def reason_kind(reason: str) -> str:
    """The kind of a skip reason: each of its clauses with quoted names, types and numbers blanked, repeats
    dropped (``method_signature `...`: unsupported type 'real' (use ...)`` -> ``unsupported type _``)."""
    text = reason
    while re.search(r"\([^()]*\)", text):  # parentheses nest: <T(==)>
        text = re.sub(r"\([^()]*\)", "", text)
    text = re.sub(r"`[^`]*`|'[^']*'|\d+", "_", text)
    text = re.sub(r"\b(method|function|predicate|lemma|class|trait|module) (?!with\b|of\b)[\w.?']+", r"\1 _", text)
    kinds: list[str] = []
    for clause in text.split("; "):
        kind = " ".join(clause.split(": ")[-1].split())
        if kind and kind not in kinds:
            kinds.append(kind)
    return "; ".join(kinds) or reason


def sanitize_id(text: str) -> str:
    """A task id (letters, digits, ``_ - .``) made from a file name or a source id."""
    out = re.sub(r"[^A-Za-z0-9_.\-]+", "_", text).strip("_.-")
    return out or "task"


def unique_id(base: str, taken: set[str]) -> str:
    name, k = base, 2
    while name in taken:
        name = f"{base}_{k}"
        k += 1
    taken.add(name)
    return name


# --------------------------------------------------------------------------------------------- target method


def why_not_target(decl: Decl) -> str | None:
    """Why ``decl`` cannot be a task's target method (``None``: it can)."""
    if not decl.is_method or decl.kind == "constructor":
        return f"{decl.kind} {decl.name} is not a method"
    if decl.is_ghost:
        return f"method {decl.name} is ghost"
    if decl.body is None:
        return f"method {decl.name} has no body"
    if decl.container:
        return f"method {decl.name} is inside {decl.container} (only top-level methods are supported)"
    if decl.type_params:
        return f"method {decl.name} is generic (<{normalize(decl.type_params)}>)"
    try:
        parse_signature(decl.signature_text())
    except ValueError as exc:
        return f"method {decl.name}: {exc}"
    return None


def choose_target(source: str, name: str | None = None) -> Decl:
    """The target method: the one called ``name``, else the first method that can be a target (not ``Main``).

    Raises:
        ConversionError: no such method, or it cannot be a target (the reason says why).
    """
    try:
        decls = declarations(source)
    except LexError as exc:
        raise ConversionError(f"the program cannot be read: {exc}") from None
    if name is not None:
        found = [d for d in decls if d.name == name and d.is_method]
        if not found:
            raise ConversionError(f"no method {name} in the program")
        why = why_not_target(found[0])
        if why:
            raise ConversionError(why)
        return found[0]
    reasons = []
    for d in decls:
        if not d.is_method or d.kind == "constructor" or d.name == "Main" or d.name.startswith("Test"):
            continue
        why = why_not_target(d)
        if why is None:
            return d
        reasons.append(why)
    if not decls:
        raise ConversionError("the program declares nothing (it is only comments)")
    if not reasons:
        raise ConversionError("no method with a body (only functions, lemmas or a Main)")
    raise ConversionError("no usable method: " + "; ".join(reasons[:3]))


def task_from_program(
    source: str,
    task_id: str,
    description: str,
    *,
    target: str | None = None,
    tests: list[TestVector] | None = None,
    metadata: dict[str, Any] | None = None,
) -> Task:
    """A task whose reference is ``source`` and whose pinned spec is its target method's contract.

    Raises:
        ConversionError: no usable target method.
    """
    decl = choose_target(source, target)
    sig = parse_signature(decl.signature_text())
    tests = tests or []
    definitions = definitions_text(source, decl.requires() + decl.ensures())
    return Task(
        id=task_id,
        description=description.strip() or generic_description(decl),
        signature=sig,
        requires=decl.requires(),
        ensures=decl.ensures(),
        reference=source.strip() + "\n",
        definitions=definitions or None,
        tests=tests,
        hardware=hardware_for(tests),
        metadata=dict(metadata or {}),
    )


def hardware_for(tests: list[TestVector]) -> HardwareOptions:
    """Default hardware options, with ``max_array_length`` raised (to a power of two) to fit the vectors."""
    longest = max((len(v) for t in tests for v in {**t.inputs, **t.expected}.values() if isinstance(v, list)),
                  default=0)
    return HardwareOptions(max_array_length=max(16, 1 << max(longest - 1, 0).bit_length()))


INT_WIDTHS = (8, 16, 32, 64)


def fitted_int_width(task: Task) -> int:
    """The narrowest hardware integer width that holds every ``int``/``nat`` input of the task's vectors.

    Why: a public program's ``int`` is unbounded, and 32-bit ports make a product of three inputs impossible
    to compute exactly in 64 bits; a hardware designer states the input range, and the published vectors are
    the only range the source gives. Tasks without integer inputs in their vectors keep the default.
    """
    values = [v for t in task.tests for name, value in t.inputs.items()
              if (param := task.signature.param(name)) is not None and _integer_typed(param.type)
              for v in _integers(value)]
    if not values:
        return HardwareOptions().int_width
    return next(w for w in INT_WIDTHS if all(-(1 << (w - 1)) <= v < (1 << (w - 1)) for v in values)
                or w == INT_WIDTHS[-1])


def _integer_typed(t: DafnyType) -> bool:
    while t.elem is not None:
        t = t.elem
    return t.kind in ("int", "nat")


def _integers(value: Any) -> list[int]:
    if isinstance(value, list):
        return [v for item in value for v in _integers(item)]
    return [value] if isinstance(value, int) and not isinstance(value, bool) else []


def generic_description(decl: Decl) -> str:
    return (f"Implement the method {decl.name} so that it satisfies its pinned specification "
            f"(the requires and ensures clauses given with the signature).")


def fitting_vector(sig: Signature, inputs: dict[str, Any], expected: dict[str, Any], warnings: list[str],
                   where: str, note: str = "") -> TestVector | None:
    """The vector if it fits ``sig``; else ``None``, and the warning ``{where}: {why}{note}``."""
    why = check_vector(sig, inputs, expected)
    if why:
        warnings.append(f"{where}: {why}{note}")
        return None
    return TestVector(inputs, expected)


def check_vector(task_sig: Signature, inputs: dict[str, Any], expected: dict[str, Any]) -> str | None:
    """Why a vector does not fit the signature (``None``: it fits)."""
    names = {p.name for p in task_sig.params}
    if set(inputs) != names:
        missing, extra = names - set(inputs), set(inputs) - names
        return f"arguments do not match the parameters (missing {sorted(missing)}, extra {sorted(extra)})"
    for name, value in {**inputs, **expected}.items():
        param = task_sig.param(name)
        if param is None:
            return f"{name} is not a parameter or result"
        why = check_value(value, param.type)
        if why:
            return f"{name}: {why}"
    return None


# --------------------------------------------------------------------------------------------- literals


class _Parser:
    """Recursive descent over the literal subset test snippets use."""

    def __init__(self, text: str, env: dict[str, Any]):
        try:
            self.toks: list[Token] = gate_tokens(text)
        except LexError as exc:
            raise ConversionError(str(exc)) from None
        self.k = 0
        self.env = env
        short = " ".join(text.split())
        self.text = short if len(short) <= 60 else short[:57] + "..."

    def peek(self, off: int = 0) -> str | None:
        j = self.k + off
        return self.toks[j].text if j < len(self.toks) else None

    def take(self, want: str | None = None) -> Token:
        if self.k >= len(self.toks):
            raise ConversionError(f"unexpected end of `{self.text.strip()}`")
        tok = self.toks[self.k]
        if want is not None and tok.text != want:
            raise ConversionError(f"expected '{want}' in `{self.text.strip()}`, found '{tok.text}'")
        self.k += 1
        return tok

    def value(self) -> Any:
        t = self.peek()
        if t == "-":
            self.take()
            v = self.value()
            if isinstance(v, bool) or not isinstance(v, int):
                raise ConversionError(f"cannot negate {v!r}")
            return -v
        if t == "(":
            self.take()
            v = self.value()
            self.take(")")
            return v
        if t == "[":
            return self.items("[", "]")
        if t == "new":
            return self.new_array()
        tok = self.take()
        if tok.kind == "number":
            digits = tok.text.replace("_", "")
            if "." in digits:
                raise ConversionError(f"real value {tok.text} (real numbers are not supported)")
            return int(digits, 16) if digits.lower().startswith("0x") else int(digits)
        if tok.text in ("true", "false"):
            return tok.text == "true"
        if tok.kind == "char":
            return _unescape(tok.text[1:-1])
        if tok.kind == "string":
            return _unescape(tok.text[1:-1]) if not tok.text.startswith("@") else tok.text[2:-1].replace('""', '"')
        if tok.kind == "ident":
            if tok.text not in self.env:
                raise ConversionError(f"unknown variable {tok.text}")
            v = self.env[tok.text]
            if self.peek() == "[" and self.peek(1) == ".." and self.peek(2) == "]":
                self.k += 3  # a[..]: the array's contents
            elif self.peek() == "[":
                self.take("[")
                idx = self.value()
                self.take("]")
                return v[idx]
            return list(v) if isinstance(v, list) else v
        raise ConversionError(f"unsupported expression `{self.text.strip()}`")

    def items(self, open_: str, close: str) -> list[Any]:
        self.take(open_)
        out = []
        while self.peek() != close:
            out.append(self.value())
            if self.peek() == ",":
                self.take()
            elif self.peek() != close:
                raise ConversionError(f"unsupported expression `{self.text.strip()}`")
        self.take(close)
        return out

    def new_array(self) -> list[Any]:
        self.take("new")
        elem = self.take().text
        self.take("[")
        size = None
        if self.peek() != "]":
            size = self.value()
        self.take("]")
        if self.peek() == "[":
            vals = self.items("[", "]")
            if size is not None and size != len(vals):
                raise ConversionError(f"array size {size} differs from its {len(vals)} elements")
            return vals
        if size is None:
            raise ConversionError("array without size or elements")
        return [False if elem == "bool" else 0] * int(size)

    def done(self) -> bool:
        return self.k >= len(self.toks)


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: {"n": "\n", "t": "\t", "r": "\r", "0": "\0"}.get(m.group(1), m.group(1)), s)


def eval_literal(text: str, env: dict[str, Any] | None = None) -> Any:
    """The value of a literal Dafny expression: numbers, booleans, chars, strings, ``[..]`` displays,
    ``new T[] [..]`` arrays and names bound in ``env`` (``a[..]`` is the array's contents).

    Raises:
        ConversionError: anything else (calls, arithmetic, reals...).
    """
    p = _Parser(text, env or {})
    value = p.value()
    if not p.done():
        raise ConversionError(f"unsupported expression `{text.strip()}`")
    return value


def to_typed(value: Any, typ: DafnyType) -> Any:
    """Adapt a parsed literal to the task format for ``typ`` (a string for ``seq<char>`` becomes a list)."""
    if typ.kind in ("seq", "array") and isinstance(value, str):
        return list(value)
    return value
