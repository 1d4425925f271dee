"""The task: one YAML file with a description, a signature, the pinned spec, tests and hardware options.

Every stage reads a :class:`Task`; the loader turns any malformed file into a one-line
:class:`~pipeline.errors.TaskFormatError` naming the file and the field.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.dialect import DAFNY23_RESERVED
from pipeline.errors import TaskFormatError
from pipeline.types import DafnyType, check_value, parse_type

TASK_FIELDS = {
    "id", "description", "signature", "requires", "ensures", "definitions", "reference", "tests", "hardware",
    "metadata", "include",
}


@dataclass(frozen=True)
class Param:
    """One parameter or return value of the target method."""

    name: str
    type: DafnyType


@dataclass(frozen=True)
class Signature:
    """The target method's name, parameters and return values, parsed from its Dafny header."""

    name: str
    params: tuple[Param, ...]
    returns: tuple[Param, ...]
    text: str

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params + self.returns if p.name == name), None)


@dataclass
class TestVector:
    """Inputs by parameter name; expected values by return name (or array parameter, for its final contents)."""

    inputs: dict[str, Any]
    expected: dict[str, Any]


@dataclass
class HardwareOptions:
    """How the Dafny program is mapped onto fixed-width hardware.

    ``int_width`` sizes every ``int``/``nat``; ``max_int_width`` is how far the width proof may widen;
    ``max_array_length`` bounds every array and sequence; ``clock_period_ns`` is the HLS target clock.
    """

    int_width: int = 32
    max_int_width: int = 64
    max_array_length: int = 16
    clock_period_ns: float = 10.0
    unroll: int = 1
    pipeline: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


HARDWARE_FIELDS = tuple(f for f in HardwareOptions.__dataclass_fields__ if f != "extra")
MAX_INT_WIDTH = 64  # the widest C integer; the C stage itself takes 8, 16, 32 or 64


@dataclass
class Task:
    """One task of a suite, as every stage sees it."""

    id: str
    description: str
    signature: Signature
    requires: list[str]
    ensures: list[str]
    reference: str | None = None
    tests: list[TestVector] = field(default_factory=list)
    definitions: str | None = None  # Dafny functions/predicates the pinned contract calls (the task's, not the LLM's)
    hardware: HardwareOptions = field(default_factory=HardwareOptions)
    metadata: dict[str, Any] = field(default_factory=dict)
    path: str | None = None

    @property
    def split(self) -> str | None:
        return self.metadata.get("split")

    @property
    def difficulty(self) -> str | None:
        return self.metadata.get("difficulty")

    def to_dict(self) -> dict[str, Any]:
        """The task as YAML-ready data (the inverse of :func:`task_from_dict`)."""
        data: dict[str, Any] = {
            "id": self.id,
            "description": self.description,
            "signature": self.signature.text,
            "requires": list(self.requires),
            "ensures": list(self.ensures),
        }
        if self.definitions is not None:
            data["definitions"] = self.definitions
        if self.reference is not None:
            data["reference"] = self.reference
        data["tests"] = [{"inputs": t.inputs, "expected": t.expected} for t in self.tests]
        hw = asdict(self.hardware)
        extra = hw.pop("extra")
        data["hardware"] = {**hw, **extra}
        if self.metadata:
            data["metadata"] = dict(self.metadata)
        return data

    def fingerprint(self) -> str:
        """A short hash of everything the task says, so a batch can tell a result of an edited task from a fresh one."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# --------------------------------------------------------------------------------------------- signature

_HEADER = re.compile(r"^\s*method\s+(?:\{[^}]*\}\s*)*(?P<name>[A-Za-z_][\w']*)\s*(?P<rest>\(.*)$", re.S)


def _split_top(text: str, sep: str = ",") -> list[str]:
    """Split on ``sep`` outside of brackets (``array<int>``, ``map<K,V>``)."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur))
    return [p.strip() for p in parts]


def _matching_paren(text: str, start: int) -> int:
    depth = 0
    for i in range(start, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError("unbalanced parentheses")


def _params(text: str) -> tuple[Param, ...]:
    params = []
    for part in _split_top(text):
        part = re.sub(r"^(ghost|nameonly)\s+", "", part)
        if ":" not in part:
            raise ValueError(f"parameter {part!r} has no type")
        name, typ = (s.strip() for s in part.split(":", 1))
        if not re.fullmatch(r"[A-Za-z_][\w']*", name):
            raise ValueError(f"bad parameter name {name!r}")
        params.append(Param(name, parse_type(typ)))
    return tuple(params)


def parse_signature(text: str) -> Signature:
    """Parse ``method Name(p: T, ...) returns (r: U, ...)``.

    Raises:
        ValueError: the header is not a method header with supported types.
    """
    m = _HEADER.match(text.strip())
    if not m:
        raise ValueError("expected 'method Name(params) returns (results)'")
    rest = m.group("rest")
    close = _matching_paren(rest, 0)
    params = _params(rest[1:close])
    tail = rest[close + 1 :].strip()
    returns: tuple[Param, ...] = ()
    if tail:
        r = re.match(r"returns\s*\(", tail)
        if not r:
            raise ValueError(f"unexpected text after parameters: {tail!r}")
        rclose = _matching_paren(tail, r.end() - 1)
        returns = _params(tail[r.end() : rclose])
        if tail[rclose + 1 :].strip():
            raise ValueError(f"unexpected text after returns: {tail[rclose + 1 :].strip()!r}")
    names = [p.name for p in params + returns]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise ValueError(f"duplicate names {sorted(dup)}")
    reserved = sorted(set(names) & DAFNY23_RESERVED)
    if reserved:  # the bridge would rename it, and the test vectors (matched by name) would lose it
        raise ValueError(f"{reserved[0]!r} is a reserved word of Dafny 2.3; give the parameter another name")
    return Signature(m.group("name"), params, returns, " ".join(text.split()))


# --------------------------------------------------------------------------------------------- loading


def _require(data: dict, key: str, kind: type | tuple[type, ...], path: str) -> Any:
    if key not in data or data[key] is None:
        raise TaskFormatError(path, key, "missing")
    value = data[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise TaskFormatError(path, key, f"expected {names}, got {type(value).__name__}")
    return value


def _string_list(data: dict, key: str, path: str) -> list[str]:
    value = data.get(key)
    if value is None:
        return []
    if isinstance(value, str):  # one clause or several joined by hand: either way the list says which
        raise TaskFormatError(path, key, f"expected a list of clauses, got a string: write {key}: as a list, "
                                         f"one Dafny expression per '- ' line")
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise TaskFormatError(path, key, "expected a list of Dafny expressions (strings)")
    return [v.strip() for v in value]


def _hardware(data: Any, path: str) -> HardwareOptions:
    if data is None:
        return HardwareOptions()
    if not isinstance(data, dict):
        raise TaskFormatError(path, "hardware", "expected a mapping")
    known = set(HARDWARE_FIELDS)
    kwargs = {k: v for k, v in data.items() if k in known}
    return check_hardware(HardwareOptions(**kwargs, extra={k: v for k, v in data.items() if k not in known}), path)


def check_hardware(hw: HardwareOptions, path: str) -> HardwareOptions:
    """``hw`` if every option has a usable value, else a :class:`TaskFormatError` naming the option.

    Shared by the YAML loader and :func:`pipeline.api.with_hardware`, so a script's change is checked
    like a file's.
    """
    for name in ("int_width", "max_int_width"):
        value = getattr(hw, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_INT_WIDTH:
            raise TaskFormatError(path, f"hardware.{name}", f"expected a bit width from 1 to {MAX_INT_WIDTH} "
                                                            f"(8, 16, 32 or 64 for the C stage), got {value!r}")
    for name in ("max_array_length", "unroll"):
        value = getattr(hw, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise TaskFormatError(path, f"hardware.{name}", f"expected a positive integer, got {value!r}")
    period = hw.clock_period_ns
    if isinstance(period, bool) or not isinstance(period, (int, float)) or not period > 0:
        raise TaskFormatError(path, "hardware.clock_period_ns", f"expected a positive number, got {period!r}")
    if not isinstance(hw.pipeline, bool):
        raise TaskFormatError(path, "hardware.pipeline", f"expected true or false, got {hw.pipeline!r}")
    return hw


def _tests(data: Any, sig: Signature, path: str) -> list[TestVector]:
    if data is None:
        return []
    if not isinstance(data, list):
        raise TaskFormatError(path, "tests", "expected a list of {inputs, expected}")
    vectors = []
    param_names = {p.name for p in sig.params}
    out_names = {p.name for p in sig.returns} | {p.name for p in sig.params if p.type.kind in ("array", "array2")}
    for i, item in enumerate(data):
        where = f"tests[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("inputs", {}), dict):
            raise TaskFormatError(path, where, "expected a mapping with 'inputs' and 'expected'")
        inputs = item.get("inputs") or {}
        expected = item.get("expected") or {}
        if not isinstance(expected, dict):
            raise TaskFormatError(path, f"{where}.expected", "expected a mapping of return names to values")
        missing = param_names - set(inputs)
        if missing:
            raise TaskFormatError(path, f"{where}.inputs", f"missing parameter(s) {sorted(missing)}")
        for name, value in inputs.items():
            if name not in param_names:
                raise TaskFormatError(path, f"{where}.inputs.{name}", "not a parameter of the signature")
            why = check_value(value, sig.param(name).type)  # type: ignore[union-attr]
            if why:
                raise TaskFormatError(path, f"{where}.inputs.{name}", why)
        for name, value in expected.items():
            if name not in out_names:
                raise TaskFormatError(path, f"{where}.expected.{name}", "not a return value or array parameter")
            why = check_value(value, sig.param(name).type)  # type: ignore[union-attr]
            if why:
                raise TaskFormatError(path, f"{where}.expected.{name}", why)
        vectors.append(TestVector(dict(inputs), dict(expected)))
    return vectors


def task_from_dict(data: Any, path: str = "<task>") -> Task:
    """Build a :class:`Task` from parsed YAML, checking every field."""
    if not isinstance(data, dict):
        raise TaskFormatError(path, "<top>", "expected a mapping of task fields")
    unknown = set(data) - TASK_FIELDS
    if unknown:
        raise TaskFormatError(path, sorted(unknown)[0], f"unknown field (known: {', '.join(sorted(TASK_FIELDS))})")
    task_id = str(_require(data, "id", (str, int), path))
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", task_id):
        raise TaskFormatError(path, "id", "use letters, digits, '_', '-' and '.' only")
    description = _require(data, "description", str, path).strip()
    sig_text = _require(data, "signature", str, path)
    try:
        sig = parse_signature(sig_text)
    except ValueError as exc:
        raise TaskFormatError(path, "signature", str(exc)) from None
    reference = data.get("reference")
    if reference is not None and not isinstance(reference, str):
        raise TaskFormatError(path, "reference", "expected a Dafny program (string)")
    definitions = data.get("definitions")
    if definitions is not None and not isinstance(definitions, str):
        raise TaskFormatError(path, "definitions", "expected Dafny declarations (string)")
    metadata = data.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise TaskFormatError(path, "metadata", "expected a mapping")
    return Task(
        id=task_id,
        description=description,
        signature=sig,
        requires=_string_list(data, "requires", path),
        ensures=_string_list(data, "ensures", path),
        reference=reference,
        definitions=definitions,
        tests=_tests(data.get("tests"), sig, path),
        hardware=_hardware(data.get("hardware"), path),
        metadata=dict(metadata),
        path=path,
    )


def _read_yaml(path: Path, seen: tuple[Path, ...] = ()) -> dict:
    """Read a task file, merging ``include:`` files underneath it (local keys win, cycles rejected)."""
    if path in seen:
        raise TaskFormatError(str(seen[0]), "include", f"include cycle through {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise TaskFormatError(str(path), "<file>", "no such file") from None
    except IsADirectoryError:
        raise TaskFormatError(str(path), "<file>", "a folder, not a task file: give the path of a .yaml file") from None
    except UnicodeDecodeError as exc:
        line = exc.object[: exc.start].count(b"\n") + 1
        raise TaskFormatError(str(path), "<file>", f"not UTF-8 text (byte 0x{exc.object[exc.start]:02x} on line "
                                                   f"{line}): save the task file as UTF-8") from None
    except OSError as exc:
        raise TaskFormatError(str(path), "<file>", f"cannot read it ({exc.strerror or exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "<file>"
        raise TaskFormatError(str(path), where, f"not valid YAML ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise TaskFormatError(str(path), "<top>", "expected a mapping of task fields")
    include = data.pop("include", None)
    if include is None:
        return data
    base: dict = {}
    for inc in [include] if isinstance(include, str) else include:
        merged = _read_yaml((path.parent / inc).resolve(), seen + (path,))
        base = {**base, **merged}
    hardware = {**(base.get("hardware") or {}), **(data.get("hardware") or {})}
    metadata = {**(base.get("metadata") or {}), **(data.get("metadata") or {})}
    out = {**base, **data}
    if hardware:
        out["hardware"] = hardware
    if metadata:
        out["metadata"] = metadata
    return out


def load_task(path: str | Path) -> Task:
    """Load and check one task YAML file.

    Raises:
        TaskFormatError: the file is missing, not YAML, or a field is wrong (the message names it).
    """
    p = Path(path).resolve()
    return task_from_dict(_read_yaml(p), str(path))


def dump_task(task: Task, path: str | Path) -> None:
    """Write ``task`` as YAML (block style for multi-line strings such as the reference)."""
    Path(path).write_text(yaml.dump(task.to_dict(), Dumper=_BlockDumper, sort_keys=False, allow_unicode=True))


class _BlockDumper(yaml.SafeDumper):
    pass


def _str_presenter(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockDumper.add_representer(str, _str_presenter)
