"""Ask llama.cpp itself whether it takes a GBNF grammar.

``llama_cpp.LlamaGrammar.from_string`` only stores the text (llama-cpp-python 0.3.x); llama.cpp parses it when
a sampler is built, and a grammar it cannot parse gives a NULL sampler (which the sampler chain would then
dereference). :func:`check_grammar` builds that sampler over the vocabulary of a GGUF file (loaded
``vocab_only``: no weights, a fraction of a second) and raises :class:`ValueError` when llama.cpp refuses.
The model worker builds its sampler of each distinct grammar with the same
:func:`~agents.llm.grammar_guide.grammar_sampler`.
"""

from __future__ import annotations

from pathlib import Path


def check_grammar(grammar: str, model_path: str | Path) -> None:
    """Raise ValueError if llama.cpp cannot parse ``grammar`` (checked over ``model_path``'s vocabulary)."""
    from agents.llm.grammar_guide import grammar_sampler
    from agents.llm.model_worker import import_runtime

    llama_cpp = import_runtime()
    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    model = llama_cpp.llama_model_load_from_file(str(model_path).encode("utf-8"), params)
    if not model:
        raise OSError(f"llama.cpp could not load the vocabulary of {model_path}")
    try:
        llama_cpp.llama_sampler_free(grammar_sampler(llama_cpp, llama_cpp.llama_model_get_vocab(model), grammar))
    finally:
        llama_cpp.llama_model_free(model)
