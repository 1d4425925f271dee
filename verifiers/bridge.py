"""Dialect bridge: rewrite a program for the dialect of the installed Dafny, keeping a position map.

LLMs and current corpora write Dafny 4; Debian ships Dafny 2.3 (the "dafny3" dialect). Towards dafny3:

* names that Dafny 4 reads as identifiers and Dafny 2.3 reserves (:data:`DAFNY23_RESERVED`: ``array1`` is a
  type there) get a ``_`` appended, everywhere in the program (``array1`` -> ``array1_``, or ``array1__`` if
  the program already has an ``array1_``); :attr:`Bridged.renamed` lists them. The other rewrites then run on
  the renamed text, and the two position maps are composed;
* a compiled ``function``/``predicate`` becomes ``function method``/``predicate method``;
  ``ghost function``/``ghost predicate`` become ``function``/``predicate`` (ghost by default there);
  ``opaque function`` becomes ``function method {:opaque}`` (``ghost opaque function``: ``function {:opaque}``);
* ``least``/``greatest`` predicates and lemmas become ``inductive``/``co`` ones;
* ``for i := lo to hi`` (and ``downto``, and the unbounded ``to *``) become ``while`` loops with Dafny 4's
  own semantics: the bounds evaluated once, the index invariant ``lo <= i <= hi``, the index stepped at the
  end (``to``) or start (``downto``) of the body, the whole wrapped in a block so the index goes out of scope;
* a ``while s != {}`` loop without ``decreases`` gets the termination metric Dafny 3.2+ guesses for it
  (``decreases |s|``; likewise ``!= multiset{}`` and ``!= []``). Dafny 2.3 guesses only for integer guards.
  The metric is still checked by the verifier, so this adds no trust, only Dafny 4's default;
* the type characteristic ``(00)`` (nonempty, Dafny 3.x+) becomes ``(0)`` (auto-initializable);
* a datatype's member block (Dafny 3+) becomes top-level declarations on the same lines
  (:mod:`verifiers.datatype_members`); named call arguments in declared order lose their names
  (:mod:`verifiers.named_arguments`);
* ``expect E[, msg];`` becomes ``assume E;`` (how Dafny 3+ verifies it; the gate lists it as trusted);
* a function ``by method`` keeps its functional body, and its method body becomes a method of its own that
  must compute the function's value (what Dafny 4 proves of it).

Towards dafny4 (when a 4.x verifier is installed and the program is written in the old dialect) the
function keywords go the other way. Array displays (``new int[] [1, 2]``) and named function results need
no rewrite: Dafny 2.3 accepts both. Every rewrite stays on the lines of the construct it replaces, and the
:class:`~verifiers.rewrite.Rewrite` maps each character back, so diagnostics point at the user's text.
Attributes such as ``{:verify false}`` are left alone: the integrity gate rejects them before this runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pipeline.dialect import DAFNY23_RESERVED, DIALECTS
from verifiers.datatype_members import lift_datatype_members
from verifiers.front.lexer import Token, gate_tokens
from verifiers.named_arguments import drop_argument_names
from verifiers.rewrite import Edit, Rewrite, apply_edits
from verifiers.syntax import (
    Decl,
    ForLoop,
    WhileLoop,
    expression_end,
    find_containers,
    find_decls,
    find_for_loops,
    find_while_loops,
    is_kw,
    is_op,
    matching,
    split_top,
    statement_start,
    strip_parens,
)


@dataclass
class Bridged:
    """The rewritten program, its position map and what was changed (for logs and reports)."""

    text: str
    rewrite: Rewrite
    source_dialect: str
    target_dialect: str
    changes: list[str] = field(default_factory=list)
    # functions made compiled (`function method`): name -> (first line, last line) in the source
    made_compiled: dict[str, tuple[int, int]] = field(default_factory=dict)
    # names reserved in Dafny 2.3, renamed: the user's name -> the name in ``text``
    renamed: dict[str, str] = field(default_factory=dict)


def detect_dialect(tokens: list[Token], decls: list[Decl] | None = None) -> str:
    """``dafny3`` if the program uses ``function method``, ``inductive``, ``copredicate`` or ``colemma``; else
    ``dafny4`` (the default: programs without either marker are read as Dafny 4, which LLMs write)."""
    decls = find_decls(tokens) if decls is None else decls
    if any(d.compiled_marker is not None for d in decls):
        return "dafny3"
    if any(t.kind == "keyword" and t.text in ("inductive", "copredicate", "colemma") for t in tokens):
        return "dafny3"
    return "dafny4"


def bridge(source: str, target: str, keep_ghost: frozenset[str] = frozenset()) -> Bridged:
    """Rewrite ``source`` for ``target`` (``dafny3`` or ``dafny4``).

    ``keep_ghost`` names Dafny 4 functions to leave ghost on dafny3 instead of compiling them (for a function
    whose body Dafny 2.3 cannot compile and that only specifications use; see ``verify_source``).

    Raises:
        LexError: the source cannot be tokenized (unterminated comment or string).
        ValueError: ``target`` is not a known dialect.
    """
    if target not in DIALECTS:
        raise ValueError(f"unknown dialect {target!r} (known: {', '.join(DIALECTS)})")
    tokens = gate_tokens(source)
    decls = find_decls(tokens)
    dialect = detect_dialect(tokens, decls)
    edits: list[Edit] = []
    changes: list[str] = []
    made_compiled: dict[str, tuple[int, int]] = {}
    renames, renamed = Rewrite.identity(source), {}
    if target == "dafny3":
        renames, renamed = _rename_reserved(source, tokens, decls, changes)
        if renamed:
            source = renames.text
            tokens = gate_tokens(source)
            decls = find_decls(tokens)
        if dialect == "dafny4":
            for d in decls:
                if _decl_to_dafny3(tokens, d, edits, changes, compile_it=d.name not in keep_ghost):
                    made_compiled[d.name] = (tokens[d.start].line, tokens[max(d.end - 1, d.start)].line)
                _by_method(source, tokens, d, edits, changes)
        for loop in find_for_loops(tokens):
            _for_to_while(source, tokens, loop, edits, changes)
        for wloop in find_while_loops(tokens):
            _guess_decreases(source, tokens, wloop, edits, changes)
        _nonempty_characteristic(tokens, edits, changes)
        lift_datatype_members(source, tokens, decls, find_containers(tokens), edits, changes)
        drop_argument_names(tokens, decls, edits, changes)
        _expect_to_assume(tokens, edits, changes)
        bodies = [d.body for d in decls if d.kind in ("function", "predicate") and d.body is not None]
        for i, t in enumerate(tokens):
            if t.kind == "keyword" and t.text == "match":
                in_function = any(lo < i < hi for lo, hi in bodies)  # type: ignore[misc]
                _literal_match(source, tokens, i, edits, changes, statement=not in_function and
                               statement_start(tokens, i))
    elif dialect == "dafny3":
        for d in decls:
            _decl_to_dafny4(tokens, d, edits, changes)
    rewrite = apply_edits(source, edits) if edits else Rewrite.identity(source)
    if renamed:
        rewrite = renames.then(rewrite)
    return Bridged(rewrite.text, rewrite, dialect, target, changes, made_compiled, renamed)


# ------------------------------------------------------------------------------------------ expect statements


def _expect_to_assume(tokens: list[Token], edits: list[Edit], changes: list[str]) -> None:
    """``expect E[, msg];`` (Dafny 3.x+) -> ``assume E;``: what the verifier of Dafny 3+ makes of it.

    Dafny checks ``expect`` at run time and assumes it in the proof, so the verdict is the same; the integrity
    gate lists it as trusted (the proof rests on the run-time check) whatever the dialect.
    """
    for i, t in enumerate(tokens):
        if not (t.kind == "keyword" and t.text == "expect" and statement_start(tokens, i)):
            continue
        edits.append(_replace(t, "assume"))
        end = expression_end(tokens, i + 1)
        condition = split_top(tokens[i + 1:end], ",")[0]
        comma = i + 1 + len(condition)
        if comma < end:
            edits.append(Edit(tokens[comma].start, tokens[end].start if end < len(tokens) else tokens[-1].end, ""))
        changes.append(f"line {t.line}: expect -> assume (what Dafny 3+ verifies it as)")


# ------------------------------------------------------------------------------------------ type characteristics


def _nonempty_characteristic(tokens: list[Token], edits: list[Edit], changes: list[str]) -> None:
    """``T(00)`` (Dafny 3.x+: T is nonempty) -> ``T(0)`` (auto-initializable), which Dafny 2.3 knows.

    The stronger requirement only narrows which types a caller may pass (a caller with a type that is nonempty
    but has no default value fails to resolve, it never verifies wrongly) and lets the body assume no more
    than a program Dafny 4 verified already needs.
    """
    for i in range(3, len(tokens) - 1):
        t = tokens[i]
        if (t.kind == "number" and t.text == "00" and tokens[i - 1].text in ("(", ",")
                and tokens[i + 1].text in (")", ",") and _in_type_parameter(tokens, i)):
            edits.append(_replace(t, "0"))
            changes.append(f"line {t.line}: type characteristic (00) -> (0)")


def _in_type_parameter(tokens: list[Token], i: int) -> bool:
    """Whether the characteristic list holding token ``i`` follows a type parameter in ``<...>``."""
    k = i - 1
    while k > 0 and tokens[k].text != "(":
        k -= 1
    return k >= 2 and tokens[k - 1].kind == "ident" and tokens[k - 2].text in ("<", ",")


# ------------------------------------------------------------------------------------------ literal patterns

_LITERAL_KINDS = ("number", "char", "string")


@dataclass
class _Case:
    keyword: int  # index of `case`
    arrow: int  # index of `=>`
    pattern: list[Token]
    end: int  # one past the case's body


def _literal_match(source: str, tokens: list[Token], i: int, edits: list[Edit], changes: list[str],
                   statement: bool) -> None:
    """``match x case 0 => a case 1 => b case _ => c`` (Dafny 3+: literal patterns) -> ``if``-``else`` chains.

    Dafny 2.3 matches datatype constructors only. A match whose cases are all literals (numbers, characters,
    strings, booleans), but for a last ``_`` or variable case, becomes ``if (x) == 0 then a else if ...``
    (a statement: ``if (x) == 0 { a } else ...``); a variable case binds ``var n := (x);``. A statement match
    without a last catch-all keeps Dafny 4's exhaustiveness check: its last branch asserts ``(x) == L``. A
    match with other patterns, a nested match, or an expression match without a catch-all is left alone.
    """
    is_stmt = statement
    found = _match_cases(tokens, i, is_stmt)
    if found is None:
        return
    scrutinee, cases, braces, region_end = found
    default = cases[-1] if _is_catch_all(cases[-1].pattern) else None
    literal = cases[:-1] if default else cases
    if not literal or not all(_is_literal(c.pattern) for c in literal) or (default is None and not is_stmt):
        return
    x = "(" + source[tokens[scrutinee[0]].start : tokens[scrutinee[1] - 1].end] + ")"
    first = tokens[i]
    head_end = tokens[braces[0]].end if braces else tokens[scrutinee[1] - 1].end
    edits.append(Edit(first.start, head_end, "(" if not is_stmt else "", anchor=first.start))
    for k, c in enumerate(cases):
        lead = "" if k == 0 else ("} else " if is_stmt else "else ")
        pat = source[tokens[c.keyword + 1].start : tokens[c.arrow - 1].end]
        if c is default:
            bind = f"var {pat} := {x}; " if c.pattern[0].text != "_" else ""
            text = lead + ("{ " + bind if is_stmt else bind)
        elif default is None and k == len(cases) - 1:
            text = lead + "{ " + f"assert {x} == {pat}; "
        else:
            text = lead + f"if {x} == {pat} " + ("{" if is_stmt else "then")
        edits.append(Edit(tokens[c.keyword].start, tokens[c.arrow].end, text, anchor=tokens[c.keyword].start))
    close = "}" if is_stmt else ")"
    if braces:
        edits.append(Edit(tokens[braces[1]].start, tokens[braces[1]].end, close))
    else:
        at = tokens[region_end - 1].end
        edits.append(Edit(at, at, " " + close, anchor=tokens[region_end - 1].start))
    changes.append(f"line {first.line}: match on literals -> if-else")


def _match_cases(tokens: list[Token], i: int, is_stmt: bool
                 ) -> tuple[tuple[int, int], list[_Case], tuple[int, int] | None, int] | None:
    """(scrutinee range, cases, the match's own braces or None, one past its last token), or None."""
    n, k, depth = len(tokens), i + 1, 0
    while k < n and not (depth == 0 and (is_kw(tokens[k], "case") or is_op(tokens[k], "{"))):
        depth += is_op(tokens[k], "(", "[") - is_op(tokens[k], ")", "]")
        k += 1
    if k >= n or k == i + 1:
        return None
    scrutinee = (i + 1, k)
    braces = None
    if is_op(tokens[k], "{"):
        braces = (k, matching(tokens, k))
        k += 1
    stop = braces[1] if braces else n
    cases: list[_Case] = []
    depth = 0
    while k < stop and is_kw(tokens[k], "case"):
        arrow = k + 1
        while arrow < stop and not is_op(tokens[arrow], "=>"):
            arrow += 1
        j, depth = arrow + 1, 0
        while j < stop:
            t = tokens[j]
            if depth == 0 and (is_kw(t, "case") or (not is_stmt and is_op(t, ";"))):
                break
            if is_kw(t, "match"):
                return None  # a nested match: its cases would be taken for ours
            if is_op(t, "(", "[", "{"):
                depth += 1
            elif is_op(t, ")", "]", "}"):
                if depth == 0:
                    break
                depth -= 1
            j += 1
        cases.append(_Case(k, arrow, tokens[k + 1 : arrow], j))
        k = j
    if not cases or (braces and k != braces[1]):
        return None
    return scrutinee, cases, braces, (braces[1] + 1 if braces else cases[-1].end)


def _is_literal(pattern: list[Token]) -> bool:
    texts = [t.text for t in pattern]
    if len(pattern) == 1:
        return pattern[0].kind in _LITERAL_KINDS or texts[0] in ("true", "false")
    return len(pattern) == 2 and texts[0] == "-" and pattern[1].kind == "number"


def _is_catch_all(pattern: list[Token]) -> bool:
    return len(pattern) == 1 and (pattern[0].text == "_" or pattern[0].kind == "ident")


# ------------------------------------------------------------------------------------------ reserved names


def _rename_reserved(source: str, tokens: list[Token], decls: list[Decl], changes: list[str]
                     ) -> tuple[Rewrite, dict[str, str]]:
    """Append ``_`` to every use of a :data:`DAFNY23_RESERVED` name (more ``_`` if that name is taken).

    The suffix is inserted after the name, so every character of the user's name keeps its own position in
    the map (a diagnostic at ``array1_`` points at the user's ``array1``).
    """
    modifiers = {i for d in decls for i in d.modifiers}
    names: list[Token] = []
    for i, tok in enumerate(tokens):
        if tok.kind == "attr":
            names += [t for t in tok.inner if t.kind in ("ident", "keyword")]  # {:trigger where[i]}
        elif tok.kind in ("ident", "keyword") and i not in modifiers:  # `protected function` stays
            names.append(tok)
    hits = [t for t in names if t.text in DAFNY23_RESERVED]
    if not hits:
        return Rewrite.identity(source), {}
    taken = {t.text for t in names}
    renamed: dict[str, str] = {}
    for tok in hits:
        if tok.text not in renamed:
            new = tok.text + "_"
            while new in taken:
                new += "_"
            taken.add(new)
            renamed[tok.text] = new
            changes.append(f"line {tok.line}: {tok.text} -> {new} (a reserved word in Dafny 2.3)")
    edits = [Edit(t.end, t.end, renamed[t.text][len(t.text) :], anchor=t.end - 1) for t in hits]
    return apply_edits(source, edits), renamed


# ------------------------------------------------------------------------------------------ declarations


def _replace(tok: Token, text: str) -> Edit:
    return Edit(tok.start, tok.end, text)


def _delete(tokens: list[Token], i: int) -> Edit:
    """Delete token ``i`` and the blanks after it on the same line."""
    tok = tokens[i]
    end = tok.end
    nxt = tokens[i + 1].start if i + 1 < len(tokens) else end
    if tokens[i + 1 :] and tokens[i + 1].line == tok.line:
        end = nxt
    return Edit(tok.start, end, "")


def _decl_to_dafny3(tokens: list[Token], d: Decl, edits: list[Edit], changes: list[str], compile_it: bool = True
                    ) -> bool:
    """Add the edits for one declaration; True if it became a compiled ``function method``."""
    kw = tokens[d.keyword]
    mods = {tokens[i].text: i for i in d.modifiers}
    if "least" in mods:
        edits.append(_replace(tokens[mods["least"]], "inductive"))
        changes.append(f"line {kw.line}: least {d.kind} -> inductive {d.kind}")
        return False
    if "greatest" in mods:
        edits.append(_delete(tokens, mods["greatest"]))
        edits.append(_replace(kw, "copredicate" if d.kind == "predicate" else "colemma"))
        changes.append(f"line {kw.line}: greatest {d.kind} -> co{d.kind}")
        return False
    if d.kind not in ("function", "predicate") or d.compiled_marker is not None:
        return False
    if "ghost" in mods:
        edits.append(_delete(tokens, mods["ghost"]))
        if "opaque" in mods:
            edits.append(_delete(tokens, mods["opaque"]))
            edits.append(Edit(kw.end, kw.end, " {:opaque}", anchor=kw.start))
        changes.append(f"line {kw.line}: ghost {d.kind} {d.name} -> {d.kind} (ghost by default in Dafny 3)")
        return False
    if "twostate" in mods:
        return False
    extra = " method" if compile_it else ""
    if "opaque" in mods:
        edits.append(_delete(tokens, mods["opaque"]))
        extra += " {:opaque}"
    if extra:
        edits.append(Edit(kw.end, kw.end, extra, anchor=kw.start))
    if not compile_it:
        changes.append(f"line {kw.line}: {d.kind} {d.name} left ghost (Dafny 2.3 cannot compile its body)")
        return False
    changes.append(f"line {kw.line}: {d.kind} {d.name} -> {d.kind} method (compiled in Dafny 4)")
    return True


def _by_method(source: str, tokens: list[Token], d: Decl, edits: list[Edit], changes: list[str]) -> None:
    """``function F(x: T): R requires P { e } by method { body }`` (Dafny 3.x+) -> the function as it is, and
    ``method F__by_method(x: T) returns (F__result: R) requires P ensures F__result == F(x) { body }``.

    Dafny 4 proves exactly that of a by-method body (it computes the function's value wherever the function
    is defined); Dafny 2.3 proves it of the separate method. Only the compiled code path differs.
    """
    if d.kind not in ("function", "predicate") or d.body is None or d.params is None:
        return
    k = d.body[1] + 1  # the declaration's tokens run on through the method body
    if not (k + 2 < len(tokens) and tokens[k].text == "by" and tokens[k + 1].text == "method"
            and is_op(tokens[k + 2], "{")):
        return
    params = tokens[d.params[0] + 1 : d.params[1]]
    names = [t.text for j, t in enumerate(params) if t.kind == "ident" and j + 1 < len(params)
             and is_op(params[j + 1], ":") and (j == 0 or params[j - 1].text in (",", "ghost", "nameonly"))]
    result = f"{d.name}__result"
    after = d.params[1] + 1
    if d.kind == "predicate":
        rtype = "bool"
    elif is_op(tokens[after], ":") and is_op(tokens[after + 1], "("):  # a named result: (r: R)
        close = after + 1
        while not is_op(tokens[close], ")"):
            close += 1
        result = tokens[after + 2].text
        rtype = source[tokens[after + 4].start : tokens[close - 1].end]
    else:
        rtype = source[tokens[after + 1].start : tokens[d.sig_end - 1].end]
    requires = " ".join(f"requires {source[tokens[c.start].start : tokens[c.end - 1].end]}"
                        for c in d.clauses if c.kind == "requires")
    header = (f"method {d.name}__by_method({source[tokens[d.params[0] + 1].start : tokens[d.params[1]].start]}) "
              f"returns ({result}: {rtype}) {requires} ensures {result} == {d.name}({', '.join(names)})")
    edits.append(Edit(tokens[k].start, tokens[k + 1].end, header, anchor=tokens[k].start))
    changes.append(f"line {tokens[k].line}: {d.kind} {d.name} by method -> method {d.name}__by_method")


def _decl_to_dafny4(tokens: list[Token], d: Decl, edits: list[Edit], changes: list[str]) -> None:
    kw = tokens[d.keyword]
    mods = {tokens[i].text: i for i in d.modifiers}
    if "inductive" in mods:
        edits.append(_replace(tokens[mods["inductive"]], "least"))
        changes.append(f"line {kw.line}: inductive {d.kind} -> least {d.kind}")
        return
    if d.kind in ("copredicate", "colemma"):
        edits.append(_replace(kw, "greatest predicate" if d.kind == "copredicate" else "greatest lemma"))
        changes.append(f"line {kw.line}: {d.kind} -> greatest {d.kind[2:]}")
        return
    if d.kind not in ("function", "predicate") or "twostate" in mods:
        return
    if d.compiled_marker is not None:
        edits.append(_delete(tokens, d.compiled_marker))
        changes.append(f"line {kw.line}: {d.kind} method {d.name} -> {d.kind}")
    elif "ghost" not in mods:
        edits.append(Edit(kw.start, kw.start, "ghost "))
        changes.append(f"line {kw.line}: {d.kind} {d.name} -> ghost {d.kind}")


# ------------------------------------------------------------------------------------------- for loops


def _span_text(source: str, tokens: list[Token], span: tuple[int, int]) -> str:
    a, b = span
    return source[tokens[a].start : tokens[b - 1].end] if b > a else ""


def _for_to_while(source: str, tokens: list[Token], loop: ForLoop, edits: list[Edit], changes: list[str]) -> None:
    """``for i: T := a to b`` -> ``{ var i__lo: T, i__hi: T := a, b; var i: T := i__lo; while i < i__hi ...``."""
    name = tokens[loop.index].text
    if name == "_":
        name = f"p2s_i{tokens[loop.start].start}"
    if loop.type_span:
        typ = f": {_span_text(source, tokens, loop.type_span)}"
    elif any(t.kind == "char" for t in tokens[loop.first[0] : loop.spec_end]):
        typ = ""  # a char loop: let Dafny infer the type
    else:
        # Dafny 2.3 would infer `nat` from a `nat` bound and then reject `i - 1`; the index is an int whose
        # lower bound the loop invariant states, which is what Dafny 4 knows about it
        typ = ": int"
    first = _span_text(source, tokens, loop.first)
    lo, hi = f"{name}__lo", f"{name}__hi"
    has_decreases = any(c.kind == "decreases" for c in loop.clauses)
    up = loop.direction == "to"
    if loop.second is not None:
        second = _span_text(source, tokens, loop.second)
        lo_e, hi_e = (first, second) if up else (second, first)
        init = lo if up else hi
        guard = f"{name} < {hi}" if up else f"{lo} < {name}"
        header = (f"{{ var {lo}{typ}, {hi}{typ} := {lo_e}, {hi_e}; var {name}{typ} := {init}; "
                  f"while {guard} invariant {lo} <= {name} <= {hi}")
        header_end = tokens[loop.second[1] - 1].end
    else:
        bound = lo if up else hi
        inv = f"{lo} <= {name}" if up else f"{name} <= {hi}"
        header = f"{{ var {bound}{typ} := {first}; var {name}{typ} := {bound}; while true invariant {inv}"
        if not has_decreases:
            header += " decreases *"
        header_end = _star_end(tokens, loop)
    start_tok = tokens[loop.start]
    edits.append(Edit(start_tok.start, header_end, header, anchor=start_tok.start))
    if loop.body is None:
        last = tokens[loop.spec_end - 1]
        edits.append(Edit(last.end, last.end, " }", anchor=last.start))
    else:
        if loop.body[1] >= len(tokens):  # unclosed body: leave the loop for Dafny to report
            edits.pop()
            return
        open_b, close_b = tokens[loop.body[0]], tokens[loop.body[1]]
        if up:
            edits.append(Edit(close_b.start, close_b.end, f"{name} := {name} + 1; }} }}", anchor=close_b.start))
        else:
            edits.append(Edit(open_b.end, open_b.end, f" {name} := {name} - 1;", anchor=open_b.start))
            edits.append(Edit(close_b.start, close_b.end, "} }", anchor=close_b.start))
    changes.append(f"line {start_tok.line}: for {tokens[loop.index].text} := ... {loop.direction} ... -> while loop")


def _guess_decreases(source: str, tokens: list[Token], loop: WhileLoop, edits: list[Edit],
                     changes: list[str]) -> None:
    """Add Dafny 3.2+'s guessed ``decreases |s|`` to ``while s != {}`` (also ``multiset{}``, ``[]``)."""
    if any(c.kind == "decreases" for c in loop.clauses):
        return
    guard = strip_parens(tokens[loop.guard[0] : loop.guard[1]])
    sides = split_top(guard, "!=")
    if len(sides) != 2:
        return
    empty = [_is_empty_collection(s) for s in sides]
    if empty[0] == empty[1]:
        return
    other = sides[1] if empty[0] else sides[0]
    if not _is_path(other):
        return
    name = " ".join(t.text for t in other).replace(" . ", ".")
    last = tokens[loop.guard[1] - 1]
    edits.append(Edit(last.end, last.end, f" decreases |{name}|", anchor=tokens[loop.start].start))
    changes.append(f"line {tokens[loop.start].line}: while {name} != ... -> decreases |{name}| (Dafny 4's guess)")


def _is_empty_collection(toks: list[Token]) -> bool:
    texts = [t.text for t in toks]
    return texts in (["{", "}"], ["[", "]"], ["multiset", "{", "}"])


def _is_path(toks: list[Token]) -> bool:
    """``x`` or ``this.x.y``: a name whose value the metric can mention."""
    if not toks or len(toks) % 2 == 0:
        return False
    for k, t in enumerate(toks):
        if k % 2 == 0 and not (t.kind == "ident" or (t.kind == "keyword" and t.text == "this")):
            return False
        if k % 2 == 1 and not is_op(t, "."):
            return False
    return True


def _star_end(tokens: list[Token], loop: ForLoop) -> int:
    """End offset of the ``*`` bound of ``for i := a to *``."""
    k = loop.first[1] + 1  # the token after to/downto
    return tokens[k].end
