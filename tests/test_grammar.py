"""The Dafny grammar for constrained decoding: what it accepts, what it forces, and that llama.cpp takes it."""

from __future__ import annotations

import importlib.util

import pytest

from agents.grammar.dafny import forced, program_grammar, task_grammar, tokens
from agents.grammar.recognize import GrammarSyntaxError, Recognizer, accepts
from agents.llm.base import GenParams
from agents.llm.embedded import worker_params
from pipeline.task import load_task
from tests.support import EXAMPLES, REPO

MAX2 = """method Max(a: int, b: int) returns (m: int)
  ensures m >= a && m >= b
  ensures m == a || m == b
{
  if a >= b { m := a; } else { m := b; }
}
"""


@pytest.fixture(scope="module")
def max2():
    return load_task(EXAMPLES / "max2.yaml")


@pytest.fixture(scope="module")
def general():
    return Recognizer(program_grammar())


# ----------------------------------------------------------------------------------- the recognizer itself


def test_recognizer_on_a_toy_grammar():
    g = 'root ::= "a" x* "b"\nx ::= [0-9] | "(" root ")"\n'
    assert accepts(g, "ab") and accepts(g, "a12(a3b)b")
    bad = accepts(g, "a12(a3b")
    assert not bad and bad.furthest == len("a12(a3b")
    with pytest.raises(GrammarSyntaxError, match="undefined rule y"):
        Recognizer('root ::= y\n')
    with pytest.raises(GrammarSyntaxError, match="left-recursive"):
        Recognizer('root ::= root "a" | "a"\n').accepts("aa")


# --------------------------------------------------------------------------------- the general subset


def test_general_grammar_accepts_common_programs(general):
    assert general.accepts(MAX2)
    loop = """method Sum(a: array<int>) returns (s: int)
  requires a.Length > 0
{
  s := 0;
  var i := 0;
  while i < a.Length
    invariant 0 <= i <= a.Length
    decreases a.Length - i
  {
    s := s + a[i];
    i := i + 1;
  }
}

function method Sq(x: int): int { x * x }
predicate Sorted(s: seq<int>) { forall i, j :: 0 <= i < j < |s| ==> s[i] <= s[j] }
"""
    assert general.accepts(loop)


@pytest.mark.parametrize("program", [
    "method M(int a, int b) returns int { return a > b ? a : b; }",  # C-style parameters and ternary
    "method M(n: int) returns (r: int) { for (var i := 0; i < n; i++) { r := r + i; } }",  # C-style for
    "method M(x: int) returns (r: int) { assume x > 0; r := x; }",  # an escape hatch
    "method M(x: int) returns (r: int) decreases * { r := x; }",  # another
    "method M(x: int) returns (r: int)\n",  # body-less
])
def test_general_grammar_rejects_what_small_models_get_wrong(general, program):
    assert not general.accepts(program + "\n")


def test_every_core_and_example_reference_is_accepted_under_its_task_grammar():
    """The forced header and clauses must never exclude the known-good answer (the coverage tool's core part)."""
    from agents.grammar.coverage import check_references

    for label, (ok, total, rejects) in check_references().items():
        assert total >= 130, label
        assert ok == total, f"{label}: {rejects[:3]}"


# -------------------------------------------------------------------------------- forcing one task


def test_forced_sequence_allows_any_layout_but_the_same_tokens():
    assert tokens("m >= a&&m>=b") == ["m", ">=", "a", "&&", "m", ">=", "b"]
    g = f"root ::= {forced('m >= a && m >= b')}\nws ::= [ \\t\\n]*\nwsp ::= [ \\t\\n] ws\n"
    assert accepts(g, "m>=a  &&\n m >= b")
    assert not accepts(g, "m >= a || m >= b")
    assert not accepts(g, "m>=a&&m>=bb")


def test_task_grammar_forces_the_header_and_pinned_clauses(max2):
    bare = Recognizer(task_grammar(max2, "bare"))
    assert bare.accepts(max2.reference.strip() + "\n")
    header = max2.signature.text
    body = "{\n  if a >= b { m := a; } else { m := b; }\n}\n"
    clauses = "".join(f"  ensures {e}\n" for e in max2.ensures)
    requires = "".join(f"  requires {r}\n" for r in max2.requires)
    assert bare.accepts(f"{header}\n{requires}{clauses}{body}")
    # a pinned clause dropped, weakened or reordered: rejected
    assert not bare.accepts(f"{header}\n{requires}{body}")
    assert not bare.accepts(f"{header}\n{requires}  ensures true\n{body}")
    if len(max2.ensures) > 1:
        swapped = "".join(f"  ensures {e}\n" for e in reversed(max2.ensures))
        assert not bare.accepts(f"{header}\n{requires}{swapped}{body}")
    # an extra ensures and a helper are allowed
    helper = "function method Id(x: int): int { x }\n"
    assert bare.accepts(f"{helper}{header}\n{requires}{clauses}  ensures true\n{body}")
    # the target's result redeclared with var: rejected (the general grammar would take it)
    redeclared = f"{header}\n{requires}{clauses}{{\n  var m := a;\n  if b > a {{ m := b; }}\n}}\n"
    assert not bare.accepts(redeclared)
    assert Recognizer(program_grammar()).accepts(redeclared)


def test_decoding_grammar_has_no_comments_and_takes_dafny4_for_loops(max2):
    """Comments are where a held-back small model escapes to (and repeats until its token limit): the grammar
    used for decoding has none. ``for i := lo to hi`` is Dafny 4 the bridge rewrites, so it is allowed."""
    body = "\n  m := a;\n  for i := 0 to 3\n    invariant m == a\n  {\n  }\n  if b > m { m := b; }\n}\n```"
    decoding = Recognizer(task_grammar(max2, "completion", comments=False))
    assert decoding.accepts(body)
    assert not decoding.accepts(body.replace("m := a;", "m := a; // start"))
    assert Recognizer(task_grammar(max2, "completion")).accepts(body.replace("m := a;", "m := a; // start"))
    assert not decoding.accepts(body.replace("for i := 0 to 3", "for i := 0 to 3 do"))


def test_task_grammar_styles(max2):
    program = max2.reference.strip()
    assert Recognizer(task_grammar(max2, "chat")).accepts(f"```dafny\n{program}\n```")
    assert not Recognizer(task_grammar(max2, "chat")).accepts(f"Here it is:\n```dafny\n{program}\n```")
    # completion: the prompt ends with the target's opening brace; the reply is the body, the brace, the fence
    completion = Recognizer(task_grammar(max2, "completion"))
    assert completion.accepts("\n  if a >= b { m := a; } else { m := b; }\n}\n```")
    assert not completion.accepts("\n  var m := a;\n}\n```")
    with pytest.raises(ValueError, match="style"):
        task_grammar(max2, "json")


# ------------------------------------------------------------------------------ threading through a call


def test_grammar_is_identified_by_hash_and_absent_when_off(max2):
    plain = GenParams(max_tokens=10)
    assert "grammar" not in plain.to_dict() and "grammar_sha256" not in plain.to_dict()
    text = task_grammar(max2)
    constrained = GenParams(max_tokens=10, grammar=text)
    d = constrained.to_dict()
    assert "grammar" not in d and len(d["grammar_sha256"]) == 64
    assert GenParams.from_dict(d) == plain  # the text is not in the record: restore it by passing grammar=
    assert worker_params(constrained)["grammar"] == text and "grammar" not in worker_params(plain)


def test_prompt_config_grammar_off_by_default(max2):
    from agents.prompts import PromptConfig, initial_prompt

    off = initial_prompt(max2, PromptConfig())
    assert off.params.grammar is None and "grammar" not in PromptConfig().to_dict()
    on = initial_prompt(max2, PromptConfig(grammar=True))
    assert on.params.grammar and PromptConfig(grammar=True).to_dict()["grammar"] is True


def test_resolve_grammar_follows_the_backend_and_a_replay_file(tmp_path):
    import json

    from agents.prompts import resolve_grammar
    from pipeline.errors import UserError

    assert resolve_grammar("auto", "embedded") and resolve_grammar("auto", "embedded:1.5b")
    assert not resolve_grammar("auto", "openai:gpt-4o-mini") and not resolve_grammar("auto", "reference")
    assert resolve_grammar("on", "openai:x") and not resolve_grammar("off", "embedded")
    completion = {"text": "x", "usage": {"prompt_tokens": 1, "completion_tokens": 1}, "seconds": 0.1, "model": "m"}
    recorded, plain = tmp_path / "t.jsonl", tmp_path / "p.jsonl"
    for path, params in ((recorded, {"style": "chat", "grammar_sha256": "0" * 64}), (plain, {"style": "chat"})):
        path.write_text(json.dumps({"key": "k", "messages": [], "params": params, "completion": completion}) + "\n")
    assert resolve_grammar("auto", f"replay:{recorded}") and not resolve_grammar("auto", f"replay:{plain}")
    with pytest.raises(UserError, match="--grammar"):
        resolve_grammar("maybe", "embedded")


# ------------------------------------------------------------------------------------- llama.cpp itself


def _need_llama_model():
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python not installed: run 'make setup'")
    from agents.llm.fetch_model import ModelFetchError, ensure_model

    try:
        return ensure_model("smollm2")
    except ModelFetchError as exc:
        pytest.skip(f"model smollm2 unavailable: {exc}")


@pytest.mark.llm
def test_llama_cpp_parses_every_grammar_we_write(max2):
    from agents.grammar.llama_check import check_grammar

    path = _need_llama_model()
    check_grammar(program_grammar(), path)
    for style in ("chat", "completion", "bare"):
        check_grammar(task_grammar(max2, style), path)
    with pytest.raises(ValueError, match="could not parse"):
        check_grammar('root ::= "a" undefined-rule\n', path)


@pytest.mark.llm
@pytest.mark.slow
def test_constrained_decoding_yields_what_the_grammar_accepts(max2):
    """A real decode under the task grammar with the small test model: the reply starts with the fence and the
    forced header, and every prefix it wrote is one the grammar can still complete (checked by recognizing the
    reply once it is closed)."""
    from agents.llm import get_llm

    _need_llama_model()
    grammar = task_grammar(max2, "chat", comments=False)
    llm = get_llm("embedded:smollm2")
    msgs = [{"role": "user", "content": "Write the Dafny method Max of two integers in a ```dafny block."}]
    out = llm.complete(msgs, GenParams(max_tokens=300, temperature=0.0, grammar=grammar))
    assert out.text.startswith("```dafny\n")
    assert "//" not in out.text and "/*" not in out.text  # the unconstrained model writes comments here
    if out.text.rstrip().endswith("```"):  # not cut by max_tokens: the whole reply is in the language
        assert Recognizer(grammar).accepts(out.text.rstrip()), out.text
        assert "method Max" in out.text


@pytest.mark.llm
@pytest.mark.slow
def test_sampled_constrained_decoding_stays_in_the_language_and_repeats_per_seed(max2):
    """The guide's sampling branch: a draw the grammar refuses is redrawn, so the reply never leaves the language;
    the guide's own draws follow the call's seed, so a call repeats exactly."""
    from agents.llm import get_llm

    _need_llama_model()
    grammar = task_grammar(max2, "chat", comments=False)
    llm = get_llm("embedded:smollm2")
    msgs = [{"role": "user", "content": "Write the Dafny method Max of two integers in a ```dafny block."}]
    params = GenParams(max_tokens=200, temperature=0.75, seed=7, grammar=grammar)
    a, b = llm.complete(msgs, params), llm.complete(msgs, params)
    assert a.text == b.text
    assert a.text.startswith("```dafny\n") and "//" not in a.text
    if a.text.rstrip().endswith("```"):
        assert Recognizer(grammar).accepts(a.text.rstrip()), a.text


@pytest.mark.llm
def test_a_reply_near_its_token_limit_is_closed_not_cut(max2):
    """Close to ``max_tokens`` the guide prefers the tokens that close what is open, so a reply the limit would
    have cut mid-statement ends with the fence and is in the language (it reaches the verifier)."""
    from agents.llm import get_llm

    _need_llama_model()
    grammar = task_grammar(max2, "completion", comments=False)
    llm = get_llm("embedded:smollm2")
    header = max2.reference.strip().split("{", 1)[0]  # the header and clauses, as the completion prompt ends
    prompt = f"// Dafny: a long method with many loops and variables.\n```dafny\n{header}{{"
    # the model's own body is 18 tokens here: cut at 16 unless the guide closes from token 12 on
    params = GenParams(max_tokens=16, temperature=0.0, stop=("```",), style="completion", grammar=grammar)
    out = llm.complete([{"role": "user", "content": prompt}], params)
    assert Recognizer(grammar).accepts(out.text + "```"), out.text  # closed in time (cut: `max(m, a, b)`)


def test_the_runaway_watch_ends_a_repeating_reply_and_spares_honest_code():
    from agents.llm.grammar_guide import REPEATS, RepeatWatch

    loop = "".join(f"  var a{i} := a{i - 1} * b{i - 1};\n" for i in range(1, 40))
    watch = RepeatWatch()
    ended_at = next(i for i, ch in enumerate(loop) if watch.feed(ch))
    assert loop[:ended_at + 1].count("\n") == REPEATS
    honest = ("  m := a[0];\n  var i := 1;\n  while i < a.Length\n    invariant 1 <= i <= a.Length\n"
              "    invariant forall j :: 0 <= j < i ==> m <= a[j]\n  {\n    if a[i] < m {\n      m := a[i];\n"
              "    }\n    i := i + 1;\n  }\n}\n" + "  }\n" * 10 + "    i := i + 1;\n" * 10)
    watch = RepeatWatch()
    assert not any(watch.feed(ch) for ch in honest)
    one_line = "    invariant x as int" + "".join(f" as invariant{i}" for i in range(1, 60))
    watch = RepeatWatch()
    ended_at = next(i for i, ch in enumerate(one_line) if watch.feed(ch))
    assert ended_at < len(" as invariant00") * (REPEATS + 2) + 22
    long_honest = "    invariant forall k :: 0 <= k < i ==> a[k] <= a[k + 1] && a[k] + a[k] >= 0 && b[k] == a[k] * 2"
    watch = RepeatWatch()
    assert not any(watch.feed(ch) for ch in long_honest)


# ------------------------------------------------------------------------------ what the grammar cannot say


def _refusals(check, program: str, seed: int = 0) -> list[str]:
    """Feed ``program`` in random pieces of 1-5 characters (as tokens come); the places the check refused."""
    import random

    rng, i, out = random.Random(seed), 0, []
    while i < len(program):
        piece = program[i:i + rng.randint(1, 5)]
        if not check.allows(piece):
            out.append(program[max(0, i - 30):i + len(piece)])
        check.feed(piece)
        i += len(piece)
    return out


def test_the_name_check_lets_every_reference_and_cloverbench_program_through():
    """No false refusal on 139 references (with their task's names line) and CloverBench's verified programs."""
    from agents.grammar.dafny import task_names
    from agents.grammar.names import NameCheck
    from pipeline.suites import task_files

    checked = 0
    for root in ("benchmarks/suites/core", "benchmarks/examples"):
        for path in task_files(REPO / root):
            task = load_task(path)
            if task.reference:
                assert not _refusals(NameCheck.from_grammar(task_names(task)), task.reference), path.name
                checked += 1
    assert checked >= 130
    for path in sorted((REPO.parent / "shared" / "data" / "cloverbench").glob("textbook_algo/*/*_strong.dfy")):
        assert not _refusals(NameCheck({}), path.read_text()), path.name


def test_the_name_check_refuses_what_dafny_would_not_resolve():
    from agents.grammar.names import NameCheck, names_comment

    line = names_comment({"b": "array<bool>", "k": "int"}, {"n": "nat"}, {"Val", "BitsToNat"})
    body = "\n  n := 0;\n  var i := 0;\n  while i < b.Length\n    invariant 0 <= i <= b.Length\n"
    measured = body + "    invariant n <==> Val(b[..i])\n"  # the 0.5B model's reply, a `nat` in `<==>`
    refused = _refusals(NameCheck.from_grammar(line), measured)
    assert refused and all(r.endswith("<=") or r.endswith("<==") or "<==>" in r for r in refused), refused
    assert not _refusals(NameCheck.from_grammar(line), body + "    invariant (k > 0) <==> b[0]\n")
    assert _refusals(NameCheck.from_grammar(line), body + "    total := total + 1;\n")  # never declared
    assert _refusals(NameCheck.from_grammar(line), body + "    k := k + 1;\n")  # an in-parameter
    assert _refusals(NameCheck.from_grammar(line), body + "    var a1 := k * a1;\n")  # in its own initializer
    fine = body + "    var total := BitsToNat(b[..i]) + k;\n    b[i] := total > 0;\n    n := Helper(i);\n"
    assert not _refusals(NameCheck.from_grammar(line), fine)  # a helper may be declared after its call
