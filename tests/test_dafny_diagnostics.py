"""The parser of Dafny's text output, on outputs of the real Dafny (and Dafny 4's format, as documented)."""

from __future__ import annotations

import pytest

from pipeline.process import run_command
from tests.support import needs_dafny
from verifiers.diagnostics import Diagnostic, VerificationResult, parse_output


def run_dafny(tmp_path, text: str) -> tuple[str, int]:
    """Real Dafny output on ``text`` (the legacy CLI the installed 2.x speaks, or ``dafny verify``)."""
    from verifiers.dafny import Dafny

    d = Dafny()
    (tmp_path / "p.dfy").write_text(text)
    res = run_command(d.verify_argv("p.dfy", 20), cwd=tmp_path, timeout=120)
    return res.output, res.returncode


@needs_dafny
def test_verification_errors_with_related_locations(tmp_path):
    out, rc = run_dafny(tmp_path, "method M(x: int) returns (y: int)\n  ensures y > x\n{\n  y := x;\n}\n"
                                  "function method F(x: int): int requires x > 0 { x }\n"
                                  "method N() { var z := F(0); }\n")
    p = parse_output(out, rc)
    assert p.phase == "verification" and p.error_count == 2 and p.verified_count == 0
    post, pre = p.diagnostics
    assert (post.line, post.column, post.phase) == (3, 1, "verification")  # the body's `{`
    assert "postcondition" in post.message.lower()
    assert post.related and post.related[0]["line"] == 2
    assert pre.line == 7 and "precondition" in pre.message
    assert not any("model_compress" in d.message or "Legal" in d.message for d in p.diagnostics)


@needs_dafny
def test_model_compress_noise_is_really_there_and_ignored(tmp_path):
    out, rc = run_dafny(tmp_path, "method M() ensures true { }\n")
    p = parse_output(out, rc)
    assert p.phase == "ok" and p.diagnostics == [] and p.verified_count == 1
    if "model_compress" not in out:
        pytest.skip("this Dafny/Z3 pair prints no model_compress noise")


@needs_dafny
def test_parse_and_resolution_errors(tmp_path):
    out, rc = run_dafny(tmp_path, "method M() {\n  var x := ;\n}\n")
    p = parse_output(out, rc)
    assert p.phase == "parse" and p.error_count >= 1 and p.diagnostics[0].line == 2
    assert all(d.phase == "parse" for d in p.diagnostics)
    out, rc = run_dafny(tmp_path, "method M() {\n  var x: int := true;\n  y := 1;\n}\n")
    p = parse_output(out, rc)
    assert p.phase == "resolution" and p.error_count == 2
    assert sorted(d.line for d in p.diagnostics) == [2, 3]


@needs_dafny
def test_warnings_are_kept_but_do_not_fail(tmp_path):
    out, rc = run_dafny(tmp_path, "function F(x: int): int\nlemma L() ensures forall x :: F(x) == F(x) { }\n")
    p = parse_output(out, rc)
    assert p.phase == "ok"
    assert all(d.severity == "warning" for d in p.diagnostics)


def test_time_out_lines_legacy_format():
    text = (
        "Dafny 2.3.0.10506\n"
        "p.dfy(1,6): Verification of 'Impl$$_module.__default.ModMul' timed out after 1 seconds\n"
        "p.dfy(4,0): Timed out on BP5003: A postcondition might not hold on this return path.\n"
        "p.dfy(3,22): Related location: This is the postcondition that might not hold.\n"
        "Execution trace:\n    (0,0): anon0\n\n"
        "Dafny program verifier finished with 1 verified, 0 errors, 1 time out\n"
    )
    p = parse_output(text, 4)
    assert p.phase == "timeout" and p.timeout_count == 1
    assert p.diagnostics[0].message == "verification of ModMul timed out after 1 s"
    assert p.diagnostics[1].message.startswith("timed out: A postcondition")
    assert p.diagnostics[1].related[0]["line"] == 3


def test_dafny4_format_with_snippets():
    # the shape Dafny 4's `dafny verify` prints (see its reference manual): snippets under each location
    text = (
        "badabs.dfy(3,0): Error: a postcondition could not be proved on this return path\n"
        "  |\n3 | {\n  | ^\n\n"
        "badabs.dfy(2,12): Related location: this is the postcondition that could not be proved\n"
        "  |\n2 |   ensures r > 0\n  |             ^\n\n"
        "Dafny program verifier finished with 0 verified, 1 error\n"
    )
    p = parse_output(text, 4)
    assert p.phase == "verification" and p.error_count == 1 and len(p.diagnostics) == 1
    assert p.diagnostics[0].related[0]["column"] == 13


def test_time_out_dafny4_wording():
    text = ("p.dfy(1,6): Error: Verification of 'DivMod' timed out after 5 seconds. (the limit can be increased "
            "using --verification-time-limit)\n\n"
            "Dafny program verifier finished with 0 verified, 0 errors, 1 time out\n")
    p = parse_output(text, 4)
    assert p.phase == "timeout" and p.diagnostics[0].phase == "timeout" and p.diagnostics[0].line == 1


def test_crash_without_summary():
    p = parse_output("Dafny 2.3.0.10506\nUnhandled Exception:\nSystem.NullReferenceException\n", 134)
    assert p.phase == "crash" and "Unhandled Exception" in p.diagnostics[0].message
    p = parse_output("Prover error: Cannot find specified prover: z3\n"
                     "Dafny program verifier finished with 0 verified, 0 errors\n", 0)
    assert p.phase == "crash"


def test_no_errors_is_not_a_proof_when_something_went_wrong():
    internal = ("Dafny encountered an internal error. Please report it.\n"
                "Dafny program verifier finished with 0 verified, 0 errors\n")
    assert parse_output(internal, 0).phase == "crash"
    oom = "Dafny program verifier finished with 2 verified, 0 errors, 1 out of memory\n"
    p = parse_output(oom, 0)
    assert p.phase == "crash" and "1 out of memory" in p.diagnostics[-1].message
    resource = "Dafny program verifier finished with 2 verified, 0 errors, 1 out of resource\n"
    assert parse_output(resource, 4).phase == "crash"
    status = parse_output("Dafny program verifier finished with 3 verified, 0 errors\n", 3)
    assert status.phase == "crash" and "exited with status 3" in status.diagnostics[-1].message
    fine = parse_output("Dafny program verifier finished with 3 verified, 0 errors, 0 time outs\n", 0)
    assert (fine.phase, fine.verified_count) == ("ok", 3)


def test_result_round_trips_through_json():
    r = VerificationResult(False, "verification", [Diagnostic("verification", 4, 3, "m", [{"line": 2}])], 1, 1,
                           1.5, "2.3.0", "method M() {}")
    again = VerificationResult.from_dict(r.to_dict())
    assert again == r and again.diagnostics[0].format("f.dfy") == "f.dfy:4:3: verification: m"
    with pytest.raises(ValueError):
        VerificationResult(True, "fine", [])
