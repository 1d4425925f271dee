"""Reading the Python reference model: aliases, functions, annotation types, and the call graph.

The module follows the contract in DESIGN.md ("The Python reference model"). Everything that is not a
function reachable from the top (``Main``, test methods, ``if __name__ == "__main__"``, the ``_dafny_div``
helpers the C side replaces with its own) is ignored; what is reachable and has no hardware form
(sets, maps, multisets, datatypes, reals) raises :class:`NotSynthesizable` naming it.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

from hls.hls_c.ctype import BOOL, CHAR, VOID, Arr2T, ArrT, CType, TupleT, bv_type, int_type
from hls.hls_c.errors import NotSynthesizable

# Module-level helpers of the reference model (``_dafny_*`` functions, ``_Set``/``_Tuple``/``_Real`` classes):
# the C side implements the ones it supports itself and refuses the others where they are used.
RUNTIME_PREFIX = "_dafny_"
RUNTIME_CLASSES = {
    "_Set": "sets have no fixed-size hardware form",
    "_Tuple": "tuple values are not synthesized (return several results instead)",
    "_Real": "real numbers are not synthesized (no fixed-point mapping)",
}

UNSUPPORTED_TYPES = {
    "frozenset": "sets have no fixed-size hardware form",
    "set": "sets have no fixed-size hardware form",
    "dict": "maps have no fixed-size hardware form",
    "Counter": "multisets have no fixed-size hardware form",
    "float": "real numbers are not synthesized (no fixed-point mapping)",
    "Fraction": "real numbers are not synthesized (no fixed-point mapping)",
    "Callable": "function values (higher-order parameters) cannot be synthesized",
    "object": "values of unknown type cannot be synthesized",
}

_BV = re.compile(r"bv(\d+)$")


@dataclass
class ModuleInfo:
    """The parts of the Python module the compiler uses."""

    tree: ast.Module
    functions: dict[str, ast.FunctionDef] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)  # bv8 -> int, nat -> int, char -> str
    classes: dict[str, int] = field(default_factory=dict)  # datatype name -> line
    constants: dict[str, ast.AnnAssign | ast.Assign] = field(default_factory=dict)
    typevars: set[str] = field(default_factory=set)  # T = TypeVar("T")


def read_module(source: str) -> ModuleInfo:
    """Parse ``source`` and index its functions and aliases.

    Raises:
        NotSynthesizable: the text is not valid Python.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise NotSynthesizable("Python module", exc.lineno, f"not valid Python: {exc.msg}") from None
    info = ModuleInfo(tree)
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            if not node.name.startswith(RUNTIME_PREFIX):
                info.functions[node.name] = node
        elif isinstance(node, ast.ClassDef):
            if node.name not in RUNTIME_CLASSES:
                info.classes[node.name] = node.lineno
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if isinstance(node.value, ast.Name) and node.value.id in ("int", "str", "bool"):
                info.aliases[name] = node.value.id
            elif isinstance(node.value, ast.Call) and getattr(node.value.func, "id", "") == "TypeVar":
                info.typevars.add(name)
            else:
                info.constants[name] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            if isinstance(node.annotation, ast.Name) and node.annotation.id == "TypeAlias" and node.value is not None:
                if isinstance(node.value, ast.Name):
                    info.aliases[node.target.id] = node.value.id
            else:
                info.constants[node.target.id] = node
    return info


class TypeResolver:
    """Annotation expressions → C types, at the task's integer width."""

    def __init__(self, info: ModuleInfo, int_width: int) -> None:
        self.info = info
        self.int_width = int_width
        self.bindings: dict[str, CType] = {}  # type parameters fixed by the task's signature

    def bind(self, node: ast.expr | None, t: CType) -> None:
        """Instantiate the type parameters in annotation ``node`` from the task's type ``t``."""
        if isinstance(node, ast.Name) and node.id in self.info.typevars:
            if not isinstance(t, (ArrT, Arr2T, TupleT)):
                self.bindings.setdefault(node.id, t)
        elif isinstance(node, ast.Subscript) and isinstance(t, (ArrT, Arr2T)):
            inner = node.slice.elts[0] if isinstance(node.slice, ast.Tuple) else node.slice
            if isinstance(t, Arr2T) and isinstance(inner, ast.Subscript):
                inner = inner.slice.elts[0] if isinstance(inner.slice, ast.Tuple) else inner.slice
            self.bind(inner, t.elem)

    def scalar(self, name: str, line: int | None) -> CType | None:
        if name == "int":
            return int_type(self.int_width)
        if name == "bool":
            return BOOL
        if name == "nat":
            return int_type(self.int_width, "nat")
        if name == "char":
            return CHAR
        m = _BV.match(name)
        if m:
            bits = int(m.group(1))
            if not 1 <= bits <= 64:
                raise NotSynthesizable(f"type {name}", line, "bit-vectors wider than 64 bits are not supported")
            return bv_type(bits)
        return None

    def _element(self, node: ast.expr, line: int | None) -> CType:
        """An element type: ``str`` there is a character (Dafny ``array<char>``/``seq<char>``)."""
        if isinstance(node, ast.Name) and (node.id == "str" or self.info.aliases.get(node.id) == "str"):
            return CHAR
        return self.resolve(node, line)

    def resolve(self, node: ast.expr | None, line: int | None = None) -> CType:
        """The C type an annotation names.

        Raises:
            NotSynthesizable: a type without a hardware form (sets, maps, datatypes, reals, ...).
        """
        line = getattr(node, "lineno", line)
        if node is None:
            raise NotSynthesizable("missing annotation", line, "every parameter and result needs a type annotation")
        if isinstance(node, ast.Constant) and node.value is None:
            return VOID
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return self.resolve(ast.parse(node.value, mode="eval").body, line)
        if isinstance(node, ast.Name):
            name = node.id
            if name == "None":
                return VOID
            if name == "str":
                return ArrT(CHAR, "string")
            if name in self.bindings:
                return self.bindings[name]
            if name in self.info.typevars:
                raise NotSynthesizable(
                    f"type parameter {name}", line,
                    "generic code is synthesized only where the task's signature fixes the type parameter",
                )
            t = self.scalar(name, line)
            if t is not None:
                return t
            if name in self.info.aliases:
                target = self.info.aliases[name]
                if target == "str" and name != "char":
                    return ArrT(CHAR, "string")
                return self.scalar(name, line) or self.resolve(ast.Name(id=target), line)
            if name in self.info.classes:
                raise NotSynthesizable(f"datatype {name}", line, "datatypes (classes) are not synthesized")
            if name in RUNTIME_CLASSES:
                raise NotSynthesizable(f"type {name}", line, RUNTIME_CLASSES[name])
            if name in UNSUPPORTED_TYPES:
                raise NotSynthesizable(f"type {name}", line, UNSUPPORTED_TYPES[name])
            raise NotSynthesizable(f"type {name}", line, "unknown type")
        if isinstance(node, ast.Attribute):  # collections.Counter, typing.Callable
            return self.resolve(ast.Name(id=node.attr, lineno=line), line)
        if isinstance(node, ast.Subscript):
            base = node.value.attr if isinstance(node.value, ast.Attribute) else getattr(node.value, "id", "?")
            args = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
            if base in ("list", "List"):
                inner = self._element(args[0], line)
                if isinstance(inner, ArrT) and inner.kind == "array":
                    return Arr2T(inner.elem)
                if isinstance(inner, (ArrT, Arr2T, TupleT)):
                    raise NotSynthesizable(f"type {ast.unparse(node)}", line, "arrays of sequences are not supported")
                return ArrT(inner, "array")  # type: ignore[arg-type]
            if base in ("tuple", "Tuple"):
                if len(args) == 2 and isinstance(args[1], ast.Constant) and args[1].value is Ellipsis:
                    inner = self._element(args[0], line)
                    if not isinstance(inner, (type(BOOL), type(CHAR))):
                        raise NotSynthesizable(f"type {ast.unparse(node)}", line, "sequences of non-scalars")
                    return ArrT(inner, "seq")  # type: ignore[arg-type]
                return TupleT(tuple(self.resolve(a, line) for a in args))
            if base in UNSUPPORTED_TYPES:
                raise NotSynthesizable(f"type {ast.unparse(node)}", line, UNSUPPORTED_TYPES[base])
            raise NotSynthesizable(f"type {ast.unparse(node)}", line, "unsupported generic type")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            raise NotSynthesizable(f"type {ast.unparse(node)}", line, "union types are not synthesized")
        raise NotSynthesizable(f"type {ast.unparse(node)}", line, "unsupported annotation")


def called_functions(fn: ast.FunctionDef, known: dict[str, ast.FunctionDef]) -> list[tuple[str, int]]:
    """Module functions that ``fn`` calls, with the line of the first call."""
    seen: dict[str, int] = {}
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in known:
            seen.setdefault(node.func.id, node.lineno)
    return list(seen.items())


def reachable_order(info: ModuleInfo, top: str) -> list[str]:
    """Functions reachable from ``top``, callees before callers (the order C needs without prototypes).

    Raises:
        NotSynthesizable: mutual recursion (a call cycle through more than one function).
    """
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(name: str, path: list[str]) -> None:
        if state.get(name) == "done":
            return
        if state.get(name) == "active":
            cycle = path[path.index(name):] + [name]
            fn = info.functions[name]
            raise NotSynthesizable(
                f"recursion {' -> '.join(cycle)}", fn.lineno,
                "mutual recursion cannot be synthesized (only self-recursion in tail or accumulator form)",
            )
        state[name] = "active"
        for callee, _line in called_functions(info.functions[name], info.functions):
            if callee != name:
                visit(callee, path + [name])
        state[name] = "done"
        order.append(name)

    visit(top, [])
    return order
