"""C simulation: build the design and testbench with gcc, run them with limits, compare with the reference.

The design must compile alone with ``gcc -std=c99 -Wall -Wextra -Werror`` (the stage's synthesizability
check for plain C). The simulation binary adds UndefinedBehaviorSanitizer where the toolchain has it, so a
signed overflow (an ``int`` that does not fit ``hardware.int_width``) stops the vector with a named error
instead of wrapping silently. A vector whose inputs or outputs do not fit their C types is reported and
not simulated.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from hls.hls_c import CProgram
from hls.hls_c.model_run import ReferenceRun, output_names
from hls.hls_c.testbench import parse_output, testbench_source
from hls.hls_c.values import from_c, misfit
from pipeline.process import run_command
from pipeline.task import Task, TestVector

CFLAGS = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O2"]
UBSAN = ["-fsanitize=undefined", "-fno-sanitize-recover=undefined"]


@dataclass
class VectorOutcome:
    index: int
    ok: bool
    reason: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    python: dict[str, Any] | None = None
    c: dict[str, Any] | None = None


@dataclass
class SimReport:
    """What the C simulation found."""

    compiled: bool
    compile_log: str = ""
    sanitizer: bool = False
    outcomes: list[VectorOutcome] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> int:
        return sum(o.ok for o in self.outcomes)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"vectors_total": len(self.outcomes), "vectors_passed": self.passed}


def gcc_path() -> str | None:
    return shutil.which("gcc")


def fit_problems(program: CProgram, task: Task, vec: TestVector, outputs: dict[str, Any] | None) -> list[str]:
    """Inputs (and reference outputs) that do not fit their C types or buffers."""
    iface = program.interface
    ports = {p.dafny_name: p for p in iface.ports if p.dafny_name and p.role not in ("len", "rows", "cols")}
    problems = []
    for p in task.signature.params:
        port = ports.get(p.name)
        if port is not None and p.name in vec.inputs:
            why = misfit(f"input {p.name}", vec.inputs[p.name], p.type, port)
            if why:
                problems.append(why)
    for name, value in (outputs or {}).items():
        port = ports.get(name)
        param = task.signature.param(name)
        if port is not None and param is not None:
            why = misfit(f"output {name}", value, param.type, port)
            if why:
                problems.append(why)
    return problems


def compile_design(work: Path, design: Path, timeout: float = 60.0) -> tuple[bool, str]:
    """``gcc -std=c99 -Wall -Wextra -Werror -c design.c``: the plain-C check of the generated design."""
    res = run_command(["gcc", *CFLAGS, "-c", design.name, "-o", "design.o"], cwd=work, timeout=timeout,
                      log_path=work / "gcc.log")
    return res.ok, res.output


def build_sim(work: Path, design: Path, bench: Path, timeout: float = 60.0) -> tuple[bool, bool, str]:
    """Link design and testbench into ``sim`` (with UBSan when available); returns (ok, sanitized, log)."""
    argv = ["gcc", *CFLAGS, design.name, bench.name, "-o", "sim"]
    res = run_command(argv[:1] + UBSAN + argv[1:], cwd=work, timeout=timeout, log_path=work / "gcc.log")
    if res.ok:
        return True, True, res.output
    plain = run_command(argv, cwd=work, timeout=timeout, log_path=work / "gcc.log")
    return plain.ok, False, plain.output


def simulate(
    program: CProgram, task: Task, reference: ReferenceRun, work_dir: str | Path,
    timeout: float = 20.0, memory_mb: int = 1024,
) -> SimReport:
    """Compile, run every vector, and compare each with the reference outputs."""
    work = Path(work_dir)
    design = work / "design.c"
    bench = work / "testbench.c"
    design.write_text(program.source)
    vectors = task.tests
    outcomes: dict[int, VectorOutcome] = {}
    runnable: list[tuple[int, TestVector]] = []
    for i, vec in enumerate(vectors):
        o = VectorOutcome(i, False, inputs=vec.inputs, python=reference.outputs[i])
        outcomes[i] = o
        if reference.errors[i]:
            o.reason = f"the Python reference failed: {reference.errors[i]}"
            continue
        problems = fit_problems(program, task, vec, reference.outputs[i])
        if problems:
            o.reason = "does not fit the hardware types: " + "; ".join(problems)
            continue
        runnable.append((i, vec))
    bench.write_text(testbench_source(program.interface, program.prototype, task, runnable))
    ok, log = compile_design(work, design)
    report = SimReport(compiled=ok, compile_log=log)
    if not ok:
        report.outcomes = list(outcomes.values())
        for o in report.outcomes:
            o.reason = o.reason or "the design does not compile"
        return report
    ok, sanitized, log = build_sim(work, design, bench)
    report.sanitizer = sanitized
    report.compile_log += log
    if not ok:
        report.compiled = False
        report.outcomes = list(outcomes.values())
        for o in report.outcomes:
            o.reason = o.reason or "the testbench does not compile"
        return report
    if runnable:
        run = run_command([str(work / "sim")], cwd=work, timeout=timeout, memory_mb=memory_mb,
                          log_path=work / "sim.log")
        report.seconds += run.seconds
        printed = parse_output(run.stdout)
        missing = [i for i, _ in runnable if i not in printed]
        errors: dict[int, str] = {}
        if missing and not run.ok:
            for i in missing:  # attribute the crash: each missing vector alone
                one = run_command([str(work / "sim"), str(i)], cwd=work, timeout=timeout, memory_mb=memory_mb,
                                  log_path=work / "sim.log")
                report.seconds += one.seconds
                got = parse_output(one.stdout)
                if i in got:
                    printed[i] = got[i]
                else:
                    errors[i] = _crash_reason(one)
        for i, _vec in runnable:
            o = outcomes[i]
            if i not in printed:
                o.reason = errors.get(i) or _crash_reason(run)
                continue
            o.c = _canonical_c(printed[i], task)
            diffs = [n for n in output_names(task) if o.c.get(n) != (o.python or {}).get(n)]
            o.ok = not diffs
            if diffs:
                n = diffs[0]
                o.reason = (f"{n}: C gave {o.c.get(n)!r}, the Python reference {(o.python or {}).get(n)!r} "
                            f"(if an intermediate value outgrew int{task.hardware.int_width}_t, widen "
                            "hardware.int_width)")
    report.outcomes = [outcomes[i] for i in sorted(outcomes)]
    return report


def _canonical_c(printed: dict[str, Any], task: Task) -> dict[str, Any]:
    from pipeline.vectors import canonical

    out = {}
    for name, value in printed.items():
        p = task.signature.param(name)
        out[name] = canonical(from_c(value, p.type), p.type) if p is not None else value
    return out


def _crash_reason(run) -> str:
    if run.timed_out:
        return "the C simulation timed out"
    text = run.stderr.strip().splitlines()
    hit = next((ln for ln in text if "runtime error" in ln), None)
    if hit:
        return "undefined behaviour in C: " + hit.split("runtime error:", 1)[1].strip() + \
            " (a value outgrew its C type: widen hardware.int_width?)"
    return f"the C simulation exited with {run.returncode}" + (f": {text[-1]}" if text else "")


def check_python(
    python_source: str, task: Task, work_dir: str | Path, timeout: float = 20.0, memory_mb: int = 1024,
) -> tuple[CProgram, SimReport]:
    """Compile ``python_source`` to C and simulate it against the model on ``task.tests`` (tests, tools).

    Raises:
        NotSynthesizable: the model has no hardware form.
    """
    from hls.hls_c import compile_to_c
    from hls.hls_c.model_run import run_reference

    work = Path(work_dir)
    work.mkdir(parents=True, exist_ok=True)
    program = compile_to_c(python_source, task)
    model = work / "model.py"
    model.write_text(python_source)
    reference = run_reference(model, task, task.tests, work, timeout=timeout, memory_mb=memory_mb)
    return program, simulate(program, task, reference, work, timeout=timeout, memory_mb=memory_mb)
