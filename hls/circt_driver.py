"""MLIR (func/cf/arith/memref) → Verilog with the CIRCT Python wheel's handshake (dynamically scheduled) flow.

This script runs inside the HLS toolchain environment (Python >= 3.13 with ``circt``), never inside the
project's own interpreter: it imports nothing from the project. The circt backend calls it as

    python circt_driver.py IN.mlir OUT.v [--handshake OUT.mlir] [--buffer-strategy all] [--buffer-size 2]

and reads one JSON line from stdout (``{"ok": true, "modules": [...], "top_ports": [...]}``); errors go to
stderr with exit status 1.

Facts measured with circt 1.162 (see the README, "Hardware backends"):

* ``memref`` is not among the dialects ``register_dialects`` loads; running the first passes of the
  pipeline on an empty module loads it (and the other dependent dialects) into the context.
* ``handshake-lower-extmem-to-hw`` packs a store port's address and data into a ``hw.struct``; buffering
  that channel leaves ``struct packed`` registers that Icarus accepts but yosys 0.23 rejects. Lowering the
  external memories after buffer insertion and flattening struct ports (``hw-flatten-io``) gives plain
  Verilog-2005 ports and registers.
* ``lower-cf-to-handshake`` needs every merge block to have two predecessors ("Did you run the merge block
  insertion pass?"); CIRCT's ``insert-merge-blocks`` crashed on some functions (a one-block function with
  two arrays), so the MLIR emitter adds the merge blocks itself (:mod:`hls.ssa`).
* The lowering options ``disallowLocalVariables,disallowPackedArrays,locationInfoStyle=none`` must be set
  only for export: set before the passes they make ``hw-legalize-modules`` reject the store ports.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

LOWERING_OPTIONS = "disallowLocalVariables,disallowPackedArrays,disallowPackedStructAssignments,locationInfoStyle=none"


def pipeline(strategy: str, size: int) -> str:
    """The pass pipeline; ``strategy``/``size`` are those of ``handshake-insert-buffers``."""
    return (
        "builtin.module("
        "flatten-memref, func.func(handshake-legalize-memrefs), lower-cf-to-handshake, "
        "handshake.func(canonicalize, handshake-materialize-forks-sinks, canonicalize, "
        f"handshake-insert-buffers{{strategy={strategy} buffer-size={size}}}, canonicalize), "
        "handshake-lower-extmem-to-hw, handshake.func(canonicalize), "
        "lower-handshake-to-hw, canonicalize, lower-esi-ports, lower-esi-to-physical, lower-esi-to-hw, canonicalize, "
        "hw-flatten-io, canonicalize, hw.module(lower-seq-hlmem), lower-seq-to-sv, hw.module(hw-cleanup), "
        "hw.module(hw-legalize-modules), canonicalize, hw.module(prettify-verilog))"
    )


HANDSHAKE_ONLY = (
    "builtin.module(flatten-memref, func.func(handshake-legalize-memrefs), lower-cf-to-handshake, "
    "handshake.func(canonicalize, handshake-materialize-forks-sinks, canonicalize))"
)
DIALECT_LOADER = "builtin.module(flatten-memref, func.func(handshake-legalize-memrefs), lower-cf-to-handshake)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mlir")
    parser.add_argument("verilog")
    parser.add_argument("--handshake", help="also write the handshake-level MLIR here")
    parser.add_argument("--buffer-strategy", default="cycles", choices=["all", "cycles", "allFIFO"])
    parser.add_argument("--buffer-size", type=int, default=2)
    parser.add_argument("--pre-pipeline", default="", help="passes run first, e.g. 'func.func(canonicalize, cse)'")
    args = parser.parse_args(argv)
    try:
        import circt
        from circt.ir import Context, Module, StringAttr
        from circt.passmanager import PassManager
    except ImportError as exc:
        print(f"the circt Python package is not importable here ({sys.executable}): {exc}", file=sys.stderr)
        return 1
    start = time.monotonic()
    text = open(args.mlir, encoding="utf-8").read()
    try:
        with Context():
            ctx = Context.current
            circt.register_dialects(ctx)
            PassManager.parse(DIALECT_LOADER).run(Module.parse("module {}").operation)
            if args.handshake:
                hs = Module.parse(text)
                PassManager.parse(HANDSHAKE_ONLY).run(hs.operation)
                with open(args.handshake, "w", encoding="utf-8") as fh:
                    fh.write(str(hs))
            module = Module.parse(text)
            if args.pre_pipeline:
                PassManager.parse(f"builtin.module({args.pre_pipeline})").run(module.operation)
            PassManager.parse(pipeline(args.buffer_strategy, args.buffer_size)).run(module.operation)
            module.operation.attributes["circt.loweringOptions"] = StringAttr.get(LOWERING_OPTIONS)
            with open(args.verilog, "w", encoding="utf-8") as fh:
                circt.export_verilog(module, fh)
            names = [str(op.attributes["sym_name"]).strip('"') for op in module.body.operations
                     if "sym_name" in op.attributes]
    except Exception as exc:  # MLIRError carries the diagnostics; print them for the backend's log
        print(f"circt flow failed: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"ok": True, "modules": names, "seconds": round(time.monotonic() - start, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
