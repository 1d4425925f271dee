"""The width proof as the ``c`` stage runs it: which program, which options, which files.

The proof reads the program as the verify stage verified it (``verified_dfy``: spliced contract, bridged
dialect); the spec clauses of that program are then assumed in the variant (they were proved). Without it (a
run that starts at the python stage) the candidate ``dafny`` goes through the same gate and bridge, and the
variant re-checks the program's own proof as well. The map from the verified text back to the candidate's
lines comes from redoing the gate and bridge on the candidate (the same deterministic rewrite the verify stage
did). Files written into the stage folder: ``width_proof.json`` (the :class:`~verifiers.width_proof.WidthProof`),
``width_proof.txt`` (the human report) and ``width_intW.dfy`` (the variant Dafny saw at each width).

``hardware.width_proof: off`` skips the proof (status ``skipped``; every report says so).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipeline.errors import ToolMissingError
from pipeline.stage import RunContext
from pipeline.task import Task
from verifiers.rewrite import Rewrite
from verifiers.width_proof import WidthProof, is_off, prove_widths


def candidate_map(source: str, task: Task | None, dialect: str) -> tuple[Rewrite | None, str]:
    """Gate and bridge ``source`` as the verify stage does: (map from the result to ``source``, why not)."""
    from verifiers.bridge import bridge
    from verifiers.front.lexer import LexError, gate_tokens
    from verifiers.integrity import gate

    try:
        tokens = gate_tokens(source)
    except LexError as exc:
        return None, f"the Dafny program cannot be read: {exc}"
    checked = gate(source, task, tokens)
    if not checked.ok:
        first = checked.violations[0]
        return None, f"the Dafny program does not pass the integrity gate (line {first.line}: {first.message})"
    bridged = bridge(checked.rewrite.text, dialect)
    return checked.rewrite.then(bridged.rewrite), ""


def program_for_proof(ctx: RunContext, dialect: str) -> tuple[str | None, bool, Rewrite | None, str]:
    """(program text, verified by the verify stage, map to the candidate's lines, why there is none)."""
    verified_path = ctx.artifacts.get("verified_dfy")
    candidate_path = ctx.artifacts.get("dafny")
    candidate = Path(candidate_path).read_text(encoding="utf-8") if candidate_path and Path(
        candidate_path).is_file() else None
    if verified_path and Path(verified_path).is_file():
        text = Path(verified_path).read_text(encoding="utf-8")
        origin = None
        if candidate is not None:
            mapping, _ = candidate_map(candidate, ctx.task, dialect)
            origin = mapping if mapping is not None and mapping.text == text else None
        return text, True, origin, ""
    if candidate is not None:
        mapping, why = candidate_map(candidate, ctx.task, dialect)
        if mapping is None:
            return None, False, None, why
        return mapping.text, False, mapping, ""
    return None, False, None, ("no Dafny program in the run (artifact 'verified_dfy' or 'dafny'): run the verify "
                               "stage first, or set hardware.width_proof: off")


def stage_width_proof(ctx: RunContext, out: Path) -> WidthProof:
    """Run the width proof for the ``c`` stage and write its files into ``out`` (never raises on user input)."""
    from verifiers.dafny import Dafny

    hw = ctx.task.hardware
    if is_off(hw.extra.get("width_proof", "on")):
        proof = WidthProof("skipped", hw.int_width, hw.max_int_width,
                           reason=f"the hardware computes in int{hw.int_width}_t with no proof that no value overflows")
        return _save(proof, out)
    try:
        dafny = Dafny()
    except ToolMissingError as exc:
        return WidthProof("skipped", hw.int_width, hw.max_int_width, reason=str(exc), tool_missing=True)
    text, verified, origin, why = program_for_proof(ctx, dafny.dialect)
    if text is None:
        return _save(WidthProof("error", hw.int_width, hw.max_int_width, reason=why), out)
    proof = prove_widths(text, ctx.task.signature.name, hw.int_width, hw.max_int_width, hw.max_array_length,
                         timeout=ctx.options.verify_timeout, dafny=dafny, origin=origin, verified=verified)
    return _save(proof, out)


def _save(proof: WidthProof, out: Path) -> WidthProof:
    out.mkdir(parents=True, exist_ok=True)
    data: dict[str, Any] = proof.to_dict()
    (out / "width_proof.json").write_text(json.dumps(data, indent=2))
    (out / "width_proof.txt").write_text(proof.report())
    for a in proof.attempts:
        if a.variant:
            (out / f"width_int{a.width}.dfy").write_text(a.variant)
    proof.artifacts = {"width_proof": str(out / "width_proof.json")}
    return proof
