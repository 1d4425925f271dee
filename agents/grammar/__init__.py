"""Grammar-constrained decoding: a GBNF grammar of the Dafny subset our tasks use (:mod:`agents.grammar.dafny`)
and a recognizer for that GBNF subset that checks a program without a model (:mod:`agents.grammar.recognize`)."""

from agents.grammar.dafny import grammar_hash, program_grammar, task_grammar

__all__ = ["grammar_hash", "program_grammar", "task_grammar"]
