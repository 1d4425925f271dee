"""Recursive-descent parser: Dafny text -> :mod:`verifiers.front.ast`.

It reads what Dafny's resolved printer (``/rprint:- /printMode:NoGhost``) writes, and ordinary Dafny 2.3/3
source as well: spec clauses, loop invariants, ghost declarations and proof statements are parsed into their own
fields (``requires``, ``invariants``, :class:`~verifiers.front.ast.GhostStmt`) so that other back ends can
use them. Operator precedence follows Dafny's grammar (lowest first): ``<==>``, ``==> <==``, ``&& ||``,
relations (chained), shifts, ``+ -``, ``* / %``, ``& | ^``, ``as``/``is``, unary ``- !``, suffixes; ``if``,
``match``, quantifiers, comprehensions, ``var`` let-expressions and lambdas extend as far to the right as they can.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from verifiers.front import ast as A
from verifiers.front.errors import DafnySyntaxError, UnsupportedConstruct
from verifiers.front.lexer import Token, tokenize

T = TypeVar("T")

REL_OPS = ("==", "!=", "<", "<=", ">", ">=", "!!")
SPEC_WORDS = ("requires", "ensures", "modifies", "reads", "decreases", "invariant", "free", "yield")
GHOST_MODIFIERS = ("twostate", "inductive", "extreme", "least", "greatest")
DECL_MODIFIERS = ("ghost", "static", "abstract", "opaque", "protected", "twostate", "inductive", "extreme",
                  "least", "greatest")


class _Backtrack(Exception):
    """Raised inside a speculative parse; the caller rewinds."""


class Parser:
    """Parses one token list; use :func:`parse_program` or :func:`parse_expression`."""

    def __init__(self, tokens: list[Token], dialect: str = "dafny3", printed: bool = False) -> None:
        self.toks = list(tokens)
        self.i = 0
        self.no_bar = 0  # >0 inside |...|: a bare '|' closes the cardinality
        self.no_lambda = 0  # >0 in a case guard: `x =>` ends the guard instead of starting a lambda
        self.dialect = dialect  # "dafny4": a plain `function` is compiled
        # Dafny's printer places shifts between `* / %` and `+ -` (it prints `(a << b) - c` as `a << b - c`),
        # while its parser places them below `+ -`: text the printer wrote is read with the printer's order.
        self.printed = printed
        self.splits: list[tuple[int, Token]] = []  # undo log of `>>` tokens split into `>` `>`

    # ------------------------------------------------------------------------------------------ helpers

    @property
    def tok(self) -> Token:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Token:
        j = min(self.i + k, len(self.toks) - 1)
        return self.toks[j]

    def advance(self) -> Token:
        t = self.toks[self.i]
        if t.kind != "eof":
            self.i += 1
        return t

    def error(self, message: str, tok: Token | None = None) -> DafnySyntaxError:
        t = tok or self.tok
        found = t.text or "end of input"
        return DafnySyntaxError(f"{message} (found {found!r})", t.line, t.col)

    def at_op(self, *ops: str) -> bool:
        return self.tok.is_op(*ops)

    def at_word(self, *words: str) -> bool:
        return self.tok.is_word(*words)

    def accept_op(self, op: str) -> bool:
        if self.at_op(op):
            self.advance()
            return True
        return False

    def accept_word(self, word: str) -> bool:
        if self.at_word(word):
            self.advance()
            return True
        return False

    def expect_op(self, op: str) -> Token:
        if op == ">" and self.at_op(">>", ">=", ">>="):
            self._split_gt()
        if not self.at_op(op):
            raise self.error(f"expected '{op}'")
        return self.advance()

    def expect_word(self, word: str) -> Token:
        if not self.at_word(word):
            raise self.error(f"expected '{word}'")
        return self.advance()

    def ident(self) -> str:
        if self.tok.kind != "ident":
            raise self.error("expected an identifier")
        return self.advance().text

    def _on_next_line(self) -> bool:
        """Whether the current token starts a later line than the previous token ends on."""
        return self.i > 0 and self.tok.line > self.toks[self.i - 1].line

    def _split_gt(self) -> None:
        """Turn ``>>`` (or ``>=``) into ``>`` followed by the rest, for closing nested type arguments."""
        t = self.tok
        rest = t.text[1:]
        self.splits.append((self.i, t))
        self.toks[self.i : self.i + 1] = [
            Token("op", ">", t.start, t.start + 1, t.line, t.col),
            Token("op", rest, t.start + 1, t.end, t.line, t.col + 1),
        ]

    def speculate(self, fn: Callable[[], T]) -> T | None:
        """Run ``fn``; on a syntax error rewind and return ``None``."""
        start, nsplits = self.i, len(self.splits)
        try:
            return fn()
        except (DafnySyntaxError, _Backtrack):
            while len(self.splits) > nsplits:
                at, original = self.splits.pop()
                self.toks[at : at + 2] = [original]
            self.i = start
            return None

    def attributes(self) -> list[A.Attribute]:
        attrs = []
        while self.at_op("{") and self.peek().is_op(":"):
            line = self.tok.line
            self.advance()
            self.advance()
            name = self.ident()
            args: list[A.Expr] = []
            if not self.at_op("}"):
                args.append(self.expression())
                while self.accept_op(","):
                    args.append(self.expression())
            self.expect_op("}")
            attrs.append(A.Attribute(name, args, line=line))
        return attrs

    # ------------------------------------------------------------------------------------------ types

    def type_(self) -> A.Type:
        t = self._type_atom()
        if self.at_op("->", "-->", "~>"):
            arrow = self.advance().text
            result = self.type_()
            params = t.args if t.name == "tuple" else (t,)
            return A.Type(arrow, tuple(params) + (result,))
        return t

    def _type_atom(self) -> A.Type:
        if self.accept_op("("):
            items: list[A.Type] = []
            if not self.at_op(")"):
                items.append(self.type_())
                while self.accept_op(","):
                    items.append(self.type_())
            self.expect_op(")")
            if len(items) == 1 and not self.at_op("->", "-->", "~>"):
                return items[0]
            return A.Type("tuple", tuple(items))
        name = self.ident()
        while self.at_op(".") and self.peek().kind == "ident":
            self.advance()
            name += "." + self.ident()
        nullable = name.endswith("?")
        if nullable:
            name = name[:-1]
        args: tuple[A.Type, ...] = ()
        if self.at_op("<"):
            self.advance()
            items = [self.type_()]
            while self.accept_op(","):
                items.append(self.type_())
            self.expect_op(">")
            args = tuple(items)
        if name == "string" and not args:
            return A.Type("string")
        return A.Type(name, args, nullable)

    def type_params(self) -> list[A.TypeParam]:
        params: list[A.TypeParam] = []
        if not self.at_op("<"):
            return params
        self.advance()
        while True:
            line = self.tok.line
            variance = ""
            if self.at_op("+", "-", "*", "!"):
                variance = self.advance().text
            name = self.ident()
            chars = ""
            if self.at_op("("):
                depth, parts = 0, []
                while True:
                    t = self.advance()
                    if t.is_op("("):
                        depth += 1
                    elif t.is_op(")"):
                        depth -= 1
                    parts.append(t.text)
                    if depth == 0:
                        break
                chars = "".join(parts)
            params.append(A.TypeParam(name, chars, variance, line=line))
            if not self.accept_op(","):
                break
        self.expect_op(">")
        return params

    # ------------------------------------------------------------------------------------------ program

    def program(self) -> A.Program:
        decls = []
        while self.tok.kind != "eof":
            decls.extend(self.declaration())
        return A.Program(decls, line=1)

    def declaration(self) -> list[A.Decl]:
        line = self.tok.line
        attrs = self.attributes()
        mods: set[str] = set()
        while self.at_word(*DECL_MODIFIERS):
            word = self.advance().text
            mods.add("ghost" if word in GHOST_MODIFIERS else word)
        attrs += self.attributes()
        t = self.tok
        if t.is_word("module"):
            return [self.module_decl(attrs)]
        if t.is_word("import"):
            return [self.import_decl()]
        if t.is_word("datatype", "codatatype"):
            return [self.datatype(attrs)]
        if t.is_word("type"):
            return [self.type_decl(attrs)]
        if t.is_word("newtype"):
            return [self.newtype_decl(attrs)]
        if t.is_word("const"):
            return [self.const_decl(attrs, mods)]
        if t.is_word("var"):
            return self.field_decls(attrs, mods)
        if t.is_word("function", "predicate", "copredicate"):
            return [self.function(attrs, mods)]
        if t.is_word("method", "lemma", "constructor", "colemma"):
            return [self.method(attrs, mods)]
        if t.is_word("class", "trait"):
            return [self.class_decl(attrs)]
        if t.is_word("iterator"):
            raise UnsupportedConstruct("iterator", line)
        if t.is_op(";"):
            self.advance()
            return []
        raise self.error("expected a declaration")

    def module_decl(self, attrs: list[A.Attribute]) -> A.Decl:
        line = self.expect_word("module").line
        attrs += self.attributes()
        name = self.ident()
        while self.accept_op("."):
            name += "." + self.ident()
        if self.at_word("refines") or self.at_op(":", "="):
            raise UnsupportedConstruct("module refinement/abbreviation", line)
        self.expect_op("{")
        decls: list[A.Decl] = []
        while not self.at_op("}"):
            decls.extend(self.declaration())
        self.expect_op("}")
        return A.ModuleDecl(name, decls, line=line, attributes=attrs)

    def import_decl(self) -> A.Decl:
        line = self.expect_word("import").line
        opened = self.accept_word("opened")
        name = self.ident()
        target = name
        if self.accept_op("=") or self.accept_op(":"):
            target = self.ident()
        while self.accept_op("."):
            target += "." + self.ident()
        if self.at_op("`"):
            raise UnsupportedConstruct("export set", line)
        return A.Import(name, target, opened, line=line)

    def formal(self, allow_unnamed: bool = False) -> A.Formal:
        line = self.tok.line
        ghost = False
        while self.at_word("ghost", "nameonly", "new", "older"):
            ghost = self.advance().text == "ghost" or ghost
        if allow_unnamed and not (self.tok.kind == "ident" and self.peek().is_op(":")):
            return A.Formal("", self.type_(), ghost, line=line)
        name = self.ident()
        self.expect_op(":")
        typ = self.type_()
        default = self.expression() if self.accept_op(":=") else None
        return A.Formal(name, typ, ghost, default, line=line)

    def formals(self, allow_unnamed: bool = False) -> list[A.Formal]:
        self.expect_op("(")
        out: list[A.Formal] = []
        if not self.at_op(")"):
            out.append(self.formal(allow_unnamed))
            while self.accept_op(","):
                out.append(self.formal(allow_unnamed))
        self.expect_op(")")
        return out

    def datatype(self, attrs: list[A.Attribute]) -> A.Datatype:
        kw = self.advance()
        attrs += self.attributes()
        name = self.ident()
        tps = self.type_params()
        self.expect_op("=")
        self.accept_op("|")
        ctors = [self.ctor()]
        while self.accept_op("|"):
            ctors.append(self.ctor())
        members: list[A.Decl] = []
        if self.at_op("{"):
            self.advance()
            while not self.at_op("}"):
                members.extend(self.declaration())
            self.expect_op("}")
        return A.Datatype(name, tps, ctors, kw.text == "codatatype", members, line=kw.line, attributes=attrs)

    def ctor(self) -> A.Ctor:
        line = self.tok.line
        self.attributes()
        ghost = self.accept_word("ghost")
        name = self.ident()
        fields = self.formals(allow_unnamed=True) if self.at_op("(") else []
        return A.Ctor(name, fields, ghost, line=line)

    def _witness(self) -> A.Expr | None:
        if self.accept_word("ghost"):
            self.expect_word("witness")
            return self.expression()
        if self.accept_word("witness"):
            if self.accept_op("*"):
                return None
            return self.expression()
        return None

    def type_decl(self, attrs: list[A.Attribute]) -> A.Decl:
        line = self.expect_word("type").line
        attrs += self.attributes()
        name = self.ident()
        chars = ""
        if self.at_op("("):  # type T(==)
            depth = 0
            while True:
                t = self.advance()
                depth += t.is_op("(") - t.is_op(")")
                chars += t.text
                if depth == 0:
                    break
        tps = self.type_params()
        if not self.accept_op("="):
            return A.TypeSynonym(name, tps, None, line=line, attributes=attrs)
        if self.tok.kind == "ident" and self.peek().is_op(":"):
            var = self.ident()
            self.expect_op(":")
            base = self.type_()
            self.expect_op("|")
            constraint = self.expression()
            witness = self._witness()
            return A.SubsetType(name, tps, var, base, constraint, witness, line=line, attributes=attrs)
        return A.TypeSynonym(name, tps, self.type_(), line=line, attributes=attrs)

    def newtype_decl(self, attrs: list[A.Attribute]) -> A.Decl:
        line = self.expect_word("newtype").line
        attrs += self.attributes()
        name = self.ident()
        self.expect_op("=")
        if self.tok.kind == "ident" and (self.peek().is_op(":") or self.peek().is_op("|")):
            var = self.ident()
            base = self.type_() if self.accept_op(":") else A.INT
            self.expect_op("|")
            constraint = self.expression()
            witness = self._witness()
            return A.SubsetType(name, [], var, base, constraint, witness, True, line=line, attributes=attrs)
        return A.SubsetType(name, [], None, self.type_(), None, None, True, line=line, attributes=attrs)

    def const_decl(self, attrs: list[A.Attribute], mods: set[str]) -> A.Const:
        line = self.expect_word("const").line
        attrs += self.attributes()
        name = self.ident()
        typ = self.type_() if self.accept_op(":") else None
        value = self.expression() if self.accept_op(":=") else None
        self.accept_op(";")
        return A.Const(name, typ, value, "ghost" in mods, "static" in mods, line=line, attributes=attrs)

    def field_decls(self, attrs: list[A.Attribute], mods: set[str]) -> list[A.Decl]:
        line = self.expect_word("var").line
        attrs += self.attributes()
        out: list[A.Decl] = []
        while True:
            name = self.ident()
            self.expect_op(":")
            out.append(A.Field(name, self.type_(), "ghost" in mods, line=line, attributes=attrs))
            if not self.accept_op(","):
                break
        self.accept_op(";")
        return out

    def specs(self, words: tuple[str, ...]) -> dict[str, list[A.Expr]]:
        """Spec clauses in any order: ``requires e``, ``ensures e``, ``modifies e, f``, ``decreases *`` ..."""
        out: dict[str, list[A.Expr]] = {w: [] for w in words}
        while self.at_word(*SPEC_WORDS):
            word = self.advance().text
            if word in ("free", "yield"):
                word = self.advance().text
            self.attributes()
            if word not in out:
                raise self.error(f"'{word}' clause not allowed here")
            if word in ("requires", "ensures", "invariant"):
                if self.tok.kind == "ident" and self.peek().is_op(":") and not self.peek(2).is_op(":"):
                    self.advance()
                    self.advance()  # a labelled clause `requires L: e`
                out[word].append(self.expression())
            elif word == "decreases" and self.at_op("*"):
                self.advance()
                out[word].append(A.Name("*", line=self.tok.line))
            else:
                out[word].append(self.frame_expression())
                while self.accept_op(","):
                    out[word].append(self.frame_expression())
            self.accept_op(";")
        return out

    def frame_expression(self) -> A.Expr:
        if self.at_op("`"):
            self.advance()
            return A.Member(A.This(), self.ident())
        e = self.expression()
        if self.accept_op("`"):
            e = A.Member(e, self.ident(), line=e.line)
        return e

    def function(self, attrs: list[A.Attribute], mods: set[str]) -> A.Function:
        kw = self.advance()
        is_pred = kw.text in ("predicate", "copredicate")
        compiled = False
        if kw.text == "copredicate":
            pass
        elif self.accept_word("method"):
            compiled = True
        elif "ghost" not in mods and self._dafny4_compiled(kw):
            compiled = True
        attrs += self.attributes()
        name = self.ident()
        tps = self.type_params()
        params = self.formals()
        result, result_name = A.BOOL, None
        if self.accept_op(":"):
            if self.at_op("(") and self.peek().kind == "ident" and self.peek(2).is_op(":"):
                self.advance()
                result_name = self.ident()
                self.expect_op(":")
                result = self.type_()
                self.expect_op(")")
            else:
                result = self.type_()
        spec = self.specs(("requires", "ensures", "reads", "decreases", "modifies"))
        body = None
        if self.at_op("{"):
            self.advance()
            body = self.expression()
            self.expect_op("}")
        return A.Function(name, tps, params, result, body, compiled, is_pred, result_name, spec["requires"],
                          spec["ensures"], spec["reads"], spec["decreases"], "static" in mods, line=kw.line,
                          attributes=attrs)

    def _dafny4_compiled(self, kw: Token) -> bool:
        """In Dafny 4 a plain ``function``/``predicate`` is compiled; in Dafny 3 it is ghost."""
        return self.dialect == "dafny4"

    def method(self, attrs: list[A.Attribute], mods: set[str]) -> A.Method:
        kw = self.advance()
        kind = {"colemma": "lemma"}.get(kw.text, kw.text)
        attrs += self.attributes()
        name = "" if kind == "constructor" and self.at_op("(", "<") else self.ident()
        tps = self.type_params()
        ins = self.formals()
        outs: list[A.Formal] = []
        if self.accept_word("returns"):
            outs = self.formals()
        spec = self.specs(("requires", "ensures", "modifies", "decreases", "reads"))
        body = self.block() if self.at_op("{") else None
        return A.Method(name, tps, ins, outs, body, kind, "ghost" in mods or kind == "lemma", spec["requires"],
                        spec["ensures"], spec["modifies"], spec["decreases"], "static" in mods, line=kw.line,
                        attributes=attrs)

    def class_decl(self, attrs: list[A.Attribute]) -> A.ClassDecl:
        kw = self.advance()
        attrs += self.attributes()
        name = self.ident()
        tps = self.type_params()
        extends: list[A.Type] = []
        if self.accept_word("extends"):
            extends.append(self.type_())
            while self.accept_op(","):
                extends.append(self.type_())
        self.expect_op("{")
        members: list[A.Decl] = []
        while not self.at_op("}"):
            members.extend(self.declaration())
        self.expect_op("}")
        return A.ClassDecl(name, tps, members, kw.text, extends, line=kw.line, attributes=attrs)

    # ------------------------------------------------------------------------------------------ statements

    def block(self) -> A.Block:
        line = self.expect_op("{").line
        stmts = []
        while not self.at_op("}"):
            stmts.append(self.statement())
        self.expect_op("}")
        return A.Block(stmts, line=line)

    def statement(self) -> A.Stmt:
        t = self.tok
        line = t.line
        if t.is_word("label"):
            self.advance()
            name = self.ident()
            self.expect_op(":")
            stmt = self.statement()
            stmt.labels.insert(0, name)
            return stmt
        if t.is_op("{"):
            return self.block()
        if t.is_word("var") or (t.is_word("ghost") and self.peek().is_word("var")):
            return self.var_decl()
        if t.is_word("if"):
            return self.if_stmt()
        if t.is_word("while"):
            return self.while_stmt()
        if t.is_word("for"):
            return self.for_stmt()
        if t.is_word("match"):
            return self.match_stmt()
        if t.is_word("forall"):
            return self.forall_stmt()
        if t.is_word("print"):
            self.advance()
            args = [self.expression()]
            while self.accept_op(","):
                args.append(self.expression())
            self.expect_op(";")
            return A.Print(args, line=line)
        if t.is_word("return"):
            self.advance()
            values: list[A.Rhs] = []
            if not self.at_op(";"):
                values.append(self.rhs())
                while self.accept_op(","):
                    values.append(self.rhs())
            self.expect_op(";")
            return A.Return(values, line=line)
        if t.is_word("break"):
            self.advance()
            count, label = 1, None
            while self.accept_word("break"):
                count += 1
            if self.tok.kind == "ident":
                label = self.ident()
            self.expect_op(";")
            return A.Break(label, count, line=line)
        if t.is_word("continue"):
            raise UnsupportedConstruct("continue", line)
        if t.is_word("assert", "assume", "expect", "reveal", "modify", "calc", "yield"):
            return self.proof_statement()
        if t.is_op(";"):
            self.advance()
            return A.Block([], line=line)
        return self.update_stmt()

    def proof_statement(self) -> A.Stmt:
        t = self.advance()
        line = t.line
        if t.text == "yield":
            raise UnsupportedConstruct("yield", line)
        if t.text == "calc":
            text = self._skip_balanced_braces()
            return A.GhostStmt("calc", [], text, line=line)
        self.attributes()
        if t.text in ("assert", "assume") and self.tok.kind == "ident" and self.peek().is_op(":") and \
                not self.peek(2).is_op(":"):
            self.advance()
            self.advance()
        exprs = [self.expression()]
        while self.accept_op(","):
            exprs.append(self.expression())
        if t.text == "assert" and self.accept_word("by"):
            self.block()
            return A.GhostStmt("assert", exprs, line=line)
        if t.text == "modify" and self.at_op("{"):
            self.block()
        self.expect_op(";")
        if t.text == "expect":
            return A.Expect(exprs[0], exprs[1] if len(exprs) > 1 else None, line=line)
        return A.GhostStmt(t.text, exprs, line=line)

    def _skip_balanced_braces(self) -> str:
        parts = []
        while not self.at_op("{"):
            parts.append(self.advance().text)
        depth = 0
        while True:
            t = self.advance()
            if t.kind == "eof":
                raise self.error("unterminated block")
            parts.append(t.text)
            depth += t.is_op("{") - t.is_op("}")
            if depth == 0:
                return " ".join(parts)

    def local_var(self, ghost: bool) -> A.LocalVar:
        line = self.tok.line
        self.attributes()
        name = self.ident()
        self.attributes()
        typ = self.type_() if self.accept_op(":") else None
        return A.LocalVar(name, typ, ghost, line=line)

    def var_decl(self) -> A.Stmt:
        line = self.tok.line
        ghost = self.accept_word("ghost")
        self.expect_word("var")
        if self.at_op("(") or (self.tok.kind == "ident" and self.peek().is_op("(")):
            pattern = self.pattern()
            self.expect_op(":=")
            rhs = self.expression()
            self.expect_op(";")
            return A.VarDecl([], [rhs], None, pattern, line=line)
        lvars = [self.local_var(ghost)]
        while self.accept_op(","):
            lvars.append(self.local_var(ghost))
        if self.accept_op(":|"):
            self.attributes()
            cond = self.expression()
            self.expect_op(";")
            return A.VarDecl(lvars, [], cond, line=line)
        rhss: list[A.Rhs] = []
        if self.accept_op(":="):
            rhss.append(self.rhs())
            while self.accept_op(","):
                rhss.append(self.rhs())
        elif self.at_op(":-"):
            raise UnsupportedConstruct(":- (failure-compatible assignment)", line)
        self.attributes()
        self.expect_op(";")
        return A.VarDecl(lvars, rhss, line=line)

    def rhs(self) -> A.Rhs:
        if self.at_word("new"):
            return self.new_rhs()
        if self.at_op("*"):
            raise UnsupportedConstruct("havoc assignment (:= *)", self.tok.line)
        return self.expression()

    def new_rhs(self) -> A.Rhs:
        line = self.expect_word("new").line
        # element type (Dafny infers it in `new [3] [a, b, c]`), possibly followed by array dimensions
        typ = A.INFERRED if self.at_op("[") else self._type_atom_no_array()
        if self.at_op("["):
            self.advance()
            dims: list[A.Expr | None] = []
            if not self.at_op("]"):
                dims.append(self.expression())
                while self.accept_op(","):
                    dims.append(self.expression())
            else:
                dims.append(None)
            self.expect_op("]")
            if self.at_op("["):
                self.advance()
                items: list[A.Expr] = []
                if not self.at_op("]"):
                    items.append(self.expression())
                    while self.accept_op(","):
                        items.append(self.expression())
                self.expect_op("]")
                return A.NewArray(typ, dims, display=items, line=line)
            if self.at_op("("):
                self.advance()
                init = self.expression()
                self.expect_op(")")
                return A.NewArray(typ, dims, init=init, line=line)
            return A.NewArray(typ, dims, line=line)
        ctor = None
        if self.accept_op("."):
            ctor = self.ident()
        args: list[A.Expr] = []
        if self.at_op("("):
            args = self.call_args()
        return A.NewObject(typ, ctor, args, line=line)

    def _type_atom_no_array(self) -> A.Type:
        """A type after ``new``: a name with type arguments (``new int[3]``, ``new array<int>[2]``)."""
        if self.at_op("("):
            return self._type_atom()
        name = self.ident()
        nullable = name.endswith("?")
        name = name.rstrip("?")
        args: tuple[A.Type, ...] = ()
        if self.at_op("<"):
            self.advance()
            items = [self.type_()]
            while self.accept_op(","):
                items.append(self.type_())
            self.expect_op(">")
            args = tuple(items)
        if name == "string":
            return A.STRING
        return A.Type(name, args, nullable)

    def update_stmt(self) -> A.Stmt:
        line = self.tok.line
        lhss = [self.expression()]
        while self.accept_op(","):
            lhss.append(self.expression())
        if self.accept_op(":="):
            rhss = [self.rhs()]
            while self.accept_op(","):
                rhss.append(self.rhs())
            self.attributes()
            self.expect_op(";")
            return A.Assign(lhss, rhss, line=line)
        if self.accept_op(":|"):
            self.attributes()
            cond = self.expression()
            self.expect_op(";")
            return A.AssignSuchThat(lhss, cond, line=line)
        if self.at_op(":-"):
            raise UnsupportedConstruct(":- (failure-compatible assignment)", line)
        self.expect_op(";")
        if len(lhss) == 1 and isinstance(lhss[0], A.Call):
            return A.CallStmt(lhss[0], line=line)
        raise DafnySyntaxError("expected ':=' or a method call", line, 0)

    def guard(self) -> A.Expr | None:
        if self.at_op("*"):
            self.advance()
            return None
        if self.at_op("(") and self.peek().is_op("*") and self.peek(2).is_op(")"):
            self.advance()
            self.advance()
            self.advance()
            return None
        return self.expression()

    def guarded_cases(self) -> list[A.GuardedCase]:
        """``{ case g => S ... }``; the printer also writes the braces-free form ``if case g => S ...``."""
        braced = self.accept_op("{")
        cases = []
        while self.at_word("case"):
            line = self.advance().line
            self.attributes()
            self.no_lambda += 1
            g = self.expression()
            self.no_lambda -= 1
            self.expect_op("=>")
            body = []
            while not self.at_word("case") and not self.at_op("}"):
                body.append(self.statement())
            cases.append(A.GuardedCase(g, body, line=line))
        if braced:
            self.expect_op("}")
        return cases

    def if_stmt(self) -> A.Stmt:
        line = self.expect_word("if").line
        if self.at_op("{") or self.at_word("case"):
            return A.AltIf(self.guarded_cases(), line=line)
        cond = self.guard()
        if self.at_op(":|"):
            raise UnsupportedConstruct("binding guard (if x :| P)", line)
        if self.printed and (not self.at_op("{") or self._on_next_line()):
            then = A.Block([], line=self.tok.line)  # the printer writes nothing for an all-ghost then-block
        else:
            then = self.block()
        else_: A.Block | A.If | None = None
        if self.accept_word("else"):
            if self.printed and self._on_next_line():
                # Dafny's ghost-free printer writes a bare `else` (and a line break) when the whole else-block
                # was ghost; a real `else if` / `else {` is on the same line in its output
                else_ = A.Block([], line=self.tok.line)
            elif self.at_word("if"):
                nested = self.if_stmt()
                else_ = nested if isinstance(nested, A.If) else A.Block([nested], line=nested.line)
            else:
                else_ = self.block()
        return A.If(cond, then, else_, line=line)

    def while_stmt(self) -> A.Stmt:
        line = self.expect_word("while").line
        if (self.at_op("{") and self.peek().is_word("case")) or self.at_word("case"):
            cases = self.guarded_cases()
            return A.AltWhile(cases, line=line)
        cond = self.guard()
        spec = self.specs(("invariant", "decreases", "modifies"))
        if self.at_op("{") and self.peek().is_word("case"):
            cases = self.guarded_cases()
            return A.AltWhile(cases, spec["invariant"], spec["decreases"], line=line)
        body = self.block() if self.at_op("{") else None
        return A.While(cond, body, spec["invariant"], spec["decreases"], spec["modifies"], line=line)

    def for_stmt(self) -> A.Stmt:
        line = self.expect_word("for").line
        var = self.local_var(False)
        self.expect_op(":=")
        lo = self.expression()
        if self.accept_word("to"):
            down = False
        else:
            self.expect_word("downto")
            down = True
        hi = None if self.accept_op("*") else self.expression()
        spec = self.specs(("invariant", "decreases", "modifies"))
        body = self.block() if self.at_op("{") else None
        return A.ForLoop(var, lo, hi, down, body, spec["invariant"], spec["decreases"], line=line)

    def match_stmt(self) -> A.Stmt:
        line = self.expect_word("match").line
        scrutinee = self.expression()
        braced = self.accept_op("{")
        cases = []
        while self.at_word("case"):
            cline = self.advance().line
            pat = self.pattern()
            self.expect_op("=>")
            body = []
            while not self.at_word("case") and not self.at_op("}"):
                body.append(self.statement())
            cases.append(A.MatchCase(pat, body, line=cline))
        if braced:
            self.expect_op("}")
        return A.MatchStmt(scrutinee, cases, line=line)

    def forall_stmt(self) -> A.Stmt:
        line = self.expect_word("forall").line
        paren = self.accept_op("(")
        bvars = self.bound_vars()
        self.attributes()
        rng = self.expression() if self.accept_op("|") else None
        if paren:
            self.expect_op(")")
        spec = self.specs(("ensures",))
        body = self.block() if self.at_op("{") else None
        header = [v.name for v in bvars]
        for v in bvars:  # the printer shows the header's variables as `i#inv`; the body uses `i`
            if "#" in v.name:
                v.name = v.name.split("#", 1)[0]
        if rng is not None:
            rng = _rename_hash_vars(rng)
        return A.ForallStmt(bvars, rng, body, spec["ensures"], header, line=line)

    # ------------------------------------------------------------------------------------------ patterns

    def pattern(self) -> A.Pattern:
        line = self.tok.line
        if self.at_op("("):
            self.advance()
            args: list[A.Pattern] = []
            if not self.at_op(")"):
                args.append(self.pattern())
                while self.accept_op(","):
                    args.append(self.pattern())
            self.expect_op(")")
            if len(args) == 1:
                return args[0]
            return A.Pattern("tuple", args, line=line)
        if self.tok.kind in ("int", "string", "char", "real") or self.at_word("true", "false", "null") or \
                (self.at_op("-") and self.peek().kind in ("int", "real")):
            neg = self.accept_op("-")
            lit = self.primary()
            if neg:
                assert isinstance(lit, A.Literal)
                lit = A.Literal(lit.kind, -lit.value if lit.kind == "int" else "-" + str(lit.value), line=line)
            assert isinstance(lit, A.Literal)
            return A.Pattern(None, literal=lit, line=line)
        name = self.ident()
        while self.at_op(".") and self.peek().kind == "ident":
            self.advance()
            name += "." + self.ident()
        if self.at_op("("):
            self.advance()
            args = []
            if not self.at_op(")"):
                args.append(self.pattern())
                while self.accept_op(","):
                    args.append(self.pattern())
            self.expect_op(")")
            return A.Pattern(name, args, line=line)
        typ = self.type_() if self.accept_op(":") else None
        return A.Pattern(None, var=A.BoundVar(name, typ, line=line), line=line)

    # ------------------------------------------------------------------------------------------ expressions

    def expression(self) -> A.Expr:
        return self.equiv()

    def equiv(self) -> A.Expr:
        e = self.implies_explies()
        while self.at_op("<==>"):
            line = self.advance().line
            e = A.Binary("<==>", e, self.implies_explies(), line=line)
        return e

    def implies_explies(self) -> A.Expr:
        e = self.logical()
        if self.at_op("==>"):
            line = self.advance().line
            return A.Binary("==>", e, self.implies(), line=line)
        while self.at_op("<=="):
            line = self.advance().line
            e = A.Binary("<==", e, self.logical(), line=line)
        return e

    def implies(self) -> A.Expr:
        e = self.logical()
        if self.at_op("==>"):
            line = self.advance().line
            return A.Binary("==>", e, self.implies(), line=line)
        return e

    def logical(self) -> A.Expr:
        if self.at_op("&&", "||"):  # leading operator of a bulleted conjunction
            self.advance()
        e = self.relational()
        while self.at_op("&&", "||"):
            t = self.advance()
            e = A.Binary(t.text, e, self.relational(), line=t.line)
        return e

    def _rel_op(self) -> str | None:
        if self.at_op(*REL_OPS):
            return self.tok.text
        if self.at_word("in"):
            return "in"
        if self.at_op("!") and self.peek().is_word("in"):
            return "!in"
        return None

    def relational(self) -> A.Expr:
        first = self.term() if self.printed else self.shift()
        ops: list[str] = []
        operands = [first]
        while (op := self._rel_op()) is not None:
            self.advance()
            if op == "!in":
                self.advance()
            ops.append(op)
            operands.append(self.term() if self.printed else self.shift())
        if not ops:
            return first
        if len(ops) == 1:
            return A.Binary(ops[0], operands[0], operands[1], line=first.line)
        return A.Chain(ops, operands, line=first.line)

    def shift(self) -> A.Expr:
        """Shifts: below ``+ -`` in Dafny's grammar, between ``+ -`` and ``* / %`` in its printer."""
        operand = self.factor if self.printed else self.term
        e = operand()
        while self.at_op("<<", ">>"):
            t = self.advance()
            e = A.Binary(t.text, e, operand(), line=t.line)
        return e

    def term(self) -> A.Expr:
        operand = self.shift if self.printed else self.factor
        e = operand()
        while self.at_op("+", "-"):
            t = self.advance()
            e = A.Binary(t.text, e, operand(), line=t.line)
        return e

    def factor(self) -> A.Expr:
        e = self.bitvector_factor()
        while self.at_op("*", "/", "%"):
            t = self.advance()
            e = A.Binary(t.text, e, self.bitvector_factor(), line=t.line)
        return e

    def bitvector_factor(self) -> A.Expr:
        e = self.as_expression()
        while self.at_op("&", "^") or (self.at_op("|") and not self.no_bar):
            t = self.advance()
            e = A.Binary(t.text, e, self.as_expression(), line=t.line)
        return e

    def as_expression(self) -> A.Expr:
        e = self.unary()
        while self.at_word("as", "is"):
            t = self.advance()
            target = self._type_atom()
            e = (A.Conversion if t.text == "as" else A.TypeTest)(e, target, line=t.line)
        return e

    def unary(self) -> A.Expr:
        t = self.tok
        if t.is_op("-") or (t.is_op("!") and not self.peek().is_word("in")):
            self.advance()
            return A.Unary(t.text, self.unary(), line=t.line)
        endless = self.endless()
        if endless is not None:
            return endless
        return self.suffixes(self.primary())

    def endless(self) -> A.Expr | None:
        t = self.tok
        line = t.line
        if t.is_word("if"):
            self.advance()
            cond = self.expression()
            self.expect_word("then")
            then = self.expression()
            self.expect_word("else")
            return A.Ite(cond, then, self.expression(), line=line)
        if t.is_word("match"):
            self.advance()
            scrutinee = self.expression()
            braced = self.accept_op("{")
            cases = []
            while self.at_word("case"):
                cline = self.advance().line
                pat = self.pattern()
                self.expect_op("=>")
                cases.append(A.MatchCase(pat, self.expression(), line=cline))
            if braced:
                self.expect_op("}")
            return A.MatchExpr(scrutinee, cases, line=line)
        if t.is_word("forall", "exists"):
            self.advance()
            bvars = self.bound_vars()
            attrs = self.attributes()
            rng = self.expression() if self.accept_op("|") else None
            self.expect_op("::")
            return A.Quantifier(t.text, bvars, rng, self.expression(), attrs, line=line)
        if t.is_word("set", "iset") and not self.peek().is_op("<", "("):
            self.advance()
            bvars = self.bound_vars()
            attrs = self.attributes()
            self.expect_op("|")
            rng = self.expression()
            term = self.expression() if self.accept_op("::") else None
            if t.text == "iset":
                raise UnsupportedConstruct("iset comprehension", line)
            return A.SetComp(bvars, rng, term, attrs, line=line)
        if t.is_word("map", "imap") and not self.peek().is_op("["):
            self.advance()
            bvars = self.bound_vars()
            attrs = self.attributes()
            self.expect_op("|")
            rng = self.expression()
            self.expect_op("::")
            first = self.expression()
            key, value = (first, self.expression()) if self.accept_op(":=") else (None, first)
            if t.text == "imap":
                raise UnsupportedConstruct("imap comprehension", line)
            return A.MapComp(bvars, rng, key, value, attrs, line=line)
        if t.is_word("var") or (t.is_word("ghost") and self.peek().is_word("var")):
            self.accept_word("ghost")
            self.advance()
            if self.at_op("(") or (self.tok.kind == "ident" and self.peek().is_op("(")):
                pat = self.pattern()
                self.expect_op(":=")
                rhs = self.expression()
                self.expect_op(";")
                return A.Let([], [rhs], self.expression(), pat, line=line)
            bvars = [self.bound_var()]
            while self.accept_op(","):
                bvars.append(self.bound_var())
            such_that = False
            if self.accept_op(":|"):
                such_that = True
            else:
                self.expect_op(":=")
            rhss = [self.expression()]
            while self.accept_op(","):
                rhss.append(self.expression())
            self.expect_op(";")
            return A.Let(bvars, rhss, self.expression(), None, such_that, line=line)
        if t.is_word("assert", "assume", "reveal", "expect"):
            stmt = self.proof_statement()
            return A.StmtExpr(stmt, self.expression(), line=line)
        if t.is_word("calc"):
            text = self._skip_balanced_braces()
            return A.StmtExpr(A.GhostStmt("calc", [], text, line=line), self.expression(), line=line)
        lam = self.lambda_expr()
        if lam is not None:
            return lam
        return None

    def bound_var(self) -> A.BoundVar:
        line = self.tok.line
        name = self.ident()
        typ = self.type_() if self.accept_op(":") else None
        return A.BoundVar(name, typ, line=line)

    def bound_vars(self) -> list[A.BoundVar]:
        out = [self.bound_var()]
        self.attributes()
        while self.accept_op(","):
            out.append(self.bound_var())
            self.attributes()
        return out

    def lambda_expr(self) -> A.Expr | None:
        t = self.tok
        if self.no_lambda:
            return None
        if t.kind == "ident" and (self.peek().is_op("=>") or self.peek().is_word("requires", "reads")) and \
                not t.is_word("case"):
            head = self.speculate(self._bare_lambda_head)
        elif t.is_op("("):
            head = self.speculate(self._paren_lambda_head)
        else:
            return None
        if head is None:
            return None
        ps, requires, reads = head
        return A.Lambda(ps, self.expression(), requires, reads, line=t.line)

    def _bare_lambda_head(self) -> tuple[list[A.BoundVar], list[A.Expr], list[A.Expr]]:
        t = self.advance()
        return [A.BoundVar(t.text, None, line=t.line)], *self._lambda_specs()

    def _paren_lambda_head(self) -> tuple[list[A.BoundVar], list[A.Expr], list[A.Expr]]:
        return self._lambda_params(), *self._lambda_specs()

    def _lambda_specs(self) -> tuple[list[A.Expr], list[A.Expr]]:
        """``requires``/``reads`` clauses and the ``=>`` of a lambda (a backtrack when ``=>`` is missing)."""
        requires: list[A.Expr] = []
        reads: list[A.Expr] = []
        while self.at_word("requires", "reads"):
            w = self.advance().text
            self.no_lambda += 1
            try:
                (requires if w == "requires" else reads).append(self.expression())
            finally:
                self.no_lambda -= 1
        if not self.at_op("=>"):
            raise _Backtrack()
        self.advance()
        return requires, reads

    def _lambda_params(self) -> list[A.BoundVar]:
        self.expect_op("(")
        out: list[A.BoundVar] = []
        if not self.at_op(")"):
            out.append(self.bound_var())
            while self.accept_op(","):
                out.append(self.bound_var())
        self.expect_op(")")
        if not self.at_op("=>") and not self.at_word("requires", "reads"):
            raise _Backtrack()
        return out

    def call_args(self) -> list[A.Expr]:
        self.expect_op("(")
        args: list[A.Expr] = []
        saved = self.no_bar
        self.no_bar = 0
        if not self.at_op(")"):
            args.append(self._arg())
            while self.accept_op(","):
                args.append(self._arg())
        self.expect_op(")")
        self.no_bar = saved
        return args

    def _arg(self) -> A.Expr:
        if self.tok.kind == "ident" and self.peek().is_op(":="):
            raise UnsupportedConstruct("named argument", self.tok.line)
        return self.expression()

    def _type_args_then_call(self) -> list[A.Type]:
        self.expect_op("<")
        items = [self.type_()]
        while self.accept_op(","):
            items.append(self.type_())
        self.expect_op(">")
        if not self.at_op("(", ".", ")", ",", ";", "]", "}", ":=", "==", "!="):
            raise _Backtrack()
        return items

    def primary(self) -> A.Expr:
        t = self.tok
        line = t.line
        if t.kind == "int":
            self.advance()
            return A.Literal("int", t.value, line=line)
        if t.kind == "real":
            self.advance()
            return A.Literal("real", t.value, line=line)
        if t.kind == "string":
            self.advance()
            return A.Literal("string", t.value, line=line)
        if t.kind == "char":
            self.advance()
            return A.Literal("char", t.value, line=line)
        if t.is_word("true", "false"):
            self.advance()
            return A.Literal("bool", t.text == "true", line=line)
        if t.is_word("null"):
            self.advance()
            return A.Literal("null", None, line=line)
        if t.is_word("this"):
            self.advance()
            return A.This(line=line)
        if t.is_word("old", "fresh", "allocated", "unchanged") and self.peek().is_op("(", "@"):
            self.advance()
            if self.accept_op("@"):
                self.ident()
            args = self.call_args()
            return A.Old(t.text, args[0] if args else A.TupleExpr([]), line=line)
        if t.is_op("|"):
            self.advance()
            self.no_bar += 1
            inner = self.expression()
            self.no_bar -= 1
            self.expect_op("|")
            return A.Card(inner, line=line)
        if t.is_op("("):
            self.advance()
            saved = self.no_bar, self.no_lambda
            self.no_bar = self.no_lambda = 0
            items: list[A.Expr] = []
            if not self.at_op(")"):
                items.append(self.expression())
                while self.accept_op(","):
                    items.append(self.expression())
            self.expect_op(")")
            self.no_bar, self.no_lambda = saved
            if len(items) == 1:
                return A.Paren(items[0], line=line)
            return A.TupleExpr(items, line=line)
        if t.is_op("["):
            self.advance()
            saved = self.no_bar
            self.no_bar = 0
            items = []
            if not self.at_op("]"):
                items.append(self.expression())
                while self.accept_op(","):
                    items.append(self.expression())
            self.expect_op("]")
            self.no_bar = saved
            return A.SeqDisplay(items, line=line)
        if t.is_op("{"):
            self.advance()
            saved = self.no_bar
            self.no_bar = 0
            items = []
            if not self.at_op("}"):
                items.append(self.expression())
                while self.accept_op(","):
                    items.append(self.expression())
            self.expect_op("}")
            self.no_bar = saved
            return A.SetDisplay(items, line=line)
        if t.is_word("multiset") and self.peek().is_op("{"):
            self.advance()
            self.advance()
            items = []
            if not self.at_op("}"):
                items.append(self.expression())
                while self.accept_op(","):
                    items.append(self.expression())
            self.expect_op("}")
            return A.MultisetDisplay(items, line=line)
        if t.is_word("multiset") and self.peek().is_op("("):
            self.advance()
            args = self.call_args()
            return A.MultisetOf(args[0], line=line)
        if t.is_word("map", "imap") and self.peek().is_op("["):
            self.advance()
            self.advance()
            pairs: list[tuple[A.Expr, A.Expr]] = []
            if not self.at_op("]"):
                while True:
                    k = self.expression()
                    self.expect_op(":=")
                    pairs.append((k, self.expression()))
                    if not self.accept_op(","):
                        break
            self.expect_op("]")
            if t.text == "imap":
                raise UnsupportedConstruct("imap display", line)
            return A.MapDisplay(pairs, line=line)
        if t.is_word("iset") and self.peek().is_op("{"):
            raise UnsupportedConstruct("iset display", line)
        if t.is_word("seq") and self.peek().is_op("(", "<"):
            self.advance()
            if self.at_op("<"):
                self._type_args_only()
            args = self.call_args()
            if len(args) != 2:
                raise self.error("seq(n, f) takes two arguments")
            return A.SeqInit(args[0], args[1], line=line)
        if t.kind == "ident":
            self.advance()
            type_args: list[A.Type] = []
            if self.at_op("<"):
                ta = self.speculate(self._type_args_then_call)
                if ta is not None:
                    type_args = ta
            return A.Name(t.text, type_args, line=line)
        raise self.error("expected an expression")

    def _type_args_only(self) -> list[A.Type]:
        self.expect_op("<")
        items = [self.type_()]
        while self.accept_op(","):
            items.append(self.type_())
        self.expect_op(">")
        return items

    def suffixes(self, e: A.Expr) -> A.Expr:
        while True:
            t = self.tok
            if t.is_op("."):
                self.advance()
                nt = self.tok
                if nt.kind == "int":
                    self.advance()
                    e = A.Member(e, nt.text, line=t.line)
                elif nt.kind == "ident":
                    self.advance()
                    type_args: list[A.Type] = []
                    if self.at_op("<"):
                        ta = self.speculate(self._type_args_then_call)
                        if ta is not None:
                            type_args = ta
                    e = A.Member(e, nt.text, type_args, line=t.line)
                elif nt.is_op("("):
                    raise UnsupportedConstruct("datatype update (e.(f := v))", t.line)
                else:
                    raise self.error("expected a member name after '.'")
            elif t.is_op("("):
                e = A.Call(e, self.call_args(), line=e.line)
            elif t.is_op("["):
                e = self.index_suffix(e)
            else:
                return e

    def index_suffix(self, e: A.Expr) -> A.Expr:
        line = self.expect_op("[").line
        saved = self.no_bar
        self.no_bar = 0
        try:
            if self.accept_op(".."):
                hi = None if self.at_op("]") else self.expression()
                self.expect_op("]")
                return A.Slice(e, None, hi, line=line)
            first = self.expression()
            if self.accept_op(".."):
                hi = None if self.at_op("]") else self.expression()
                self.expect_op("]")
                return A.Slice(e, first, hi, line=line)
            if self.accept_op(":="):
                value = self.expression()
                self.expect_op("]")
                return A.UpdateExpr(e, first, value, line=line)
            if self.at_op(":"):
                raise UnsupportedConstruct("sequence split (s[a:b])", line)
            indices = [first]
            while self.accept_op(","):
                indices.append(self.expression())
            self.expect_op("]")
            return A.Index(e, indices, line=line)
        finally:
            self.no_bar = saved


def _rename_hash_vars(e: A.Expr) -> A.Expr:
    """Replace ``i#inv`` names (the printer's forall-statement header) with ``i`` throughout ``e``."""
    from verifiers.front.walk import map_names

    return map_names(e, lambda n: n.split("#", 1)[0] if "#" in n else n)


def parse_program(text: str, dialect: str = "dafny3", printed: bool = False) -> A.Program:
    """Parse a whole Dafny program (``dialect`` ``dafny4``: a plain ``function`` is compiled; ``printed``: the
    text is Dafny's own printout, whose shift operators bind tighter than ``+``/``-``).

    Raises:
        DafnySyntaxError: the text is not Dafny this parser reads.
        UnsupportedConstruct: a construct the parser recognizes but does not model (iterators, ``:-``, ...).
    """
    return Parser(tokenize(text), dialect, printed).program()


def parse_expression(text: str, printed: bool = False) -> A.Expr:
    """Parse one Dafny expression (used for task spec clauses and tests)."""
    p = Parser(tokenize(text), printed=printed)
    e = p.expression()
    if p.tok.kind != "eof":
        raise p.error("unexpected text after the expression")
    return e


def parse_type(text: str) -> A.Type:
    """Parse one Dafny type."""
    p = Parser(tokenize(text))
    t = p.type_()
    if p.tok.kind != "eof":
        raise p.error("unexpected text after the type")
    return t


def source_dialect(source: str) -> str:
    """``dafny3`` when the source marks compiled functions with ``function method``, else ``dafny4``."""
    return "dafny3" if re.search(r"\b(function|predicate)\s+method\b", source) else "dafny4"
