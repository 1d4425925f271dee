"""Names the model may use, checked as it writes: what a context-free grammar cannot say.

The grammar keeps a reply in the Dafny subset, but a small model still ends most constrained attempts in
Dafny's resolver: a name nobody declared, an assignment to an in-parameter, ``<==>`` between integers (the
measured ``invariant n <==> Val(b[i])``: the few-shot ``found <==> exists ...`` copied onto a ``nat``).
:class:`NameCheck` refuses, one token at a time, a token that *completes* such a mistake, so the guide takes
the model's next choice instead:

* a name used (not declared there, not a member after ``.``, not a type after ``:``, not a call: a helper
  may come later in the reply) that is neither known from the task nor declared earlier in the reply;
* ``p :=`` for an in-parameter ``p``;
* ``x <==>`` where ``x`` is a variable whose type is known and is not ``bool``.

What it knows comes with the grammar (:func:`names_comment`, a GBNF comment line, so the grammar's hash
covers it): the target's parameters and results with their types, and every name in the task's signature,
pinned clauses and definitions. Declarations in the reply are found by position (after ``var``, ``forall``,
``exists``, ``for``, a declaration keyword, in a list after one of those, or before a single ``:``);
scopes are not tracked, so a name declared anywhere earlier counts (the check refuses only what is surely
wrong).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NAMES_TAG = "# p2s-names:"
STILL_OPEN = 3  # the last tokens of the text a later piece may still extend or need (a declaration's `: T`)
# the words after which a name is declared (the last four: a comprehension's variable, `set i | ...`)
DECLARING = {"var", "forall", "exists", "for", "method", "function", "predicate", "lemma", "datatype", "const",
             "class", "trait", "type", "newtype", "iterator", "module", "label", "set", "iset", "map", "imap"}
OPERAND_START = {"(", ",", "::", "invariant", "ensures", "requires", "assert", ":=", "<==>", "{", "[", "then",
                 "else", "return", "decreases", ";", "|"}  # what may stand right before a whole `<==>` operand
TYPE_BEFORE = {":", "as", "is", "new", "<"}
WORDS = {
    # keywords and literals
    "method", "function", "predicate", "lemma", "returns", "requires", "ensures", "modifies", "reads",
    "decreases", "invariant", "var", "if", "then", "else", "while", "for", "to", "downto", "return", "assert",
    "assume", "break", "forall", "exists", "new", "true", "false", "null", "this", "ghost", "in", "as", "is",
    "by", "calc", "match", "case", "datatype", "codatatype", "class", "trait", "module", "import", "const",
    "static", "type", "newtype", "label", "print", "yield", "include", "iterator", "free", "witness", "trigger",
    "reveal", "opaque", "expect", "twostate", "older", "unchanged", "extends",
    # built-in functions and types
    "old", "fresh", "multiset", "allocated", "int", "nat", "bool", "char", "string", "seq", "set",
    "iset", "map", "imap", "array", "array2", "array3", "real", "object", "ORDINAL", "Length", "Length0",
    "Length1", "Keys", "Values", "Items", "Floor",
}
TYPE_WORDS = {"int", "nat", "bool", "char", "string", "seq", "set", "iset", "map", "imap", "array", "array2",
              "array3", "real", "object", "ORDINAL", "new"}
TOKEN = re.compile(r"""
    (?P<blank>\s+|//[^\n]*|/\*(?:[^*]|\*(?!/))*(?:\*/)?)
  | (?P<ident>[A-Za-z_][A-Za-z0-9_'?]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"?)
  | (?P<char>'(?:[^'\\\n]|\\.)'?)
  | (?P<number>0x[0-9A-Fa-f_]+|[0-9][0-9_]*(?:\.[0-9]+)?)
  | (?P<op><==>|==>|<==|=>|:=|:\||::|\.\.|==|!=|<=|>=|&&|\|\||!in(?![A-Za-z0-9_'?])|[^\sA-Za-z0-9_])
""", re.VERBOSE)


def names_comment(params: dict[str, str], results: dict[str, str], names: Iterable[str]) -> str:
    """The grammar's comment line for :class:`NameCheck`: in-parameters and results with their types, and the
    other names the task declares (``name:?``)."""
    items = [f"{n}:in:{t.replace(' ', '')}" for n, t in params.items()]
    items += [f"{n}:out:{t.replace(' ', '')}" for n, t in results.items()]
    items += [f"{n}:?:?" for n in sorted(set(names) - set(params) - set(results))]
    return f"{NAMES_TAG} " + " ".join(items)


def identifiers(text: str) -> set[str]:
    """Every identifier in Dafny text (strings and chars skipped)."""
    return {m.group("ident") for m in TOKEN.finditer(text) if m.group("ident")}


class NameCheck:
    """Says whether a piece of text may follow the reply so far (see the module doc)."""

    def __init__(self, known: dict[str, tuple[str, str]]) -> None:
        self.known = known  # name -> (role: in | out | ?, type text)
        self.text = ""
        # tokens of the text that no later piece can change (all but the last few), their declarations, and
        # where the rest starts: a check tokenizes only the tail and the new piece
        self._stable: list[tuple] = []
        self._declared: dict[str, str] = {}
        self._cut = 0

    @classmethod
    def from_grammar(cls, grammar: str) -> NameCheck | None:
        """The check a grammar's :func:`names_comment` line describes, or ``None`` (a grammar without one)."""
        for line in grammar.splitlines():
            if line.startswith(NAMES_TAG):
                known = {}
                for item in line[len(NAMES_TAG):].split():
                    name, role, typ = item.split(":", 2)
                    known[name] = (role, typ)
                return cls(known)
        return None

    def feed(self, piece: str) -> None:
        self.text += piece
        fresh = _tokens(self.text, self._cut)
        toks = self._stable + fresh
        for i, tok in enumerate(fresh[:-STILL_OPEN]):
            k = len(self._stable) + i
            if tok[0] == "ident" and tok[1] not in WORDS and not _in_attribute(toks, k) and _declaring(toks, k):
                self._declared.setdefault(tok[1], _declared_type(toks, k))
        if len(fresh) > STILL_OPEN:
            self._stable.extend(fresh[:-STILL_OPEN])
            self._cut = fresh[-STILL_OPEN][2]

    def allows(self, piece: str) -> bool:
        """Whether ``piece`` completes no use of an undeclared name, no ``param :=``, no ``int <==>``."""
        text = self.text + piece
        toks = self._stable + _tokens(text, self._cut)
        start = len(self.text)
        declared = dict(self._declared)
        for k in range(len(self._stable), len(toks)):
            kind, word, _, end = toks[k]
            if kind == "op" and word == "<==>" and end > start and not self._bool_before(toks, k, declared):
                return False
            if kind != "ident" or word in WORDS or _in_attribute(toks, k):
                continue
            if _declaring(toks, k):
                declared.setdefault(word, _declared_type(toks, k))
                continue
            if not _decided_here(toks, k, start, len(text)):
                continue
            prev, nxt = toks[k - 1][1] if k else "", toks[k + 1][1]
            if prev == "." or prev in TYPE_BEFORE:
                continue
            if nxt == ":=" and self.known.get(word, ("", ""))[0] == "in":
                return False
            if nxt != "(" and word not in self.known and (word not in declared or _own_initializer(toks, k)):
                return False
        return True

    # ------------------------------------------------------------------------------------------------

    def _bool_before(self, toks: list, k: int, declared: dict[str, str]) -> bool:
        """``<==>`` at ``k`` may follow what is before it: unless that is a lone variable of a known non-bool
        type (an operand ending in ``)``, ``]`` or a literal is not judged)."""
        if k == 0 or toks[k - 1][0] != "ident":
            return True
        if k >= 2 and toks[k - 2][1] not in OPERAND_START:  # `k in s <==>`: the operand is more than `s`
            return True
        name = toks[k - 1][1]
        typ = self.known[name][1] if name in self.known else declared.get(name, "?")
        return typ in ("?", "bool")


def _decided_here(toks: list, k: int, start: int, length: int) -> bool:
    """Whether the piece that starts at ``start`` decides what the identifier at ``k`` is: the first token
    after it arrives or grows in the piece (a ``:`` at the very end is not yet told from ``:=``/``::``/``:|``;
    ``:`` then ``=`` decides at the ``=``)."""
    if k + 1 >= len(toks) or toks[k + 1][3] <= start:
        return False
    nxt = toks[k + 1]
    return not (nxt[1] == ":" and nxt[3] == length)


def _in_datatype(toks: list, k: int) -> bool:
    """The identifier at ``k`` is inside a ``datatype`` declaration (constructors and their fields)."""
    for j in range(k - 1, -1, -1):
        word = toks[j][1]
        if word == "datatype":
            return True
        if word in ("method", "function", "predicate", "lemma", "{", "}", "const"):
            return False
    return False


def _declaring(toks: list, k: int) -> bool:
    """The identifier at ``k`` is being declared: after a declaring word, in a comma list after one, before a
    single ``:`` (a parameter, a typed local or bound variable), in a ``datatype`` (its constructors and
    fields) or in a ``<...>`` list (type parameters; a type argument is harmless)."""
    if k + 1 < len(toks) and toks[k + 1][1] in (":", "=>"):  # `=>`: a lambda's parameter (`new int[n](_ => 0)`)
        return True
    if _in_datatype(toks, k) or _in_type_arguments(toks, k):
        return True
    j = k - 1
    while j >= 1 and toks[j][1] == "," and toks[j - 1][0] == "ident":
        j -= 2
    return j >= 0 and toks[j][1] in DECLARING


def _declared_type(toks: list, k: int) -> str:
    """A local's type where the declaration says it (``: T``, or a literal initializer), else ``?``."""
    nxt = toks[k + 1] if k + 1 < len(toks) else None
    if nxt is not None and nxt[1] == ":" and k + 2 < len(toks):
        return toks[k + 2][1]
    if nxt is not None and nxt[1] == ":=" and k + 3 < len(toks) and toks[k + 3][1] in (";", ","):
        value = toks[k + 2]
        if value[0] == "number":
            return "int"
        if value[1] in ("true", "false"):
            return "bool"
    return "?"


def _in_type_arguments(toks: list, k: int) -> bool:
    """The identifier at ``k`` is in a ``<...>`` list after a name (type parameters or arguments:
    ``method M<K(!new), V>``, ``map<K, V>``): back to the ``<`` there are only names, commas and the
    ``(!new)``/``(==)`` marks, never an operator or a keyword (``while i < b.Length`` is no list)."""
    for j in range(k - 1, 0, -1):
        kind, word = toks[j][0], toks[j][1]
        if word == "<":
            return toks[j - 1][0] == "ident"
        if not (kind == "ident" and (word not in WORDS or word in TYPE_WORDS) or word in (",", "(", ")", "!", "==")):
            return False
    return False


def _tokens(text: str, offset: int) -> list[tuple[str, str, int, int]]:
    """(kind, text, start, end) of the tokens of ``text`` from ``offset`` on, blanks and comments left out."""
    return [(m.lastgroup, m.group(), m.start(), m.end()) for m in TOKEN.finditer(text, offset)
            if m.lastgroup != "blank"]


def _in_attribute(toks: list, k: int) -> bool:
    """The identifier at ``k`` is inside an attribute (``{:induction a}``, ``{:trigger f(x)}``)."""
    for j in range(k - 1, 0, -1):
        if toks[j][1] == "}":
            return False
        if toks[j][1] == ":" and toks[j - 1][1] == "{":
            return True
    return False


def _own_initializer(toks: list, k: int) -> bool:
    """The identifier at ``k`` is used in the initializer of the ``var`` that declares it (``var a1 := a *
    a1;``: Dafny resolves the right side before the new name exists)."""
    assign = None
    for j in range(k - 1, -1, -1):
        word = toks[j][1]
        if word in (";", "{", "}"):
            return False
        if word == ":=":
            assign = j
        elif word == "var":
            return assign is not None and any(t[1] == toks[k][1] for t in toks[j + 1:assign])
    return False
