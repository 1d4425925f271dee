"""A recognizer for the GBNF subset :mod:`agents.grammar.dafny` writes, so a grammar can be checked on programs
without a model.

The subset: ``name ::= alternatives`` rules on one line each, ``#`` comments, string literals (escapes ``\\n``
``\\t`` ``\\\\`` ``\\"`` ``\\xHH``), character classes (ranges, ``^`` negation), rule references, groups and the
postfix operators ``*``, ``+``, ``?``. Matching is top-down with memoization and returns every end position of a
node at a start position, so it accepts exactly the grammar's language (ambiguity is fine) provided the grammar
is not left-recursive, which llama.cpp does not allow either.
"""

from __future__ import annotations

import sys
import threading
from dataclasses import dataclass, field

_ESC = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "[": "[", "]": "]", "-": "-", "^": "^"}


class GrammarSyntaxError(ValueError):
    """The grammar text is outside the supported GBNF subset."""


@dataclass(eq=False)
class Node:
    kind: str  # lit | cls | ref | seq | alt | rep
    value: object = None
    items: list[Node] = field(default_factory=list)
    lo: int = 0
    hi: int | None = None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def error(self, what: str) -> GrammarSyntaxError:
        line = self.text.count("\n", 0, self.pos) + 1
        return GrammarSyntaxError(f"grammar line {line}: {what} near {self.text[self.pos:self.pos + 30]!r}")

    def space(self, newlines: bool = False) -> None:
        t = self.text
        while self.pos < len(t):
            c = t[self.pos]
            if c in " \t" or (newlines and c in "\r\n"):
                self.pos += 1
            elif c == "#":
                while self.pos < len(t) and t[self.pos] != "\n":
                    self.pos += 1
            else:
                break

    def name(self) -> str:
        start = self.pos
        while self.pos < len(self.text) and (self.text[self.pos].isalnum() or self.text[self.pos] in "-_"):
            self.pos += 1
        if start == self.pos:
            raise self.error("expected a rule name")
        return self.text[start:self.pos]

    def char(self) -> str:
        c = self.text[self.pos]
        if c != "\\":
            self.pos += 1
            return c
        e = self.text[self.pos + 1]
        if e == "x":
            self.pos += 4
            return chr(int(self.text[self.pos - 2:self.pos], 16))
        if e == "u":
            self.pos += 6
            return chr(int(self.text[self.pos - 4:self.pos], 16))
        if e not in _ESC:
            raise self.error(f"unknown escape \\{e}")
        self.pos += 2
        return _ESC[e]

    def rules(self) -> dict[str, Node]:
        out: dict[str, Node] = {}
        while True:
            self.space(newlines=True)
            if self.pos >= len(self.text):
                return out
            name = self.name()
            self.space()
            if not self.text.startswith("::=", self.pos):
                raise self.error("expected ::=")
            self.pos += 3
            if name in out:
                raise self.error(f"rule {name} defined twice")
            out[name] = self.alternatives(nested=False)

    def alternatives(self, nested: bool) -> Node:
        alts = [self.sequence(nested)]
        while self.pos < len(self.text) and self.text[self.pos] == "|":
            self.pos += 1
            alts.append(self.sequence(nested))
        return alts[0] if len(alts) == 1 else Node("alt", items=alts)

    def sequence(self, nested: bool) -> Node:
        items: list[Node] = []
        c = ""
        while True:
            self.space(newlines=nested)
            if self.pos >= len(self.text):
                break
            c = self.text[self.pos]
            if c == '"':
                self.pos += 1
                chars = []
                while self.text[self.pos] != '"':
                    chars.append(self.char())
                self.pos += 1
                item = Node("lit", "".join(chars))
            elif c == "[":
                self.pos += 1
                negated = self.text[self.pos] == "^"
                self.pos += negated
                ranges = []
                while self.text[self.pos] != "]":
                    lo = self.char()
                    hi = lo
                    if self.text[self.pos] == "-" and self.text[self.pos + 1] != "]":
                        self.pos += 1
                        hi = self.char()
                    ranges.append((lo, hi))
                self.pos += 1
                item = Node("cls", _class_test(negated, ranges))
            elif c == "(":
                self.pos += 1
                item = self.alternatives(nested=True)
                self.space(newlines=True)
                if self.text[self.pos] != ")":
                    raise self.error("expected )")
                self.pos += 1
            elif c.isalnum():
                item = Node("ref", self.name())
            else:
                break
            if self.pos < len(self.text) and self.text[self.pos] in "*+?":
                op = self.text[self.pos]
                self.pos += 1
                item = Node("rep", items=[item], lo=1 if op == "+" else 0, hi=1 if op == "?" else None)
            items.append(item)
        if c == "{":
            raise self.error("{m,n} repetitions are not supported")
        return items[0] if len(items) == 1 else Node("seq", items=items)


def _class_test(negated: bool, ranges: list[tuple[str, str]]):
    small = {chr(x) for lo, hi in ranges if ord(hi) - ord(lo) < 512 for x in range(ord(lo), ord(hi) + 1)}
    big = [(lo, hi) for lo, hi in ranges if ord(hi) - ord(lo) >= 512]
    if not big:
        chars = frozenset(small)
        return (lambda ch: ch not in chars) if negated else (lambda ch: ch in chars)

    def test(ch: str) -> bool:
        inside = ch in small or any(lo <= ch <= hi for lo, hi in big)
        return inside != negated

    return test


def parse_grammar(text: str) -> dict[str, Node]:
    """The rules of a GBNF text; every referenced rule must exist and ``root`` must be there."""
    rules = _Parser(text).rules()

    def refs(node: Node):
        if node.kind == "ref":
            yield node.value
        for item in node.items:
            yield from refs(item)

    for name, node in rules.items():
        for ref in refs(node):
            if ref not in rules:
                raise GrammarSyntaxError(f"rule {name} refers to undefined rule {ref}")
    if "root" not in rules:
        raise GrammarSyntaxError("no root rule")
    return rules


@dataclass
class Verdict:
    accepted: bool
    furthest: int  # the furthest character any terminal matched up to (where a reject went wrong)
    line: int = 0
    column: int = 0
    context: str = ""

    def __bool__(self) -> bool:
        return self.accepted


class Recognizer:
    """``Recognizer(grammar_text).accepts(program)``: whether the grammar's ``root`` derives the whole text."""

    def __init__(self, grammar: str) -> None:
        self.rules = parse_grammar(grammar)

    def accepts(self, text: str, root: str = "root") -> Verdict:
        result: list[Verdict | BaseException] = []

        def run() -> None:
            try:
                result.append(self._accepts(text, root))
            except BaseException as exc:  # re-raised in the caller's thread
                result.append(exc)

        # deep recursion for deeply nested programs: a big stack in a thread of its own
        old = threading.stack_size()
        threading.stack_size(256 * 1024 * 1024)
        try:
            t = threading.Thread(target=run)
            t.start()
            t.join()
        finally:
            threading.stack_size(old)
        if isinstance(result[0], BaseException):
            raise result[0]
        return result[0]

    def _accepts(self, text: str, root: str) -> Verdict:
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, 200_000))
        try:
            m = _Match(self.rules, text)
            ends = m.ref(root, 0)
        finally:
            sys.setrecursionlimit(limit)
        ok = len(text) in ends
        far = m.furthest
        line = text.count("\n", 0, far) + 1
        col = far - (text.rfind("\n", 0, far) + 1) + 1
        start = text.rfind("\n", 0, far) + 1
        end = text.find("\n", far)
        context = text[start:end if end >= 0 else len(text)]
        return Verdict(ok, far, line, col, context)


class _Match:
    def __init__(self, rules: dict[str, Node], text: str) -> None:
        self.rules = rules
        self.text = text
        self.memo: dict[tuple[str, int], frozenset[int]] = {}
        self.active: set[tuple[str, int]] = set()
        self.furthest = 0

    def ref(self, name: str, pos: int) -> frozenset[int]:
        key = (name, pos)
        hit = self.memo.get(key)
        if hit is not None:
            return hit
        if key in self.active:
            raise GrammarSyntaxError(f"rule {name} is left-recursive")
        self.active.add(key)
        out = self.match(self.rules[name], pos)
        self.active.discard(key)
        self.memo[key] = out
        return out

    def match(self, node: Node, pos: int) -> frozenset[int]:
        kind = node.kind
        text = self.text
        if kind == "lit":
            s = node.value
            if text.startswith(s, pos):
                end = pos + len(s)
                if end > self.furthest:
                    self.furthest = end
                return frozenset((end,))
            return frozenset()
        if kind == "cls":
            if pos < len(text) and node.value(text[pos]):
                if pos + 1 > self.furthest:
                    self.furthest = pos + 1
                return frozenset((pos + 1,))
            return frozenset()
        if kind == "ref":
            return self.ref(node.value, pos)
        if kind == "seq":
            current: frozenset[int] | set[int] = frozenset((pos,))
            for item in node.items:
                nxt: set[int] = set()
                for p in current:
                    nxt |= self.match(item, p)
                if not nxt:
                    return frozenset()
                current = nxt
            return frozenset(current)
        if kind == "alt":
            out: set[int] = set()
            for item in node.items:
                out |= self.match(item, pos)
            return frozenset(out)
        # rep
        item = node.items[0]
        result: set[int] = {pos} if node.lo == 0 else set()
        frontier, seen, count = {pos}, {pos}, 0
        while frontier and (node.hi is None or count < node.hi):
            nxt = set()
            for p in frontier:
                nxt |= self.match(item, p)
            count += 1
            if count >= node.lo:
                result |= nxt
            frontier = nxt - seen if count >= node.lo else nxt
            seen |= nxt
        return frozenset(result)


def accepts(grammar: str, text: str) -> Verdict:
    """One-off check (builds the recognizer each time; keep a :class:`Recognizer` for many programs)."""
    return Recognizer(grammar).accepts(text)
