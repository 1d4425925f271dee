"""Datatype members for Dafny 2.3: lift ``datatype D = ... { members }`` to top-level declarations.

Dafny 2.3 has no member block on datatypes (it reports "EOF expected" at the brace); Dafny 3+ programs use
them for state machines (``v.WF(c)``). The bridge makes each member a top-level declaration on the same lines:
the braces go, an instance member gets the receiver as a first parameter ``this_: D<T>`` (the datatype's type
parameters become the member's first ones), ``this`` becomes ``this_`` and a bare field or member of the
datatype inside a member is read through ``this_``; a call ``recv.M(args)`` becomes ``M(recv, args)`` and a
static call ``D.M(args)`` becomes ``M(args)``. A member whose name another datatype or a top-level declaration
also uses is renamed ``D_M``; which datatype a call means is then read from the receiver's declared type.

Nothing here adds trust: a call resolved to the wrong member, or a receiver this cannot follow (a call's
result, an indexed element), is left as it was or fails Dafny's resolver, never verifies in its place.
A datatype whose block holds anything but functions, predicates, methods and lemmas (``const``, nested types)
is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from verifiers.front.lexer import Token
from verifiers.rewrite import Edit
from verifiers.syntax import Container, Decl, is_kw, is_op, matching_angle

SELF = "this_"


@dataclass
class _Datatype:
    """One datatype with a member block: its type parameters, fields (with their type's name) and members."""

    container: Container
    name: str
    type_params: str  # as declared, without the angle brackets ("T(==), U"), or ""
    type_names: list[str]  # their names ("T", "U")
    fields: dict[str, str]  # field name -> the first name of its type ("seq", "Constants")
    members: dict[str, Decl] = field(default_factory=dict)
    lifted: dict[str, str] = field(default_factory=dict)  # member name -> its top-level name

    @property
    def self_type(self) -> str:
        return f"{self.name}<{', '.join(self.type_names)}>" if self.type_names else self.name


def lift_datatype_members(source: str, tokens: list[Token], decls: list[Decl], containers: list[Container],
                          edits: list[Edit], changes: list[str]) -> None:
    """Add the edits that make every datatype member a top-level declaration (see the module docstring)."""
    types = _datatypes(source, tokens, decls, containers)
    if not types:
        return
    _name_members(types, decls)
    moved: set[int] = set()
    for i in range(len(tokens)):
        _rewrite_call(source, tokens, decls, types, i, edits, moved)
    for dt in types:
        edits.append(Edit(tokens[dt.container.open].start, tokens[dt.container.open].end, " "))
        edits.append(Edit(tokens[dt.container.close].start, tokens[dt.container.close].end, " "))
        for d in dt.members.values():
            _lift_member(tokens, dt, d, edits, moved)
        changes.append(f"line {tokens[dt.container.open].line}: datatype {dt.name}'s members -> top-level "
                       f"declarations ({', '.join(dt.lifted[m] for m in dt.members)}; Dafny 2.3 has no datatype "
                       f"members)")


# ------------------------------------------------------------------------------------------------ finding


def _datatypes(source: str, tokens: list[Token], decls: list[Decl], containers: list[Container]) -> list[_Datatype]:
    out = []
    for c in containers:
        if c.kind not in ("datatype", "codatatype"):
            continue
        members = [d for d in decls if d.container == c]
        covered = {k for d in members for k in range(d.start, d.end)}
        if not members or any(k not in covered for k in range(c.open + 1, c.close)):
            continue
        head = next(k for k in range(c.open, -1, -1) if is_kw(tokens[k], c.kind))
        dt = _Datatype(c, c.name, *_type_params(source, tokens, head + 2, c.open), _fields(tokens, head, c.open))
        dt.members = {d.name: d for d in members}
        out.append(dt)
    return out


def _type_params(source: str, tokens: list[Token], k: int, stop: int) -> tuple[str, list[str]]:
    """The type-parameter list opening at ``k`` as written, and its names (those after ``<`` or ``,``)."""
    if not (k < stop and is_op(tokens[k], "<")):
        return "", []
    end = matching_angle(tokens, k)
    names = [tokens[j].text for j in range(k + 1, end) if is_op(tokens[j - 1], "<", ",")]
    return source[tokens[k + 1].start:tokens[end - 1].end], names


def _fields(tokens: list[Token], head: int, stop: int) -> dict[str, str]:
    """The constructors' parameters: ``name: Type`` at depth one of their parentheses."""
    out: dict[str, str] = {}
    depth = 0
    for k in range(head, stop):
        t = tokens[k]
        if is_op(t, "(", "["):
            depth += 1
        elif is_op(t, ")", "]"):
            depth -= 1
        elif depth == 1 and t.kind == "ident" and k + 2 < stop and is_op(tokens[k + 1], ":"):
            out[t.text] = tokens[k + 2].text
    return out


def _name_members(types: list[_Datatype], decls: list[Decl]) -> None:
    """Keep a member's name where it is unique in the program, else ``D_M``."""
    top = {d.name for d in decls if d.container is None}
    seen: dict[str, int] = {}
    for dt in types:
        for name in dt.members:
            seen[name] = seen.get(name, 0) + 1
    taken = top | {dt.name for dt in types} | {f for dt in types for f in dt.fields}
    for dt in types:
        for name in dt.members:
            dt.lifted[name] = name if seen[name] == 1 and name not in taken else f"{dt.name}_{name}"


# ------------------------------------------------------------------------------------------------ calls


def _rewrite_call(source: str, tokens: list[Token], decls: list[Decl], types: list[_Datatype], i: int,
                  edits: list[Edit], moved: set[int]) -> None:
    """``recv.M(args)`` -> ``M(recv, args)``; ``D.M(args)`` -> ``M(args)`` for a static member."""
    t = tokens[i]
    if not (t.kind == "ident" and i >= 2 and is_op(tokens[i - 1], ".") and i + 1 < len(tokens)
            and is_op(tokens[i + 1], "(")):
        return
    owners = [dt for dt in types if t.text in dt.members]
    if not owners:
        return
    start = _receiver_start(tokens, i - 1)
    if start is None:
        return
    recv = tokens[start:i - 1]
    static = [dt for dt in owners if len(recv) == 1 and recv[0].text == dt.name]
    if static:
        dt = static[0]
        edits.append(Edit(tokens[start].start, t.start, ""))
        _rename(t, dt, edits)
        return
    home = _enclosing(decls, i)
    dt = owners[0] if len(owners) == 1 else _owner_by_type(tokens, recv, home, types, owners)
    if dt is None or "static" in dt.members[t.text].modifier_texts(tokens):
        return
    text = _receiver_text(source, tokens, start, i - 1, home, types)
    empty = is_op(tokens[i + 2], ")") if i + 2 < len(tokens) else True
    edits.append(Edit(tokens[start].start, t.start, ""))
    _rename(t, dt, edits)
    open_paren = tokens[i + 1]
    edits.append(Edit(open_paren.end, open_paren.end, text + ("" if empty else ", "), anchor=tokens[start].start))
    moved.update(range(start, i - 1))


def _rename(t: Token, dt: _Datatype, edits: list[Edit]) -> None:
    if dt.lifted[t.text] != t.text:
        edits.append(Edit(t.start, t.end, dt.lifted[t.text]))


def _receiver_start(tokens: list[Token], dot: int) -> int | None:
    """First token of ``a.b[i].c`` before the ``.`` at ``dot``; ``None`` for a receiver this does not follow."""
    k = dot - 1
    while k >= 0:
        t = tokens[k]
        if is_op(t, "]"):
            depth = 0
            while k >= 0:
                depth += is_op(tokens[k], "]") - is_op(tokens[k], "[")
                if depth == 0:
                    break
                k -= 1
            k -= 1
            continue
        if not (t.kind == "ident" or is_kw(t, "this")):
            return None
        if k >= 1 and is_op(tokens[k - 1], "."):
            k -= 2
            continue
        return k
    return None


def _owner_by_type(tokens: list[Token], recv: list[Token], home: Decl | None, types: list[_Datatype],
                   owners: list[_Datatype]) -> _Datatype | None:
    """The datatype a receiver ``x`` or ``x.f.g`` is declared to have (followed through the fields)."""
    by_name = {dt.name: dt for dt in types}
    if is_kw(recv[0], "this"):
        type_name = home.container.name if home is not None and home.container is not None else None
    else:
        type_name = _declared_type(tokens, recv[0].text, home)
        member_of = _member_of(home, types)
        if type_name is None and member_of is not None:
            type_name = member_of.fields.get(recv[0].text)
    k = 1
    while type_name is not None and k < len(recv):
        if not is_op(recv[k], ".") or k + 1 >= len(recv) or type_name not in by_name:
            return None
        type_name = by_name[type_name].fields.get(recv[k + 1].text)
        k += 2
    return next((dt for dt in owners if dt.name == type_name), None)


def _declared_type(tokens: list[Token], name: str, home: Decl | None) -> str | None:
    """The type name after the last ``name:`` in the enclosing declaration (its parameters, ``var``s, binders)."""
    if home is None:
        return None
    found = None
    for k in range(home.start, min(home.end, len(tokens)) - 2):
        if tokens[k].text == name and tokens[k].kind == "ident" and is_op(tokens[k + 1], ":"):
            found = tokens[k + 2].text
    return found


def _member_of(home: Decl | None, types: list[_Datatype]) -> _Datatype | None:
    """The datatype whose member ``home`` is, if any."""
    return next((dt for dt in types if home is not None and home.container == dt.container), None)


def _enclosing(decls: list[Decl], i: int) -> Decl | None:
    inside = [d for d in decls if d.start <= i < d.end]
    return max(inside, key=lambda d: d.start) if inside else None


def _receiver_text(source: str, tokens: list[Token], start: int, stop: int, home: Decl | None,
                   types: list[_Datatype]) -> str:
    """The receiver's text as it reads once lifted (``this`` and bare fields of the member's datatype)."""
    dt = _member_of(home, types)
    declared = _declared_names(tokens, home) if dt is not None and home is not None else set()
    parts = []
    for k in range(start, stop):
        t = tokens[k]
        gap = source[tokens[k - 1].end:t.start] if k > start else ""
        parts.append(gap + (_inside_text(tokens, k, dt, declared) if dt is not None else t.text))
    return "".join(parts)


# ------------------------------------------------------------------------------------------------ members


def _lift_member(tokens: list[Token], dt: _Datatype, d: Decl, edits: list[Edit], moved: set[int]) -> None:
    mods = {tokens[k].text: k for k in d.modifiers}
    static = "static" in mods
    if static:
        s = tokens[mods["static"]]
        edits.append(Edit(s.start, s.end, ""))
    if d.name_index is not None:
        name = tokens[d.name_index]
        if dt.lifted[d.name] != d.name:
            edits.append(Edit(name.start, name.end, dt.lifted[d.name]))
        if dt.type_params:
            nxt = tokens[d.name_index + 1]
            if is_op(nxt, "<"):
                edits.append(Edit(nxt.end, nxt.end, dt.type_params + ", "))
            else:
                edits.append(Edit(name.end, name.end, f"<{dt.type_params}>"))
    if not static and d.params is not None:
        lo, hi = d.params
        sep = "" if hi == lo + 1 else ", "
        edits.append(Edit(tokens[lo].end, tokens[lo].end, f"{SELF}: {dt.self_type}{sep}", anchor=tokens[lo].start))
    if static:
        return
    first = d.params[1] + 1 if d.params is not None else d.keyword + 1
    declared = _declared_names(tokens, d)
    for k in range(first, d.end):
        if k in moved:
            continue
        text = _bare_call_paren(tokens, k, dt, declared) or _inside_text(tokens, k, dt, declared)
        if text != tokens[k].text:
            edits.append(Edit(tokens[k].start, tokens[k].end, text))


def _inside_text(tokens: list[Token], k: int, dt: _Datatype, declared: set[str]) -> str:
    """Token ``k`` of a member of ``dt`` (which declares ``declared`` itself) as the lifted member reads it."""
    t = tokens[k]
    if t.kind == "keyword" and t.text == "this":
        return SELF
    if t.kind != "ident" or (k > 0 and is_op(tokens[k - 1], ".")) or t.text in declared:
        return t.text
    after = tokens[k + 1] if k + 1 < len(tokens) else None
    if t.text in dt.members and after is not None and is_op(after, "("):
        return dt.lifted[t.text]
    if t.text in dt.fields and not (after is not None and is_op(after, ":", ":=")):
        return f"{SELF}.{t.text}"
    return t.text


def _bare_call_paren(tokens: list[Token], k: int, dt: _Datatype, declared: set[str]) -> str | None:
    """The ``(`` of a bare call of an instance member inside a member of ``dt``, with the receiver passed on."""
    if not (k >= 1 and is_op(tokens[k], "(")):
        return None
    name = tokens[k - 1]
    if (name.kind != "ident" or name.text not in dt.members or (k >= 2 and is_op(tokens[k - 2], "."))
            or name.text in declared or "static" in dt.members[name.text].modifier_texts(tokens)):
        return None
    empty = k + 1 < len(tokens) and is_op(tokens[k + 1], ")")
    return "(" + SELF + ("" if empty else ", ")


def _declared_names(tokens: list[Token], d: Decl) -> set[str]:
    """The names ``d`` declares itself (parameters, ``var``s, bound variables): they shadow the datatype's."""
    return {tokens[k].text for k in range(d.start, min(d.end, len(tokens)) - 1)
            if tokens[k].kind == "ident" and (is_op(tokens[k + 1], ":", ":=") or is_kw(tokens[k - 1], "var"))}
