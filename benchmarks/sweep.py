"""Sweep one hardware option over a task and plot what the hardware costs: an example of the Python API.

    python -m benchmarks.sweep benchmarks/examples/max_array.yaml --param int_width --values 8,16,32 \
        --out runs/sweep-width

For each value it runs the whole chain on the task's reference solution with that option, then prints a
table (cosim status, cycles, LUT, FF) and writes ``sweep.csv`` and ``sweep.png``.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path

from pipeline.api import load_task, run_pipeline, with_hardware

FIGURES = [("cosim", "cycles_max"), ("estimate", "lut"), ("estimate", "ff")]


def sweep(task_path: str, param: str, values: list[float], out: Path) -> list[dict]:
    task = load_task(task_path)
    rows = []
    for value in values:
        variant = with_hardware(task, **{param: value})
        report = run_pipeline(variant, out_dir=out / f"{param}={value}")
        row = {param: value, "ok": report.ok}
        for stage, metric in FIGURES:
            row[f"{stage}.{metric}"] = report.metric(stage, metric)
        failed = next((s for s in report.stages if s.status.value != "pass"), None)
        row["first_failure"] = f"{failed.stage}: {failed.detail}" if failed else ""
        rows.append(row)
        print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    return rows


def plot(rows: list[dict], param: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3.2))
    xs = [r[param] for r in rows]
    for _, metric in FIGURES[1:]:
        ys = [r[f"estimate.{metric}"] for r in rows]
        if any(y is not None for y in ys):
            ax.plot(xs, [y if y is not None else float("nan") for y in ys], marker="o", label=metric.upper())
    ax.set_xlabel(param)
    ax.set_ylabel("cells (yosys)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("task")
    ap.add_argument("--param", default="int_width", help="a hardware option (int_width, clock_period_ns, unroll, ...)")
    ap.add_argument("--values", default="8,16,32")
    ap.add_argument("--out", default="runs/sweep")
    args = ap.parse_args(argv)
    values = [float(v) if "." in v else int(v) for v in args.values.split(",")]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = sweep(args.task, args.param, values, out)
    with (out / "sweep.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    plot(rows, args.param, out / "sweep.png")
    print(f"wrote {out / 'sweep.csv'} and {out / 'sweep.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
