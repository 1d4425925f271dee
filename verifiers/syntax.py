"""Just enough Dafny structure on top of the tokens: declarations, their contracts and bodies, ``for`` loops.

The integrity gate needs to know which method is the target, where its contract ends and whether it has a
body; the dialect bridge needs the same for functions and ``for`` loops. A full parser is not needed: the
declaration headers of Dafny are regular, and the only hard question - where does a contract expression
end and the body ``{`` begin - is answered by tracking whether the expression still expects an operand
(``ensures s == {}`` opens a set display, ``ensures s == t {`` opens the body).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from verifiers.front.lexer import Token

DECL_KEYWORDS = frozenset({"method", "lemma", "function", "predicate", "constructor", "iterator", "colemma",
                           "copredicate"})
# modifiers that may precede a declaration keyword; least/greatest/opaque are contextual (lexed as idents)
MODIFIERS = frozenset({"ghost", "static", "protected", "abstract", "twostate", "inductive", "least", "greatest",
                       "opaque"})
CONTAINERS = frozenset({"class", "trait", "module", "datatype", "codatatype", "newtype"})
METHOD_SPEC = frozenset({"requires", "ensures", "reads", "modifies", "decreases"})
LOOP_SPEC = frozenset({"invariant", "decreases", "modifies"})
# keywords that cannot occur inside an expression: they end a contract clause that is still open
_TERMINATORS = (DECL_KEYWORDS | CONTAINERS | {"ghost", "static", "protected", "abstract", "twostate", "inductive",
                                              "const", "type", "import", "include", "export"})
# keywords that complete an operand (literals and type names, as in `x as int {`)
_VALUE_KEYWORDS = frozenset({"true", "false", "null", "this", "int", "nat", "bool", "real", "char", "string",
                             "object", "ORDINAL", "array", "seq", "set", "multiset", "map", "iset", "imap"})
# keywords a display brace may follow directly
_DISPLAY_KEYWORDS = frozenset({"multiset", "iset", "set", "seq", "map", "imap"})
# keywords that bind variables and may have a `| range` part
_BINDERS = frozenset({"set", "iset", "map", "imap", "forall", "exists"})
_OPEN = {"(": ")", "[": "]", "{": "}"}


def is_op(tok: Token, *texts: str) -> bool:
    return tok.kind == "op" and tok.text in texts


def is_kw(tok: Token, *texts: str) -> bool:
    return tok.kind in ("keyword", "ident") and tok.text in texts


def matching(tokens: list[Token], i: int) -> int:
    """Index of the bracket closing the one at ``i`` (``(``, ``[`` or ``{``), or ``len(tokens)`` if unclosed."""
    opener = tokens[i].text
    closer = _OPEN[opener]
    depth = 0
    for j in range(i, len(tokens)):
        t = tokens[j]
        if t.kind != "op":
            continue
        if t.text == opener:
            depth += 1
        elif t.text == closer:
            depth -= 1
            if depth == 0:
                return j
    return len(tokens)


def matching_angle(tokens: list[Token], i: int) -> int:
    """Index of the ``>`` closing the type-parameter list that opens at ``i`` (``<T(==), U>``)."""
    depth = 0
    j = i
    while j < len(tokens):
        t = tokens[j]
        if is_op(t, "("):
            j = matching(tokens, j) + 1
            continue
        if is_op(t, "<"):
            depth += 1
        elif is_op(t, ">"):
            depth -= 1
            if depth == 0:
                return j
        elif is_op(t, ">>"):
            depth -= 2
            if depth <= 0:
                return j
        elif is_op(t, "{", ";", ")"):
            break
        j += 1
    return i


def expression_end(tokens: list[Token], i: int, stops: frozenset[str] = METHOD_SPEC) -> int:
    """Index just past the expression that starts at ``i`` (a contract clause's expression).

    The expression ends, at bracket depth 0, at a keyword in ``stops`` or one that cannot occur in an
    expression, at ``}``, at ``;`` (unless it closes a ``var x := e;`` let), or at a ``{`` that comes where an
    operand is complete (a body, not a set display).
    """
    depth = 0
    expecting = True
    bars: list[tuple[str, int]] = []
    lets = matches = 0
    n = len(tokens)
    while i < n:
        t = tokens[i]
        if depth == 0:
            if t.kind == "keyword" and (t.text in stops or t.text in _TERMINATORS):
                return i
            if t.kind == "ident" and t.text in ("least", "greatest", "opaque") and i + 1 < n and (
                tokens[i + 1].text in DECL_KEYWORDS
            ):
                return i
            if is_op(t, "}"):
                return i
            if is_op(t, ";"):
                if not lets:
                    return i
                lets -= 1
                expecting = True
                i += 1
                continue
            if is_op(t, "{") and not expecting:
                if not matches:
                    return i
                matches -= 1
                depth += 1
                expecting = True
                i += 1
                continue
        if t.kind == "op":
            x = t.text
            if x in ("(", "[", "{"):
                depth += 1
                expecting = True
            elif x in (")", "]", "}"):
                depth -= 1
                expecting = False
                if depth < 0:
                    return i
            elif x == "|":
                if bars and bars[-1] == ("comp", depth):
                    bars.pop()  # `set x | P`, `forall i | R :: P`: the range separator
                    expecting = True
                elif expecting:
                    bars.append(("bar", depth))  # |s| opens
                elif bars and bars[-1] == ("bar", depth):
                    bars.pop()
                    expecting = False
                else:
                    expecting = True  # bit-vector or
            elif x == "::":
                if bars and bars[-1] == ("comp", depth):
                    bars.pop()
                expecting = True
            elif x == "*" and expecting:
                expecting = False  # `reads *`, `decreases *`
            else:
                expecting = True
        elif t.kind == "keyword":
            if t.text in _BINDERS and i + 1 < n and tokens[i + 1].kind == "ident":
                bars.append(("comp", depth))
            if depth == 0 and t.text == "var":
                lets += 1
            if depth == 0 and t.text == "match":
                matches += 1
            expecting = t.text not in _VALUE_KEYWORDS
            if t.text in _DISPLAY_KEYWORDS and i + 1 < n and is_op(tokens[i + 1], "{"):
                expecting = True  # `multiset{1, 2}`: the brace opens a display, not a body
        elif t.kind != "attr":
            expecting = False
        i += 1
    return i


@dataclass
class Clause:
    """One contract clause: ``kind`` (requires, ensures, ...) and the token range of its expression."""

    kind: str
    keyword: int  # token index of the keyword
    start: int  # first token of the expression (after attributes)
    end: int  # one past the last token of the expression
    attrs: list[Token] = field(default_factory=list)

    def expr_tokens(self, tokens: list[Token]) -> list[Token]:
        return tokens[self.start : self.end]


@dataclass
class Container:
    """A class, trait, module or datatype with a member block (token indexes of its braces)."""

    kind: str
    name: str
    open: int
    close: int
    extends: tuple[str, ...] = ()  # the traits a class or trait names after ``extends``


@dataclass
class Decl:
    """A method, lemma, function, predicate, constructor or iterator declaration."""

    kind: str
    name: str
    start: int  # first token (first modifier, or the keyword)
    keyword: int  # token index of the kind keyword
    modifiers: list[int]  # token indexes of the modifiers
    compiled_marker: int | None  # index of `method` in `function method` / `predicate method`
    name_index: int | None
    params: tuple[int, int] | None  # indexes of the parameter list's parentheses
    returns: tuple[int, int] | None  # indexes of the returns list's parentheses (methods)
    sig_end: int  # one past the signature: the first clause keyword or the body
    clauses: list[Clause]
    body: tuple[int, int] | None  # indexes of the body's braces
    end: int  # one past the declaration
    attrs: list[Token]
    container: Container | None = None

    def modifier_texts(self, tokens: list[Token]) -> list[str]:
        return [tokens[i].text for i in self.modifiers]

    @property
    def is_ghost_kind(self) -> bool:
        return self.kind in ("lemma", "colemma", "copredicate")


def _skip_attrs(tokens: list[Token], i: int, into: list[Token] | None = None) -> int:
    while i < len(tokens) and tokens[i].kind == "attr":
        if into is not None:
            into.append(tokens[i])
        i += 1
    return i


def _is_decl_keyword(tokens: list[Token], i: int) -> bool:
    t = tokens[i]
    if t.kind != "keyword" or t.text not in DECL_KEYWORDS:
        return False
    if t.text == "method" and i > 0 and is_kw(tokens[i - 1], "function", "predicate", "by"):
        return False
    return True


def _function_type_end(tokens: list[Token], i: int) -> int:
    """One past a function's result type (``: int``, ``: seq<T>``, ``: (r: int)``) starting after ``:``."""
    n = len(tokens)
    if i < n and is_op(tokens[i], "("):
        return matching(tokens, i) + 1
    depth = 0
    while i < n:
        t = tokens[i]
        if depth == 0 and (
            (t.kind == "keyword" and (t.text in METHOD_SPEC or t.text in _TERMINATORS or t.text == "by"))
            or is_op(t, "{", "}", ";")
        ):
            return i
        if is_op(t, "<", "("):
            depth += 1
        elif is_op(t, ">", ")"):
            depth -= 1
        elif is_op(t, ">>"):
            depth -= 2
        i += 1
    return i


def parse_decl(tokens: list[Token], kw: int) -> Decl:
    """Parse the declaration whose kind keyword is at ``kw``."""
    n = len(tokens)
    kind = tokens[kw].text
    start = kw
    modifiers: list[int] = []
    j = kw - 1
    while j >= 0 and (tokens[j].kind == "attr" or is_kw(tokens[j], *MODIFIERS)):
        if tokens[j].kind != "attr":
            modifiers.insert(0, j)
            start = j
        j -= 1
    attrs: list[Token] = [tokens[k] for k in range(start, kw) if tokens[k].kind == "attr"]
    i = kw + 1
    compiled = None
    if kind in ("function", "predicate") and i < n and is_kw(tokens[i], "method"):
        compiled = i
        i += 1
    i = _skip_attrs(tokens, i, attrs)
    name, name_index = "", None
    if i < n and tokens[i].kind in ("ident", "keyword") and not is_op(tokens[i], "("):
        if tokens[i].kind == "ident":
            name, name_index = tokens[i].text, i
            i += 1
    if i < n and is_op(tokens[i], "<"):
        i = matching_angle(tokens, i) + 1
    if i < n and is_op(tokens[i], "["):  # least lemma L[nat](...)
        i = matching(tokens, i) + 1
    params = returns = None
    if i < n and is_op(tokens[i], "("):
        close = matching(tokens, i)
        params = (i, close)
        i = close + 1
    if i < n and is_kw(tokens[i], "returns", "yields") and i + 1 < n and is_op(tokens[i + 1], "("):
        close = matching(tokens, i + 1)
        returns = (i + 1, close)
        i = close + 1
    elif i < n and is_op(tokens[i], ":") and kind in ("function", "predicate"):
        i = _function_type_end(tokens, i + 1)
    sig_end = i
    clauses: list[Clause] = []
    while i < n:
        t = tokens[i]
        if is_kw(t, "yield") and i + 1 < n and is_kw(tokens[i + 1], "requires", "ensures"):
            i += 1
            t = tokens[i]
        if t.kind != "keyword" or t.text not in METHOD_SPEC:
            break
        c_attrs: list[Token] = []
        e_start = _skip_attrs(tokens, i + 1, c_attrs)
        e_end = expression_end(tokens, e_start, METHOD_SPEC)
        clauses.append(Clause(t.text, i, e_start, e_end, c_attrs))
        i = e_end
        if i < n and is_op(tokens[i], ";"):
            i += 1
    body = None
    if i < n and is_op(tokens[i], "{"):
        close = matching(tokens, i)
        body = (i, close)
        i = close + 1
        if i + 1 < n and is_kw(tokens[i], "by") and is_kw(tokens[i + 1], "method"):
            k = i + 2
            if k < n and is_op(tokens[k], "{"):
                i = matching(tokens, k) + 1
    return Decl(kind, name, start, kw, modifiers, compiled, name_index, params, returns, sig_end, clauses, body,
                i, attrs)


def _extends(tokens: list[Token], start: int, open_brace: int) -> tuple[str, ...]:
    """The names after ``extends`` in a container header (type arguments left out)."""
    names: list[str] = []
    after, angle = False, 0
    for t in tokens[start:open_brace]:
        if is_kw(t, "extends"):
            after = True
        elif is_op(t, "<"):
            angle += 1
        elif is_op(t, ">"):
            angle -= 1
        elif after and angle == 0 and t.kind == "ident":
            names.append(t.text)
    return tuple(names)


def find_containers(tokens: list[Token]) -> list[Container]:
    """Classes, traits, modules and datatypes that have a member block."""
    out: list[Container] = []
    n = len(tokens)
    for i, t in enumerate(tokens):
        if t.kind != "keyword" or t.text not in CONTAINERS:
            continue
        if t.text == "module" and i > 0 and is_kw(tokens[i - 1], "import"):
            continue
        name = next((tokens[k].text for k in range(i + 1, min(i + 4, n)) if tokens[k].kind == "ident"), "")
        depth = 0
        for j in range(i + 1, n):
            u = tokens[j]
            if is_op(u, "(", "["):
                depth += 1
            elif is_op(u, ")", "]"):
                depth -= 1
            elif depth == 0 and is_op(u, "{"):
                out.append(Container(t.text, name, j, matching(tokens, j), _extends(tokens, i, j)))
                break
            elif depth == 0 and (
                (u.kind == "keyword" and u.text in _TERMINATORS) or is_op(u, "}") or _is_decl_keyword(tokens, j)
            ):
                break
    return out


def find_decls(tokens: list[Token]) -> list[Decl]:
    """Every method/lemma/function/predicate/constructor/iterator declaration, with its container."""
    containers = find_containers(tokens)
    decls: list[Decl] = []
    i = 0
    while i < len(tokens):
        if _is_decl_keyword(tokens, i):
            d = parse_decl(tokens, i)
            inside = [c for c in containers if c.open < d.keyword < c.close]
            d.container = max(inside, key=lambda c: c.open) if inside else None
            decls.append(d)
            i = max(d.end, i + 1) if d.body else i + 1
            continue
        i += 1
    return decls


@dataclass
class ForLoop:
    """A Dafny 4 ``for`` loop: ``for i[: T] := a to|downto b|* <loop spec> { body }``."""

    start: int  # index of `for`
    index: int  # index of the loop variable's token
    type_span: tuple[int, int] | None  # token range of the declared index type
    first: tuple[int, int]  # token range of the expression after :=
    direction: str  # "to" or "downto"
    second: tuple[int, int] | None  # token range of the bound after to/downto; None for `*`
    spec_end: int  # one past the header (the loop spec's last clause)
    clauses: list[Clause]
    body: tuple[int, int] | None


def find_for_loops(tokens: list[Token]) -> list[ForLoop]:
    """Every ``for`` loop header of the program (Dafny 4 syntax)."""
    loops = []
    for i, t in enumerate(tokens):
        if t.kind == "keyword" and t.text == "for":
            loop = _parse_for(tokens, i)
            if loop is not None:
                loops.append(loop)
    return loops


def _parse_for(tokens: list[Token], i: int) -> ForLoop | None:
    n = len(tokens)
    k = i + 1
    if k >= n or tokens[k].kind not in ("ident",):
        return None
    index = k
    k += 1
    type_span = None
    if k < n and is_op(tokens[k], ":"):
        t0 = k + 1
        while k < n and not is_op(tokens[k], ":="):
            k += 1
        type_span = (t0, k)
    if k >= n or not is_op(tokens[k], ":="):
        return None
    f0 = k + 1
    depth = 0
    k = f0
    while k < n:
        t = tokens[k]
        if is_op(t, "(", "[", "{"):
            depth += 1
        elif is_op(t, ")", "]", "}"):
            depth -= 1
        elif depth == 0 and t.kind in ("ident", "keyword") and t.text in ("to", "downto"):
            break
        k += 1
    if k >= n:
        return None
    first = (f0, k)
    direction = tokens[k].text
    k += 1
    if k < n and is_op(tokens[k], "*"):
        second = None
        k += 1
    else:
        e_end = expression_end(tokens, k, LOOP_SPEC)
        second = (k, e_end)
        k = e_end
    clauses, k, body = loop_spec(tokens, k)
    return ForLoop(i, index, type_span, first, direction, second, k, clauses, body)


def loop_spec(tokens: list[Token], k: int) -> tuple[list[Clause], int, tuple[int, int] | None]:
    """The loop clauses from token ``k`` on (``invariant P;``: Dafny accepts the semicolon), the index after
    them, and the body's braces (``None``: a body-less loop)."""
    n = len(tokens)
    clauses: list[Clause] = []
    while k < n and tokens[k].kind == "keyword" and tokens[k].text in LOOP_SPEC:
        c_attrs: list[Token] = []
        e_start = _skip_attrs(tokens, k + 1, c_attrs)
        e_end = expression_end(tokens, e_start, LOOP_SPEC)
        clauses.append(Clause(tokens[k].text, k, e_start, e_end, c_attrs))
        k = e_end
        if k < n and is_op(tokens[k], ";"):
            k += 1
    body = (k, matching(tokens, k)) if k < n and is_op(tokens[k], "{") else None
    return clauses, k, body


def statement_start(tokens: list[Token], i: int) -> bool:
    """True if token ``i`` begins a statement (after ``;``, ``{``, ``}`` or a label)."""
    if i == 0:
        return True
    prev = tokens[i - 1]
    return is_op(prev, ";", "{", "}") or prev.kind == "attr" and statement_start(tokens, i - 1)


@dataclass
class WhileLoop:
    """A ``while`` loop with a guard (not the ``while { case ... }`` form): guard range and loop spec."""

    start: int  # index of `while`
    guard: tuple[int, int]
    clauses: list[Clause]
    body: tuple[int, int] | None


def find_while_loops(tokens: list[Token]) -> list[WhileLoop]:
    loops = []
    n = len(tokens)
    for i, t in enumerate(tokens):
        if not (t.kind == "keyword" and t.text == "while") or i + 1 >= n or is_op(tokens[i + 1], "{", "*"):
            continue
        g_end = expression_end(tokens, i + 1, LOOP_SPEC)
        clauses, _, body = loop_spec(tokens, g_end)
        loops.append(WhileLoop(i, (i + 1, g_end), clauses, body))
    return loops


def strip_parens(tokens: list[Token]) -> list[Token]:
    """Drop parentheses that enclose the whole token list: ``((a != b))`` -> ``a != b``."""
    while len(tokens) >= 2 and is_op(tokens[0], "(") and matching(tokens, 0) == len(tokens) - 1:
        tokens = tokens[1:-1]
    return tokens


def split_top(tokens: list[Token], op: str) -> list[list[Token]]:
    """Split a token list on ``op`` at bracket depth 0 (e.g. conjuncts on ``&&``)."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for t in tokens:
        if is_op(t, "(", "[", "{"):
            depth += 1
        elif is_op(t, ")", "]", "}"):
            depth -= 1
        if depth == 0 and is_op(t, op):
            parts.append([])
        else:
            parts[-1].append(t)
    return parts
