"""Check a task suite: every task loads, ids are unique, every reference verifies with the pinned contract,
and every test vector matches what Dafny itself computes.

The vector check is done on Dafny's side on purpose: generated test methods call the reference on each
vector's literal inputs, Dafny proves their calls (so each vector must provably satisfy the ``requires``)
and then compiles and runs them (``/noVerify /compile:4``), and the printed outputs are compared with
``expected``. A wrong vector, a vector that breaks the precondition and a reference that disagrees with its
vectors are all caught before any of the project's own compilers is involved. In a suite run the test
methods of many tasks share one program (a module per task), so Dafny starts twice per batch, not per task.
``--spec-determines`` also proves that each pinned contract alone forces its vectors' outputs.

Usage: ``python -m benchmarks.check_suite [SUITE] [--workers 2] [--no-cache] [--only ID ...]
[--spec-determines] [--json FILE]``. Results are cached by content under ``$P2S_HOME/suite-check/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.importers.dafny_text import DafnyTextError, declarations, normalize, tokenize
from pipeline.errors import TaskFormatError, UserError
from pipeline.process import run_command
from pipeline.suites import resolve_suite, task_files
from pipeline.task import Signature, Task, load_task, parse_signature
from pipeline.types import DafnyType

CHECKER_VERSION = 8
MARK = "@@p2s"


@dataclass
class TaskCheck:
    """The outcome of checking one task; ``ok`` only when every part passed."""

    path: str
    id: str = ""
    loaded: bool = False
    gate: bool = False
    verified: bool = False
    vectors: bool = False
    vectors_checked: int = 0
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cached: bool = False
    skipped: str = ""  # why the Dafny parts did not run (no dafny), empty when they did
    notes: list[str] = field(default_factory=list)  # passed, but with something a maintainer should know

    @property
    def ok(self) -> bool:
        return self.loaded and self.gate and self.verified and self.vectors and not self.problems

    def line(self) -> str:
        if self.ok:
            return f"ok    {self.id:<28} {self.vectors_checked} vectors, {self.seconds:.1f}s" + (
                " (cached)" if self.cached else ""
            ) + "".join(f"\n      note: {n}" for n in self.notes)
        if self.skipped and not self.problems:
            return f"skip  {self.id or self.path:<28} {self.skipped}"
        return f"FAIL  {self.id or self.path:<28} " + "; ".join(self.problems or ["not checked"])


@dataclass
class SuiteCheck:
    """All task checks of one suite plus the suite-level problems (duplicate ids)."""

    tasks: list[TaskCheck]
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and all(t.ok for t in self.tasks)

    def summary(self) -> str:
        passed = sum(t.ok for t in self.tasks)
        failed = sum(1 for t in self.tasks if not t.ok and not (t.skipped and not t.problems))
        skipped = len(self.tasks) - passed - failed
        noted = sum(1 for t in self.tasks if t.ok and t.notes)
        return f"{passed}/{len(self.tasks)} tasks ok, {failed} failed, {skipped} skipped" + (
            f" ({noted} with notes)" if noted else ""
        ) + (f"; {len(self.problems)} suite problem(s)" if self.problems else "")


# --------------------------------------------------------------------------------------------- contract gate


def contract_problems(task: Task) -> list[str]:
    """Why ``task.reference`` does not carry the task's exact signature and pinned contract (empty: it does).

    The reference must declare the target method with the same parameters and results, exactly the pinned
    ``requires`` (no extra ones: a stronger precondition would make the task easier) and the pinned
    ``ensures`` (extra ensures are harmless but are reported so the pinned list stays complete).
    """
    if not task.reference:
        return ["no reference solution"]
    try:
        decls = declarations(task.reference)
    except DafnyTextError as exc:
        return [f"reference: {exc}"]
    targets = [d for d in decls if d.name == task.signature.name and d.is_method]
    if not targets:
        return [f"reference has no method {task.signature.name}"]
    if len(targets) > 1:
        return [f"reference declares {task.signature.name} {len(targets)} times"]
    decl = targets[0]
    problems = []
    if decl.is_ghost:
        problems.append(f"{decl.name} is ghost in the reference")
    if decl.body is None:
        problems.append(f"{decl.name} has no body in the reference")
    try:
        sig = parse_signature(decl.signature_text())
        if (sig.params, sig.returns) != (task.signature.params, task.signature.returns):
            problems.append(f"reference header '{decl.signature_text()}' differs from the task signature")
    except ValueError as exc:
        problems.append(f"reference header: {exc}")
    pinned_req = [normalize(r) for r in task.requires]
    pinned_ens = [normalize(e) for e in task.ensures]
    if decl.requires() != pinned_req:
        problems.append(f"reference requires {decl.requires()} != pinned {pinned_req}")
    if decl.ensures() != pinned_ens:
        problems.append(f"reference ensures {decl.ensures()} != pinned {pinned_ens}")
    return problems


# --------------------------------------------------------------------------------------------- dafny


def dafny_executable() -> str | None:
    """The Dafny command on PATH (``P2S_DAFNY`` overrides), or ``None``."""
    return os.environ.get("P2S_DAFNY") or shutil.which("dafny")


_SUMMARY = re.compile(r"finished with (\d+) verified, (\d+) errors?")
_ERROR = re.compile(
    r"^(?P<file>[^()\n]+)\((?P<line>\d+),(?P<col>\d+)\): (?P<kind>Error|error)[^:]*: (?P<msg>.*)$", re.M
)


def _dafny_errors(output: str) -> list[tuple[int, str]]:
    return [(int(m.group("line")), m.group("msg").strip()) for m in _ERROR.finditer(output)]


def _first_problem(output: str, timed_out: bool, what: str) -> str:
    if timed_out:
        return f"{what}: dafny timed out"
    slow = re.findall(r"Verification of '(?:Impl|CheckWellformed)\$\$_module\.__default\.([\w']+)' timed out", output)
    if slow:
        return f"{what}: the prover timed out on {', '.join(dict.fromkeys(slow))}"
    errs = _dafny_errors(output)
    if errs:
        line, msg = errs[0]
        more = f" (+{len(errs) - 1} more)" if len(errs) > 1 else ""
        return f"{what}: line {line}: {msg}{more}"
    tail = [ln for ln in output.strip().splitlines() if ln.strip() and not ln.startswith(("Prover error", "  "))]
    return f"{what}: " + (tail[-1] if tail else "dafny failed with no message")


def verify_reference(task: Task, timeout: float = 120.0) -> tuple[bool, str, str]:
    """Verify the reference through ``verifiers.api.verify_source`` (integrity gate, the task's definitions,
    contract splice, dialect bridge): the same verdict a run gives.

    Returns:
        ``(verified, problem, note)``; ``problem`` is empty when verified; ``note`` is kept for the report's
        column (always empty: only the project's verifier runs).
    """
    from verifiers.api import verify_source

    result = verify_source(task.reference or "", task, timeout)
    if result.verified:
        return True, "", ""
    errors = [d for d in result.diagnostics if getattr(d, "severity", "error") == "error"]
    first = errors[0] if errors else None
    where = f"line {first.line}: {first.message}" if first else ""
    if result.phase == "timeout":
        where = "the prover timed out" + (f" ({where})" if where else "")
    return False, f"verify ({result.phase}): {where}".rstrip(": "), ""


# --------------------------------------------------------------------------------------------- harness


def dafny_literal(value: Any, typ: DafnyType) -> str:
    """A Dafny expression for a scalar or sequence test value."""
    if typ.kind == "bool":
        return "true" if value else "false"
    if typ.kind == "char":
        return "'" + _escape(value, "'") + "'"
    if typ.kind == "string":
        return '"' + _escape(value, '"') + '"'
    if typ.kind == "seq":
        assert typ.elem is not None
        return "[" + ", ".join(dafny_literal(v, typ.elem) for v in value) + "]"
    if typ.kind == "bv":
        return f"({value} as bv{typ.width})"
    return str(value)


def _escape(text: str, quote: str) -> str:
    out = []
    for ch in text:
        if ch in ("\\", quote):
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        else:
            out.append(ch)
    return "".join(out)


def _build_input(var: str, value: Any, typ: DafnyType) -> list[str]:
    """Statements that declare ``var`` holding ``value`` (arrays are filled element by element)."""
    if typ.kind == "array":
        assert typ.elem is not None
        lines = [f"var {var} := new {typ.elem}[{len(value)}];"]
        lines += [f"{var}[{i}] := {dafny_literal(v, typ.elem)};" for i, v in enumerate(value)]
        return lines
    if typ.kind == "array2":
        assert typ.elem is not None
        rows, cols = len(value), len(value[0]) if value else 0
        lines = [f"var {var} := new {typ.elem}[{rows}, {cols}];"]
        for i, row in enumerate(value):
            lines += [f"{var}[{i}, {j}] := {dafny_literal(v, typ.elem)};" for j, v in enumerate(row)]
        return lines
    return [f"var {var}: {typ} := {dafny_literal(value, typ)};"]


def _print_output(test: str, name: str, var: str, typ: DafnyType) -> list[str]:
    head = f'print "{MARK} {test} {name} ", '
    if typ.kind == "array":
        return [head + f'{var}[..], "\\n";']
    if typ.kind == "array2":
        return [
            f'print "{MARK} {test} {name} [";',
            f"var {var}_i := 0;",
            f"while {var}_i < {var}.Length0 {{",
            f'  if {var}_i > 0 {{ print ", "; }}',
            '  print "[";',
            f"  var {var}_j := 0;",
            f"  while {var}_j < {var}.Length1 {{",
            f'    if {var}_j > 0 {{ print ", "; }}',
            f"    print {var}[{var}_i, {var}_j];",
            f"    {var}_j := {var}_j + 1;",
            "  }",
            '  print "]";',
            f"  {var}_i := {var}_i + 1;",
            "}",
            'print "]\\n";',
        ]
    return [head + f'{var}, "\\n";']


def _rename_main(source: str) -> str:
    """Rename a ``Main`` the reference may declare, so the harness can add its own."""
    for decl in declarations(source):
        if decl.name == "Main" and decl.is_method:
            for tok in tokenize(source[decl.start :]):
                if tok.text == "Main":
                    at = decl.start + tok.start
                    return source[:at] + "P2S_OriginalMain" + source[at + 4 :]
    return source


def with_definitions(task: Task, source: str) -> str:
    """``source`` with the task's ``definitions`` it does not declare itself put in front (as the gate does)."""
    if not task.definitions:
        return source
    have = {d.name for d in declarations(source)}
    missing = [d for d in declarations(task.definitions) if d.name not in have]
    if not missing:
        return source
    return "\n\n".join(task.definitions[d.start : d.end] for d in missing) + "\n\n" + source


def ghost_results(sig: Signature) -> set[str]:
    """Names of the results the signature declares ``ghost`` (they exist only for the proof)."""
    tail = sig.text.split("returns", 1)[1] if "returns" in sig.text else ""
    return set(re.findall(r"\bghost\s+([A-Za-z_][\w']*)\s*:", tail))


def _harness_lines(task: Task, source: str | None, tag: str) -> tuple[list[str], dict[int, tuple[int, int]]]:
    """The reference (its ``Main`` renamed, missing definitions added) and one ``P2S_Test<k>`` method per
    vector; ``spans[k]`` is the 1-based line range of vector ``k``'s method. Outputs print as
    ``@@p2s <tag><k> <name> <value>``."""
    sig = task.signature
    program = with_definitions(task, source if source is not None else task.reference or "")
    lines = _rename_main(program).rstrip().splitlines()
    spans: dict[int, tuple[int, int]] = {}
    for k, vec in enumerate(task.tests):
        first = len(lines) + 2
        body: list[str] = []
        for p in sig.params:
            body += _build_input(f"p2s_{p.name}", vec.inputs[p.name], p.type)
        args = ", ".join(f"p2s_{p.name}" for p in sig.params)
        outs = [f"p2s_r_{r.name}" for r in sig.returns]
        call = f"{sig.name}({args});"
        body.append(f"var {', '.join(outs)} := {call}" if outs else call)
        for r, var in zip(sig.returns, outs, strict=True):
            if r.name not in ghost_results(sig):  # a ghost result cannot be printed (nor compiled)
                body += _print_output(f"{tag}{k}", r.name, var, r.type)
        for p in sig.params:
            if p.type.kind in ("array", "array2") and p.name in vec.expected:
                body += _print_output(f"{tag}{k}", p.name, f"p2s_{p.name}", p.type)
        lines += ["", f"method P2S_Test{k}()", "{"] + ["  " + b for b in body] + ["}"]
        spans[k] = (first, len(lines))
    return lines, spans


def build_harness(task: Task, source: str | None = None) -> tuple[str, dict[int, tuple[int, int]]]:
    """The reference plus one test method per vector and a ``Main`` that runs them all.

    Returns:
        ``(program, spans)``: ``spans[k]`` is the line range of vector ``k``'s test method, so a Dafny
        error there (a precondition the vector's inputs do not provably satisfy) names the vector.
    """
    lines, spans = _harness_lines(task, source, "")
    lines += ["", "method Main()", "{"] + [f"  P2S_Test{k}();" for k in range(len(task.tests))] + ["}"]
    return "\n".join(lines) + "\n", spans


def build_batch(tasks: list[Task]) -> tuple[str, dict[tuple[int, int], tuple[int, int]]]:
    """Several tasks' harnesses in one program, each in its own module (so helper names cannot clash),
    and one ``Main``: one Dafny run checks all of them. Outputs print as ``@@p2s <i>:<k> <name> <value>``."""
    lines: list[str] = []
    spans: dict[tuple[int, int], tuple[int, int]] = {}
    for i, task in enumerate(tasks):
        body, inner = _harness_lines(task, None, f"{i}:")
        offset = len(lines) + 1
        lines.append(f"module P2S_T{i} {{")
        lines += body
        lines += ["", "method P2S_RunAll()", "{"] + [f"  P2S_Test{k}();" for k in range(len(task.tests))] + ["}"]
        lines.append("}")
        spans.update({(i, k): (lo + offset, hi + offset) for k, (lo, hi) in inner.items()})
    lines += ["", "method Main()", "{"] + [f"  P2S_T{i}.P2S_RunAll();" for i in range(len(tasks))] + ["}"]
    return "\n".join(lines) + "\n", spans


def parse_printed(text: str, typ: DafnyType) -> Any:
    """Turn Dafny's printed form of a value back into the task format's value."""
    if typ.kind in ("char", "string") or typ.elem is not None and typ.elem.kind == "char" \
            and not text.lstrip().startswith("["):  # printed as themselves: a space is a value, not layout
        text = text.rstrip("\r\n")
        return text if typ.kind in ("char", "string") else list(text)
    text = text.strip()
    if typ.kind == "bool":
        return {"true": True, "false": False}.get(text, text)
    if typ.kind in ("int", "nat", "bv"):
        try:
            return int(text)
        except ValueError:
            return text
    assert typ.elem is not None
    if typ.kind == "array2":
        inner = text[1:-1].strip()
        rows = re.findall(r"\[([^\[\]]*)\]", inner)
        return [[parse_printed(x, typ.elem) for x in _items(r)] for r in rows]
    if not (text.startswith("[") and text.endswith("]")):
        return text
    return [parse_printed(x, typ.elem) for x in _items(text[1:-1])]


def _items(text: str) -> list[str]:
    return [x.strip() for x in text.split(",")] if text.strip() else []


def _run_harness(program: str, timeout: float) -> tuple[Any, Any]:
    """Prove the test methods' preconditions (only those: the references are verified on their own), then
    compile and run the program without re-verifying. Returns both command results."""
    dafny = dafny_executable()
    assert dafny is not None
    with tempfile.TemporaryDirectory(prefix="p2s-vec-") as tmp:
        src = Path(tmp) / "harness.dfy"
        src.write_text(program)
        pre = _prove_tests(dafny, src, timeout)
        # the in-memory C# compiler leaves a debug file per run in $TMPDIR: keep it in our folder
        res = run_command([dafny, "/noVerify", "/compile:4", src.name], cwd=tmp, timeout=timeout,
                          env={"TMPDIR": tmp})
    return pre, res


def _prove_tests(dafny: str, src: Path, timeout: float) -> Any:
    """Verify only the harness's test methods (the calls' preconditions), at most 20 s each."""
    return run_command([dafny, "/compile:0", "/timeLimit:20", "/proc:*P2S__Test*", src.name], cwd=src.parent,
                       timeout=timeout)


def admissible_vectors(task: Task, source: str | None = None, timeout: float = 240.0) -> list[bool] | str:
    """For each vector, whether Dafny proves that its inputs meet the target's ``requires`` (or why no
    answer came: a time-out, an error outside the test methods).

    Why: inputs drawn at random must be kept only where the method is defined for them; Dafny decides it
    on the concrete values, whatever the clauses call (ghost predicates included). A vector whose
    precondition Dafny cannot prove in time counts as not admissible (kept out, never in).
    """
    dafny = dafny_executable()
    if dafny is None:
        return "dafny not found"
    program, spans = build_harness(task, source)
    with tempfile.TemporaryDirectory(prefix="p2s-adm-") as tmp:
        src = Path(tmp) / "harness.dfy"
        src.write_text(program)
        pre = _prove_tests(dafny, src, timeout)
    if pre.timed_out or not _SUMMARY.search(pre.stdout):
        return _first_problem(pre.output, pre.timed_out, "the precondition check")
    errs = _dafny_errors(pre.output)
    outside = [msg for line, msg in errs if not any(lo <= line <= hi for lo, hi in spans.values())]
    if outside:
        return f"the precondition check: {outside[0]}"
    blamed = _blamed(errs, spans)
    timed_out = set(re.findall(r"P2S__Test(\d+)[^\n]*time(?:d)? ?out", pre.output, re.I))
    return [k not in blamed and str(k) not in timed_out for k in range(len(task.tests))]


def _compare(task: Task, printed: dict[tuple[str, str], str], tag: str) -> list[str]:
    problems = []
    for k, vec in enumerate(task.tests):
        for name, want in vec.expected.items():
            param = task.signature.param(name)
            assert param is not None
            got_text = printed.get((f"{tag}{k}", name))
            if got_text is None:
                problems.append(f"vector {k}: no output for {name}")
                continue
            got = parse_printed(got_text, param.type)
            if got != want:
                problems.append(f"vector {k}: {name} = {got!r}, expected {want!r}")
    return problems


def _blamed(errs: list[tuple[int, str]], spans: dict[int, tuple[int, int]]) -> set[int]:
    """The vectors whose test method an error line falls in."""
    return {k for line, _ in errs for k, (lo, hi) in spans.items() if lo <= line <= hi}


def _precondition_problems(errs: list[tuple[int, str]], spans: dict[int, tuple[int, int]]) -> list[str]:
    blamed = sorted(_blamed(errs, spans))
    if not blamed:
        return []
    first = next(msg for line, msg in errs if any(lo <= line <= hi for lo, hi in spans.values()))
    return [f"vector(s) {blamed}: {first} (do the inputs satisfy the requires?)"]


def check_vectors(task: Task, timeout: float = 240.0, source: str | None = None) -> tuple[bool, list[str], int]:
    """Run every vector through Dafny's own compiled reference; return ``(ok, problems, vectors_checked)``."""
    if not task.tests:
        return False, ["no test vectors"], 0
    program, spans = build_harness(task, source)
    pre, res = _run_harness(program, timeout)
    errs = _dafny_errors(pre.output)
    if pre.timed_out or errs or not _SUMMARY.search(pre.stdout):
        blamed = [] if pre.timed_out else _precondition_problems(errs, spans)
        return False, blamed or [_first_problem(pre.output, pre.timed_out, "vector harness")], 0
    printed = _printed_values(res.stdout)
    if not printed:
        return False, [_first_problem(res.output, res.timed_out, "running the vectors")], 0
    problems = _compare(task, printed, "")
    return not problems, problems, len(task.tests)


def check_vectors_batch(tasks: list[Task], timeout: float = 900.0) -> list[tuple[bool, list[str], int]] | None:
    """:func:`check_vectors` for several tasks with two Dafny runs in all; ``None`` when the batch as a whole
    did not run (then check the tasks one by one to find the culprit)."""
    program, spans = build_batch(tasks)
    pre, res = _run_harness(program, timeout)
    printed = _printed_values(res.stdout)
    if pre.timed_out or not _SUMMARY.search(pre.stdout) or not printed:
        return None
    errs = _dafny_errors(pre.output)
    if any(not any(lo <= line <= hi for lo, hi in spans.values()) for line, _ in errs):
        return None  # an error outside the test methods: find it task by task
    out = []
    for i, task in enumerate(tasks):
        mine = {k: span for (j, k), span in spans.items() if j == i}
        pre_problems = _precondition_problems(errs, mine)
        if pre_problems:
            out.append((False, pre_problems, 0))
            continue
        problems = _compare(task, printed, f"{i}:")
        out.append((not problems, problems, len(task.tests)))
    return out


def _printed_values(stdout: str) -> dict[tuple[str, str], str]:
    out = {}
    for line in stdout.splitlines():
        if line.startswith(MARK + " "):
            parts = line[len(MARK) + 1 :].split(" ", 2)
            if len(parts) == 3:
                out[(parts[0], parts[1])] = parts[2]
    return out


def record_outputs(task: Task, source: str | None = None, timeout: float = 240.0) -> list[dict[str, Any]] | str:
    """Run the reference on every vector's inputs and return the outputs it computes (or why it could not).

    Used by importers whose source gives inputs without expected values.
    """
    dafny = dafny_executable()
    if dafny is None:
        return "dafny not found"
    names = [r.name for r in task.signature.returns if r.name not in ghost_results(task.signature)]
    target = next((d for d in declarations(task.reference or "") if d.name == task.signature.name and d.is_method),
                  None)
    modified = " ".join(target.modifies()) if target else ""
    arrays = [p.name for p in task.signature.params
              if p.type.kind in ("array", "array2") and re.search(rf"\b{re.escape(p.name)}\b", modified)]
    probe = Task(
        id=task.id, description=task.description, signature=task.signature, requires=task.requires,
        ensures=task.ensures, reference=task.reference,
        tests=[type(v)(v.inputs, {n: None for n in names + arrays}) for v in task.tests],
    )
    program, _ = build_harness(probe, source)
    with tempfile.TemporaryDirectory(prefix="p2s-rec-") as tmp:
        src = Path(tmp) / "record.dfy"
        src.write_text(program)
        # the in-memory C# compiler leaves a debug file per run in $TMPDIR: keep it in our folder
        res = run_command([dafny, "/noVerify", "/compile:4", src.name], cwd=tmp, timeout=timeout,
                          env={"TMPDIR": tmp})
    printed = _printed_values(res.stdout)
    if not printed:
        return _first_problem(res.output, res.timed_out, "running the reference")
    outputs = []
    for k in range(len(task.tests)):
        row = {}
        for n in names + arrays:
            text = printed.get((str(k), n))
            param = task.signature.param(n)
            if text is not None and param is not None:
                row[n] = parse_printed(text, param.type)
        outputs.append(row)
    return outputs


SPEC_FUEL = 24


def spec_determines(task: Task, timeout: float = 240.0) -> tuple[bool, list[str]]:
    """Check that the pinned contract alone forces each vector's expected outputs.

    A body-less copy of the target method carries only the pinned contract; for every vector a test method
    calls it on the inputs and asserts the expected outputs. If Dafny proves these asserts, the spec is
    strong enough to decide the answer on the vectors (a weak spec would accept wrong candidates). A
    failure means the spec is too weak *or* the prover could not see it: read it as a warning.

    Returns:
        ``(ok, problems)``: one problem per vector whose expected outputs did not follow.
    """
    dafny = dafny_executable()
    if dafny is None:
        return False, ["dafny not found"]
    sig = task.signature
    try:
        target = next(d for d in declarations(task.reference or "") if d.name == sig.name and d.is_method)
    except (StopIteration, DafnyTextError):
        return False, ["reference has no target method"]
    header = sig.text.replace(f"method {sig.name}", "method P2S_Spec", 1)
    lines = _rename_main(with_definitions(task, task.reference or "")).rstrip().splitlines() + ["", header]
    lines += [f"  modifies {m}" for m in target.modifies()]
    lines += [f"  requires {r}" for r in task.requires] + [f"  ensures {e}" for e in task.ensures]
    # enough fuel to unfold a recursive definition over a whole vector (Dafny's default unfolds it twice)
    functions = [d.name for d in declarations("\n".join(lines)) if d.kind.startswith(("function", "predicate"))]
    fuel = "".join(f"{{:fuel {f}, {SPEC_FUEL}}} " for f in functions)
    spans: dict[int, tuple[int, int]] = {}
    for k, vec in enumerate(task.tests):
        first = len(lines) + 2
        body: list[str] = []
        for p in sig.params:
            body += _build_input(f"p2s_{p.name}", vec.inputs[p.name], p.type)
        outs = [f"p2s_r_{r.name}" for r in sig.returns]
        call = f"P2S_Spec({', '.join(f'p2s_{p.name}' for p in sig.params)});"
        body.append(f"var {', '.join(outs)} := {call}" if outs else call)
        for p in sig.params:  # name every input element after the call: terms for the quantifiers' triggers
            if p.type.kind in ("array", "seq") and p.name not in vec.expected:
                assert p.type.elem is not None
                body += [
                    f"assert p2s_{p.name}[{i}] == {dafny_literal(v, p.type.elem)};"
                    for i, v in enumerate(vec.inputs[p.name])
                ]
        for name, want in vec.expected.items():
            param = sig.param(name)
            assert param is not None
            var = f"p2s_r_{name}" if any(r.name == name for r in sig.returns) else f"p2s_{name}"
            if param.type.kind == "array":
                assert param.type.elem is not None
                seq = DafnyType("seq", elem=param.type.elem)
                body.append(f"assert {var}[..] == {dafny_literal(want, seq)};")
            elif param.type.kind != "array2":
                body.append(f"assert {var} == {dafny_literal(want, param.type)};")
        lines += ["", f"method {fuel}P2S_Det{k}()", "{"] + ["  " + b for b in body] + ["}"]
        spans[k] = (first, len(lines))
    with tempfile.TemporaryDirectory(prefix="p2s-det-") as tmp:
        src = Path(tmp) / "determines.dfy"
        src.write_text("\n".join(lines) + "\n")
        res = run_command([dafny, "/compile:0", "/timeLimit:30", src.name], cwd=tmp, timeout=timeout)
    if res.timed_out:
        return False, ["dafny timed out"]
    errs = _dafny_errors(res.output)
    problems = []
    for k, (lo, hi) in spans.items():
        msgs = [msg for line, msg in errs if lo <= line <= hi]
        if msgs:
            problems.append(f"vector {k}: the spec does not (provably) force the expected outputs: {msgs[0]}")
    outside = [f"line {line}: {msg}" for line, msg in errs if not any(lo <= line <= hi for lo, hi in spans.values())]
    if outside:
        problems.append("spec program: " + outside[0])
    return not problems, problems


# --------------------------------------------------------------------------------------------- suite


def cache_dir() -> Path:
    home = Path(os.environ.get("P2S_HOME", "~/.cache/proof2silicon")).expanduser()
    return home / "suite-check"


def _cache_key(task: Task) -> str:
    data = {
        "v": CHECKER_VERSION,
        "reference": task.reference,
        "definitions": task.definitions,
        "signature": task.signature.text,
        "requires": task.requires,
        "ensures": task.ensures,
        "tests": [[t.inputs, t.expected] for t in task.tests],
        "verifier": _verifier_fingerprint(),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:32]


def _verifier_fingerprint() -> str:
    """A hash of the project's verifier sources (gate, bridge, adapter): a change there re-checks the suite."""
    import verifiers

    digest = hashlib.sha256()
    for path in sorted(Path(verifiers.__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass
class _Pending:
    """A task between verification and the vector run."""

    result: TaskCheck
    task: Task
    key: str
    start: float


def _prepare(path: str | Path, use_cache: bool) -> TaskCheck | _Pending:
    """Load, check the contract, look up the cache and verify the reference: a finished check, or a task
    whose vectors still have to run."""
    start = time.monotonic()
    result = TaskCheck(path=str(path))
    try:
        task = load_task(path)
    except TaskFormatError as exc:
        result.problems.append(str(exc))
        return result
    result.id, result.loaded = task.id, True
    if len(task.tests) < 3:
        result.problems.append(f"only {len(task.tests)} test vector(s) (at least 3 required)")
    gate = contract_problems(task)
    result.gate = not gate
    result.problems += gate
    if gate:
        return result
    if dafny_executable() is None:
        result.skipped = "dafny not found (install Dafny 2.3+ or set P2S_DAFNY)"
        return result
    key = _cache_key(task)
    cached = cache_dir() / f"{key}.json"
    if use_cache and cached.exists():
        data = json.loads(cached.read_text())
        result.verified, result.vectors = data["verified"], data["vectors"]
        result.notes = data.get("notes", [])
        result.vectors_checked = data["vectors_checked"]
        result.problems += data["problems"]
        result.cached = True
        result.seconds = time.monotonic() - start
        return result
    result.verified, problem, note = verify_reference(task)
    if problem:
        result.problems.append(problem)
    if note:
        result.notes.append(note)
    if not result.verified:
        return _finish(_Pending(result, task, key, start), use_cache)
    return _Pending(result, task, key, start)


def _finish(p: _Pending, use_cache: bool) -> TaskCheck:
    result = p.result
    result.seconds = time.monotonic() - p.start
    timed_out = any("timed out" in x for x in result.problems)
    if use_cache and not timed_out:
        cached = cache_dir() / f"{p.key}.json"
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({k: getattr(result, k) for k in ("verified", "vectors", "vectors_checked")}
                                  | {"problems": result.problems, "notes": result.notes}))
        tmp.replace(cached)
    return result


def _apply_vectors(p: _Pending, outcome: tuple[bool, list[str], int]) -> None:
    p.result.vectors, problems, p.result.vectors_checked = outcome
    p.result.problems += problems


def check_task(path: str | Path, use_cache: bool = True) -> TaskCheck:
    """Load, gate, verify and run the vectors of one task file."""
    prepared = _prepare(path, use_cache)
    if isinstance(prepared, TaskCheck):
        return prepared
    _apply_vectors(prepared, check_vectors(prepared.task))
    return _finish(prepared, use_cache)


BATCH = 16  # tasks per Dafny run of the vector harness


def check_suite(
    folder: str | Path, workers: int = 2, use_cache: bool = True, only: list[str] | None = None, progress=None
) -> SuiteCheck:
    """Check every task of ``folder``: verification with ``workers`` Dafny processes at a time, then the
    vectors of the verified tasks in batches (one Dafny program per :data:`BATCH` tasks)."""
    files = task_files(folder)
    if only:
        files = [f for f in files if f.stem in only]
    results: dict[str, TaskCheck] = {}
    pending: list[_Pending] = []
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        for prepared in pool.map(lambda f: _prepare(f, use_cache), files):
            if isinstance(prepared, TaskCheck):
                results[prepared.path] = prepared
                if progress:
                    progress(prepared)
            else:
                pending.append(prepared)
        batches = [pending[i : i + BATCH] for i in range(0, len(pending), BATCH)]

        def run_batch(batch: list[_Pending]) -> list[TaskCheck]:
            outcomes = check_vectors_batch([p.task for p in batch])
            if outcomes is None:  # the batch did not run as a whole: one task at a time
                outcomes = [check_vectors(p.task) for p in batch]
            for p, outcome in zip(batch, outcomes, strict=True):
                _apply_vectors(p, outcome)
            return [_finish(p, use_cache) for p in batch]

        for done in pool.map(run_batch, batches):
            for res in done:
                results[res.path] = res
                if progress:
                    progress(res)
    ordered = [results[str(f)] for f in files]
    problems = []
    seen: dict[str, str] = {}
    for res in ordered:
        if res.id and res.id in seen:
            problems.append(f"duplicate id {res.id!r} in {seen[res.id]} and {res.path}")
        elif res.id:
            seen[res.id] = res.path
    return SuiteCheck(ordered, problems)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.check_suite", description=__doc__.split("\n")[0])
    parser.add_argument("suite", nargs="?", default="core", help="a bundled suite name or a folder (default: core)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--no-cache", action="store_true", help="re-run Dafny even for unchanged tasks")
    parser.add_argument("--only", nargs="*", help="check only these task file stems")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument(
        "--spec-determines", action="store_true",
        help="also check (warnings only) that each pinned spec alone forces its vectors' expected outputs",
    )
    args = parser.parse_args(argv)
    try:
        args.suite = str(resolve_suite(args.suite))
    except UserError as exc:
        print(f"check_suite: error: {exc}", file=sys.stderr)
        return 2
    report = check_suite(args.suite, args.workers, not args.no_cache, args.only, progress=lambda r: print(r.line()))
    for p in report.problems:
        print(f"FAIL  {p}")
    if args.spec_determines:
        tasks = [load_task(p) for p in task_files(args.suite) if not args.only or p.stem in args.only]
        with ThreadPoolExecutor(max_workers=max(1, args.workers)) as pool:
            outcomes = list(pool.map(spec_determines, tasks))
        for task, (ok, why) in zip(tasks, outcomes, strict=True):
            print(f"{'spec  ' if ok else 'WEAK  '}{task.id:<28} " + ("forces every vector" if ok else "; ".join(why)))
        print(f"the pinned spec provably forces every vector's outputs in {sum(ok for ok, _ in outcomes)}/"
              f"{len(tasks)} tasks")
    print(report.summary())
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(t) for t in report.tasks], indent=2))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
