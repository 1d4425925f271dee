"""The C front end of the open HLS flow: our C subset, parsed with pycparser, and its scalar types.

The C that reaches the HLS stage is plain structured C99 (see DESIGN.md, "HLS C"): ``<stdint.h>`` and
``<stdbool.h>`` types, fixed-size arrays, loops, branches, static helper functions and ``#pragma HLS`` lines.
pycparser parses C without a preprocessor, so :func:`preprocess` does the little the subset needs:
comments, ``#include`` lines and ``#pragma`` lines are blanked (keeping line numbers), object-like
``#define NAME VALUE`` constants are substituted, and a prelude declares the fixed-width type names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pycparser import c_ast, c_parser

from pipeline.errors import UserError


class CSubsetError(UserError):
    """C outside the subset the open flow synthesizes: names the construct, the line and the reason."""

    def __init__(self, construct: str, line: int | None, reason: str) -> None:
        self.construct = construct
        self.line = line
        where = f" (C line {line})" if line else ""
        super().__init__(f"HLS C not supported by the circt backend: {construct}{where}: {reason}")


@dataclass(frozen=True)
class CType:
    """A C scalar: ``width`` bits, signedness; ``bool`` is a 1-bit unsigned that promotes to ``int``."""

    width: int
    signed: bool
    is_bool: bool = False

    @property
    def mlir(self) -> str:
        return f"i{self.width}"

    def __str__(self) -> str:
        if self.is_bool:
            return "bool"
        return f"{'' if self.signed else 'u'}int{self.width}_t"


BOOL = CType(1, False, True)
INT = CType(32, True)
UINT = CType(32, False)
LONG = CType(64, True)
ULONG = CType(64, False)

_NAMED_TYPES: dict[str, CType] = {
    **{f"int{w}_t": CType(w, True) for w in (8, 16, 32, 64)},
    **{f"uint{w}_t": CType(w, False) for w in (8, 16, 32, 64)},
    "bool": BOOL,
    "_Bool": BOOL,
    "char": CType(8, True),
    "signed char": CType(8, True),
    "unsigned char": CType(8, False),
    "short": CType(16, True),
    "short int": CType(16, True),
    "signed short": CType(16, True),
    "unsigned short": CType(16, False),
    "unsigned short int": CType(16, False),
    "int": INT,
    "signed": INT,
    "signed int": INT,
    "unsigned": UINT,
    "unsigned int": UINT,
    "long": LONG,
    "long int": LONG,
    "long long": LONG,
    "long long int": LONG,
    "unsigned long": ULONG,
    "unsigned long int": ULONG,
    "unsigned long long": ULONG,
    "unsigned long long int": ULONG,
    "size_t": ULONG,
}

# stdint/stdbool/limits macros the C may use as plain identifiers.
NAMED_CONSTANTS: dict[str, tuple[int, CType]] = {
    "true": (1, BOOL),
    "false": (0, BOOL),
    **{f"INT{w}_MIN": (-(1 << (w - 1)), CType(w, True) if w == 64 else INT) for w in (8, 16, 32, 64)},
    **{f"INT{w}_MAX": ((1 << (w - 1)) - 1, CType(w, True) if w == 64 else INT) for w in (8, 16, 32, 64)},
    **{f"UINT{w}_MAX": ((1 << w) - 1, CType(w, False) if w >= 32 else INT) for w in (8, 16, 32, 64)},
    "INT_MIN": (-(1 << 31), INT),
    "INT_MAX": ((1 << 31) - 1, INT),
}

_PRELUDE = "".join(
    f"typedef int {name};" for name in [f"{s}int{w}_t" for s in ("", "u") for w in (8, 16, 32, 64)] + ["bool", "size_t"]
)


def type_from_names(names: list[str], line: int | None = None) -> CType:
    """Map pycparser's type-name words (``['unsigned', 'int']``, ``['int32_t']``) to a :class:`CType`."""
    key = " ".join(n for n in names if n not in ("const", "volatile", "static", "register"))
    if key in _NAMED_TYPES:
        return _NAMED_TYPES[key]
    raise CSubsetError(f"type '{key}'", line, "use intN_t/uintN_t (N = 8, 16, 32, 64) or bool")


PREDEFINED = {"P2S_HLS": "1"}  # HLS pragma blocks are read (and recorded); __SYNTHESIS__ is not defined


def preprocess(source: str, predefined: dict[str, str] | None = None) -> tuple[str, list[str]]:
    """Return (C text pycparser can parse, the active ``#pragma`` lines). Line numbers are kept.

    Handles what generated HLS C uses: ``#include`` (dropped), ``#pragma`` (recorded), object-like
    ``#define``, and conditionals (``#if``/``#ifdef``/``#ifndef``/``#elif``/``#else``/``#endif`` over
    ``defined(X)``, ``!``, ``&&``, ``||`` and integers).

    Raises:
        CSubsetError: function-like macros or other directives.
    """
    text = _strip_comments(source)
    pragmas: list[str] = []
    defines: dict[str, str] = dict(PREDEFINED if predefined is None else predefined)
    stack: list[tuple[bool, bool]] = []  # (this branch active, some branch of this #if taken)
    out_lines = []
    for number, line in enumerate(text.split("\n"), start=1):
        stripped = line.strip()
        active = all(a for a, _ in stack)
        if not stripped.startswith("#"):
            out_lines.append(line if active else "")
            continue
        out_lines.append("")
        words = stripped[1:].strip().split(None, 1)
        name, rest = (words[0], words[1] if len(words) > 1 else "") if words else ("", "")
        if name in ("if", "ifdef", "ifndef"):
            if name == "if":
                cond = _eval_condition(rest, defines, number)
            else:
                cond = (rest.strip() in defines) == (name == "ifdef")
            stack.append((cond, cond))
        elif name == "elif":
            _, taken = _top(stack, number, name)
            cond = not taken and _eval_condition(rest, defines, number)
            stack[-1] = (cond, taken or cond)
        elif name == "else":
            _, taken = _top(stack, number, name)
            stack[-1] = (not taken, True)
        elif name == "endif":
            _top(stack, number, name)
            stack.pop()
        elif not active:
            continue
        elif name == "pragma":
            pragmas.append(stripped)
        elif name == "include":
            pass
        elif name == "define":
            m = re.match(r"([A-Za-z_]\w*)(\(?)\s*(.*)$", rest)
            if not m or m.group(2):
                raise CSubsetError("#define", number, "only object-like constants (#define NAME VALUE) are supported")
            defines[m.group(1)] = m.group(3).strip()
        elif name == "undef":
            defines.pop(rest.strip(), None)
        else:
            raise CSubsetError(f"#{name}", number, "preprocessor directive not supported")
    if stack:
        raise CSubsetError("#if", None, "missing #endif")
    body = "\n".join(out_lines)
    for name, value in defines.items():
        if value:
            body = re.sub(rf"\b{re.escape(name)}\b", f"({value})", body)
    return _PRELUDE + body, pragmas


def _top(stack: list, number: int, name: str) -> tuple[bool, bool]:
    if not stack:
        raise CSubsetError(f"#{name}", number, "without #if")
    return stack[-1]


def _eval_condition(expr: str, defines: dict[str, str], number: int) -> bool:
    """Evaluate an ``#if`` condition over ``defined(X)``, macros, integers, ``!``, ``&&``, ``||``."""
    text = re.sub(r"defined\s*\(\s*(\w+)\s*\)|defined\s+(\w+)",
                  lambda m: "1" if (m.group(1) or m.group(2)) in defines else "0", expr)
    text = re.sub(r"\b[A-Za-z_]\w*\b", lambda m: defines.get(m.group(0)) or "0", text)
    py = text.replace("&&", " and ").replace("||", " or ")
    py = re.sub(r"!(?!=)", " not ", py)
    if not re.fullmatch(r"[\d\s()<>=!+\-*notadr]*", py):
        raise CSubsetError("#if", number, f"condition '{expr}' not supported")
    try:
        return bool(eval(py, {"__builtins__": {}}))  # digits, comparisons, and/or/not only (checked above)
    except Exception:
        raise CSubsetError("#if", number, f"condition '{expr}' not supported") from None


def _strip_comments(text: str) -> str:
    """Blank ``//`` and ``/* */`` comments, keeping newlines so that line numbers do not move."""

    def blank(m: re.Match) -> str:
        s = m.group(0)
        if s.startswith(("//", "/*")):
            return re.sub(r"[^\n]", " ", s)
        return s

    return re.sub(r"//[^\n]*|/\*.*?\*/|'(?:\\.|[^'\\])*'|\"(?:\\.|[^\"\\])*\"", blank, text, flags=re.S)


@dataclass
class CProgramAst:
    """The parsed translation unit: its functions by name and the pragma lines."""

    functions: dict[str, c_ast.FuncDef]
    pragmas: list[str]


def parse_c(source: str) -> CProgramAst:
    """Parse ``source`` (our C subset) into function definitions.

    Raises:
        CSubsetError: syntax errors (with the line) and file-scope constructs other than functions.
    """
    text, pragmas = preprocess(source)
    try:
        unit = c_parser.CParser().parse(text, filename="<c>")
    except c_parser.ParseError as exc:
        m = re.match(r"<c>:(?:(\d+):(\d+):)?\s*(.*)", str(exc))
        line = int(m.group(1)) if m and m.group(1) else None
        raise CSubsetError("syntax", line, m.group(3) if m else str(exc)) from None
    functions: dict[str, c_ast.FuncDef] = {}
    for node in unit.ext:
        if isinstance(node, c_ast.FuncDef):
            functions[node.decl.name] = node
        elif isinstance(node, c_ast.Typedef) or isinstance(node, c_ast.Pragma):
            continue
        elif isinstance(node, c_ast.Decl) and isinstance(node.type, c_ast.FuncDecl):
            continue  # a prototype
        else:
            line = node.coord.line if node.coord else None
            raise CSubsetError(type(node).__name__, line, "only functions may appear at file scope (no globals)")
    return CProgramAst(functions, pragmas)


def parse_int_literal(text: str, line: int | None = None) -> tuple[int, CType]:
    """Value and C type of an integer literal (decimal, hex, octal, binary; ``u``/``l`` suffixes)."""
    m = re.fullmatch(r"(0[xX][0-9a-fA-F]+|0[bB][01]+|\d+)([uUlL]*)", text)
    if not m:
        raise CSubsetError(f"literal {text}", line, "not an integer literal")
    digits, suffix = m.group(1), m.group(2).lower()
    if digits[:2].lower() == "0x":
        value = int(digits, 16)
    elif digits[:2].lower() == "0b":
        value = int(digits, 2)
    elif len(digits) > 1 and digits.startswith("0"):
        value = int(digits, 8)
    else:
        value = int(digits)
    unsigned = "u" in suffix
    decimal = digits.isdigit() and not digits.startswith("0") or digits == "0"
    long = "l" in suffix
    candidates: list[CType] = []
    if not long:
        candidates += [UINT] if unsigned else ([INT] if decimal else [INT, UINT])
    candidates += [ULONG] if unsigned else ([LONG] if decimal else [LONG, ULONG])
    for t in candidates:
        lo, hi = (-(1 << (t.width - 1)), (1 << (t.width - 1)) - 1) if t.signed else (0, (1 << t.width) - 1)
        if lo <= value <= hi:
            return value, t
    raise CSubsetError(f"literal {text}", line, "does not fit in 64 bits")


def char_literal_value(text: str) -> int:
    """The code of a C character literal such as ``'a'`` or ``'\\n'``."""
    body = text[1:-1]
    escapes = {"n": 10, "t": 9, "r": 13, "0": 0, "\\": 92, "'": 39, '"': 34}
    if body.startswith("\\"):
        return escapes.get(body[1:], ord(body[1]))
    return ord(body)


# --------------------------------------------------------------------------------------------- declarators


def _line(node: c_ast.Node | None) -> int | None:
    return node.coord.line if node is not None and getattr(node, "coord", None) else None


def base_type(node: c_ast.TypeDecl, line_node: c_ast.Node) -> CType:
    if not isinstance(node.type, c_ast.IdentifierType):
        raise CSubsetError("type", _line(line_node), "structs, unions and enums are not supported")
    return type_from_names(node.type.names, _line(line_node))


def declarator(node: c_ast.Node, line_node: c_ast.Node) -> tuple[str, CType, list[int]]:
    """(``scalar`` | ``array`` | ``pointer``, element type, array dimensions) of a declarator."""
    if isinstance(node, c_ast.TypeDecl):
        return "scalar", base_type(node, line_node), []
    if isinstance(node, c_ast.ArrayDecl):
        dims = []
        inner: c_ast.Node = node
        while isinstance(inner, c_ast.ArrayDecl):
            if inner.dim is None:
                raise CSubsetError("array without size", _line(line_node), "arrays must have a constant size")
            dims.append(const_eval(inner.dim))
            inner = inner.type
        if not isinstance(inner, c_ast.TypeDecl):
            raise CSubsetError("array type", _line(line_node), "arrays of pointers are not supported")
        return "array", base_type(inner, line_node), dims
    if isinstance(node, c_ast.PtrDecl):
        if not isinstance(node.type, c_ast.TypeDecl):
            raise CSubsetError("pointer type", _line(line_node), "only pointers to scalars are supported")
        return "pointer", base_type(node.type, line_node), []
    raise CSubsetError(type(node).__name__, _line(line_node), "unsupported declarator")


def const_eval(node: c_ast.Node) -> int:
    """Evaluate an integer constant expression (array sizes)."""
    if isinstance(node, c_ast.Constant) and node.type not in ("string", "char", "float", "double"):
        return parse_int_literal(node.value, _line(node))[0]
    if isinstance(node, c_ast.BinaryOp):
        a, b = const_eval(node.left), const_eval(node.right)
        if node.op in ("+", "-", "*"):
            return {"+": a + b, "-": a - b, "*": a * b}[node.op]
        if node.op == "<<" and b >= 0:
            return a << b
        if node.op == "/" and b:
            return int(a / b)
    if isinstance(node, c_ast.UnaryOp) and node.op in ("-", "+"):
        v = const_eval(node.expr)
        return -v if node.op == "-" else v
    raise CSubsetError("array size", _line(node), "must be an integer constant")


@dataclass
class CParam:
    """A parameter of the top function: ``kind`` is ``scalar``, ``array`` (dims) or ``pointer`` (a result)."""

    name: str
    kind: str
    ctype: CType
    dims: list[int]


@dataclass
class CSignature:
    name: str
    params: list[CParam]
    returns: CType | None


def function_params(fn: c_ast.FuncDef) -> list[c_ast.Decl]:
    plist = fn.decl.type.args
    if plist is None:
        return []
    params = [p for p in plist.params if not isinstance(p, c_ast.EllipsisParam)]
    if len(params) == 1 and isinstance(params[0], c_ast.Typename):  # f(void)
        return []
    for p in params:
        if not isinstance(p, c_ast.Decl) or not p.name:
            raise CSubsetError(f"parameters of '{fn.decl.name}'", _line(fn), "every parameter needs a name")
    return params


def return_type(fn: c_ast.FuncDef) -> CType | None:
    t = fn.decl.type.type
    if isinstance(t, c_ast.TypeDecl) and isinstance(t.type, c_ast.IdentifierType) and t.type.names == ["void"]:
        return None
    if not isinstance(t, c_ast.TypeDecl):
        raise CSubsetError(f"return type of '{fn.decl.name}'", _line(fn), "functions return scalars")
    return base_type(t, fn)


def top_signature(source: str, top: str) -> CSignature:
    """The top function's parameters and return type (what every backend's port mapping starts from).

    Raises:
        CSubsetError: the C does not parse or has no function ``top``.
    """
    program = parse_c(source)
    if top not in program.functions:
        known = ", ".join(sorted(program.functions)) or "none"
        raise CSubsetError(f"top function '{top}'", None, f"not defined (functions: {known})")
    fn = program.functions[top]
    params = [CParam(p.name, *declarator(p.type, p)) for p in function_params(fn)]
    return CSignature(top, params, return_type(fn))
