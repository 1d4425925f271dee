"""Dafny -> Python: compile a verified Dafny program into a readable Python module (the reference model).

``compile_program(source)`` runs Dafny's resolver (through :mod:`verifiers.api`) to get the ghost-free program,
parses it (:mod:`.parser`), resolves and types it (:mod:`.checker`) and emits Python (:mod:`.emit`).
``compile_resolved(text)`` starts from text that is already resolved and ghost-free. The emitted module's shape
is the contract in DESIGN.md, section "The Python reference model".
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from hls.dafny_python.emit import emit_module
from verifiers.front import ast
from verifiers.front.checker import Checker, check_program
from verifiers.front.errors import DafnySyntaxError, UnsupportedConstruct
from verifiers.front.parser import parse_expression, parse_program, parse_type, source_dialect
from verifiers.front.walk import reachable_part

__all__ = [
    "DafnySyntaxError", "FunctionSig", "PythonModule", "UnsupportedConstruct", "ast", "check_source_bodies",
    "compile_program",
    "compile_resolved", "parse_expression", "parse_program", "parse_type",
]


@dataclass
class ParamSig:
    """One parameter or result: its Dafny name, its Python name and its written Dafny type."""

    name: str
    py: str
    type: str


@dataclass
class FunctionSig:
    """A compiled method or function as the emitted module exposes it (ghost parameters and results dropped)."""

    name: str
    py: str
    kind: str  # "method" or "function"
    params: list[ParamSig] = field(default_factory=list)
    returns: list[ParamSig] = field(default_factory=list)
    ghost_params: list[str] = field(default_factory=list)
    ghost_returns: list[str] = field(default_factory=list)


@dataclass
class PythonModule:
    """The emitted module: its text, its functions by Dafny name, and the resolved program it came from."""

    text: str
    functions: dict[str, FunctionSig] = field(default_factory=dict)
    resolved: str = ""
    has_main: bool = False


def _signatures(checker: Checker) -> dict[str, FunctionSig]:
    out: dict[str, FunctionSig] = {}
    for decl in list(checker.functions.values()) + list(checker.methods.values()):
        mi = checker.info(decl)
        ins = decl.params if isinstance(decl, ast.Function) else decl.ins
        outs = [] if isinstance(decl, ast.Function) else decl.outs
        out[decl.name] = FunctionSig(
            name=decl.name,
            py=mi.py,
            kind="function" if isinstance(decl, ast.Function) else "method",
            params=[ParamSig(v.name, v.py, str(v.type)) for v in mi.params],
            returns=[ParamSig(v.name, v.py, str(v.type)) for v in mi.outs],
            ghost_params=[ins[i].name for i in mi.ghost_params],
            ghost_returns=[outs[i].name for i in mi.ghost_outs],
        )
    return out


def compile_resolved(text: str, source_name: str = "", dialect: str = "dafny3", calls_kept: bool = False,
                     roots: Collection[str] = ()) -> PythonModule:
    """Compile a resolved, ghost-free Dafny program (what ``dafny /rprint:- /printMode:NoGhost`` prints).

    Hand-written text in that form works too (every local with its type); ``dialect`` ``dafny4`` reads a plain
    ``function`` as compiled. The text is read as Dafny's printer writes it: ``a << b - c`` is ``(a << b) - c``
    there (the printer ranks shifts above ``+``/``-``; Dafny's parser below), so parenthesize such mixes.
    ``calls_kept``: the text came through :func:`~verifiers.front.ghost_free.ghost_free`, which keeps calls
    of methods with ghost results in the printout; without it such programs are refused.

    Raises:
        DafnySyntaxError: the text does not parse.
        UnsupportedConstruct: a construct this compiler does not translate (name and line in the message).
    """
    program = parse_program(text, dialect, printed=True)
    if roots:
        program = reachable_part(program, roots)
    if not calls_kept:
        _reject_ghost_out_calls(program)
    checker = check_program(program)
    module_text = emit_module(checker, source_name)
    return PythonModule(module_text, _signatures(checker), text, "Main" in checker.methods)


def compile_program(source: str, source_name: str = "", timeout: float = 60.0) -> PythonModule:
    """Compile a verified Dafny program (Dafny 4 or 3 syntax) into a Python module.

    Raises:
        ToolMissingError: Dafny is not installed.
        UserError: the program does not parse or resolve in Dafny.
        UnsupportedConstruct: a construct this compiler does not translate.
    """
    from verifiers.front.ghost_free import ghost_free

    check_source_bodies(source)
    resolved = ghost_free(source, timeout=timeout)
    try:
        return compile_resolved(resolved.text, source_name, calls_kept=resolved.calls_kept)
    except UnsupportedConstruct as exc:
        exc.source_line = _source_line(source, exc.decl)
        raise


def check_source_bodies(source: str) -> None:
    """Refuse a compiled method or function that has no body in the source (Dafny's ghost-free printer writes an
    empty body the same way, so the printout alone cannot tell them apart). Source the parser cannot read is
    left to Dafny."""
    try:
        program = parse_program(source, dialect=source_dialect(source))
    except (DafnySyntaxError, UnsupportedConstruct):
        return
    for d in program.decls:
        if isinstance(d, ast.Method) and not d.ghost and d.body is None:
            raise UnsupportedConstruct("method without a body", d.line, d.name).in_decl(f"{d.kind} {d.name}")
        if isinstance(d, ast.Function) and d.compiled and d.body is None:
            raise UnsupportedConstruct("function without a body", d.line, d.name).in_decl(f"function {d.name}")


def _source_line(source: str, decl: str) -> int:
    """The line of declaration ``decl`` (``method Foo``) in the user's source, 0 when it cannot be found."""
    if not decl:
        return 0
    name = decl.split()[-1]
    try:
        program = parse_program(source, dialect=source_dialect(source))
    except (DafnySyntaxError, UnsupportedConstruct):
        return 0
    found = program.find(name)
    return found.line if found is not None else 0


def _reject_ghost_out_calls(program: ast.Program) -> None:
    """Dafny 2.3's ghost-free printer drops a whole ``var g, x := M();`` when ``g`` is a ghost result of ``M``, so
    a method with ghost results may have lost calls the printout no longer shows: refuse such programs instead of
    compiling them without those calls. (A method with ghost results that nothing calls is fine.)"""
    ghost_out = [d for d in program.decls if isinstance(d, ast.Method) and not d.ghost and any(f.ghost for f in d.outs)]
    if not ghost_out:
        return
    others = [d for d in program.decls if isinstance(d, ast.Method) and d not in ghost_out and not d.ghost]
    if others:
        d = ghost_out[0]
        raise UnsupportedConstruct("method with ghost results (calls to it may be lost by Dafny's printer)", d.line,
                                   d.name)
