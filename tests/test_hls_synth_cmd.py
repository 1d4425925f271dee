"""p2s synth: argument handling, report.json contents, and the whole chain end to end."""

from __future__ import annotations

import json

import pytest

from pipeline.cli import main
from pipeline.commands.synth_cmd import parse_settings
from pipeline.errors import UserError
from tests.hls_data.helpers import require_circt
from tests.support import EXAMPLES, needs_iverilog, needs_yosys


def test_settings_parse_types():
    assert parse_settings(["buffer_size=1", "export=false", "ratio=0.5", "compiler=I386_GCC8"]) == {
        "buffer_size": 1, "export": False, "ratio": 0.5, "compiler": "I386_GCC8"}
    with pytest.raises(UserError, match="expected KEY=VALUE"):
        parse_settings(["nonsense"])


def test_missing_file_is_a_one_line_error(capsys, tmp_path):
    code = main(["synth", str(tmp_path / "absent.dfy"), "--task", str(EXAMPLES / "max_array.yaml")])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("p2s: error:") and "no such Dafny file" in err and err.count("\n") == 1


def test_unknown_backend_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        main(["synth", "x.dfy", "--task", "t.yaml", "--hls", "quartus"])
    assert "invalid choice: 'quartus'" in capsys.readouterr().err


@pytest.mark.slow
@needs_yosys
@needs_iverilog
def test_synth_max_array_end_to_end(tmp_path, capsys):
    require_circt()
    out = tmp_path / "run"
    code = main(["synth", str(EXAMPLES / "max_array.dfy"), "--task", str(EXAMPLES / "max_array.yaml"),
                 "--out", str(out), "--no-fmax", "--hls", "circt"])
    report = json.loads((out / "report.json").read_text())
    stages = {s["stage"]: s for s in report["stages"]}
    assert code == 0, {k: (s["status"], s["detail"]) for k, s in stages.items()}
    assert [s["stage"] for s in report["stages"]] == ["verify", "python", "c", "rtl", "cosim", "formal", "estimate"]
    assert all(s["status"] == "pass" for s in report["stages"] if s["stage"] != "formal")
    # an optional stage: its skip (auto: an array argument's free contents are not cheap to check) does not
    # fail the run (exit 0 above)
    assert stages["formal"]["status"] == "skipped", stages["formal"]["detail"]
    assert stages["formal"]["detail"].startswith("auto: array arguments (a)"), stages["formal"]["detail"]
    hw = report["hardware"]
    assert hw["backend"] == "circt" and len(hw["cycles"]) == 4 and hw["lut"] > 0
    assert "p2s synth max_array" in capsys.readouterr().out
