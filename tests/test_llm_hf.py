"""The hf backend on a tiny transformers model built here (random weights: this tests loading and decoding)."""

from __future__ import annotations

import pytest

from agents.llm import GenParams, get_llm
from pipeline.errors import UserError

WORDS = ["<pad>", "<eos>", "<unk>", "method", "Max", "(", ")", "{", "}", "m", ":=", "a", ";", "USER", "ASSISTANT"]


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    import tokenizers
    from transformers import GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast

    folder = tmp_path_factory.mktemp("tiny-lm")
    tok = tokenizers.Tokenizer(tokenizers.models.WordLevel({w: i for i, w in enumerate(WORDS)}, unk_token="<unk>"))
    tok.pre_tokenizer = tokenizers.pre_tokenizers.Whitespace()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>", pad_token="<pad>", eos_token="<eos>")
    fast.chat_template = "{% for m in messages %}{{ m['role'] | upper }} {{ m['content'] }} {% endfor %}ASSISTANT"
    fast.save_pretrained(folder)
    config = GPT2Config(vocab_size=len(WORDS), n_positions=64, n_embd=16, n_layer=1, n_head=2,
                        bos_token_id=1, eos_token_id=1, pad_token_id=0)
    import torch

    torch.manual_seed(0)
    GPT2LMHeadModel(config).save_pretrained(folder)
    return folder


def test_hf_backend_generates_with_the_chat_template(tiny_model):
    llm = get_llm(f"hf:{tiny_model}")
    msgs = [{"role": "user", "content": "method Max ( a )"}]
    assert llm.render(msgs, GenParams()) == "USER method Max ( a ) ASSISTANT"
    out = llm.complete(msgs, GenParams(max_tokens=6))
    again = llm.complete(msgs, GenParams(max_tokens=6))
    assert out.text == again.text  # greedy decoding is deterministic
    assert out.usage.prompt_tokens == 7 and 1 <= out.usage.completion_tokens <= 6
    raw = llm.complete([{"role": "user", "content": "method Max"}], GenParams(max_tokens=3, style="completion"))
    assert raw.usage.prompt_tokens == 2


def test_hf_backend_needs_a_local_folder(tmp_path):
    with pytest.raises(UserError, match="not found"):
        get_llm(f"hf:{tmp_path / 'missing'}")
