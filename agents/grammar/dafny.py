"""A GBNF grammar (llama.cpp's grammar format) of the Dafny subset our tasks use, for constrained decoding.

:func:`program_grammar` is the general subset: top-level methods, lemmas, functions and predicates (Dafny 2.3's
``function method``/``predicate method`` as well as plain ``function``/``predicate``), simple datatypes and
constants; ``requires``/``ensures``/``modifies``/``reads``/``decreases`` clauses; ``var`` declarations,
(simultaneous) assignments, calls, ``if``/``else``, ``while`` loops with ``invariant``/``decreases``/``modifies``,
``return``, ``assert`` (``by { ... }`` too), ``break`` and ``forall`` statements; expressions with the usual
operators, indexing and slices, ``.Length``, ``|s|``, ``old``/``multiset``/``fresh`` calls, sequence and set
displays, quantifiers, ``if-then-else`` and ``var`` let-expressions, ``as`` conversions.

:func:`task_grammar` narrows it to one task: the target method's header (``task.signature.text``) and the
pinned ``requires``/``ensures`` (in the task's order) are forced, so the model writes only what it may write:
helper declarations, extra ``ensures``/``modifies``/``decreases`` clauses, the body with its invariants. In
the target's body a ``var`` may not redeclare a parameter or a result (the most common Dafny mistake of small
models). ``style`` says what the reply is: ``chat`` a fenced ```dafny block (what the extractor takes first);
``completion`` the continuation of the completion prompt's prefix (fence, header and clauses are in the prompt,
the reply starts inside the body and ends with the closing fence); ``bare`` the program alone (for checks).

Layout rules that keep the grammar unambiguous where it matters (llama.cpp keeps one stack per parse):
every rule starts and ends with a non-blank character; whitespace (``ws``, optional; ``wsp``, at least one
blank) appears only between the items of a sequence, never twice in a row; identifiers exclude keywords.
Not covered (on purpose or for now): attributes other than ``{:trigger}``, ``assume``, ``decreases *``,
body-less declarations (all three would be rejected by the integrity gate), classes, modules, ``match``,
``calc``, lambdas other than an array initializer, set/map comprehensions. ``for i := lo to hi`` loops (Dafny 4,
rewritten to ``while`` by the bridge) are covered.
"""

from __future__ import annotations

import hashlib
import re
import string

from agents.grammar.names import identifiers, names_comment

KEYWORDS = (
    "method", "function", "predicate", "lemma", "returns", "requires", "ensures", "modifies", "reads",
    "decreases", "invariant", "var", "if", "then", "else", "while", "for", "return", "assert", "assume", "break",
    "forall", "exists", "new", "true", "false", "null", "this", "ghost", "in", "as", "is", "by", "calc", "match",
    "case", "datatype", "codatatype", "class", "trait", "module", "import", "const", "static", "type", "newtype",
    "label", "print", "yield", "include", "iterator", "free", "colemma", "inductive", "twostate", "witness",
)

IDENT_START = set(string.ascii_letters + "_")
IDENT_CHARS = IDENT_START | set(string.digits + "'")

STYLES = ("chat", "completion", "bare")
FENCE_OPEN = "```dafny\n"


# ------------------------------------------------------------------------------------------------ helpers


def lit(text: str) -> str:
    """A GBNF string literal."""
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{out}"'


def _class_char(c: str) -> str:
    return "\\" + c if c in "]\\^-" else c


def _class(chars: set[str]) -> str:
    """A GBNF character class holding exactly ``chars`` (ASCII), as ranges."""
    codes = sorted(ord(c) for c in chars)
    parts, i = [], 0
    while i < len(codes):
        j = i
        while j + 1 < len(codes) and codes[j + 1] == codes[j] + 1:
            j += 1
        lo, hi = chr(codes[i]), chr(codes[j])
        parts.append(_class_char(lo) if i == j else f"{_class_char(lo)}-{_class_char(hi)}")
        i = j + 1
    return "[" + "".join(parts) + "]"


class Rules:
    """An ordered set of GBNF rules (``name ::= body``, one line each)."""

    def __init__(self) -> None:
        self.rules: dict[str, str] = {}

    def add(self, name: str, body: str) -> str:
        if name in self.rules and self.rules[name] != body:
            raise ValueError(f"rule {name} defined twice")
        self.rules[name] = body
        return name

    def text(self) -> str:
        return "\n".join(f"{name} ::= {body}" for name, body in self.rules.items()) + "\n"


def _ident_rule(rules: Rules, name: str, excluded) -> str:
    """``name``: identifiers except the words in ``excluded`` (a trie of them, each node a rule)."""
    words = sorted(set(excluded))
    counter = [0]

    def node(prefix: str) -> str:
        nexts = sorted({w[len(prefix)] for w in words if w.startswith(prefix) and len(w) > len(prefix)})
        pool = IDENT_START if not prefix else IDENT_CHARS
        alts = []
        free = pool - set(nexts)
        if free:
            alts.append(f"{_class(free)} id-tail")
        for c in nexts:
            alts.append(f"{lit(c)} {node(prefix + c)}")
        body = " | ".join(alts)
        if not prefix:
            return rules.add(name, body)
        counter[0] += 1
        rule = f"{name}-{counter[0]}"
        return rules.add(rule, f"( {body} )?" if prefix not in words else body)

    rules.add("id-tail", f"{_class(IDENT_CHARS)}*")
    return node("")


_TOKEN = re.compile(
    r"""\s*(?:([A-Za-z_][\w']*)|(0x[0-9A-Fa-f_]+|\d[\d_]*(?:\.\d+)?)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)')|"""
    r"""(<==>|==>|<==|::|:=|:\||\.\.|&&|\|\||==|!=|<=|>=|<<|>>|\S))""", re.S)


def tokens(text: str) -> list[str]:
    """Dafny tokens of ``text`` (enough to force a header or a clause with free layout)."""
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            break
        out.append(m.group(m.lastindex or 0))
        pos = m.end()
    return out


def _wordy(tok: str, last: bool) -> bool:
    ch = tok[-1] if last else tok[0]
    return ch in IDENT_CHARS


def forced(text: str) -> str:
    """A GBNF sequence matching exactly ``text``'s tokens, with any layout between them."""
    toks = tokens(text)
    parts = [lit(toks[0])]
    for a, b in zip(toks, toks[1:], strict=False):
        parts.append("wsp" if _wordy(a, True) and _wordy(b, False) else "ws")
        parts.append(lit(b))
    return " ".join(parts)


def _sep(first_token_of: str) -> str:
    """The separator after a keyword when the next text starts with ``first_token_of``."""
    toks = tokens(first_token_of)
    return "wsp" if toks and _wordy(toks[0], False) else "ws"


# ------------------------------------------------------------------------------------------------ the core

_CORE = [
    # layout
    ("ws", "( [ \\t\\n] | comment )*"),
    ("wsp", "[ \\t\\n] ws"),
    ("comment", '"//" [^\\n]* "\\n" | "/*" ( [^*] | "*"+ [^*/] )* "*"+ "/"'),
    ("ws-nl", '( [ \\t]* ( "\\n" | "//" [^\\n]* "\\n" ) )+'),
    # types
    ("type", 'type-atom ( ws "->" ws type )?'),
    ("type-atom", 'ident "?"? ( ws "<" ws type ( ws "," ws type )* ws ">" )? | '
                  '"(" ( ws type ( ws "," ws type )* )? ws ")"'),
    ("tparams", '"<" ws tparam ( ws "," ws tparam )* ws ">"'),
    ("tparam", 'ident ( ws "(" ws ( "==" | "0" | "!new" ) ws ")" )?'),
    ("params", "param ( ws \",\" ws param )*"),
    ("param", '( "ghost" wsp )? ident ws ":" ws type'),
    # declarations
    ("decl", "method-decl | func-decl | datatype-decl | const-decl"),
    ("method-decl", '( "ghost" wsp )? ( "method" | "lemma" ) wsp ident ( ws tparams )? ws "(" ( ws params )? ws ")" '
                    '( ws "returns" ws "(" ( ws params )? ws ")" )? ( ws mspec )* ws block'),
    ("func-decl", '( "ghost" wsp )? func-kw wsp ident ( ws tparams )? ws "(" ( ws params )? ws ")" '
                  '( ws ":" ws ( type | "(" ws param ws ")" ) )? ( ws mspec )* ws "{" ws expr ws "}"'),
    ("func-kw", '"function" ( wsp "method" )? | "predicate" ( wsp "method" )?'),
    ("datatype-decl", '"datatype" wsp ident ( ws tparams )? ws "=" ws ctor ( ws "|" ws ctor )*'),
    ("ctor", 'ident ( ws "(" ( ws params )? ws ")" )?'),
    ("const-decl", '"const" wsp ident ( ws ":" ws type )? ( ws ":=" ws expr )?'),
    ("mspec", '( ( "requires" | "ensures" ) wsp expr | ( "modifies" | "reads" | "decreases" ) wsp args ) semi'),
    ("loop-spec", '( "invariant" wsp expr | ( "decreases" | "modifies" ) wsp args ) semi'),
    ("semi", '( ws ";" )?'),
    ("cond", 'wsp expr | "(" ws args ws ")" suffix* ( binop unary )* ( binop tail-expr )?'),
    # statements shared by every body
    ("assign-stmt", 'lhs ( ws "," ws lhs )* ws ( ":=" ws rhs ( ws "," ws rhs )* | ":|" ws expr ) ws ";"'),
    ("call-stmt", 'ident lhs-suffix* "(" ( ws args )? ws ")" ws ";"'),
    ("lhs", "ident lhs-suffix*"),
    ("lhs-suffix", '"[" ws args ws "]" | "." field | "(" ( ws args )? ws ")"'),
    ("rhs", '"new" wsp ident ws "[" ws args ws "]" ( ws "(" ws ident ws "=>" ws expr ws ")" )? | expr'),
    ("return-stmt", '"return" ( wsp rhs ( ws "," ws rhs )* )? ws ";"'),
    ("break-stmt", '"break" ws ";"'),
    # expressions
    ("expr", "( unary binop )* ( unary | tail-expr )"),
    ("binop", 'ws sym-op ws | wsp "in" wsp | ws "!in" wsp'),
    ("sym-op", '"<==>" | "==>" | "<==" | "&&" | "||" | "==" | "!=" | "<=" | ">=" | "<<" | ">>" | "<" | ">" | '
               '"+" | "-" | "*" | "/" | "%" | "&" | "|" | "^"'),
    ("tail-expr", 'quantifier | ite-expr | let-expr | "!" ws tail-expr'),
    ("quantifier", '( "forall" | "exists" ) wsp qvars ( ws trigger )* ( ws "|" ws expr )? ws "::" ws expr'),
    ("trigger", '"{:trigger" wsp args ws "}"'),
    ("qvars", 'qvar ( ws "," ws qvar )*'),
    ("qvar", 'ident ( ws ":" ws type )?'),
    ("ite-expr", '"if" cond ws "then" wsp expr wsp "else" wsp expr'),
    ("let-expr", '"var" wsp ident ws ":=" ws expr ws ";" ws expr'),
    ("unary", '"!" ws unary | "-" ws unary | primary suffix*'),
    ("suffix", '"[" ws index ws "]" | "." field | "(" ( ws args )? ws ")" | wsp "as" wsp conv-type'),
    # what a conversion may target: the numeric and char types (a name here let the model write `as invariant19
    # as invariant20 ...` until its token limit)
    ("conv-type", '"int" | "nat" | "real" | "char" | "ORDINAL" | "bv" [0-9]+'),
    ("field", "ident | [0-9]+"),
    ("index", '".." ( ws expr )? | expr ( ws ".." ( ws expr )? )? | expr ws ":=" ws expr | expr ( ws "," ws expr )+'),
    ("args", 'expr ( ws "," ws expr )*'),
    ("primary", 'ident | literal | "(" ws args ws ")" | "(" ws ")" | "|" ws expr ws "|" | "[" ( ws args )? ws "]" | '
                '"{" ( ws args )? ws "}" | "multiset" ws "{" ( ws args )? ws "}"'),
    ("literal", '"true" | "false" | "null" | "this" | number | char-lit | string-lit'),
    ("number", '"0x" [0-9a-fA-F_]+ | [0-9] [0-9_]* ( "." [0-9]+ )?'),
    ("char-lit", "\"'\" ( [^'\\\\\\n] | \"\\\\\" [^\\n] ) \"'\""),
    ("string-lit", '"\\"" ( [^"\\\\\\n] | "\\\\" [^\\n] )* "\\""'),
]


def _statements(rules: Rules, sfx: str, var_ident: str) -> str:
    """The statement rules of one kind of body (``sfx`` names them); returns the block rule's name."""
    block = f"block{sfx}"
    rules.add(block, f'"{{" ( ws stmt{sfx} )* ws "}}"')
    rules.add(f"stmt{sfx}", f"var-stmt{sfx} | assign-stmt | call-stmt | if-stmt{sfx} | while-stmt{sfx} | "
                            f"for-stmt{sfx} | return-stmt | assert-stmt{sfx} | break-stmt | forall-stmt{sfx} | {block}")
    rules.add(f"var-stmt{sfx}", f'( "ghost" wsp )? "var" wsp vdecl{sfx} ( ws "," ws vdecl{sfx} )* '
                                f'( ws ":=" ws rhs ( ws "," ws rhs )* | ws ":|" ws expr )? ws ";"')
    rules.add(f"vdecl{sfx}", f'{var_ident} ( ws ":" ws type )?')
    rules.add(f"if-stmt{sfx}", f'"if" cond ws {block} ( ws "else" ws {block} | ws "else" wsp if-stmt{sfx} )?')
    rules.add(f"while-stmt{sfx}", f'"while" cond ( ws loop-spec )* ws {block}')
    rules.add(f"for-stmt{sfx}", f'"for" wsp {var_ident} ( ws ":" ws type )? ws ":=" ws expr '
                                f'wsp ( "to" | "downto" ) wsp expr ( ws loop-spec )* ws {block}')
    rules.add(f"assert-stmt{sfx}", f'"assert" wsp expr ( ws ";" | ws "by" ws {block} )')
    rules.add(f"forall-stmt{sfx}", f'"forall" wsp qvars ( ws "|" ws expr )? ( ws "ensures" wsp expr )* ws {block}')
    return block


def _core(rules: Rules, comments: bool = True) -> None:
    for name, body in _CORE:
        if name == "ws" and not comments:
            body = "[ \\t\\n]*"
        elif name == "ws-nl" and not comments:
            body = '( [ \\t]* "\\n" )+'
        elif name == "comment" and not comments:
            continue
        rules.add(name, body)
    _statements(rules, "", "ident")
    _ident_rule(rules, "ident", KEYWORDS)


def program_grammar(fence: bool = False, comments: bool = True) -> str:
    """The general subset: one or more declarations (inside a ```dafny fence when ``fence``); ``comments``:
    whether comments may appear between tokens."""
    rules = Rules()
    if fence:
        rules.add("root", f'{lit(FENCE_OPEN)} ws decl ( ws decl )* ws-nl "```"')
    else:
        rules.add("root", "ws decl ( ws decl )* ws")
    _core(rules, comments)
    return rules.text()


def task_grammar(task, style: str = "chat", comments: bool = True) -> str:
    """The grammar of a reply for ``task``: the target's header and pinned clauses forced (see the module doc).

    ``style``: ``chat`` (a fenced block), ``completion`` (continues the completion prompt's prefix, which ends
    with the target's opening brace) or ``bare`` (the program alone). ``comments=False`` is the grammar decoding
    uses: a small model held back by the grammar otherwise escapes into comments and repeats them until its
    token limit (measured: a 512-token reply of ``// invariant ...`` lines).
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, got {style!r}")
    sig = task.signature
    rules = Rules()
    target_body = _statements_target(rules, sig)
    if style == "completion":
        rules.add("root", '( ws stmt-t )* ws "}" ( ws decl )* ws-nl "```"')
    else:
        rules.add("target", f"{forced(sig.text)} {_clauses(rules, task)} ws {target_body}")
        if style == "chat":
            rules.add("root", f'{lit(FENCE_OPEN)} ws ( decl ws )* target ( ws decl )* ws-nl "```"')
        else:
            rules.add("root", "ws ( decl ws )* target ( ws decl )* ws")
    _core(rules, comments)
    # the root first: llama.cpp does not care, but a reader does
    rules.rules = {"root": rules.rules.pop("root"), **rules.rules}
    return task_names(task) + "\n" + rules.text()


def task_names(task) -> str:
    """The names line (:func:`agents.grammar.names.names_comment`) of a task's grammar: what the reply may use
    without declaring it, so the decoding guide can refuse what Dafny's resolver would."""
    sig = task.signature
    texts = [sig.text, *task.requires, *task.ensures, task.definitions or ""]
    return names_comment({p.name: str(p.type) for p in sig.params}, {p.name: str(p.type) for p in sig.returns},
                         set().union(*(identifiers(t) for t in texts)))


def _clauses(rules: Rules, task) -> str:
    """The pinned clauses in the task's order; extra ``ensures``/``modifies``/``decreases`` anywhere between."""
    rules.add("tspec", '( "ensures" wsp expr | ( "modifies" | "decreases" ) wsp args ) semi')
    parts = ["( ws tspec )*"]
    for kind, exprs in (("requires", task.requires), ("ensures", task.ensures)):
        for expr in exprs:
            parts.append(f"ws {lit(kind)} {_sep(expr)} {forced(expr)} semi ( ws tspec )*")
    return " ".join(parts)


def _statements_target(rules: Rules, sig) -> str:
    names = [p.name for p in sig.params + sig.returns]
    _ident_rule(rules, "var-ident-t", (*KEYWORDS, *names))
    return _statements(rules, "-t", "var-ident-t")


def grammar_hash(text: str) -> str:
    """The sha256 of a grammar's text: what a transcript records instead of the text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
