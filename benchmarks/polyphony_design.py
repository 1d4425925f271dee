"""Polyphony 0.4.2's design of a QoR kernel, under the ``ap_ctrl_hs`` protocol the co-simulation drives.

Why Polyphony: it is the open Python-to-Verilog HLS tool that installs here (PyPI, in the HLS environment), so
"cycles no worse than an existing open HLS tool" is measured, not assumed. It compiles Python, not our C, so each
kernel is written by hand in ``benchmarks/qor/polyphony/`` as the task's reference algorithm in Python; only
scalar kernels: Polyphony 0.4.2 rejects a list argument of a function module ("Unsupported type of function module
argument"). Its function module speaks ready / valid / accept; a wrapper of ours (one register) turns that into
``ap_start`` / ``ap_done`` with the C top's port names, ``accept`` tied high, so the testbench and the yosys flow
are the ones every other design gets. The wrapper's register and gates count in the design's size.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from hls.cfront import CSignature
from hls.toolenv import hls_venv

SOURCES = Path(__file__).resolve().parent / "qor" / "polyphony"
KERNELS = tuple(sorted(p.stem for p in SOURCES.glob("*.py")))
_PORT = re.compile(r"(input|output)\s+(?:wire|reg)\s+(?:signed\s+)?(?:\[(\d+):0\]\s*)?(\w+)")


class PolyphonyError(RuntimeError):
    """Polyphony is not installed, or did not compile the kernel."""


def polyphony() -> Path:
    exe = hls_venv() / "bin" / "polyphony"
    if not exe.exists():
        raise PolyphonyError(f"{exe} not found: run 'make setup' (installs polyphony==0.4.2 in the HLS environment)")
    return exe


def compile_kernel(kernel: str, out: Path, signature: CSignature) -> list[Path]:
    """Compile ``kernel``'s Python with Polyphony into ``out`` and wrap its function module as ``signature``'s
    top; the Verilog files of the design (the wrapper first)."""
    out.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run([str(polyphony()), "-d", f"{out}/", str(SOURCES / f"{kernel}.py")], capture_output=True,
                          text=True, timeout=300)
    (out / "polyphony.log").write_text(proc.stdout + proc.stderr)
    module = next((p for p in out.glob(f"{signature.name}_*.v")), None)
    if proc.returncode != 0 or module is None:
        raise PolyphonyError(f"polyphony did not compile {kernel}: {(proc.stdout + proc.stderr).strip()[-300:]}")
    wrapper = out / f"{signature.name}.v"
    wrapper.write_text(ap_ctrl_wrapper(module.read_text(), signature))
    return [wrapper, module]


def ap_ctrl_wrapper(module_text: str, signature: CSignature) -> str:
    """Verilog of ``signature.name`` with ``ap_ctrl_hs`` ports around the Polyphony function module in
    ``module_text``: ``ap_start`` while idle is ``ready``, ``valid`` is ``ap_done``, ``out_0`` is ``ap_return``."""
    inner = module_text.split("module ", 1)[1].split()[0].strip("(")
    ports = {name: int(msb or 0) + 1 for _, msb, name in _PORT.findall(module_text.split(");", 1)[0])}
    lines = [f"// ap_ctrl_hs around Polyphony's {inner} (benchmarks/polyphony_design.py)",
             f"module {signature.name} (", "  input wire ap_clk, input wire ap_rst, input wire ap_start,",
             "  output wire ap_done, output wire ap_idle, output wire ap_ready,"]
    lines += [f"  input wire [{p.ctype.width - 1}:0] {p.name}," for p in signature.params]
    ret_w = signature.returns.width if signature.returns is not None else 32
    lines += [f"  output wire [{ret_w - 1}:0] ap_return", ");", "  reg busy = 1'b0;", "  wire valid;",
              f"  wire [{ports[f'{inner}_out_0'] - 1}:0] result;",
              f"  {inner} core (.clk(ap_clk), .rst(ap_rst), .{inner}_ready(ap_start && !busy), "
              f".{inner}_accept(1'b1),"]
    lines += [f"    .{inner}_in_{p.name}({p.name})," for p in signature.params]
    lines += [f"    .{inner}_out_0(result), .{inner}_valid(valid));",
              "  assign ap_done = busy && valid;", "  assign ap_ready = ap_done;", "  assign ap_idle = !busy;",
              "  assign ap_return = result;",
              "  always @(posedge ap_clk) begin",
              "    if (ap_rst) busy <= 1'b0;",
              "    else if (!busy && ap_start) busy <= 1'b1;",
              "    else if (busy && valid) busy <= 1'b0;",
              "  end", "endmodule", ""]
    return "\n".join(lines)
