"""Ask llama.cpp itself whether it takes a GBNF grammar.

``llama_cpp.LlamaGrammar.from_string`` only stores the text (llama-cpp-python 0.3.x); llama.cpp parses it when
a sampler is built, and a grammar it cannot parse gives a NULL sampler (which the sampler chain would then
dereference). :func:`check_grammar` builds that sampler over the vocabulary of a GGUF file (loaded
``vocab_only``: no weights, a fraction of a second) and raises :class:`ValueError` when llama.cpp refuses.
The model worker runs the same check once per distinct grammar before the first call that uses it.
"""

from __future__ import annotations

from pathlib import Path


def sampler_ok(llama_cpp, vocab, grammar: str, root: str = "root") -> bool:
    """Whether llama.cpp builds a grammar sampler for ``grammar`` over ``vocab`` (the sampler is freed)."""
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar.encode("utf-8"), root.encode("utf-8"))
    if not sampler:
        return False
    llama_cpp.llama_sampler_free(sampler)
    return True


def check_grammar(grammar: str, model_path: str | Path) -> None:
    """Raise ValueError if llama.cpp cannot parse ``grammar`` (checked over ``model_path``'s vocabulary)."""
    from agents.llm.model_worker import import_runtime

    llama_cpp = import_runtime()
    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    model = llama_cpp.llama_model_load_from_file(str(model_path).encode("utf-8"), params)
    if not model:
        raise OSError(f"llama.cpp could not load the vocabulary of {model_path}")
    try:
        if not sampler_ok(llama_cpp, llama_cpp.llama_model_get_vocab(model), grammar):
            raise ValueError("llama.cpp could not parse the grammar")
    finally:
        llama_cpp.llama_model_free(model)
