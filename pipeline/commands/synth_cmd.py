"""p2s synth: a Dafny file through verify → python → c → rtl → cosim → estimate, with a stage table."""

from __future__ import annotations

import argparse

HELP = "take a Dafny file to verified, co-simulated RTL: verify, python, c, rtl, cosim, estimate"
EPILOG = """examples:
  p2s synth benchmarks/examples/max_array.dfy --task benchmarks/examples/max_array.yaml
  p2s synth F.dfy --task T.yaml --hls circt --set buffer_strategy=all     # a CIRCT backend setting
  p2s synth F.dfy --task T.yaml --hls vitis --part xc7z020clg400-1       # needs vitis_hls (or --runner container)
  p2s synth F.dfy --task T.yaml --hls bambu --runner container              # the bambu image (p2s images build bambu)
  p2s synth F.dfy --task T.yaml --simulator verilator --family xilinx --no-fmax
The run folder holds report.json (every stage's status, seconds, detail, artifacts; cycles and resources)
and one folder per stage. Exit status 0 only when every stage passed.
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    from pipeline.commands.hw_args import add_hls_argument, add_runner_argument

    p.add_argument("file", metavar="FILE.dfy", help="the Dafny program")
    p.add_argument("--task", required=True, help="task YAML file (signature, pinned spec, test vectors)")
    add_hls_argument(p)
    add_runner_argument(p)
    p.add_argument("--simulator", default="icarus", choices=["icarus", "verilator"], help="RTL simulator")
    p.add_argument("--out", help="run folder (default runs/{task}__{hls}__{seed}__{time})")
    p.add_argument("--seed", type=int, default=0, help="recorded in the run (the hardware stages are deterministic)")
    p.add_argument("--clock-period", type=float, help="target clock in ns (default: the task's clock_period_ns)")
    p.add_argument("--part", help="FPGA part for vitis/vivado (default xc7z020clg400-1)")
    p.add_argument("--device", help="Bambu --device-name (default xc7z020-1clg400)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a backend setting, e.g. buffer_strategy=all (circt), compiler=I386_GCC8 (bambu)")
    p.add_argument("--family", default="ice40", choices=["ice40", "xilinx", "generic"],
                   help="yosys target for the estimate")
    p.add_argument("--no-fmax", action="store_true", help="skip place and route (nextpnr-ice40) in the estimate")
    p.add_argument("--verify-timeout", type=float, default=60.0, help="seconds per verifier call")
    p.add_argument("--json", action="store_true", help="print report.json instead of the table")


def parse_settings(pairs: list[str]) -> dict:
    """``KEY=VALUE`` strings → settings with ints, floats and booleans recognised."""
    from pipeline.errors import UserError

    out: dict = {}
    for pair in pairs:
        if "=" not in pair:
            raise UserError(f"--set {pair!r}: expected KEY=VALUE")
        key, value = pair.split("=", 1)
        low = value.lower()
        if low in ("true", "false"):
            out[key] = low == "true"
            continue
        for kind in (int, float):
            try:
                out[key] = kind(value)
                break
            except ValueError:
                continue
        else:
            out[key] = value
    return out


def hardware_summary(ctx) -> dict:
    """Cycles per vector and resource counts, lifted out of the stage metrics for report.json."""
    summary: dict = {}
    for r in ctx.results:
        if r.stage == "cosim" and r.metrics:
            summary["cycles"] = r.metrics.get("cycles")
            summary["vectors_passed"] = r.metrics.get("vectors_passed")
            summary["vectors_total"] = r.metrics.get("vectors_total")
        if r.stage == "estimate" and r.metrics:
            summary.update({k: r.metrics.get(k) for k in ("family", "lut", "ff", "dsp", "bram", "fmax_mhz")})
        if r.stage == "rtl" and r.metrics:
            summary["backend"] = r.metrics.get("backend")
    return summary


def print_table(ctx) -> None:
    from pipeline.display import print_stage_table

    print_stage_table(ctx, f"p2s synth {ctx.task.id} ({ctx.options.hls})", f"report: {ctx.out_dir / 'report.json'}",
                      detail_width=110)


def run(args: argparse.Namespace) -> int:
    import time
    from pathlib import Path

    from pipeline.commands.run_cmd import check_out_dir
    from pipeline.errors import UserError
    from pipeline.runner import run_dafny_file, run_passed, write_report
    from pipeline.stage import RunOptions
    from pipeline.task import load_task

    dafny = Path(args.file)
    if not dafny.is_file():
        raise UserError(f"{dafny}: no such Dafny file")
    task = load_task(args.task)
    hls_options: dict = {"settings": parse_settings(args.set)}
    for key, value in (("clock_period_ns", args.clock_period), ("part", args.part), ("device", args.device)):
        if value is not None:
            hls_options[key] = value
    extra = {"hls_options": hls_options, "estimate_family": args.family, "fmax": not args.no_fmax}
    options = RunOptions(hls=args.hls, runner=args.runner, simulator=args.simulator, seed=args.seed,
                         verify_timeout=args.verify_timeout, extra=extra)
    out = Path(args.out or f"runs/{task.id}__{args.hls}__{args.seed}__{time.strftime('%Y%m%d-%H%M%S')}")
    check_out_dir(out, given=bool(args.out))
    ctx = run_dafny_file(task, dafny, out, options)
    write_report(ctx, {"hardware": hardware_summary(ctx)})
    if args.json:
        print((ctx.out_dir / "report.json").read_text())
    else:
        print_table(ctx)
    return 0 if run_passed(ctx.results) else 1
