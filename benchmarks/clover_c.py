"""How many CloverBench ``textbook_algo`` programs reach a passing ``c`` stage, and why the rest do not.

Usage::

    .venv/bin/python benchmarks/clover_c.py [--data DIR] [--out DIR] [--json FILE] [--only NAME ...]
                                            [--width-proof on|off]

``DIR`` defaults to ``../shared/data/cloverbench`` next to the repository (programs written by others; they are
read in place, never copied). For every ``textbook_algo/<name>/<name>_strong.dfy``:

1. the method under test is the method of the program that the unit-test file
   (``textbook_algo_unit_tests/<name>/<name>_tests.dfy``) calls from its test method;
2. its header and contract become the task (signature, pinned requires/ensures; a type parameter ``T`` is
   instantiated with the type of the first unit test's values);
3. test vectors come from running the unit tests themselves: the test file is compiled to Python with the
   project's Dafny → Python compiler and its ``Main`` runs in a subprocess with the method wrapped, recording
   every top-level call's arguments (the unit tests' literal inputs, also those built up element by element);
   calls whose values do not fit the task's types are dropped. The vectors keep inputs only: the reference
   outputs are the verified program's own (its Python model), since the unit-test file carries its own copy of
   the method, which may differ;
4. the verified program goes through the pipeline's ``python`` stage (Dafny → Python, the vectors run on the
   model) and ``c`` stage: the width proof (unless ``--width-proof off``: ``hardware.width_proof``), HLS C at
   the proven width, gcc simulation of every vector against the Python reference.

Each program ends in one row: ``pass``, or the step that stopped it with the reason. ``--json`` writes the
rows. Needs ``hls.dafny_python`` (the Dafny → Python compiler) and gcc.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEFAULT_DATA = REPO.parent / "shared" / "data" / "cloverbench"

_RECORDER = r'''
import contextlib, copy, importlib.util, io, json, sys
spec = importlib.util.spec_from_file_location("p2s_unit_tests", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
target = sys.argv[2]
orig = getattr(mod, target)
calls, depth = [], [0]

def plain(v):
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    if v is None or isinstance(v, (bool, int, str)):
        return v
    raise TypeError(type(v).__name__)

def wrapper(*args):
    depth[0] += 1
    try:
        before = copy.deepcopy(args)
        res = orig(*args)
        if depth[0] == 1:
            try:
                calls.append({"args": plain(list(before)), "after": plain(list(args)),
                              "kinds": [type(a).__name__ for a in before], "result": plain(res),
                              "result_kind": type(res).__name__})
            except TypeError as exc:
                calls.append({"unsupported": str(exc)})
        return res
    finally:
        depth[0] -= 1

setattr(mod, target, wrapper)
with contextlib.redirect_stdout(io.StringIO()):
    mod.Main()
print(json.dumps(calls))
'''


@dataclass
class Row:
    name: str
    outcome: str  # pass | fail | refused | no-task | no-vectors | no-python
    step: str = ""
    reason: str = ""
    vectors: int = 0
    passed: int = 0
    top: str = ""
    seconds: float = 0.0
    width: str = ""  # the width proof's outcome and width


# --------------------------------------------------------------------------------------------- tasks


def target_method(strong: str, tests: str) -> str | None:
    """The method of the program that the unit tests call from outside the program's own methods."""
    from benchmarks.importers.dafny_text import declarations

    own = {d.name for d in declarations(strong) if d.kind == "method"}
    for d in declarations(tests):
        if d.name in own or d.kind != "method":
            continue
        body = tests[d.header_end:]
        nxt = [e.start for e in declarations(tests) if e.start > d.start]
        body = tests[d.header_end: min(nxt) if nxt else len(tests)]
        for name in own:
            if re.search(rf"(?<![\w.']){re.escape(name)}\s*(<[^<>()]*>\s*)?\(", body):
                return name
    return None


def _scalar_type(values: list) -> str | None:
    for v in values:
        if isinstance(v, bool):
            return "bool"
        if isinstance(v, int):
            return "int"
        if isinstance(v, str) and len(v) == 1:
            return "char"
        if isinstance(v, list):
            inner = _scalar_type(v)
            if inner:
                return inner
    return None


def signature_text(decl, first_call: dict | None) -> tuple[str | None, str]:
    """``method Name(params) returns (results)`` with ``T`` instantiated (ghost results stay: the python stage
    lists them, the c stage leaves them out of the hardware)."""
    from benchmarks.importers.dafny_text import split_top_level

    params = decl.params or ""
    results = [r for r in split_top_level(decl.returns or "") if r.strip()]
    text = f"method {decl.name}({params})" + (f" returns ({', '.join(results)})" if results else "")
    if decl.type_params:
        names = [re.sub(r"\(.*\)", "", t).strip() for t in split_top_level(decl.type_params)]
        probe = text
        for n in names:
            probe = re.sub(rf"\b{re.escape(n)}\b", "int", probe)
        try:
            from pipeline.task import parse_signature

            parse_signature(probe)
        except ValueError as exc:
            return None, f"signature outside the task format: {exc}"
        if first_call is None:
            return None, "generic method without a call to instantiate it"
        inst = _scalar_type(first_call.get("args", []))
        if inst is None:
            return None, "generic method: its type parameter cannot be instantiated from the unit tests"
        for n in names:
            text = re.sub(rf"\b{re.escape(n)}\b", inst, text)
    return " ".join(text.split()), ""


def record_calls(module_path: Path, target: str, work: Path) -> tuple[list[dict], str]:
    from pipeline.process import run_command

    runner = work / "record_calls.py"
    runner.write_text(_RECORDER)
    res = run_command([sys.executable, "-I", str(runner), str(module_path), target], cwd=work, timeout=60,
                      memory_mb=1024, log_path=work / "record.log")
    if not res.ok:
        tail = (res.stderr.strip().splitlines() or ["no output"])[-1]
        return [], f"running the unit tests in Python failed: {tail}"
    try:
        return json.loads(res.stdout.strip().splitlines()[-1]), ""
    except (json.JSONDecodeError, IndexError):
        return [], "the unit-test recorder printed no calls"


def contract(decl, sig_text: str) -> dict[str, list[str]]:
    """The method's own requires/ensures (the task pins them; the verify gate and the width proof read them)."""
    out: dict[str, list[str]] = {"requires": [], "ensures": []}
    for c in decl.clauses:
        if c.kind in out:
            out[c.kind].append(c.text)
    return out


def build_task(name: str, sig_text: str, calls: list[dict], width_proof: str = "on",
               clauses: dict[str, list[str]] | None = None):
    """A task whose tests are the recorded calls (those that fit the signature's types)."""
    from pipeline.errors import TaskFormatError
    from pipeline.task import parse_signature, task_from_dict
    from pipeline.types import check_value

    sig = parse_signature(sig_text)
    ghosts = set(re.findall(r"\bghost\s+([A-Za-z_][\w']*)", sig_text))
    results_sig = [p for p in sig.returns if p.name not in ghosts]
    tests = []
    for call in calls:
        if "unsupported" in call or len(call["args"]) != len(sig.params):
            continue
        inputs = {p.name: _canon(v, p.type.kind) for p, v in zip(sig.params, call["args"], strict=True)}
        results = call["result"]
        results = [] if not results_sig else ([results] if len(results_sig) == 1 else list(results or []))
        if len(results) != len(results_sig):
            continue
        expected = {p.name: _canon(v, p.type.kind) for p, v in zip(results_sig, results, strict=True)}
        for p, v in zip(sig.params, call["after"], strict=True):
            if p.type.kind in ("array", "array2"):
                expected[p.name] = _canon(v, p.type.kind)
        named = [(p, inputs.get(p.name, expected.get(p.name))) for p in sig.params + sig.returns]
        if any(check_value(v, p.type) for p, v in named if v is not None):
            continue
        # inputs only: the outputs that count are the verified program's own (its Python model); the unit-test
        # file carries its own copy of the method, which may differ (rotate's turns the other way)
        tests.append({"inputs": inputs, "expected": {}})
    data = {"id": f"clover_{name}", "description": f"CloverBench textbook_algo/{name}", "signature": sig_text,
            "tests": tests, "metadata": {"source": "cloverbench", "program": name},
            "hardware": {"width_proof": width_proof}, **(clauses or {})}
    try:
        return task_from_dict(data, f"<clover {name}>"), ""
    except TaskFormatError as exc:
        return None, str(exc)


def _canon(v, kind: str):
    if kind == "seq" and isinstance(v, str):
        return list(v)
    return v


# --------------------------------------------------------------------------------------------- one program


def measure_one(name: str, data: Path, out: Path, width_proof: str = "on") -> Row:
    from benchmarks.importers.dafny_text import declarations
    from hls.dafny_python import compile_program
    from pipeline.errors import UserError
    from pipeline.runner import prepare_run, run_stages

    start = time.monotonic()
    row = Row(name, "fail")
    strong = (data / "textbook_algo" / name / f"{name}_strong.dfy").read_text(encoding="utf-8")
    tests_path = data / "textbook_algo_unit_tests" / name / f"{name}_tests.dfy"
    if not tests_path.is_file():
        return Row(name, "no-vectors", "vectors", "no unit-test file")
    tests = tests_path.read_text(encoding="utf-8")
    work = out / name
    work.mkdir(parents=True, exist_ok=True)
    target = target_method(strong, tests)
    if target is None:
        return Row(name, "no-vectors", "vectors", "the unit tests call no method of the program")
    decl = next(d for d in declarations(strong) if d.name == target)
    try:
        test_module = compile_program(tests)
    except UserError as exc:
        return Row(name, "no-python", "python (unit tests)", str(exc))
    (work / "unit_tests.py").write_text(test_module.text)
    calls, why = record_calls(work / "unit_tests.py", _py_name(target), work)
    if why:
        return Row(name, "no-vectors", "vectors", why)
    sig_text, why = signature_text(decl, calls[0] if calls else None)
    if sig_text is None:
        return Row(name, "no-task", "task", why)
    try:
        task, why = build_task(name, sig_text, calls, width_proof, contract(decl, sig_text))
    except ValueError as exc:
        return Row(name, "no-task", "task", f"signature outside the task format: {exc}")
    if task is None:
        return Row(name, "no-task", "task", why)
    row.top = target
    row.vectors = len(task.tests)
    if not task.tests:
        row.outcome, row.step = "no-vectors", "vectors"
        row.reason = f"none of {len(calls)} unit-test calls fits {sig_text}"
        return row
    strong_path = work / f"{name}.dfy"
    strong_path.write_text(strong)
    ctx = prepare_run(task, work / "run")
    ctx.artifacts["dafny"] = str(strong_path)
    py, c = run_stages(ctx, ["python", "c"])
    row.seconds = time.monotonic() - start
    if py.status.value != "pass":
        row.outcome, row.step, row.reason = "no-python", "python", py.detail
        return row
    row.passed = int(c.metrics.get("vectors_passed", 0))
    row.width = f"{c.metrics.get('width_proof', '')} {c.metrics.get('proven_width') or ''}".strip()
    if c.status.value == "pass":
        row.outcome, row.step = "pass", "c"
    elif "refused" in c.metrics:
        row.outcome, row.step, row.reason = "refused", "c", c.detail
    elif c.metrics.get("width_proof") in ("fail", "error"):
        row.outcome, row.step, row.reason = "width", "c (width proof)", c.detail
    else:
        row.outcome, row.step, row.reason = c.status.value, "c", c.detail
    return row


def _py_name(name: str) -> str:
    return name.replace("'", "_q").replace("#", "_h")


# --------------------------------------------------------------------------------------------- report


def summarize(rows: list[Row]) -> str:
    lines = [f"{'program':<24} {'outcome':<10} {'vectors':>7}  {'width':<12} reason"]
    for r in rows:
        vec = f"{r.passed}/{r.vectors}" if r.vectors else "-"
        lines.append(f"{r.name:<24} {r.outcome:<10} {vec:>7}  {r.width:<12} {r.reason[:150]}")
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    lines.append("")
    lines.append(f"{counts.get('pass', 0)} of {len(rows)} programs reach a passing c stage; "
                 + ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()) if k != "pass"))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the cloverbench folder")
    p.add_argument("--out", type=Path, default=REPO / "runs" / "clover_c", help="work folder (C, logs)")
    p.add_argument("--json", type=Path, help="write the rows as JSON")
    p.add_argument("--only", nargs="*", help="program names to measure")
    p.add_argument("--width-proof", choices=("on", "off"), default="on",
                   help="run the c stage's width proof (hardware.width_proof; default on)")
    args = p.parse_args(argv)
    programs = sorted(d.name for d in (args.data / "textbook_algo").iterdir() if d.is_dir())
    if args.only:
        programs = [n for n in programs if n in set(args.only)]
    rows = []
    for name in programs:
        try:
            row = measure_one(name, args.data, args.out, args.width_proof)
        except Exception as exc:  # a crash in one program must not hide the others
            row = Row(name, "crash", "harness", f"{type(exc).__name__}: {exc}")
        rows.append(row)
        print(f"{name:<24} {row.outcome:<10} {row.reason[:100]}", file=sys.stderr, flush=True)
    print(summarize(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
