"""``p2s translate FILE.dfy --to c``: through the Python model to HLS C; refusals are one-line errors."""

from __future__ import annotations

import json

from pipeline.cli import main
from tests.support import REPO, needs_dafny

pytestmark = needs_dafny


def test_translate_to_c_with_a_task_writes_the_interface(tmp_path, capsys):
    out = tmp_path / "max.c"
    code = main(["translate", str(REPO / "benchmarks/examples/max_array.dfy"), "--to", "c",
                 "--task", str(REPO / "benchmarks/examples/max_array.yaml"), "-o", str(out)])
    assert code == 0
    assert "int32_t MaxArray(int32_t a[16], int32_t a_len)" in out.read_text()
    iface = json.loads((tmp_path / "max.interface.json").read_text())
    assert iface["top"] == "MaxArray" and [p["role"] for p in iface["ports"]] == ["array", "len", "return"]


def test_translate_to_c_without_a_task_uses_the_first_method(tmp_path, capsys):
    src = tmp_path / "p.dfy"
    src.write_text("method Twice(x: bv8) returns (y: bv8)\n{\n  y := x + x;\n}\n\nmethod Main() {\n  var t := Twice(3);"
                   "\n  print t;\n}\n")
    assert main(["translate", str(src), "--to", "c"]) == 0
    text = capsys.readouterr().out
    assert "uint8_t Twice(uint8_t x)" in text and "Main" not in text


def test_not_synthesizable_is_a_one_line_error(tmp_path, capsys):
    src = tmp_path / "fib.dfy"
    src.write_text("function Fib(n: nat): nat\n{\n  if n < 2 then n else Fib(n - 1) + Fib(n - 2)\n}\n\n"
                   "method F(n: nat) returns (r: nat)\n{\n  r := Fib(n);\n}\n")
    assert main(["translate", str(src), "--to", "c"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("p2s: error: not synthesizable: recursion in Fib")
    assert "non-tail recursion in Fib" in err[0]
