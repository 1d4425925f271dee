"""yosys-smtbmc, as an EDA tool: yosys turns the harness and the design into an SMT-LIB model, yosys-smtbmc
checks its assertions step by step with Z3 (bounded model checking, or k-induction for ``prove``).

Debian's yosys ships ``yosys-smtbmc``; Z3 comes from the ``z3`` package (Debian's Boolector 1.5 does not
speak what yosys-smtbmc sends, so it is not offered).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from hls.eda_tool import EdaTool

YOSYS_SCRIPT = """read_verilog -sv {design}
read_verilog -formal -sv {harness}
prep -top p2s_formal
async2sync
dffunmap
write_smt2 -wires model.smt2
"""

_ANYCONST = re.compile(r"Value for anyconst (?:\S+\.)?(?P<name>\w+) \(.*?\): (?P<value>-?\d+)")
_ASSERT = re.compile(r"Assert failed in \S+: \S+?:(?P<line>\d+)\.")
_STEP = re.compile(r"Checking assertions in step (?P<step>\d+)")


@dataclass
class SmtbmcOutcome:
    """What the solver said: ``passed`` / ``failed`` / ``unknown`` (a timeout or an error, with ``detail``)."""

    status: str
    seconds: float
    detail: str = ""
    failed_line: int | None = None  # the harness line of the failing assertion
    values: dict[str, int] = field(default_factory=dict)  # anyconst register -> value (a counterexample)
    steps: int = 0  # the last step checked
    vcd: str = ""


class YosysSmtbmc(EdaTool):
    name = "yosys-smtbmc"
    tools = ("yosys", "yosys-smtbmc", "z3")

    def check_design(self, harness: Path, design: list[str], work: Path, depth: int, timeout: float,
                     induction: bool = False) -> SmtbmcOutcome:
        """Model-check the harness to ``depth`` steps (with ``induction``: k-induction of that depth)."""
        self.check()
        start = time.monotonic()
        if len(design) != 1:
            joined = work / "design.v"
            joined.write_text("\n".join(Path(f).read_text(encoding="utf-8") for f in design), encoding="utf-8")
            design = [str(joined)]
        script = work / "formal.ys"
        script.write_text(YOSYS_SCRIPT.format(design=design[0], harness=harness.name), encoding="utf-8")
        res = self.launcher.run("yosys", ["-q", "-l", "yosys.log", script.name], work, timeout,
                                work / "yosys-run.log")
        if res.returncode != 0 or res.timed_out:
            tail = (work / "yosys.log").read_text(errors="replace").strip().splitlines()[-3:] if (
                work / "yosys.log").is_file() else []
            return SmtbmcOutcome("unknown", time.monotonic() - start,
                                 "yosys could not build the model: " + " | ".join(tail or [res.output[-300:]]))
        left = max(1.0, timeout - (time.monotonic() - start))
        args = ["-s", "z3", "-t", str(depth), "--dump-vcd", "counterexample.vcd", "model.smt2"]
        if induction:
            args.insert(0, "-i")
        res = self.launcher.run("yosys-smtbmc", args, work, left, work / "smtbmc.log")
        return parse_smtbmc(res.output, res.timed_out, time.monotonic() - start, work / "counterexample.vcd")


def parse_smtbmc(text: str, timed_out: bool, seconds: float, vcd: Path) -> SmtbmcOutcome:
    """Read yosys-smtbmc's log: its status line, the anyconst values and the failing assertion's line."""
    steps = [int(m.group("step")) for m in _STEP.finditer(text)]
    last = max(steps, default=0)
    if timed_out:
        return SmtbmcOutcome("unknown", seconds, f"the solver did not finish (checked up to step {last})",
                             steps=last)
    if "Status: PASSED" in text:
        return SmtbmcOutcome("passed", seconds, steps=last)
    if "Status: FAILED" in text:
        m = _ASSERT.search(text)
        values = {v.group("name"): int(v.group("value")) for v in _ANYCONST.finditer(text)}
        return SmtbmcOutcome("failed", seconds, failed_line=int(m.group("line")) if m else None, values=values,
                             steps=last, vcd=str(vcd) if vcd.is_file() else "")
    tail = " | ".join(ln.strip() for ln in text.strip().splitlines()[-3:])
    return SmtbmcOutcome("unknown", seconds, f"yosys-smtbmc gave no verdict: {tail[:300]}", steps=last)
