"""Prompt templates: chat and completion styles, the repair turn, and few-shot examples that really verify."""

from __future__ import annotations

import re
import subprocess

from agents.extract import extract_dafny
from agents.prompts import PromptBuilder, feedback_from_result, load_examples
from pipeline.task import load_task
from tests.support import needs_dafny
from verifiers.dafny import find_dafny

TASK = load_task("benchmarks/examples/clamp.yaml")


def test_chat_prompt_has_system_fewshot_pairs_and_the_task():
    p = PromptBuilder("chat", n_examples=2).initial(TASK)
    roles = [m["role"] for m in p.messages]
    assert roles == ["system", "user", "assistant", "user", "assistant", "user"]
    assert "Dafny 4" in p.messages[0]["content"]
    assert "function method" in PromptBuilder("chat", dialect="dafny3").initial(TASK).messages[0]["content"]
    last = p.messages[-1]["content"]
    assert TASK.description in last and TASK.signature.text in last
    for clause in ["requires lo <= hi", "ensures lo <= y <= hi", "ensures x > hi ==> y == hi"]:
        assert clause in last
    assert p.messages[2]["content"].startswith("```dafny\nmethod Abs(")
    assert p.style == "chat" and p.prefix == ""


def test_completion_prompt_ends_with_the_open_program():
    p = PromptBuilder("completion", n_examples=3).initial(TASK)
    [msg] = p.messages
    text = msg["content"]
    assert text.endswith(p.prefix)
    assert p.prefix == (
        "```dafny\nmethod Clamp(x: int, lo: int, hi: int) returns (y: int)\n  requires lo <= hi\n"
        "  ensures lo <= y <= hi\n  ensures lo <= x <= hi ==> y == x\n  ensures x < lo ==> y == lo\n"
        "  ensures x > hi ==> y == hi\n{\n"
    )
    assert text.count("// Task:") == 4 and text.count("```\n") == 3
    assert p.style == "completion" and p.stop == ("```",)
    body = "  if x < lo { y := lo; } else if x > hi { y := hi; } else { y := x; }\n}\n"
    assert extract_dafny(p.prefix + body, "Clamp").code.endswith(body)


def test_repair_turn_shows_code_diagnostics_and_the_offending_line():
    code = TASK.reference.replace("y := hi;", "y := x;")
    result = {"verified": False, "phase": "verification", "diagnostics": [
        {"phase": "verification", "line": 10, "column": 3,
         "message": "a postcondition might not hold on this return path",
         "related": [{"message": "this is the postcondition that might not hold", "line": 4}]},
    ]}
    fb = feedback_from_result(code, f"```dafny\n{code}```", result)
    assert fb.diagnostics[0]["source_line"] == code.splitlines()[9].strip()
    chat = PromptBuilder("chat", n_examples=1).repair(TASK, fb)
    assert [m["role"] for m in chat.messages][-3:] == ["user", "assistant", "user"]
    assert chat.messages[-2]["content"].startswith("```dafny\nmethod Clamp")
    last = chat.messages[-1]["content"]
    assert "line 10, column 3: a postcondition might not hold" in last
    assert "related: this is the postcondition that might not hold" in last
    assert "some proof obligations fail" in last
    comp = PromptBuilder("completion", n_examples=1).repair(TASK, fb)
    text = comp.messages[0]["content"]
    assert "// A previous attempt that the verifier rejected:" in text and "// Dafny: line 10:" in text
    assert text.endswith(comp.prefix) and comp.kind == "repair"


def test_prompt_hash_is_stable_and_distinguishes_prompts():
    from dataclasses import replace

    from agents.prompts import PromptConfig, initial_prompt

    a = initial_prompt(TASK, PromptConfig())
    b = initial_prompt(TASK, PromptConfig())
    c = initial_prompt(TASK, PromptConfig(mode="completion"))
    assert a.hash == b.hash != c.hash and re.fullmatch(r"[0-9a-f]{16}", a.hash)
    assert replace(a, params=replace(a.params, seed=9)).hash == a.hash  # the per-call seed is not the prompt
    assert initial_prompt(TASK, PromptConfig(temperature=0.2)).hash != a.hash


@needs_dafny
def test_fewshot_examples_verify_on_the_installed_dafny(tmp_path):
    """Every example solution is a verified program: the prompt teaches only correct Dafny."""
    dafny = find_dafny()
    files = []
    for ex in load_examples():
        f = tmp_path / f"{ex.id}.dfy"
        f.write_text(ex.solution)
        files.append(str(f))
        for clause in ex.requires + ex.ensures:
            assert clause in ex.solution  # the example's pinned spec is the one its solution carries
    out = subprocess.run([dafny, "/compile:0", "/timeLimit:60", *files], capture_output=True, text=True, timeout=300)
    m = re.search(r"finished with (\d+) verified, (\d+) errors?", out.stdout)
    assert m, out.stdout[-2000:]
    assert int(m.group(2)) == 0 and int(m.group(1)) >= len(files), out.stdout[-2000:]
    assert "time out" not in out.stdout
