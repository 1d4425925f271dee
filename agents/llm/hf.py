"""``hf:PATH``: a local Hugging Face transformers causal LM on the CPU.

The tokenizer's chat template formats chat prompts when it has one; otherwise the messages are flattened
to plain text. Only local files are read (no hub access at run time). Stop strings cut the reply.
"""

from __future__ import annotations

import time
from pathlib import Path

from agents.llm.base import LLM, Completion, GenParams, Message, Usage, flatten_messages
from agents.llm.registry import register
from pipeline.errors import UserError


@register("hf")
class HFLLM(LLM):
    def __init__(self, path: str | Path) -> None:
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        self.path = Path(path).expanduser()
        if not self.path.is_dir():
            raise UserError(f"hf model folder {self.path} not found: give a local transformers model directory")
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(self.path), local_files_only=True)
        self.model = AutoModelForCausalLM.from_pretrained(str(self.path), local_files_only=True)
        self.model.eval()

    @classmethod
    def from_spec(cls, arg: str, task=None, **_: object) -> HFLLM:
        if not arg:
            raise UserError("hf backend needs a model folder: --llm hf:/path/to/model")
        return cls(arg)

    def render(self, messages: list[Message], params: GenParams) -> str:
        """The exact text fed to the model (chat template when the tokenizer has one)."""
        if params.style == "chat" and getattr(self.tokenizer, "chat_template", None):
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        return flatten_messages(messages)

    def _complete(self, messages: list[Message], params: GenParams) -> Completion:
        start = time.monotonic()
        prompt = self.render(messages, params)
        enc = self.tokenizer(prompt, return_tensors="pt")
        gen = {"max_new_tokens": params.max_tokens, "do_sample": params.sampling}
        if params.sampling:
            self.torch.manual_seed(params.seed)
            gen.update(temperature=params.temperature, top_p=params.top_p)
        pad = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
        with self.torch.no_grad():
            out = self.model.generate(**enc, pad_token_id=pad, **gen)
        new = out[0, enc["input_ids"].shape[1]:]
        text = self.tokenizer.decode(new, skip_special_tokens=True)
        for stop in params.stop:
            if stop in text:
                text = text[: text.index(stop)]
        return Completion(text, Usage(int(enc["input_ids"].shape[1]), int(new.shape[0])), time.monotonic() - start,
                          self.path.name)
