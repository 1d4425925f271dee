"""Our C subset → MLIR (``func``/``cf``/``arith``/``memref``), the input of CIRCT's handshake flow.

Widths follow the C types (``i8``/``i16``/``i32``/``i64``/``i1``) with C's integer promotions and usual
arithmetic conversions, so the hardware is as wide as the C says and no wider; ``index`` appears only as
the subscript of a ``memref`` access, through ``arith.index_cast``. Signedness lives in the operations
(``divsi``/``divui``, ``cmpi slt``/``ult``, ``extsi``/``extui``, ``shrsi``/``shrui``), as in C.

The top function's calling convention is the one of :mod:`pipeline.hw_interface`: scalar parameters
become ``iN`` arguments, array parameters ``memref`` arguments (2-D arrays stay 2-D; ``flatten-memref``
flattens them), and pointer parameters (results) become extra function results after the C return value.
Static helper functions are inlined at each call (the handshake flow synthesizes one function), with
array and pointer arguments passed by reference. Local arrays become ``memref.alloca``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pycparser import c_ast

from hls.cfront import (
    BOOL,
    INT,
    NAMED_CONSTANTS,
    CSubsetError,
    CType,
    base_type,
    char_literal_value,
    declarator,
    function_params,
    parse_c,
    parse_int_literal,
    return_type,
)
from hls.ssa import Block, SsaBuilder, Val

# --------------------------------------------------------------------------------------------- records


@dataclass
class MlirArg:
    """One argument of the MLIR function: a scalar (``iN``) or an array (``memref``) C parameter."""

    name: str
    kind: str  # scalar | memref
    ctype: CType
    dims: list[int] = field(default_factory=list)


@dataclass
class MlirResult:
    """One result of the MLIR function: the C return value (``name='return'``) or a result pointer."""

    name: str
    ctype: CType


@dataclass
class MemoryBank:
    """Several C arrays in one ``memref`` argument (``members``: name -> offset, depth, element width)."""

    name: str
    width: int
    depth: int
    members: dict[str, dict[str, int]]


@dataclass
class MlirModule:
    """The emitted module text and how its arguments and results map onto the C top function.

    ``args`` lists the MLIR function's arguments: every scalar parameter, and the array parameters the
    design accesses (an array it never touches has no ports, and keeps its contents).
    """

    text: str
    top: str
    args: list[MlirArg]
    results: list[MlirResult]
    pragmas: list[str]
    bank: MemoryBank | None = None
    no_wrap: set[str] = field(default_factory=set)  # values of signed C `+ - *`: overflow is undefined in C


# --------------------------------------------------------------------------------------------- variables


class ScalarVar:
    """A scalar C variable: an SSA variable of the builder (its identity is the key)."""

    def __init__(self, name: str, ctype: CType) -> None:
        self.name = name
        self.ctype = ctype


@dataclass
class ArrayVar:
    """A C array: its own ``memref``, or a slice of a bank (``bank_offset``, words of ``bank_width`` bits)."""

    name: str
    memref: Val
    elem: CType
    dims: list[int]
    bank_offset: int | None = None
    bank_width: int = 0


@dataclass
class Loop:
    """An open loop: ``latch`` (the one back edge: break and return go here), ``step`` (continue), ``flag``."""

    latch: Block
    step: Block
    flag: ScalarVar | None


@dataclass
class InlineFrame:
    """A function being lowered: where ``return`` goes, and the flag a return inside a loop sets."""

    name: str
    ret: ScalarVar | None
    exit: Block
    returning: ScalarVar | None = None


def usual_conversion(a: CType, b: CType) -> CType:
    """C's usual arithmetic conversions for our fixed-width types."""
    a, b = promote(a), promote(b)
    if a == b:
        return a
    if a.signed == b.signed:
        return a if a.width >= b.width else b
    u, s = (a, b) if not a.signed else (b, a)
    return u if u.width >= s.width else s


def promote(t: CType) -> CType:
    """Integer promotion: everything narrower than ``int`` (bool included) computes as ``int``."""
    return INT if t.width < 32 else t


_CMP = {"==": "eq", "!=": "ne", "<": "lt", "<=": "le", ">": "gt", ">=": "ge"}
_ARITH = {"+": "addi", "-": "subi", "*": "muli", "&": "andi", "|": "ori", "^": "xori"}
_COMPOUND = {"+=": "+", "-=": "-", "*=": "*", "/=": "/", "%=": "%", "&=": "&", "|=": "|", "^=": "^",
             "<<=": "<<", ">>=": ">>"}


class CToMlir:
    """Lowers one top function (and the helpers it calls) to one ``func.func``."""

    def __init__(self, functions: dict[str, c_ast.FuncDef], top: str, bank: MemoryBank | None = None) -> None:
        if top not in functions:
            known = ", ".join(sorted(functions)) or "none"
            raise CSubsetError(f"top function '{top}'", None, f"not defined (functions: {known})")
        self.functions = functions
        self.top = top
        self.b = SsaBuilder()
        self.scopes: list[dict[str, object]] = []
        self.loops: list[Loop] = []
        self.frames: list[InlineFrame] = []
        self.inlining: list[str] = []
        self.used_memrefs: set[int] = set()
        self.port_count: dict[int, int] = {}  # memref value id -> loads + stores (one port each)
        self.bank = bank
        self.no_wrap: list[Val] = []  # results of signed `+ - *` (:attr:`MlirModule.no_wrap`)

    # ----------------------------------------------------------------------------------------- helpers

    def fail(self, node: c_ast.Node | None, construct: str, reason: str) -> CSubsetError:
        line = node.coord.line if node is not None and getattr(node, "coord", None) else None
        return CSubsetError(construct, line, reason)

    def lookup(self, name: str, node: c_ast.Node) -> object:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        raise self.fail(node, f"identifier '{name}'", "not declared")

    def const(self, value: int, t: CType) -> Val:
        """A constant in the current block (constants per block keep the dataflow graph local)."""
        bits = value & ((1 << t.width) - 1)
        signed = bits - (1 << t.width) if bits >> (t.width - 1) and t.width > 1 else bits
        if t.width == 1:
            return self.b.op("i1", f"arith.constant {'true' if bits else 'false'}")
        return self.b.op(t.mlir, f"arith.constant {signed} : {t.mlir}")

    def convert(self, v: Val, src: CType, dst: CType) -> Val:
        """C conversion of a scalar value from ``src`` to ``dst``."""
        if dst.is_bool:
            return self.to_bool(v, src)
        if src.width == dst.width:
            return v
        if src.width < dst.width:
            ext = "extsi" if src.signed and not src.is_bool else "extui"
            return self.b.op(dst.mlir, f"arith.{ext} {{}} : {src.mlir} to {dst.mlir}", v)
        return self.b.op(dst.mlir, f"arith.trunci {{}} : {src.mlir} to {dst.mlir}", v)

    def to_bool(self, v: Val, t: CType) -> Val:
        if t.width == 1:
            return v
        zero = self.const(0, t)
        return self.b.op("i1", f"arith.cmpi ne, {{}}, {{}} : {t.mlir}", v, zero)

    def index(self, v: Val, t: CType) -> Val:
        return self.b.op("index", f"arith.index_cast {{}} : {t.mlir} to index", v)

    # ----------------------------------------------------------------------------------------- types

    def decl_type(self, node: c_ast.Node, line_node: c_ast.Node) -> tuple[str, CType, list[int]]:
        return declarator(node, line_node)

    def base_type(self, node: c_ast.TypeDecl, line_node: c_ast.Node) -> CType:
        return base_type(node, line_node)

    # ----------------------------------------------------------------------------------------- top

    def lower(self, pragmas: list[str]) -> MlirModule:
        fn = self.functions[self.top]
        ret_t = self.return_type(fn)
        args: list[MlirArg] = []
        arg_vals: list[Val] = []
        outs: list[ScalarVar] = []
        scope: dict[str, object] = {}
        bank_val: Val | None = None
        for param in self.params(fn):
            kind, t, dims = self.decl_type(param.type, param)
            if kind == "scalar":
                v = Val(t.mlir)
                var = ScalarVar(param.name, t)
                self.b.declare(var, t.mlir)
                self.b.write(var, v)
                scope[param.name] = var
                args.append(MlirArg(param.name, "scalar", t))
                arg_vals.append(v)
            elif kind == "array" and self.bank is not None and param.name in self.bank.members:
                if bank_val is None:
                    bank_val = Val(f"memref<{self.bank.depth}xi{self.bank.width}>")
                offset = self.bank.members[param.name]["offset"]
                scope[param.name] = ArrayVar(param.name, bank_val, t, dims, offset, self.bank.width)
            elif kind == "array":
                mem = Val(f"memref<{'x'.join(map(str, dims))}x{t.mlir}>")
                scope[param.name] = ArrayVar(param.name, mem, t, dims)
                args.append(MlirArg(param.name, "memref", t, dims))
                arg_vals.append(mem)
            else:  # result pointer
                var = ScalarVar(param.name, t)
                self.b.declare(var, t.mlir)
                scope[param.name] = ("ref", var)
                outs.append(var)
        self.scopes.append(scope)
        ret_var = None
        if ret_t is not None:
            ret_var = ScalarVar("return", ret_t)
            self.b.declare(ret_var, ret_t.mlir)
        exit_block = self.b.new_block()
        self.frames.append(InlineFrame(self.top, ret_var, exit_block))
        self.inlining.append(self.top)
        self.stmt(fn.body)
        self.b.br(exit_block)
        self.b.seal(exit_block)
        self.b.enter(exit_block)
        if self.b.cur is None:
            raise self.fail(fn, f"function '{self.top}'", "never returns")
        results: list[MlirResult] = []
        values: list[Val] = []
        if ret_var is not None:
            results.append(MlirResult("return", ret_t))
            values.append(self.b.read(ret_var))
        for var in outs:
            results.append(MlirResult(var.name, var.ctype))
            values.append(self.b.read(var))
        self.b.ret(values)
        # An array the design never reads or writes gets no ports: measured with circt 1.162, an unused
        # memref argument next to a used one crashes the handshake verifier.
        keep = [i for i, (a, v) in enumerate(zip(args, arg_vals, strict=True))
                if a.kind != "memref" or v.id in self.used_memrefs]
        args, arg_vals = [args[i] for i in keep], [arg_vals[i] for i in keep]
        if bank_val is not None and self.bank is not None:
            args.append(MlirArg(self.bank.name, "memref", CType(self.bank.width, False), [self.bank.depth]))
            arg_vals.append(bank_val)
        args, arg_vals = self.order_memories(args, arg_vals)
        text = self.b.render(self.top, arg_vals, [r.ctype.mlir for r in results])
        no_wrap = {self.b.names[self.b.resolve(v).id] for v in self.no_wrap if self.b.resolve(v).id in self.b.names}
        return MlirModule(f"module {{\n{text}\n}}\n", self.top, args, results, pragmas, self.bank, no_wrap)

    def multi_port_memories(self, args: list[MlirArg], arg_vals: list[Val]) -> list[str]:
        return [a.name for a, v in zip(args, arg_vals, strict=True)
                if a.kind == "memref" and self.port_count.get(v.id, 0) > 1]

    def order_memories(self, args: list[MlirArg], arg_vals: list[Val]) -> tuple[list[MlirArg], list[Val]]:
        """Put the one array with several ports last (see :func:`c_to_mlir` for why)."""
        multi = self.multi_port_memories(args, arg_vals)
        if len(multi) != 1:
            return args, arg_vals
        i = next(k for k, a in enumerate(args) if a.name == multi[0])
        return args[:i] + args[i + 1 :] + [args[i]], arg_vals[:i] + arg_vals[i + 1 :] + [arg_vals[i]]

    def params(self, fn: c_ast.FuncDef) -> list[c_ast.Decl]:
        return function_params(fn)

    def return_type(self, fn: c_ast.FuncDef) -> CType | None:
        return return_type(fn)

    # ----------------------------------------------------------------------------------------- statements

    def stmt(self, node: c_ast.Node | None) -> None:
        if node is None or self.b.cur is None:
            return  # unreachable code is dropped
        method = getattr(self, f"stmt_{type(node).__name__}", None)
        if method is None:
            if isinstance(node, (c_ast.Switch, c_ast.Goto, c_ast.Label)):
                raise self.fail(node, type(node).__name__.lower(), "use if/else and structured loops")
            self.expr(node)  # an expression statement
            return
        method(node)

    def stmt_Compound(self, node: c_ast.Compound) -> None:
        self.scopes.append({})
        for item in node.block_items or []:
            self.stmt(item)
        self.scopes.pop()

    def stmt_Pragma(self, node: c_ast.Pragma) -> None:
        pass

    def stmt_EmptyStatement(self, node: c_ast.EmptyStatement) -> None:
        pass

    def stmt_DeclList(self, node: c_ast.DeclList) -> None:
        for d in node.decls:
            self.stmt_Decl(d)

    def stmt_Decl(self, node: c_ast.Decl) -> None:
        kind, t, dims = self.decl_type(node.type, node)
        if kind == "pointer":
            raise self.fail(node, f"local pointer '{node.name}'", "pointers are only parameters")
        if kind == "array":
            self.local_array(node, t, dims)
            return
        var = ScalarVar(node.name, t)
        self.b.declare(var, t.mlir)
        if node.init is not None:
            v, vt = self.expr(node.init)
            self.b.write(var, self.convert(v, vt, t))
        self.scopes[-1][node.name] = var

    def local_array(self, node: c_ast.Decl, t: CType, dims: list[int]) -> None:
        mem_ty = f"memref<{'x'.join(map(str, dims))}x{t.mlir}>"
        mem = Val(mem_ty)
        self.b.entry.ops.insert(0, _alloca(mem, mem_ty))
        arr = ArrayVar(node.name, mem, t, dims)
        self.scopes[-1][node.name] = arr
        if node.init is None:
            return
        values = self.flatten_init(node.init, dims)
        total = 1
        for d in dims:
            total *= d
        explicit = [(i, e) for i, e in enumerate(values) if not _is_zero(e)]
        if len(explicit) < len(values) or len(values) < total:
            self.fill_loop(arr)
        for i, e in explicit:
            v, vt = self.expr(e)
            self.store(arr, self.flat_indices(i, dims), self.convert(v, vt, t))

    def flatten_init(self, init: c_ast.Node, dims: list[int]) -> list[c_ast.Node]:
        if not isinstance(init, c_ast.InitList):
            raise self.fail(init, "array initializer", "use a brace list")
        out: list[c_ast.Node] = []
        for e in init.exprs:
            if isinstance(e, c_ast.InitList):
                row = self.flatten_init(e, dims[1:])
                inner = 1
                for d in dims[1:]:
                    inner *= d
                out.extend(row + [c_ast.Constant("int", "0")] * (inner - len(row)))
            else:
                out.append(e)
        return out

    def flat_indices(self, i: int, dims: list[int]) -> list[Val]:
        idx = []
        for d in reversed(dims):
            idx.append(i % d)
            i //= d
        return [self.b.op("index", f"arith.constant {k} : index") for k in reversed(idx)]

    def fill_loop(self, arr: ArrayVar) -> None:
        """Zero every element with one loop (one store port whatever the size); 2-D arrays count row/column."""
        counters = [ScalarVar(f"__fill{i}", INT) for i in range(len(arr.dims))]
        for c in counters:
            self.b.declare(c, "i32")
            self.b.write(c, self.const(0, INT))
        header, body, done = self.b.new_block(), self.b.new_block(), self.b.new_block()
        self.b.br(header)
        self.b.enter(header)
        first = self.b.read(counters[0])
        cond = self.b.op("i1", "arith.cmpi slt, {}, {} : i32", first, self.const(arr.dims[0], INT))
        self.b.cond_br(cond, body, done)
        self.b.seal(body)
        self.b.enter(body)
        ks = [self.b.read(c) for c in counters]
        self.store(arr, [self.index(k, INT) for k in ks], self.const(0, arr.elem))
        carry = self.const(1, BOOL)
        for c, k, dim in reversed(list(zip(counters, ks, arr.dims, strict=True))):
            bumped = self.b.op("i32", "arith.addi {}, {} : i32", k, self.const(1, INT))
            nxt = self.b.op("i32", "arith.select {}, {}, {} : i32", carry, bumped, k)
            if c is not counters[0]:
                wrap = self.b.op("i1", "arith.cmpi eq, {}, {} : i32", nxt, self.const(dim, INT))
                nxt = self.b.op("i32", "arith.select {}, {}, {} : i32", wrap, self.const(0, INT), nxt)
                carry = self.b.op("i1", "arith.andi {}, {} : i1", carry, wrap)
            self.b.write(c, nxt)
        self.b.br(header)
        self.b.seal(header)
        self.b.seal(done)
        self.b.enter(done)

    def stmt_If(self, node: c_ast.If) -> None:
        cond = self.cond(node.cond)
        then_b, join = self.b.new_block(), self.b.new_block()
        else_b = self.b.new_block() if node.iffalse is not None else join
        self.b.cond_br(cond, then_b, else_b)
        self.b.seal(then_b)
        self.b.enter(then_b)
        self.stmt(node.iftrue)
        self.b.br(join)
        if node.iffalse is not None:
            self.b.seal(else_b)
            self.b.enter(else_b)
            self.stmt(node.iffalse)
            self.b.br(join)
        self.b.seal(join)
        self.b.enter(join)

    def loop(self, cond: c_ast.Node | None, body: c_ast.Node, step: c_ast.Node | None, test_first: bool) -> None:
        """A loop with one exiting block and one back edge, as the handshake flow requires.

        ``lower-cf-to-handshake`` rejects loops with several exits or several latches, so ``break`` and a
        ``return`` inside the loop set an exit flag and jump to the single latch; the loop test reads the flag
        first (in its own block, so the test is not evaluated after a break) and is the only exit. After the
        loop, a set return flag leaves the enclosing loop the same way, or the function.
        """
        header, body_b, step_b, latch, done = (self.b.new_block() for _ in range(5))
        flag = None
        if _has_exit(body):
            flag = ScalarVar("__exit", BOOL)
            self.b.declare(flag, "i1")
            self.b.write(flag, self.const(0, BOOL))
        self.b.br(header if test_first else body_b)
        if test_first:
            self.b.enter(header)
            self.loop_test(cond, flag, body_b, done)
            self.b.seal(body_b)
        self.b.enter(body_b)
        self.loops.append(Loop(latch, step_b, flag))
        self.stmt(body)
        self.loops.pop()
        self.b.br(step_b)
        self.b.seal(step_b)
        self.b.enter(step_b)
        if step is not None and self.b.cur is not None:
            self.expr(step)
        self.b.br(latch)
        self.b.seal(latch)
        self.b.enter(latch)
        self.b.br(header)
        self.b.seal(header)
        if not test_first:
            self.b.enter(header)
            self.loop_test(cond, flag, body_b, done)
            self.b.seal(body_b)
        self.b.seal(done)
        self.b.enter(done)
        if _has_return(body) and self.b.cur is not None:
            self.leave_if_returning()

    def loop_test(self, cond: c_ast.Node | None, flag: ScalarVar | None, body_b: Block, done: Block) -> None:
        if self.b.cur is None:
            return
        if flag is None:
            if cond is None:
                self.b.br(body_b)
            else:
                self.b.cond_br(self.cond(cond), body_b, done)
            return
        go = ScalarVar("__go", BOOL)
        self.b.declare(go, "i1")
        self.b.write(go, self.const(0, BOOL))
        test, join = self.b.new_block(), self.b.new_block()
        self.b.cond_br(self.b.read(flag), join, test)
        self.b.seal(test)
        self.b.enter(test)
        self.b.write(go, self.cond(cond) if cond is not None else self.const(1, BOOL))
        self.b.br(join)
        self.b.seal(join)
        self.b.enter(join)
        self.b.cond_br(self.b.read(go), body_b, done)

    def leave_if_returning(self) -> None:
        """After a loop whose body returns: go on returning (out of the next loop, or to the exit)."""
        frame = self.frames[-1]
        returning = self.b.read(self.returning_flag())
        out, cont = self.b.new_block(), self.b.new_block()
        self.b.cond_br(returning, out, cont)
        self.b.seal(out)
        self.b.enter(out)
        self.exit_loop_or_function(frame)
        self.b.seal(cont)
        self.b.enter(cont)

    def exit_loop_or_function(self, frame: InlineFrame) -> None:
        if self.loops:
            loop = self.loops[-1]
            assert loop.flag is not None
            self.b.write(loop.flag, self.const(1, BOOL))
            self.b.br(loop.latch)
        else:
            self.b.br(frame.exit)

    def returning_flag(self) -> ScalarVar:
        frame = self.frames[-1]
        if frame.returning is None:
            frame.returning = ScalarVar("__returning", BOOL)
            self.b.declare(frame.returning, "i1")  # unwritten paths read the entry's 0: not returning
        return frame.returning

    def stmt_For(self, node: c_ast.For) -> None:
        self.scopes.append({})
        if node.init is not None:
            self.stmt(node.init)
        self.loop(node.cond, node.stmt, node.next, test_first=True)
        self.scopes.pop()

    def stmt_While(self, node: c_ast.While) -> None:
        self.loop(node.cond, node.stmt, None, test_first=True)

    def stmt_DoWhile(self, node: c_ast.DoWhile) -> None:
        self.loop(node.cond, node.stmt, None, test_first=False)

    def stmt_Break(self, node: c_ast.Break) -> None:
        if not self.loops:
            raise self.fail(node, "break", "outside a loop")
        loop = self.loops[-1]
        assert loop.flag is not None
        self.b.write(loop.flag, self.const(1, BOOL))
        self.b.br(loop.latch)

    def stmt_Continue(self, node: c_ast.Continue) -> None:
        if not self.loops:
            raise self.fail(node, "continue", "outside a loop")
        self.b.br(self.loops[-1].step)

    def stmt_Return(self, node: c_ast.Return) -> None:
        frame = self.frames[-1]
        if node.expr is not None:
            if frame.ret is None:
                raise self.fail(node, "return value", f"'{frame.name}' returns void")
            v, vt = self.expr(node.expr)
            self.b.write(frame.ret, self.convert(v, vt, frame.ret.ctype))
        if self.loops:
            self.b.write(self.returning_flag(), self.const(1, BOOL))
        self.exit_loop_or_function(frame)

    # ----------------------------------------------------------------------------------------- expressions

    def cond(self, node: c_ast.Node) -> Val:
        v, t = self.expr(node)
        return self.to_bool(v, t)

    def expr(self, node: c_ast.Node) -> tuple[Val, CType]:
        method = getattr(self, f"expr_{type(node).__name__}", None)
        if method is None:
            raise self.fail(node, type(node).__name__, "expression not supported")
        return method(node)

    def expr_Constant(self, node: c_ast.Constant) -> tuple[Val, CType]:
        line = node.coord.line if node.coord else None
        if node.type == "char":
            value, t = char_literal_value(node.value), INT
        elif node.type in ("string", "float", "double"):
            raise self.fail(node, f"{node.type} literal", "only integers and booleans")
        else:
            value, t = parse_int_literal(node.value, line)
        return self.const(value, t), t

    def expr_ID(self, node: c_ast.ID) -> tuple[Val, CType]:
        for scope in reversed(self.scopes):
            if node.name in scope:
                var = scope[node.name]
                break
        else:
            if node.name in NAMED_CONSTANTS:
                value, t = NAMED_CONSTANTS[node.name]
                return self.const(value, t), t
            raise self.fail(node, f"identifier '{node.name}'", "not declared")
        if isinstance(var, ScalarVar):
            return self.b.read(var), var.ctype
        raise self.fail(node, f"'{node.name}'", "an array or pointer used as a value")

    def expr_Cast(self, node: c_ast.Cast) -> tuple[Val, CType]:
        target = node.to_type.type
        if isinstance(target, c_ast.TypeDecl) and getattr(target.type, "names", None) == ["void"]:
            if not isinstance(node.expr, c_ast.ID):  # (void)param marks an unused parameter: nothing to do
                self.expr(node.expr)
            return self.const(0, INT), INT
        kind, t, _ = self.decl_type(target, node)
        if kind != "scalar":
            raise self.fail(node, "cast", "only casts to scalar types")
        v, vt = self.expr(node.expr)
        return self.convert(v, vt, t), t

    def expr_ExprList(self, node: c_ast.ExprList) -> tuple[Val, CType]:
        result = None
        for e in node.exprs:
            result = self.expr(e)
        assert result is not None
        return result

    def expr_UnaryOp(self, node: c_ast.UnaryOp) -> tuple[Val, CType]:
        op = node.op
        if op in ("++", "--", "p++", "p--"):
            return self.increment(node)
        if op == "*":
            return self.load_lvalue(node)
        if op == "sizeof":
            raise self.fail(node, "sizeof", "not supported")
        if op == "&":
            raise self.fail(node, "&", "addresses only as arguments of helper functions")
        v, t = self.expr(node.expr)
        if op == "!":
            b = self.to_bool(v, t)
            return self.b.op("i1", "arith.xori {}, {} : i1", b, self.const(1, BOOL)), BOOL
        pt = promote(t)
        v = self.convert(v, t, pt)
        if op == "-":
            return self.b.op(pt.mlir, f"arith.subi {{}}, {{}} : {pt.mlir}", self.const(0, pt), v), pt
        if op == "+":
            return v, pt
        if op == "~":
            return self.b.op(pt.mlir, f"arith.xori {{}}, {{}} : {pt.mlir}", v, self.const(-1, pt)), pt
        raise self.fail(node, f"unary '{op}'", "not supported")

    def expr_BinaryOp(self, node: c_ast.BinaryOp) -> tuple[Val, CType]:
        op = node.op
        if op in ("&&", "||"):
            return self.logical(node)
        a, at = self.expr(node.left)
        b, bt = self.expr(node.right)
        return self.binary(node, op, a, at, b, bt)

    def binary(self, node: c_ast.Node, op: str, a: Val, at: CType, b: Val, bt: CType) -> tuple[Val, CType]:
        if op in ("<<", ">>"):
            t = promote(at)
            a = self.convert(a, at, t)
            b = self.convert(b, bt, t)
            name = "shli" if op == "<<" else ("shrsi" if t.signed else "shrui")
            return self.b.op(t.mlir, f"arith.{name} {{}}, {{}} : {t.mlir}", a, b), t
        t = usual_conversion(at, bt)
        if op in _CMP and at.is_bool and bt.is_bool and op in ("==", "!="):
            t = BOOL
        a = self.convert(a, at, t)
        b = self.convert(b, bt, t)
        if op in _CMP:
            pred = _CMP[op]
            if pred not in ("eq", "ne"):
                pred = ("s" if t.signed else "u") + pred
            return self.b.op("i1", f"arith.cmpi {pred}, {{}}, {{}} : {t.mlir}", a, b), BOOL
        if op in _ARITH:
            value = self.b.op(t.mlir, f"arith.{_ARITH[op]} {{}}, {{}} : {t.mlir}", a, b)
            if t.signed and op in "+-*":  # signed overflow is undefined in C: every C compiler takes it as exact
                self.no_wrap.append(value)
            return value, t
        if op == "/" and t.signed:
            return self.signed_div(a, b, t), t
        if op in ("/", "%"):
            name = "divui" if op == "/" else ("remsi" if t.signed else "remui")
            return self.b.op(t.mlir, f"arith.{name} {{}}, {{}} : {t.mlir}", a, b), t
        raise self.fail(node, f"operator '{op}'", "not supported")

    def signed_div(self, a: Val, b: Val, t: CType) -> Val:
        """C's truncating signed division as an unsigned division of magnitudes with the sign put back.

        Measured with circt 1.162: the handshake-to-hw lowering turns ``arith.divsi`` into an unsigned
        Verilog ``/`` (``remsi`` is lowered correctly), so signed quotients of negative operands come out
        wrong. This is the textbook hardware form and gives the C result for every operand pair.
        """
        ty = t.mlir
        zero = self.const(0, t)
        neg_a = self.b.op("i1", f"arith.cmpi slt, {{}}, {{}} : {ty}", a, zero)
        neg_b = self.b.op("i1", f"arith.cmpi slt, {{}}, {{}} : {ty}", b, zero)
        abs_a = self.b.op(ty, f"arith.select {{}}, {{}}, {{}} : {ty}", neg_a,
                          self.b.op(ty, f"arith.subi {{}}, {{}} : {ty}", zero, a), a)
        abs_b = self.b.op(ty, f"arith.select {{}}, {{}}, {{}} : {ty}", neg_b,
                          self.b.op(ty, f"arith.subi {{}}, {{}} : {ty}", zero, b), b)
        q = self.b.op(ty, f"arith.divui {{}}, {{}} : {ty}", abs_a, abs_b)
        neg = self.b.op("i1", "arith.xori {}, {} : i1", neg_a, neg_b)
        return self.b.op(ty, f"arith.select {{}}, {{}}, {{}} : {ty}", neg,
                         self.b.op(ty, f"arith.subi {{}}, {{}} : {ty}", zero, q), q)

    def logical(self, node: c_ast.BinaryOp) -> tuple[Val, CType]:
        """``&&``/``||``: a bitwise and/or when the right side is cheap and pure; a branch otherwise."""
        a = self.cond(node.left)
        if _simple(node.right):
            b = self.cond(node.right)
            name = "andi" if node.op == "&&" else "ori"
            return self.b.op("i1", f"arith.{name} {{}}, {{}} : i1", a, b), BOOL
        tmp = ScalarVar("__logic", BOOL)
        self.b.declare(tmp, "i1")
        self.b.write(tmp, a)
        rhs, join = self.b.new_block(), self.b.new_block()
        if node.op == "&&":
            self.b.cond_br(a, rhs, join)
        else:
            self.b.cond_br(a, join, rhs)
        self.b.seal(rhs)
        self.b.enter(rhs)
        self.b.write(tmp, self.cond(node.right))
        self.b.br(join)
        self.b.seal(join)
        self.b.enter(join)
        return self.b.read(tmp), BOOL

    def expr_TernaryOp(self, node: c_ast.TernaryOp) -> tuple[Val, CType]:
        c = self.cond(node.cond)
        if _simple(node.iftrue) and _simple(node.iffalse):
            a, at = self.expr(node.iftrue)
            b, bt = self.expr(node.iffalse)
            t = BOOL if at.is_bool and bt.is_bool else usual_conversion(at, bt)
            a, b = self.convert(a, at, t), self.convert(b, bt, t)
            return self.b.op(t.mlir, f"arith.select {{}}, {{}}, {{}} : {t.mlir}", c, a, b), t
        t = self.static_type(node.iftrue, node.iffalse)
        tmp = ScalarVar("__ternary", t)
        self.b.declare(tmp, t.mlir)
        yes, no, join = self.b.new_block(), self.b.new_block(), self.b.new_block()
        self.b.cond_br(c, yes, no)
        for block, arm in ((yes, node.iftrue), (no, node.iffalse)):
            self.b.seal(block)
            self.b.enter(block)
            v, vt = self.expr(arm)
            self.b.write(tmp, self.convert(v, vt, t))
            self.b.br(join)
        self.b.seal(join)
        self.b.enter(join)
        return self.b.read(tmp), t

    def static_type(self, a: c_ast.Node, b: c_ast.Node) -> CType:
        """The C type of ``c ? a : b`` without emitting code for the arms twice (a typing pass)."""
        ta, tb = _TypeOf(self).of(a), _TypeOf(self).of(b)
        if ta.is_bool and tb.is_bool:
            return BOOL
        return usual_conversion(ta, tb)

    # ----------------------------------------------------------------------------------------- lvalues

    def expr_ArrayRef(self, node: c_ast.ArrayRef) -> tuple[Val, CType]:
        return self.load_lvalue(node)

    def lvalue(self, node: c_ast.Node) -> tuple[str, object, list[Val]]:
        """('var', ScalarVar, []) or ('mem', ArrayVar, index values) for an assignable expression."""
        if isinstance(node, c_ast.ID):
            var = self.lookup(node.name, node)
            if isinstance(var, ScalarVar):
                return "var", var, []
            if isinstance(var, tuple) and var[0] == "ref":
                raise self.fail(node, f"pointer '{node.name}'", "assign through it with *name")
            raise self.fail(node, f"array '{node.name}'", "arrays are assigned element by element")
        if isinstance(node, c_ast.UnaryOp) and node.op == "*":
            if not isinstance(node.expr, c_ast.ID):
                raise self.fail(node, "*expression", "only *name of a pointer parameter")
            var = self.lookup(node.expr.name, node)
            if isinstance(var, tuple) and var[0] == "ref":
                return "var", var[1], []
            if isinstance(var, ArrayVar):
                if var.bank_offset is not None:
                    return "mem", var, [self.b.op("index", f"arith.constant {var.bank_offset} : index")]
                return "mem", var, [self.b.op("index", "arith.constant 0 : index")]
            raise self.fail(node, f"*{node.expr.name}", "not a pointer")
        if isinstance(node, c_ast.ArrayRef):
            subs: list[c_ast.Node] = []
            base: c_ast.Node = node
            while isinstance(base, c_ast.ArrayRef):
                subs.append(base.subscript)
                base = base.name
            subs.reverse()
            if not isinstance(base, c_ast.ID):
                raise self.fail(node, "subscript", "only name[i] or name[i][j]")
            arr = self.lookup(base.name, node)
            if isinstance(arr, tuple) and arr[0] == "ref" and len(subs) == 1:
                return "var", arr[1], []  # p[0] on a scalar reference
            if not isinstance(arr, ArrayVar):
                raise self.fail(node, f"'{base.name}[...]'", "not an array")
            if len(subs) != len(arr.dims):
                raise self.fail(node, f"'{base.name}'", f"has {len(arr.dims)} dimension(s), got {len(subs)} subscripts")
            values = [self.expr(sub) for sub in subs]
            if arr.bank_offset is not None:
                return "mem", arr, [self.index(self.bank_address(arr, values), INT)]
            return "mem", arr, [self.index(v, t) for v, t in values]
        raise self.fail(node, type(node).__name__, "not assignable")

    def load_lvalue(self, node: c_ast.Node) -> tuple[Val, CType]:
        kind, target, idx = self.lvalue(node)
        if kind == "var":
            return self.b.read(target), target.ctype
        return self.load(target, idx), target.elem

    def load(self, arr: ArrayVar, idx: list[Val]) -> Val:
        self.count_port(arr)
        subs = ", ".join("{}" for _ in idx)
        if arr.bank_offset is not None and arr.bank_width != arr.elem.width:
            word = self.b.op(f"i{arr.bank_width}", f"memref.load {{}}[{subs}] : {arr.memref.ty}", arr.memref, *idx)
            return self.b.op(arr.elem.mlir, f"arith.trunci {{}} : i{arr.bank_width} to {arr.elem.mlir}", word)
        return self.b.op(arr.elem.mlir, f"memref.load {{}}[{subs}] : {arr.memref.ty}", arr.memref, *idx)

    def store(self, arr: ArrayVar, idx: list[Val], value: Val) -> None:
        self.count_port(arr)
        subs = ", ".join("{}" for _ in idx)
        if arr.bank_offset is not None and arr.bank_width != arr.elem.width:
            value = self.b.op(f"i{arr.bank_width}", f"arith.extui {{}} : {arr.elem.mlir} to i{arr.bank_width}", value)
        self.b.op(None, f"memref.store {{}}, {{}}[{subs}] : {arr.memref.ty}", value, arr.memref, *idx)

    def count_port(self, arr: ArrayVar) -> None:
        self.used_memrefs.add(arr.memref.id)
        self.port_count[arr.memref.id] = self.port_count.get(arr.memref.id, 0) + 1

    def bank_address(self, arr: ArrayVar, subscripts: list[tuple[Val, CType]]) -> Val:
        """``offset + i`` (1-D) or ``offset + i * cols + j`` (2-D) in 32-bit arithmetic."""
        assert arr.bank_offset is not None
        flat = None
        for (v, t), stride in zip(subscripts, [*(arr.dims[1:]), 1], strict=True):
            term = self.convert(v, t, INT)
            if stride != 1:
                term = self.b.op("i32", "arith.muli {}, {} : i32", term, self.const(stride, INT))
            flat = term if flat is None else self.b.op("i32", "arith.addi {}, {} : i32", flat, term)
        assert flat is not None
        if arr.bank_offset:
            flat = self.b.op("i32", "arith.addi {}, {} : i32", flat, self.const(arr.bank_offset, INT))
        return flat

    def assign_to(self, kind: str, target, idx: list[Val], value: Val, vt: CType) -> tuple[Val, CType]:
        t = target.ctype if kind == "var" else target.elem
        v = self.convert(value, vt, t)
        if kind == "var":
            self.b.write(target, v)
        else:
            self.store(target, idx, v)
        return v, t

    def expr_Assignment(self, node: c_ast.Assignment) -> tuple[Val, CType]:
        kind, target, idx = self.lvalue(node.lvalue)
        if node.op == "=":
            v, vt = self.expr(node.rvalue)
            return self.assign_to(kind, target, idx, v, vt)
        if node.op not in _COMPOUND:
            raise self.fail(node, f"assignment '{node.op}'", "not supported")
        old, ot = (self.b.read(target), target.ctype) if kind == "var" else (self.load(target, idx), target.elem)
        r, rt = self.expr(node.rvalue)
        v, vt = self.binary(node, _COMPOUND[node.op], old, ot, r, rt)
        return self.assign_to(kind, target, idx, v, vt)

    def increment(self, node: c_ast.UnaryOp) -> tuple[Val, CType]:
        kind, target, idx = self.lvalue(node.expr)
        old, ot = (self.b.read(target), target.ctype) if kind == "var" else (self.load(target, idx), target.elem)
        one = self.const(1, INT)
        v, vt = self.binary(node, "+" if "+" in node.op else "-", old, ot, one, INT)
        new, nt = self.assign_to(kind, target, idx, v, vt)
        return (old, ot) if node.op.startswith("p") else (new, nt)

    # ----------------------------------------------------------------------------------------- calls

    def expr_FuncCall(self, node: c_ast.FuncCall) -> tuple[Val, CType]:
        if not isinstance(node.name, c_ast.ID):
            raise self.fail(node, "indirect call", "call helper functions by name")
        name = node.name.name
        if name not in self.functions:
            raise self.fail(node, f"call to '{name}'", "not a function of this file (no library calls)")
        if name in self.inlining:
            raise self.fail(node, f"call to '{name}'", "recursion cannot be synthesized")
        fn = self.functions[name]
        params = self.params(fn)
        args = node.args.exprs if node.args else []
        if len(args) != len(params):
            raise self.fail(node, f"call to '{name}'", f"expects {len(params)} arguments, got {len(args)}")
        scope: dict[str, object] = {}
        for param, arg in zip(params, args, strict=True):
            scope[param.name] = self.bind_param(param, arg, name)
        ret_t = self.return_type(fn)
        ret = None
        if ret_t is not None:
            ret = ScalarVar(f"{name}.return", ret_t)
            self.b.declare(ret, ret_t.mlir)
        exit_block = self.b.new_block()
        saved_scopes, saved_loops = self.scopes, self.loops
        self.scopes, self.loops = [scope], []
        self.frames.append(InlineFrame(name, ret, exit_block))
        self.inlining.append(name)
        self.stmt(fn.body)
        self.b.br(exit_block)
        self.inlining.pop()
        self.frames.pop()
        self.scopes, self.loops = saved_scopes, saved_loops
        self.b.seal(exit_block)
        self.b.enter(exit_block)
        if self.b.cur is None:
            raise self.fail(node, f"call to '{name}'", "the function never returns")
        if ret is None:
            return self.const(0, INT), INT  # a void call used as a statement
        return self.b.read(ret), ret_t

    def bind_param(self, param: c_ast.Decl, arg: c_ast.Node, fname: str) -> object:
        kind, t, dims = self.decl_type(param.type, param)
        if kind == "scalar":
            v, vt = self.expr(arg)
            var = ScalarVar(param.name, t)
            self.b.declare(var, t.mlir)
            self.b.write(var, self.convert(v, vt, t))
            return var
        if isinstance(arg, c_ast.UnaryOp) and arg.op == "&" and isinstance(arg.expr, c_ast.ID):
            target = self.lookup(arg.expr.name, arg)
            if isinstance(target, ScalarVar):
                return ("ref", target)
        if isinstance(arg, c_ast.ID):
            target = self.lookup(arg.name, arg)
            if isinstance(target, ArrayVar):
                return target
            if isinstance(target, tuple):
                return target
        raise self.fail(arg, f"argument '{param.name}' of '{fname}'", "pass an array name, a pointer or &variable")


class _TypeOf:
    """The C type of an expression without emitting anything (for branchy ``?:``)."""

    def __init__(self, lowering: CToMlir) -> None:
        self.lw = lowering

    def of(self, node: c_ast.Node) -> CType:
        if isinstance(node, c_ast.Constant):
            if node.type == "char":
                return INT
            return parse_int_literal(node.value)[1]
        if isinstance(node, c_ast.ID):
            for scope in reversed(self.lw.scopes):
                if node.name in scope:
                    var = scope[node.name]
                    if isinstance(var, ScalarVar):
                        return var.ctype
            if node.name in NAMED_CONSTANTS:
                return NAMED_CONSTANTS[node.name][1]
            return INT
        if isinstance(node, c_ast.Cast):
            return self.lw.decl_type(node.to_type.type, node)[1]
        if isinstance(node, c_ast.ArrayRef):
            base: c_ast.Node = node
            while isinstance(base, c_ast.ArrayRef):
                base = base.name
            if isinstance(base, c_ast.ID):
                arr = self.lw.lookup(base.name, node)
                if isinstance(arr, ArrayVar):
                    return arr.elem
            return INT
        if isinstance(node, c_ast.BinaryOp):
            if node.op in ("&&", "||", *_CMP):
                return BOOL
            if node.op in ("<<", ">>"):
                return promote(self.of(node.left))
            return usual_conversion(self.of(node.left), self.of(node.right))
        if isinstance(node, c_ast.UnaryOp):
            if node.op == "!":
                return BOOL
            if node.op == "*" and isinstance(node.expr, c_ast.ID):
                var = self.lw.lookup(node.expr.name, node)
                return var[1].ctype if isinstance(var, tuple) else INT
            t = self.of(node.expr)
            return t if node.op in ("++", "--", "p++", "p--") else promote(t)
        if isinstance(node, c_ast.TernaryOp):
            a, b = self.of(node.iftrue), self.of(node.iffalse)
            return BOOL if a.is_bool and b.is_bool else usual_conversion(a, b)
        if isinstance(node, c_ast.FuncCall) and isinstance(node.name, c_ast.ID):
            fn = self.lw.functions.get(node.name.name)
            t = self.lw.return_type(fn) if fn else None
            return t or INT
        if isinstance(node, c_ast.Assignment):
            return self.of(node.lvalue)
        return INT


def _simple(node: c_ast.Node) -> bool:
    """Cheap and free of side effects: safe to evaluate even when C would not (``&&``, ``?:``)."""
    if isinstance(node, (c_ast.FuncCall, c_ast.Assignment)):
        return False
    if isinstance(node, c_ast.UnaryOp) and node.op in ("++", "--", "p++", "p--"):
        return False
    if isinstance(node, c_ast.BinaryOp) and node.op in ("/", "%"):
        return False
    return all(_simple(child) for _, child in node.children())


def _walk(node: c_ast.Node, into_loops: bool):
    for _, child in node.children():
        yield child
        if into_loops or not isinstance(child, (c_ast.For, c_ast.While, c_ast.DoWhile)):
            yield from _walk(child, into_loops)


def _has_return(body: c_ast.Node) -> bool:
    return isinstance(body, c_ast.Return) or any(isinstance(n, c_ast.Return) for n in _walk(body, True))


def _has_exit(body: c_ast.Node) -> bool:
    """A ``break`` of this loop (not of an inner one) or a ``return`` anywhere in the body."""
    if isinstance(body, c_ast.Break):
        return True
    return _has_return(body) or any(isinstance(n, c_ast.Break) for n in _walk(body, False))


def _is_zero(node: c_ast.Node) -> bool:
    return isinstance(node, c_ast.Constant) and node.type != "string" and node.value.rstrip("uUlL") in ("0", "0x0")


def _alloca(mem: Val, ty: str):
    from hls.ssa import Op

    return Op(mem, f"memref.alloca() : {ty}", ())


def c_to_mlir(source: str, top: str) -> MlirModule:
    """Translate the C ``source`` with top function ``top`` into an MLIR module for the handshake flow.

    Measured with circt 1.162: ``handshake-lower-extmem-to-hw`` computes every array argument's position
    before it starts and does not account for the ports it inserts, so an array argument that follows one
    with several ports (loads + stores) is lowered at a wrong position (the tool crashes). With at most one
    such array it is placed last; with more, every array argument shares one memory argument, a *bank*
    (``MlirModule.bank``: offsets per array, words as wide as the widest element).

    Raises:
        CSubsetError: the C uses a construct outside the subset (message names it and its line).
    """
    program = parse_c(source)
    first = CToMlir(program.functions, top)
    module = first.lower(program.pragmas)
    memories = [a for a in module.args if a.kind == "memref"]
    multi = [a for a in memories if a.name in _multi_port(first, module)]
    if len(multi) <= 1:
        return module
    offset, members = 0, {}
    for a in memories:
        depth = 1
        for d in a.dims:
            depth *= d
        members[a.name] = {"offset": offset, "depth": depth, "width": a.ctype.width}
        offset += depth
    bank = MemoryBank(BANK, max(m["width"] for m in members.values()), offset, members)
    return CToMlir(program.functions, top, bank).lower(program.pragmas)


BANK = "p2s_bank"


def _multi_port(lowering: CToMlir, module: MlirModule) -> set[str]:
    """Array arguments with more than one load/store port in the emitted function."""
    names = set()
    for scope in lowering.scopes[:1]:
        for name, var in scope.items():
            if isinstance(var, ArrayVar) and lowering.port_count.get(var.memref.id, 0) > 1:
                names.add(name)
    return names
