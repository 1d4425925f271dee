"""The formal stage: pinned clauses as Verilog (checked against Python by simulating them with Icarus), and the
whole stage on real RTL: the reference design is proven, a mutated operator and a bug that only some inputs
reach (which the task's vectors miss) are caught, each counterexample reproduces in co-simulation.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from hls.formal.expr import EUCLID_FUNCTIONS, Signal, Untranslatable, clause_to_verilog
from pipeline.stage import RunOptions
from pipeline.task import load_task
from tests.hls_data.helpers import require_circt
from tests.support import EXAMPLES, needs_dafny, needs_iverilog, needs_yosys

pytestmark = pytest.mark.usefixtures("private_p2s_home")


def _euclid(a: int, b: int) -> tuple[int, int]:
    r = a % abs(b)
    return (a - r) // b, r


CLAUSES = {  # Dafny text -> its meaning in Python over (x, y, n, ok)
    "x + y * 2 == n": lambda x, y, n, ok: x + y * 2 == n,
    "0 <= x < y <= n": lambda x, y, n, ok: 0 <= x < y <= n,
    "x / y == n": lambda x, y, n, ok: y != 0 and _euclid(x, y)[0] == n,
    "x % y >= 0 && x % y == n": lambda x, y, n, ok: y != 0 and _euclid(x, y)[1] == n,
    "ok ==> x > y": lambda x, y, n, ok: (not ok) or x > y,
    "ok <==> (if x > y then x else y) == x": lambda x, y, n, ok: ok == ((x if x > y else y) == x),
    "-x * y * x != old(n)": lambda x, y, n, ok: -x * y * x != n,
    "!(x == y) || ok": lambda x, y, n, ok: x != y or ok,
}
VALUES = [(7, 2, 3, True), (-7, 2, -4, False), (-7, -2, 4, True), (7, -2, -3, False), (2**31 - 1, 2**31 - 1, 5, True),
          (-(2**31), 3, 1, False), (3, 9, 9, True), (0, 1, 0, False), (-7, 2, 1, True)]


@needs_iverilog
def test_clauses_mean_in_verilog_what_they_mean_in_dafny(tmp_path):
    """Each clause, translated and simulated on 32-bit signed ports (x, y, n) and a bool (ok), gives Python's
    value of its Dafny meaning: Euclidean / and %, chains, ==> and <==>, if-then-else, a product wider than
    the ports, ``old`` of a parameter."""
    signals = {"x": Signal("x", 32, True), "y": Signal("y", 32, True), "n": Signal("n", 32, True),
               "ok": Signal("ok", 1, False, is_bool=True)}
    texts = {c: clause_to_verilog(c, signals) for c in CLAUSES}
    lines = ["module t;", "  reg [31:0] x, y, n; reg ok;"]
    lines += [EUCLID_FUNCTIONS,
              "  initial begin"]
    for vx, vy, vn, vok in VALUES:
        lines.append(f"    x = 32'h{vx & 0xFFFFFFFF:x}; y = 32'h{vy & 0xFFFFFFFF:x}; n = 32'h{vn & 0xFFFFFFFF:x}; "
                     f"ok = {int(vok)}; #1;")
        lines += [f'    $display("%0d", {text});' for text in texts.values()]
    lines += ["  end", "endmodule"]
    (tmp_path / "t.v").write_text("\n".join(lines))
    subprocess.run(["iverilog", "-g2012", "-o", "t.vvp", "t.v"], cwd=tmp_path, check=True)
    out = subprocess.run(["vvp", "-n", "t.vvp"], cwd=tmp_path, check=True, capture_output=True, text=True).stdout
    got = [line.strip() == "1" for line in out.splitlines() if line.strip() in ("0", "1")]
    want = [bool(f(*v)) for v in VALUES for f in CLAUSES.values()]
    assert got == want


def test_what_the_translator_cannot_express_is_named():
    signals = {"a": Signal("a", 32, True), "m": Signal("m", 32, True)}
    for text, words in [("m == Fib(a)", "call"), ("forall i :: 0 <= i < a ==> i < m", "forall"),
                        ("m == a * a * a * a", "product of 4"), ("s[0] == m", "index")]:
        with pytest.raises(Untranslatable, match=words):
            clause_to_verilog(text, signals)


# ------------------------------------------------------------------------------------------ the stage on RTL


@pytest.fixture(scope="module")
def max2_run(tmp_path_factory):
    if shutil.which("yosys-smtbmc") is None or shutil.which("z3") is None:
        pytest.skip("yosys-smtbmc or z3 is not installed (apt-get install yosys z3)")
    require_circt()
    from pipeline.api import run_pipeline

    task = load_task(EXAMPLES / "max2.yaml")
    out = tmp_path_factory.mktemp("max2")
    report = run_pipeline(task, out_dir=out, options=RunOptions(hls="circt"),
                          stages=["verify", "python", "c", "rtl", "cosim", "formal"])
    return task, out, report


def _mutated(run: Path, tmp: Path, old: str, new: str) -> tuple[Path, dict]:
    """A copy of the run whose RTL has ``old`` replaced by ``new`` (exactly once)."""
    copy = tmp / "mutant"
    shutil.copytree(run, copy)
    rtl = json.loads((copy / "rtl" / "rtl.json").read_text())
    files = [f.replace(str(run), str(copy)) for f in rtl["verilog_files"]]
    rtl["verilog_files"] = files
    (copy / "rtl" / "rtl.json").write_text(json.dumps(rtl))
    text = Path(files[0]).read_text()
    assert text.count(old) == 1, old
    Path(files[0]).write_text(text.replace(old, new))
    return copy, rtl


def _stage_on(run: Path, task) -> object:
    from hls.formal.stage import formal_stage
    from pipeline.stage import RunContext, RunOptions

    ctx = RunContext(task, run, RunOptions(formal="bmc"))
    ctx.artifacts = {"rtl_json": str(run / "rtl" / "rtl.json"), "interface": str(run / "c" / "interface.json"),
                     "cosim_results": str(run / "cosim" / "cosim_results.json")}
    return formal_stage(ctx)


def _cosim(run: Path, task, inputs: list[dict], expected: list[dict]):
    from hls.cosim import run_cosim
    from hls.rtl_result import RtlResult
    from hls.vectors import port_vectors
    from pipeline.hw_interface import HwInterface

    hw = HwInterface.load(run / "c" / "interface.json")
    rtl = RtlResult.load(run / "rtl" / "rtl.json")
    return run_cosim(rtl, hw, port_vectors(hw, inputs, expected), run / "recheck")


COMPARE = "assign out0 = $signed(in0) >= $signed(in1);"


@needs_dafny
@needs_yosys
@pytest.mark.slow
def test_reference_design_is_proven_and_a_mutated_operator_is_caught(max2_run, tmp_path):
    task, run, report = max2_run
    formal = next(s for s in report.stages if s.stage == "formal")
    assert formal.status.value == "pass" and formal.detail.startswith("proven"), formal.detail
    record = json.loads((run / "formal" / "formal.json").read_text())
    assert record["checked"] == ["ensures #1: m >= a && m >= b", "ensures #2: m == a || m == b"]
    mutant, _ = _mutated(run, tmp_path, COMPARE, COMPARE.replace(">=", "<="))
    result = _stage_on(mutant, task)
    assert result.status.value == "fail" and result.detail.startswith("counterexample:"), result.detail
    [vector] = __import__("yaml").safe_load((mutant / "formal" / "counterexample.yaml").read_text())
    a, b = vector["inputs"]["a"], vector["inputs"]["b"]
    assert a != b
    again = _cosim(mutant, task, [vector["inputs"]], [{"m": max(a, b)}])
    assert not again.passed  # the counterexample reproduces in simulation


@needs_dafny
@needs_yosys
@pytest.mark.slow
def test_a_bug_only_some_inputs_reach_is_caught_where_the_vectors_miss_it(max2_run, tmp_path):
    task, run, _ = max2_run
    mutant, _ = _mutated(run, tmp_path, COMPARE, COMPARE.replace(";", " ^ (in1 == 32'd77777);"))
    vectors = _cosim(mutant, task, [t.inputs for t in task.tests], [t.expected for t in task.tests])
    assert vectors.passed  # the task's own vectors do not see it
    result = _stage_on(mutant, task)
    assert result.status.value == "fail", result.detail
    [vector] = __import__("yaml").safe_load((mutant / "formal" / "counterexample.yaml").read_text())
    assert vector["inputs"]["b"] == 77777
    a, b = vector["inputs"]["a"], vector["inputs"]["b"]
    assert not _cosim(mutant, task, [vector["inputs"]], [{"m": max(a, b)}]).passed


BV_CLAUSES = {  # over p, q: bv8 and k: an int in 0..255
    "p & q == q & p": lambda p, q, k: True,
    "(p << 1) == p + p": lambda p, q, k: True,
    "(p >> 3) as int == p as int / 8": lambda p, q, k: True,
    "p ^ q == 0x0F": lambda p, q, k: p ^ q == 15,
    "!p == 255 - p": lambda p, q, k: True,
    "(p as int) + (q as int) > 255": lambda p, q, k: p + q > 255,
    "p < q": lambda p, q, k: p < q,
    "(k as bv8) == p | 1": lambda p, q, k: k == (p | 1),
    "p * q == (p as int * q as int) as bv8": lambda p, q, k: True,
}
BV_VALUES = [(0, 0, 1), (255, 1, 255), (0xF0, 0xFF, 0xF1), (3, 12, 3), (200, 100, 201), (1, 254, 0)]


@needs_iverilog
def test_bitvector_clauses_mean_in_verilog_what_they_mean_in_dafny(tmp_path):
    """bvN values are N-bit words: & | ^ << >> ! and + - * wrap at N bits, comparisons are unsigned, and
    ``as int`` / ``as bv8`` convert, as in Dafny."""
    signals = {"p": Signal("p", 8, False, bv=8), "q": Signal("q", 8, False, bv=8), "k": Signal("k", 32, True)}
    texts = [clause_to_verilog(c, signals) for c in BV_CLAUSES]
    lines = ["module t;", "  reg [7:0] p, q; reg [31:0] k;", EUCLID_FUNCTIONS, "  initial begin"]
    for vp, vq, vk in BV_VALUES:
        lines.append(f"    p = 8'd{vp}; q = 8'd{vq}; k = 32'd{vk}; #1;")
        lines += [f'    $display("%0d", {text});' for text in texts]
    lines += ["  end", "endmodule"]
    (tmp_path / "t.v").write_text("\n".join(lines))
    subprocess.run(["iverilog", "-g2012", "-o", "t.vvp", "t.v"], cwd=tmp_path, check=True)
    out = subprocess.run(["vvp", "-n", "t.vvp"], cwd=tmp_path, check=True, capture_output=True, text=True).stdout
    got = [line.strip() == "1" for line in out.splitlines() if line.strip() in ("0", "1")]
    assert got == [bool(f(*v)) for v in BV_VALUES for f in BV_CLAUSES.values()]


@needs_dafny
@needs_yosys
@pytest.mark.slow
def test_a_slow_input_is_bounded_under_a_derived_bound_and_a_failure_under_a_stated_one(max2_run, tmp_path,
                                                                                       monkeypatch):
    """The bound derived from the vectors is a guess: results later than it leave the proof bounded (a pass
    that says so). A bound the task states is a requirement: later results are a counterexample."""
    from dataclasses import replace

    from hls.formal import stage
    from pipeline.task import HardwareOptions

    task, run, _ = max2_run
    fast = tmp_path / "fast"
    shutil.copytree(run, fast)
    (fast / "cosim" / "cosim_results.json").write_text(json.dumps({"vectors": [{"cycles": 0}]}))
    monkeypatch.setattr(stage, "SLACK", 0)
    result = _stage_on(fast, task)  # the bound: 0 cycles after reset; max2's results take at least one
    assert result.status.value == "pass" and result.detail.startswith("bounded:"), result.detail
    stated = replace(task, hardware=replace(task.hardware, extra={**task.hardware.extra, "formal_depth": 2}))
    assert isinstance(stated.hardware, HardwareOptions)
    result = _stage_on(fast, stated)
    assert result.status.value == "fail" and "had not come out 2 cycles after reset" in result.detail, result.detail


@pytest.fixture(scope="module")
def max_array_rtl(tmp_path_factory):
    require_circt()  # before the test's private P2S_HOME hides the HLS environment
    from pipeline.api import run_pipeline

    task = load_task(EXAMPLES / "max_array.yaml")
    out = tmp_path_factory.mktemp("max_array")
    run_pipeline(task, out_dir=out, options=RunOptions(hls="circt"), stages=["verify", "python", "c", "rtl"])
    return task, out


@needs_dafny
@pytest.mark.slow
def test_array_arguments_get_free_contents_a_bounded_length_and_unrolled_quantifiers(max_array_rtl):
    """max_array: the memory's words start from free constants, the length is assumed within the buffer, and
    `forall i :: 0 <= i < a.Length ==> a[i] <= m` unrolls over every index of the buffer (the solver itself
    is too slow for this design's 54-cycle bound in a test; the harness is checked as text)."""
    from hls.formal.harness import build_harness
    from hls.rtl_result import RtlResult
    from pipeline.hw_interface import HwInterface

    task, run = max_array_rtl
    h = build_harness(RtlResult.load(run / "rtl" / "rtl.json"), HwInterface.load(run / "c" / "interface.json"),
                      task, 30)
    assert [c.label for c in h.checked] == [f"ensures #{k}: {e}" for k, e in enumerate(task.ensures, 1)]
    assert not h.unchecked
    assert h.text.count("(* anyconst *) reg [31:0] p2s_init_a_") == 16
    assert "|a| <= 16 (the buffer)" in h.text and "p2s_mem_a_15" in h.text
    assert h.array_regs["a"][0] == "p2s_len_a"
    with pytest.raises(Untranslatable, match="range is not within an array"):
        from hls.formal.expr import ArraySignal, Scope

        arr = ArraySignal(Signal("n", 32, True), ("e0",), ("i0",), Signal("", 32, True))
        clause_to_verilog("forall i :: 0 <= i < k ==> a[i] > 0", Scope({"k": Signal("k", 32, True)}, {"a": arr}))


STATIC_COMPARE = "assign p2s_r0_v2 = ($signed(a) >= $signed(b));"


@needs_dafny
@needs_yosys
def test_the_static_backends_ap_ctrl_design_is_proven_and_its_mutant_caught(tmp_path):
    """The harness drives the ap_ctrl protocol too: start held until done, results captured on done."""
    if shutil.which("yosys-smtbmc") is None or shutil.which("z3") is None:
        pytest.skip("yosys-smtbmc or z3 is not installed (apt-get install yosys z3)")
    from pipeline.api import run_pipeline

    task = load_task(EXAMPLES / "max2.yaml")
    run = tmp_path / "max2"
    report = run_pipeline(task, out_dir=run, options=RunOptions(hls="static"),
                          stages=["python", "c", "rtl", "cosim", "formal"])
    formal = next(s for s in report.stages if s.stage == "formal")
    assert formal.status.value == "pass" and formal.detail.startswith("proven"), formal.detail
    mutant, _ = _mutated(run, tmp_path, STATIC_COMPARE, STATIC_COMPARE.replace(">=", "<="))
    result = _stage_on(mutant, task)
    assert result.status.value == "fail" and result.detail.startswith("counterexample:"), result.detail
    [vector] = __import__("yaml").safe_load((mutant / "formal" / "counterexample.yaml").read_text())
    a, b = vector["inputs"]["a"], vector["inputs"]["b"]
    assert a != b and not _cosim(mutant, task, [vector["inputs"]], [{"m": max(a, b)}]).passed
