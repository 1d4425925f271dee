"""Quality of results: kernels x backends (cycles, LUT, FF, DSP, Fmax), each against a hand-written design.

Usage::

    .venv/bin/python -m benchmarks.qor [--backends circt,static,polyphony] [--kernels gcd,clamp,...] [--fmax]
                                       [--out runs/qor] [--records benchmarks/results/qor/records.jsonl]
    .venv/bin/python -m benchmarks.qor --report     # the table from the committed records alone

Each kernel is a task of the core suite with a hand-written Verilog design in ``benchmarks/qor/`` (the same
algorithm, the ``ap_ctrl_hs`` protocol, ``ap_memory`` ports). Every design, generated or hand-written, goes
through the same steps on the task's own vectors: the co-simulation (cycles from start to done, every output
checked) and yosys ``synth_ice40`` (LUT, FF, DSP; with ``--fmax`` also nextpnr-ice40's Fmax). The hand designs
take the generated C's port mapping (``python`` and ``c`` stages of the reference), so their testbench is the
one a backend's design gets. ``polyphony`` is Polyphony 0.4.2's design of the scalar kernels, from Python
written for it (:mod:`benchmarks.polyphony_design`), compared on cycles with each backend. One record per kernel and
backend (resumable: a kernel already measured at this commit is skipped); the report prints the table, each
backend's ratio to hand per kernel and the geometric means, the figures of ``docs/results/qor.md``.
"""

from __future__ import annotations

import argparse
import math
import shutil
import sys
from pathlib import Path
from typing import Any

from benchmarks.polyphony_design import KERNELS as POLYPHONY_KERNELS
from pipeline.journal import Journal

REPO = Path(__file__).resolve().parents[1]
HAND = REPO / "benchmarks" / "qor"
RECORDS = REPO / "benchmarks" / "results" / "qor" / "records.jsonl"
KERNELS = ("abs_diff", "clamp", "gcd", "isqrt", "popcount32", "seq_sum", "dot_product", "linear_search")
BACKENDS = ("circt", "static", "polyphony")
GIVEN = ("hand", "polyphony")  # designs made outside the pipeline's backends
COLUMNS = ("cycles_max", "cycles_mean", "lut", "ff", "dsp", "fmax_mhz")


def _commit() -> str:
    from pipeline.provenance import git_commit

    return git_commit() or "unknown"


def measure(kernel: str, backend: str, out: Path, fmax: bool) -> dict[str, Any]:
    """Run ``kernel``'s reference to a design with ``backend`` (``hand``: the design in ``benchmarks/qor/``),
    co-simulate it and size it; the record of the measurement."""
    from pipeline.runner import prepare_run, run_stages
    from pipeline.stage import DEFAULT_HLS, RunOptions, Status
    from pipeline.suites import load_suite

    task = next(t for t in load_suite("core") if t.id == kernel)
    given = backend in GIVEN
    options = RunOptions(hls=DEFAULT_HLS if given else backend, extra={"fmax": fmax})
    ctx = prepare_run(task, out / backend / kernel, options)
    candidate = ctx.out_dir / "candidate.dfy"
    candidate.write_text(task.reference or "")
    ctx.artifacts["dafny"] = str(candidate)
    results = run_stages(ctx, ["python", "c"] + ([] if given else ["rtl"]))
    failed = next((r for r in results if r.status is not Status.PASS), None)
    if failed is None:
        if given:
            _given_rtl(ctx, kernel, backend)
        results += run_stages(ctx, ["cosim", "estimate"])
        failed = next((r for r in results if r.status is not Status.PASS), None)
    row: dict[str, Any] = {"kernel": kernel, "backend": backend, "commit": _commit(), "passed": failed is None}
    if failed is not None:
        row["failed"] = f"{failed.stage}: {failed.detail}"[:300]
    metrics = {k: v for r in results for k, v in r.metrics.items()}
    for col in COLUMNS:
        row[col] = metrics.get(col)
    return row


def _given_rtl(ctx, kernel: str, backend: str) -> None:
    """Describe a design made outside the pipeline (``hand``: the hand-written one; ``polyphony``: Polyphony's
    from ``benchmarks/qor/polyphony/``) as an HLS backend's result would (``rtl_json``) for the later stages."""
    from benchmarks.polyphony_design import compile_kernel
    from hls.ap_ctrl import VITIS_NAMING, ap_ctrl_interface
    from hls.cfront import top_signature
    from hls.rtl_result import RtlResult
    from hls.verilog_ports import read_ports_from_files

    c_source = Path(ctx.artifacts["c"]).read_text()
    top = Path(HAND / f"{kernel}.v").read_text().split("module ", 1)[1].split()[0].strip("(")
    signature = top_signature(c_source, top)
    out = ctx.stage_dir("rtl")
    if backend == "polyphony":
        files = compile_kernel(kernel, out / "polyphony", signature)
    else:
        files = [out / f"{kernel}.v"]
        shutil.copyfile(HAND / f"{kernel}.v", files[0])
    iface = ap_ctrl_interface(signature, read_ports_from_files(files[:1], top), VITIS_NAMING, backend)
    rtl = RtlResult(backend=backend, top_module=top, verilog_files=[str(f) for f in files], interface=iface,
                    reports={}, log_path=str(out / "none.log"), seconds=0.0)
    rtl.save(out / "rtl.json")
    ctx.artifacts.update({"rtl_json": str(out / "rtl.json"), "verilog": str(files[0])})


def geomean(values: list[float]) -> float | None:
    values = [v for v in values if v and v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else None


def report(rows: list[dict[str, Any]], backends: list[str]) -> str:
    """The kernels x backends table with each backend's ratio to hand, and the geometric means of the ratios."""
    by = {(r["kernel"], r["backend"]): r for r in rows}
    kernels = [k for k in KERNELS if any((k, b) in by for b in backends)]
    commits = sorted({r["commit"][:7] for r in rows})
    lines = [f"Command: `python -m benchmarks.qor`, measured at {', '.join(f'commit `{c}`' for c in commits)}; "
             "yosys `synth_ice40` counts, cycles from the co-simulation on the task's vectors.", "",
             "| kernel | design | cycles max / mean | LUT | FF | DSP | Fmax MHz | vs hand: cycles / LUT / FF |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    ratios: dict[str, dict[str, list[float]]] = {b: {"cycles": [], "lut": [], "ff": []} for b in backends}
    for k in kernels:
        hand = by.get((k, "hand"))
        for b in ["hand", *backends]:
            r = by.get((k, b))
            if r is None:
                continue
            if not r["passed"]:
                lines.append(f"| {k} | {b} | failed: {r.get('failed', '?').replace('|', '/')[:90]} | | | | | |")
                continue
            vs = ""
            if b != "hand" and hand and hand["passed"]:
                got = {m: _ratio(r, hand, col) for m, col in (("cycles", "cycles_mean"), ("lut", "lut"), ("ff", "ff"))}
                for m, v in got.items():
                    if v:
                        ratios[b][m].append(v)
                vs = " / ".join(f"{v:.2f}x" if v else "-" for v in got.values())
            fmax = f"{r['fmax_mhz']:.1f}" if r.get("fmax_mhz") else "-"
            lines.append(f"| {k} | {b} | {r['cycles_max']} / {r['cycles_mean']} | {r['lut']} | {r['ff']} | "
                         f"{r['dsp']} | {fmax} | {vs} |")
    lines += _against_polyphony(by, kernels, backends)
    lines += ["", "Geometric means of the ratios to the hand-written designs:", "",
              "| backend | cycles | LUT | FF | kernels |", "| --- | --- | --- | --- | --- |"]
    for b in backends:
        g = {m: geomean(v) for m, v in ratios[b].items()}
        lines.append(f"| {b} | " + " | ".join(f"{v:.2f}x" if v else "-" for v in g.values())
                     + f" | {len(ratios[b]['lut'])} |")
    return "\n".join(lines) + "\n"


def _against_polyphony(by: dict[tuple[str, str], dict[str, Any]], kernels: list[str],
                       backends: list[str]) -> list[str]:
    """Each backend's cycles against Polyphony's on the kernels Polyphony expresses (the scalar ones)."""
    others = [b for b in backends if b != "polyphony"]
    shared = [k for k in kernels if by.get((k, "polyphony"), {}).get("passed")]
    if "polyphony" not in backends or not shared or not others:
        return []
    lines = ["", "Cycles (mean over the vectors) against Polyphony 0.4.2's, on the kernels it expresses:", "",
             "| kernel | polyphony | " + " | ".join(others) + " |", "| --- | --- | " + " | ".join("---" for _ in others)
             + " |"]
    for k in shared:
        poly = by[(k, "polyphony")]["cycles_mean"]
        cells = []
        for b in others:
            r = by.get((k, b))
            cells.append(f"{r['cycles_mean']} ({r['cycles_mean'] / poly:.2f}x)" if r and r["passed"] else "-")
        lines.append(f"| {k} | {poly} | " + " | ".join(cells) + " |")
    for b in others:
        rows = [by.get((k, b)) for k in shared]
        ok = sum(1 for k, r in zip(shared, rows, strict=True) if r and r["passed"]
                 and r["cycles_mean"] <= by[(k, "polyphony")]["cycles_mean"])
        lines.append(f"\n{b}: cycles no more than Polyphony's on {ok} of {len(shared)} kernels.")
    return lines


def _ratio(row: dict[str, Any], hand: dict[str, Any], col: str) -> float | None:
    a, b = row.get(col), hand.get(col)
    return a / b if a and b else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated HLS backends to compare")
    ap.add_argument("--kernels", default=",".join(KERNELS), help="comma-separated kernels (core task ids)")
    ap.add_argument("--fmax", action="store_true", help="also place and route with nextpnr-ice40 (slow)")
    ap.add_argument("--out", type=Path, default=REPO / "runs" / "qor", help="run folders")
    ap.add_argument("--records", type=Path, default=RECORDS, help="the measurement records (resumed)")
    ap.add_argument("--rerun", action="store_true", help="measure again what the records hold at this commit")
    ap.add_argument("--report", action="store_true", help="only print the table of the records")
    args = ap.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    kernels = [k.strip() for k in args.kernels.split(",") if k.strip()]
    unknown = [k for k in kernels if k not in KERNELS]
    if unknown:
        print(f"p2s: error: --kernels {','.join(unknown)}: no hand-written design (have: {', '.join(KERNELS)})",
              file=sys.stderr)
        return 2
    journal = Journal(args.records)
    if not args.report:
        commit = _commit()
        done = {(r["kernel"], r["backend"]) for r in journal.records() if r.get("commit") == commit}
        for k in kernels:
            for b in ["hand", *backends]:
                if (k, b) in done and not args.rerun or (b == "polyphony" and k not in POLYPHONY_KERNELS):
                    continue
                print(f"{k} / {b} ...", file=sys.stderr, flush=True)
                row = measure(k, b, args.out, args.fmax)
                row["task"] = f"{k}/{b}"
                journal.append(row)
    rows = [r for r in journal.records() if r["backend"] in ["hand", *backends]]
    print(report(rows, backends), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
