"""Python AST → typed IR, one function at a time.

Every name gets a :class:`~hls.hls_c.ir.Sym` with a C type (from its annotation, the task's signature
for the top function, or its first value). Expressions that need statements in C (array equality,
membership, ``all``/``any``, calls with several results, short-circuit operands that need those) are
hoisted into the current block; the rest of the array work stays as :class:`~hls.hls_c.ir.ArrAssign`
for the sequence pass. Anything outside the subset raises :class:`NotSynthesizable` with its line.
"""

from __future__ import annotations

import ast
from contextlib import contextmanager
from dataclasses import dataclass, field

from hls.hls_c import ir
from hls.hls_c.ctype import (
    BOOL,
    CHAR,
    LEN,
    VOID,
    Arr2T,
    ArrT,
    BoolT,
    CType,
    IntT,
    TupleT,
    VoidT,
    fits,
    int_type,
)
from hls.hls_c.errors import NotSynthesizable
from hls.hls_c.module import RUNTIME_CLASSES, ModuleInfo, TypeResolver

C_RESERVED = {
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else", "enum", "extern",
    "float", "for", "goto", "if", "inline", "int", "long", "register", "restrict", "return", "short", "signed",
    "sizeof", "static", "struct", "switch", "typedef", "union", "unsigned", "void", "volatile", "while",
    "_Bool", "_Complex", "_Imaginary", "bool", "true", "false", "main", "NULL",
    "int8_t", "int16_t", "int32_t", "int64_t", "uint8_t", "uint16_t", "uint32_t", "uint64_t",
}
# A C name becomes an RTL name (the top module, its ports, registers), so SystemVerilog's keywords are kept out
# too: a DafnyBench method named `join` made a module Icarus cannot parse.
VERILOG_RESERVED = set("""
    alias always always_comb always_ff always_latch and assert assign assume automatic before begin bind bins binsof
    bit buf bufif0 bufif1 byte casex casez cell chandle checker class clocking cmos config constraint context cover
    covergroup coverpoint cross deassign defparam design disable dist edge end endcase endchecker endclass
    endclocking endconfig endfunction endgenerate endgroup endinterface endmodule endpackage endprimitive endprogram
    endproperty endsequence endspecify endtable endtask event eventually expect export extends final first_match
    force foreach forever fork forkjoin function generate genvar global highz0 highz1 iff ifnone ignore_bins
    illegal_bins implements implies import incdir include initial inout input inside instance integer interconnect
    interface intersect join join_any join_none large let liblist library local localparam logic longint
    macromodule matches medium modport module nand negedge nettype new nexttime nmos nor noshowcancelled not notif0
    notif1 null or output package packed parameter pmos posedge primitive priority program property protected pull0
    pull1 pulldown pullup pulsestyle_ondetect pulsestyle_onevent pure rand randc randcase randsequence rcmos real
    realtime ref reg reject_on release repeat restrict rnmos rpmos rtran rtranif0 rtranif1 s_always s_eventually
    s_nexttime s_until s_until_with scalared sequence shortint shortreal showcancelled small soft solve specify
    specparam string strong strong0 strong1 super supply0 supply1 sync_accept_on sync_reject_on table tagged task
    this throughout time timeprecision timeunit tran tranif0 tranif1 tri tri0 tri1 triand trior trireg type unique
    unique0 until until_with untyped use uwire var vectored virtual wait wait_order wand weak weak0 weak1 wildcard
    wire with within wor xnor xor accept_on
""".split())
C_RESERVED |= VERILOG_RESERVED

UNSUPPORTED_NODES = {
    "Set": "set displays (sets have no fixed-size hardware form)",
    "SetComp": "set comprehensions (sets have no fixed-size hardware form)",
    "Dict": "map displays (maps have no fixed-size hardware form)",
    "DictComp": "map comprehensions (maps have no fixed-size hardware form)",
    "Lambda": "lambdas (function values cannot be synthesized)",
    "GeneratorExp": "generators outside all()/any()",
    "Attribute": "field access (datatypes and objects are not synthesized)",
    "JoinedStr": "formatted strings",
    "Await": "await",
    "Yield": "generators",
    "YieldFrom": "generators",
    "Starred": "starred expressions",
    "NamedExpr": "assignment expressions",
}


def sanitize(name: str) -> str:
    """A Python name as a C name that cannot clash with C or Verilog keywords or the compiler's ``p2s_`` names."""
    if name.startswith(("p2s_", "P2S_")):
        name = "u_" + name
    if name in C_RESERVED:
        name = name + "_"
    return name


class Namespace:
    """Unique C names in one scope; an array also reserves its length name(s)."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken = set(taken or ())

    @staticmethod
    def _derived(name: str, dims: int) -> list[str]:
        return {0: [], 1: [f"{name}_len"], 2: [f"{name}_rows", f"{name}_cols"]}[dims]

    def alloc(self, base: str, dims: int = 0) -> str:
        """A fresh name from ``base``: user names are sanitized (``p2s_`` is the compiler's prefix)."""
        if not base.startswith("p2s_"):
            base = sanitize(base)
        cand, k = base, 1
        while cand in self.taken or any(d in self.taken for d in self._derived(cand, dims)):
            cand, k = f"{base}_{k}", k + 1
        self.taken.add(cand)
        self.taken.update(self._derived(cand, dims))
        return cand


def dims_of(t: CType) -> int:
    return 2 if isinstance(t, Arr2T) else 1 if isinstance(t, ArrT) else 0


@dataclass
class FuncSig:
    """The C signature of one design function, decided before any body is compiled."""

    py_name: str
    c_name: str
    params: list[ir.Sym]
    results: list[CType]
    outs: list[ir.Sym]
    ret: CType
    ns: Namespace
    line: int | None = None
    param_names: list[str] = field(default_factory=list)


def unify(a: CType, b: CType, line: int | None, what: str = "operands") -> CType:
    """The type two integer operands are computed in (C's usual arithmetic conversions, made explicit)."""
    if isinstance(a, BoolT) and isinstance(b, BoolT):
        return BOOL
    if not (isinstance(a, IntT) and isinstance(b, IntT)):
        raise NotSynthesizable(what, line, f"cannot combine {a} and {b}")
    if a.signed == b.signed:
        if a.width != b.width:
            return a if a.width > b.width else b
        if a.kind in ("len", "nat") and b.kind not in ("len", "nat"):
            return b
        if a.signed:
            return a
        return a if a.bits >= b.bits else b
    s, u = (a, b) if a.signed else (b, a)
    if u.width < s.width:
        return s
    return IntT(64, True, "int")


def compute_type(t: IntT) -> IntT:
    """Unsigned arithmetic that can carry (``+ - * << ~``) runs in a full uint32_t/uint64_t, then is masked."""
    return IntT(32 if t.width <= 32 else 64, False, "bv")


class ProgramContext:
    """What every function compiler shares: module, resolver, signatures, the helpers in use."""

    def __init__(self, info: ModuleInfo, resolver: TypeResolver, int_width: int) -> None:
        self.info = info
        self.resolver = resolver
        self.int_t = int_type(int_width)
        self.sigs: dict[str, FuncSig] = {}
        self.helpers: set[str] = set()
        self.globals = Namespace(C_RESERVED)


class FunctionCompiler:
    """Lowers one Python function to an :class:`ir.Function`."""

    def __init__(self, ctx: ProgramContext, fn: ast.FunctionDef, sig: FuncSig) -> None:
        self.ctx = ctx
        self.fn = fn
        self.sig = sig
        self.ns = sig.ns
        self.syms: dict[str, ir.Sym] = {}
        self.locals: list[ir.Sym] = []
        self.block: list[ir.Stmt] = []
        self.declared: dict[str, CType] = {}
        self.line: int | None = fn.lineno

    # ----------------------------------------------------------------------------------------- helpers

    def err(self, construct: str, reason: str, node: ast.AST | None = None) -> NotSynthesizable:
        line = getattr(node, "lineno", None) or self.line
        return NotSynthesizable(construct, line, reason)

    def emit(self, stmt: ir.Stmt) -> None:
        self.block.append(stmt)

    @contextmanager
    def capture(self):
        saved, self.block = self.block, []
        out: list[ir.Stmt] = self.block
        try:
            yield out
        finally:
            self.block = saved

    def new_sym(self, py_name: str | None, t: CType, role: str = "local", base: str | None = None) -> ir.Sym:
        if isinstance(t, (VoidT, TupleT)):
            raise self.err(f"variable {py_name}", f"has no value type ({t})")
        name = self.ns.alloc(sanitize(base or py_name or "t"), dims_of(t))
        sym = ir.Sym(name, t, role, py_name, line=self.line)
        self.locals.append(sym)
        return sym

    def temp(self, t: CType, base: str = "p2s_t") -> ir.Sym:
        name = self.ns.alloc(base if base.startswith("p2s_") else "p2s_" + base, dims_of(t))
        sym = ir.Sym(name, t, "temp", None, line=self.line)
        self.locals.append(sym)
        return sym

    def helper(self, name: str) -> str:
        self.ctx.helpers.add(name)
        return name

    # ----------------------------------------------------------------------------------------- entry

    def compile(self) -> ir.Function:
        self._prescan()
        rebound = self._rebound_names()
        for p, pname in zip(self.sig.params, self.sig.param_names, strict=True):
            if p.is_array and pname in rebound:
                local = self.new_sym(pname, p.type, base=f"{p.name}_v")
                self.syms[pname] = local
                self.emit(ir.ArrAssign(local, ir.ARef(p), self.fn.lineno))
            else:
                self.syms[pname] = p
        self.stmts(self.fn.body)
        if not isinstance(self.sig.ret, VoidT) and not _always_returns(self.block):
            zero = ir.Const(False, BOOL) if isinstance(self.sig.ret, BoolT) else ir.Const(0, self.sig.ret)
            self.emit(ir.Return(zero))  # unreachable in a well-formed model; keeps -Wreturn-type quiet
        return ir.Function(
            name=self.sig.c_name, py_name=self.fn.name, params=self.sig.params, outs=self.sig.outs,
            ret=self.sig.ret, body=self.block, locals=self.locals, line=self.fn.lineno,
            result_types=self.sig.results,
        )

    def _prescan(self) -> None:
        params = set(self.sig.param_names)
        for node in ast.walk(self.fn):
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                name = node.target.id
                t = self.ctx.resolver.resolve(node.annotation, node.lineno)
                if name in params:
                    continue
                old = self.declared.get(name)
                if old is not None and old != t:
                    raise self.err(f"variable {name}", f"declared as {old} and as {t}", node)
                self.declared[name] = t
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                raise self.err("global/nonlocal", "module state is not synthesized", node)
            elif isinstance(node, ast.FunctionDef) and node is not self.fn:
                raise self.err(f"nested function {node.name}", "nested functions are not synthesized", node)

    def _rebound_names(self) -> set[str]:
        out: set[str] = set()

        def targets(t: ast.expr) -> None:
            if isinstance(t, ast.Name):
                out.add(t.id)
            elif isinstance(t, (ast.Tuple, ast.List)):
                for e in t.elts:
                    targets(e)

        for node in ast.walk(self.fn):
            if isinstance(node, ast.Assign):
                for t in node.targets:
                    targets(t)
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                targets(node.target)
            elif isinstance(node, ast.For):
                targets(node.target)
        return out

    # ----------------------------------------------------------------------------------------- names and kinds

    def lookup(self, name: str, node: ast.AST) -> ir.Sym:
        sym = self.syms.get(name)
        if sym is None:
            raise self.err(f"name {name}", "used before it is assigned (or not a variable of this function)", node)
        return sym

    def type_of_name(self, name: str) -> CType | None:
        sym = self.syms.get(name)
        if sym is not None:
            return sym.type
        return self.declared.get(name)

    def is_array_node(self, node: ast.expr) -> bool:
        """Whether ``node`` is array-valued (decided from names' types, before lowering)."""
        if isinstance(node, ast.Name):
            return isinstance(self.type_of_name(node.id), (ArrT, Arr2T))
        if isinstance(node, ast.Subscript):
            if isinstance(node.slice, ast.Slice):
                return True
            if isinstance(node.value, ast.Name):
                return isinstance(self.type_of_name(node.value.id), Arr2T)
            return False
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
            sides = (node.left, node.right)
            if isinstance(node.op, ast.Mult):
                return any(isinstance(s, (ast.List, ast.Tuple)) or self.is_array_node(s) for s in sides)
            return any(self.is_array_node(s) or _is_str_literal(s, multi=True) or self.is_string_char(s) for s in sides)
        if isinstance(node, (ast.List, ast.Tuple, ast.ListComp)):
            return True
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return len(node.value) != 1
        if isinstance(node, ast.IfExp):
            return self.is_array_node(node.body) or self.is_array_node(node.orelse)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            f = node.func.id
            if f in ("list", "tuple", "str", "_dafny_seq_update"):
                return True
            sig = self.ctx.sigs.get(f)
            if sig is not None:
                return len(sig.results) == 1 and isinstance(sig.results[0], (ArrT, Arr2T))
        return False

    def is_string_char(self, node: ast.expr) -> bool:
        """``s[i]`` of a string, or a ``char`` variable: in a concatenation it is a one-character string."""
        if _is_element(node):
            t = self.type_of_name(node.value.id)
            return isinstance(t, ArrT) and t.elem == CHAR
        if isinstance(node, ast.Name):
            return self.type_of_name(node.id) == CHAR
        return False

    # ----------------------------------------------------------------------------------------- statements

    def stmts(self, body: list[ast.stmt]) -> None:
        for s in body:
            self.line = getattr(s, "lineno", self.line)
            method = getattr(self, f"s_{type(s).__name__}", None)
            if method is None:
                raise self.err(f"statement {type(s).__name__}", "not in the synthesizable subset", s)
            method(s)

    def sub_block(self, body: list[ast.stmt]) -> list[ir.Stmt]:
        with self.capture() as blk:
            self.stmts(body)
        return blk

    def s_Pass(self, s: ast.Pass) -> None:
        pass

    def s_Assert(self, s: ast.Assert) -> None:
        """Assertions were proved by the verifier; hardware does not re-check them."""

    def s_Expr(self, s: ast.Expr) -> None:
        v = s.value
        if isinstance(v, ast.Constant):
            return  # docstring
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Name):
            if v.func.id in self.ctx.sigs:
                sig = self.ctx.sigs[v.func.id]
                if sig.outs:
                    self.call_into_temps(v, sig)
                else:
                    call = self.call_expr(v, sig)
                    self.emit(ir.ExprStmt(call))
                return
            if v.func.id == "print":
                raise self.err("print", "printing has no hardware form (remove it from the synthesized method)", s)
            if v.func.id == "_dafny_forall_assign" and len(v.args) == 1:
                self.forall_assign(v.args[0], s)
                return
        raise self.err(f"expression statement {ast.unparse(v)[:40]}", "only calls may stand as statements", s)

    def s_AnnAssign(self, s: ast.AnnAssign) -> None:
        if not isinstance(s.target, ast.Name):
            raise self.err("annotated assignment", "target must be a name", s)
        name = s.target.id
        t = self.ctx.resolver.resolve(s.annotation, s.lineno)
        if name not in self.syms:
            if isinstance(t, (ArrT, Arr2T)) and s.value is not None:
                self.syms[name] = self.new_sym(name, t)
            else:
                self.syms[name] = self.new_sym(name, t)
        if s.value is not None and not (isinstance(s.value, ast.Constant) and s.value.value is None):
            self.assign_name(name, s.value, s)  # `x: list[int] = None` only declares x

    def s_Assign(self, s: ast.Assign) -> None:
        if len(s.targets) != 1:
            for t in s.targets:
                self.s_Assign(ast.Assign(targets=[t], value=s.value, lineno=s.lineno))
            return
        target = s.targets[0]
        if isinstance(target, ast.Name):
            self.assign_name(target.id, s.value, s)
        elif isinstance(target, ast.Subscript):
            self.assign_element(target, s.value, s)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self.assign_tuple(target.elts, s.value, s)
        else:
            raise self.err("assignment", f"unsupported target {ast.unparse(target)}", s)

    def s_AugAssign(self, s: ast.AugAssign) -> None:
        load = _as_load(s.target)
        value = ast.BinOp(left=load, op=s.op, right=s.value, lineno=s.lineno)
        self.s_Assign(ast.Assign(targets=[s.target], value=value, lineno=s.lineno))

    def forall_assign(self, node: ast.expr, s: ast.stmt) -> None:
        """Dafny ``forall i | lo <= i < hi && P(i) { a[E(i)] := V(i); }``: every value first, then the stores.

        When neither the values, the indices nor the filter read the array except at the element being
        assigned (``a[i] := f(a[i])``), one loop does it; otherwise the values, indices and filter go into
        buffers bounded by the range, and a second loop stores them.
        """
        if not (isinstance(node, (ast.ListComp, ast.GeneratorExp)) and len(node.generators) == 1
                and isinstance(node.elt, ast.Tuple) and len(node.elt.elts) == 3):
            raise self.err("forall statement", "only one bound variable over a range is synthesized", s)
        g = node.generators[0]
        it = g.iter
        if not (isinstance(g.target, ast.Name) and isinstance(it, ast.Call) and isinstance(it.func, ast.Name)
                and it.func.id == "range"):
            raise self.err("forall statement", "only one bound variable over a range is synthesized", s)
        arr_node, index_node, value_node = node.elt.elts
        if not isinstance(arr_node, ast.Name):
            raise self.err("forall statement", "only 1-D array elements are assigned in a forall", s)
        arr = self.lookup(arr_node.id, s)
        if not isinstance(arr.type, ArrT) or arr.type.is_value:
            raise self.err("forall statement", f"{arr_node.id} is not a mutable array", s)
        lo, hi, step = self.range_args(it)
        if step != 1:
            raise self.err("forall statement", "the range must have step 1", s)
        var = self.new_sym(g.target.id, self.ctx.int_t)
        saved = self.syms.get(g.target.id)
        self.syms[g.target.id] = var
        try:
            with self.capture() as pre:
                conds = [self.to_bool(self.scalar(c)) for c in g.ifs]
                index = self.index(index_node)
                value = self.coerce(self.scalar(value_node, arr.type.elem), arr.type.elem)
        finally:
            if saved is None:
                self.syms.pop(g.target.id, None)
            else:
                self.syms[g.target.id] = saved
        local = isinstance(index, ir.Ref) and index.sym is var and not pre and all(
            x.index and ir.same_expr(x.index[0], index)
            for e in [value, *conds] for x in ir.sub_exprs(e) if isinstance(x, (ir.Load, ir.Len)) and x.sym is arr
            if isinstance(x, ir.Load)
        ) and not any(isinstance(x, ir.Len) and x.sym is arr for e in [value, *conds] for x in ir.sub_exprs(e))
        store: ir.Stmt = ir.Assign(ir.Load(arr, [index]), value)
        if local:
            for c in reversed(conds):
                store = ir.If(c, [store])
            self.emit(ir.For(var, lo, self.stable(hi, set()), 1, [store]))
            return
        cond: ir.Expr = ir.Const(True, BOOL)
        for c in conds:
            cond = ir.Bin("&&", cond, c, BOOL)
        lo_t = self.temp(self.ctx.int_t, "p2s_lo")
        self.emit(ir.Assign(ir.Ref(lo_t), lo))
        vals = self.temp(ArrT(arr.type.elem, "array"), "p2s_vals")
        idxs = self.temp(ArrT(self.ctx.int_t, "array"), "p2s_idxs")
        keep = self.temp(ArrT(BOOL, "array"), "p2s_keep")
        for buf, e in ((keep, cond), (idxs, index), (vals, value)):
            self.emit(ir.ArrAssign(buf, ir.AComp(var, ir.Ref(lo_t), hi, e, list(pre), s.lineno), s.lineno))
        k = self.temp(LEN, "p2s_k")
        put = ir.If(ir.Load(keep, [ir.Ref(k)]), [ir.Assign(ir.Load(arr, [ir.Load(idxs, [ir.Ref(k)])]),
                                                           ir.Load(vals, [ir.Ref(k)]))])
        self.emit(ir.For(k, ir.Const(0, LEN), ir.Len(keep), 1, [put]))

    def assign_name(self, name: str, value: ast.expr, s: ast.stmt) -> None:
        sym = self.syms.get(name)
        want = sym.type if sym is not None else self.declared.get(name)
        if isinstance(want, (ArrT, Arr2T)) or (want is None and self.is_array_node(value)):
            if sym is None:
                av = self.array(value, want)
                sym = self.new_sym(name, self.atype(av, want))
                self.syms[name] = sym
            else:
                self._check_alias(sym, value, s)
                av = self.array(value, sym.type)
            self.emit(ir.ArrAssign(sym, av, s.lineno))
            return
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in self.ctx.sigs:
            sig = self.ctx.sigs[value.func.id]
            if sig.outs:
                raise self.err(f"call of {value.func.id}", "its results must be unpacked into as many names", s)
        e = self.scalar(value, want if isinstance(want, (IntT, BoolT)) else None)
        if sym is None:
            t = want or self._default_type(e.t)
            sym = self.new_sym(name, t)
            self.syms[name] = sym
        self.emit(ir.Assign(ir.Ref(sym), self.coerce(e, sym.type)))

    def _default_type(self, t: CType) -> CType:
        if isinstance(t, IntT) and t.kind == "len":
            return self.ctx.int_t
        if isinstance(t, IntT) and t.kind == "bv" and t.bits in (32, 64) and not t.masked:
            return t
        return t

    def _check_alias(self, sym: ir.Sym, value: ast.expr, s: ast.stmt) -> None:
        if isinstance(value, ast.Name) and sym.type == self.type_of_name(value.id):
            other = self.syms.get(value.id)
            if other is not None and isinstance(sym.type, ArrT) and sym.type.kind == "array" and other is not sym:
                raise self.err(
                    f"array alias {sym.py_name} = {value.id}",
                    "arrays are references: aliasing one array by another name is not synthesized", s,
                )

    def assign_element(self, target: ast.Subscript, value: ast.expr, s: ast.stmt) -> None:
        load = self.element_target(target)
        e = self.scalar(value, load.t if isinstance(load.t, (IntT, BoolT)) else None)
        self.emit(ir.Assign(load, self.coerce(e, load.t)))

    def element_target(self, target: ast.Subscript) -> ir.Load:
        if isinstance(target.slice, ast.Slice):
            raise self.err("slice assignment", "assign elements one at a time", target)
        if isinstance(target.value, ast.Subscript) and isinstance(target.value.value, ast.Name):
            sym = self.lookup(target.value.value.id, target)
            if not isinstance(sym.type, Arr2T):
                raise self.err("element assignment", f"{sym.py_name} is not a 2-D array", target)
            i = self.index(target.value.slice)
            j = self.index(target.slice)
            return ir.Load(sym, [i, j])
        if not isinstance(target.value, ast.Name):
            raise self.err("element assignment", f"unsupported target {ast.unparse(target)}", target)
        sym = self.lookup(target.value.id, target)
        if not isinstance(sym.type, ArrT) or sym.type.is_value:
            raise self.err("element assignment", f"{sym.py_name} is not a mutable array", target)
        return ir.Load(sym, [self.index(target.slice)])

    def assign_tuple(self, targets: list[ast.expr], value: ast.expr, s: ast.stmt) -> None:
        if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in self.ctx.sigs:
            sig = self.ctx.sigs[value.func.id]
            if len(sig.results) != len(targets) or not sig.outs:
                raise self.err(f"call of {value.func.id}", f"returns {len(sig.results)} value(s)", s)
            self.call_multi(value, sig, targets, s)
            return
        if not isinstance(value, (ast.Tuple, ast.List)) or len(value.elts) != len(targets):
            raise self.err("tuple assignment", "the right side must be a tuple of the same length", s)
        written = set()
        for t in targets:
            base = t
            while isinstance(base, ast.Subscript):
                base = base.value
            if isinstance(base, ast.Name):
                written.add(base.id)
        read = {n.id for v in value.elts for n in ast.walk(v) if isinstance(n, ast.Name)}
        if not (written & read):
            for t, v in zip(targets, value.elts, strict=True):
                self.s_Assign(ast.Assign(targets=[t], value=v, lineno=s.lineno))
            return
        temps: list[ir.Sym] = []
        for t, v in zip(targets, value.elts, strict=True):
            want = self._target_type(t)
            if isinstance(want, (ArrT, Arr2T)) or (want is None and self.is_array_node(v)):
                av = self.array(v, want)
                tmp = self.temp(self.atype(av, want), "p2s_tup")
                self.emit(ir.ArrAssign(tmp, av, s.lineno))
            else:
                e = self.scalar(v, want if isinstance(want, (IntT, BoolT)) else None)
                tmp = self.temp(want if isinstance(want, (IntT, BoolT)) else self._default_type(e.t), "p2s_tup")
                self.emit(ir.Assign(ir.Ref(tmp), self.coerce(e, tmp.type)))
            temps.append(tmp)
        for t, tmp in zip(targets, temps, strict=True):
            self._assign_from_sym(t, tmp, s)

    def _target_type(self, t: ast.expr) -> CType | None:
        if isinstance(t, ast.Name):
            return self.type_of_name(t.id)
        if isinstance(t, ast.Subscript):
            base = t.value
            while isinstance(base, ast.Subscript):
                base = base.value
            bt = self.type_of_name(base.id) if isinstance(base, ast.Name) else None
            return bt.elem if isinstance(bt, (ArrT, Arr2T)) else None
        return None

    def _assign_from_sym(self, t: ast.expr, tmp: ir.Sym, s: ast.stmt) -> None:
        if isinstance(t, ast.Name):
            sym = self.syms.get(t.id)
            if sym is None:
                sym = self.new_sym(t.id, self.declared.get(t.id) or tmp.type)
                self.syms[t.id] = sym
            if tmp.is_array:
                self.emit(ir.ArrAssign(sym, ir.ARef(tmp), s.lineno))
            else:
                self.emit(ir.Assign(ir.Ref(sym), self.coerce(ir.Ref(tmp), sym.type)))
        elif isinstance(t, ast.Subscript):
            load = self.element_target(t)
            self.emit(ir.Assign(load, self.coerce(ir.Ref(tmp), load.t)))
        else:
            raise self.err("tuple assignment", f"unsupported target {ast.unparse(t)}", s)

    def s_If(self, s: ast.If) -> None:
        cond = self.to_bool(self.scalar(s.test))
        then = self.sub_block(s.body)
        other = self.sub_block(s.orelse)
        self.emit(ir.If(cond, then, other))

    def s_While(self, s: ast.While) -> None:
        if s.orelse:
            raise self.err("while ... else", "loop else-blocks are not synthesized", s)
        with self.capture() as pre:
            cond = self.to_bool(self.scalar(s.test))
        body = self.sub_block(s.body)
        if pre:
            exit_ = ir.If(ir.Un("!", cond, BOOL), [ir.Break()])
            self.emit(ir.While(ir.Const(True, BOOL), pre + [exit_] + body))
        else:
            self.emit(ir.While(cond, body))

    def s_For(self, s: ast.For) -> None:
        if s.orelse:
            raise self.err("for ... else", "loop else-blocks are not synthesized", s)
        if not isinstance(s.target, ast.Name):
            raise self.err("for loop", "the loop variable must be a single name", s)
        name = s.target.id
        assigned = {n.id for st in s.body for n in ast.walk(st)
                    if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        if name in assigned:
            raise self.err(f"for loop over {name}", "the loop body assigns the loop variable", s)
        it = s.iter
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range":
            lo, hi, step = self.range_args(it)
            var = self.syms.get(name)
            if var is None or not isinstance(var.type, IntT):
                var = self.new_sym(name, self.ctx.int_t)
                self.syms[name] = var
            hi = self.stable(self.coerce(hi, var.type), assigned)
            body = self.sub_block(s.body)
            self.emit(ir.For(var, self.coerce(lo, var.type), hi, step, body))
            return
        if self.is_array_node(it):
            src = self.array_sym(it)
            idx = self.temp(LEN, "p2s_i")
            elem_t = src.type.elem if isinstance(src.type, ArrT) else None
            if elem_t is None:
                raise self.err("for loop", "iterating over a 2-D array", s)
            var = self.syms.get(name) or self.new_sym(name, elem_t)
            self.syms[name] = var
            body = [ir.Assign(ir.Ref(var), ir.Load(src, [ir.Ref(idx)]))] + self.sub_block(s.body)
            self.emit(ir.For(idx, ir.Const(0, LEN), ir.Len(src), 1, body))
            return
        raise self.err(f"for loop over {ast.unparse(it)[:40]}", "only range(...) and arrays can be iterated", s)

    def range_args(self, call: ast.Call) -> tuple[ir.Expr, ir.Expr, int]:
        args = call.args
        if not 1 <= len(args) <= 3 or call.keywords:
            raise self.err("range", "range takes 1 to 3 positional arguments", call)
        step = 1
        if len(args) == 3:
            st = _const_int(args[2])
            if st is None or st == 0:
                raise self.err("range step", "the step must be a non-zero integer constant", call)
            step = st
        lo = self.scalar(args[0], self.ctx.int_t) if len(args) >= 2 else ir.Const(0, self.ctx.int_t)
        hi = self.scalar(args[1] if len(args) >= 2 else args[0], self.ctx.int_t)
        return lo, hi, step

    def stable(self, e: ir.Expr, assigned: set[str]) -> ir.Expr:
        """``e`` itself when the loop body cannot change it, else a temporary computed once before the loop."""
        if isinstance(e, ir.Const):
            return e
        names = {x.sym.py_name for x in ir.sub_exprs(e) if isinstance(x, (ir.Ref, ir.Len))}
        calls = any(isinstance(x, (ir.Call, ir.Load)) for x in ir.sub_exprs(e))
        if not calls and not (names & assigned):
            return e
        t = self.temp(e.t if isinstance(e.t, IntT) else self.ctx.int_t, "p2s_hi")
        self.emit(ir.Assign(ir.Ref(t), e))
        return ir.Ref(t)

    def s_Break(self, s: ast.Break) -> None:
        self.emit(ir.Break())

    def s_Continue(self, s: ast.Continue) -> None:
        self.emit(ir.Continue())

    def s_Return(self, s: ast.Return) -> None:
        sig = self.sig
        v = s.value
        if v is None or (isinstance(v, ast.Constant) and v.value is None):
            if sig.results:
                raise self.err("return", f"{sig.py_name} must return {len(sig.results)} value(s)", s)
            self.emit(ir.Return())
            return
        if not sig.outs:
            if isinstance(sig.ret, VoidT):
                raise self.err("return", f"{sig.py_name} returns no value", s)
            e = self.scalar(v, sig.ret if isinstance(sig.ret, (IntT, BoolT)) else None)
            self.emit(ir.Return(self.coerce(e, sig.ret)))
            return
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Name) and v.func.id in self.ctx.sigs:
            callee = self.ctx.sigs[v.func.id]
            if len(callee.results) == len(sig.outs) and len(sig.outs) > 1:
                args = self.call_args(v, callee)
                call = ir.Call(callee.c_name, args + [ir.OutArg(o) for o in sig.outs], VOID)
                self.emit(ir.ExprStmt(call))
                self.emit(ir.Return())
                return
        values = v.elts if (len(sig.results) > 1 and isinstance(v, ast.Tuple)) else [v]
        if len(values) != len(sig.outs):
            raise self.err("return", f"{sig.py_name} returns {len(sig.outs)} values", s)
        for out, val in zip(sig.outs, values, strict=True):
            if out.is_array:
                self.emit(ir.ArrAssign(out, self.array(val, out.type), s.lineno))
            else:
                e = self.scalar(val, out.type if isinstance(out.type, (IntT, BoolT)) else None)
                self.emit(ir.Assign(ir.Deref(out), self.coerce(e, out.type)))
        self.emit(ir.Return())

    # ----------------------------------------------------------------------------------------- calls

    def call_args(self, node: ast.Call, sig: FuncSig) -> list[object]:
        if node.keywords:
            raise self.err(f"call of {sig.py_name}", "keyword arguments are not supported", node)
        if len(node.args) != len(sig.params):
            raise self.err(f"call of {sig.py_name}", f"expects {len(sig.params)} arguments", node)
        args: list[object] = []
        for a, p in zip(node.args, sig.params, strict=True):
            if p.is_array:
                args.append(ir.ArrArg(self.array_sym(a, p.type)))
            else:
                e = self.scalar(a, p.type if isinstance(p.type, (IntT, BoolT)) else None)
                args.append(self.coerce(e, p.type))
        return args

    def call_expr(self, node: ast.Call, sig: FuncSig) -> ir.Call:
        return ir.Call(sig.c_name, self.call_args(node, sig), sig.ret)

    def call_into_temps(self, node: ast.Call, sig: FuncSig) -> list[ir.Sym]:
        args = self.call_args(node, sig)
        temps = [self.temp(t, "p2s_r") for t in sig.results]
        self.emit(ir.ExprStmt(ir.Call(sig.c_name, args + [ir.OutArg(t) for t in temps], VOID)))
        return temps

    def call_multi(self, node: ast.Call, sig: FuncSig, targets: list[ast.expr], s: ast.stmt) -> None:
        args = self.call_args(node, sig)
        arg_syms = {a.sym for a in args if isinstance(a, ir.ArrArg)}
        outs: list[ir.Sym] = []
        late: list[tuple[ast.expr, ir.Sym]] = []
        for t, rt in zip(targets, sig.results, strict=True):
            sym = None
            if isinstance(t, ast.Name):
                sym = self.syms.get(t.id)
                if sym is None:
                    sym = self.new_sym(t.id, self.declared.get(t.id) or rt)
                    self.syms[t.id] = sym
                if sym.type != rt or sym in arg_syms or sym.role == "param":
                    sym = None
            if sym is None:
                tmp = self.temp(rt, "p2s_r")
                late.append((t, tmp))
                outs.append(tmp)
            else:
                outs.append(sym)
        self.emit(ir.ExprStmt(ir.Call(sig.c_name, args + [ir.OutArg(o) for o in outs], VOID)))
        for t, tmp in late:
            self._assign_from_sym(t, tmp, s)

    # ----------------------------------------------------------------------------------------- scalar expressions

    def coerce(self, e: ir.Expr, t: CType) -> ir.Expr:
        """``e`` converted to ``t``: an explicit cast whenever the C types differ."""
        if isinstance(t, BoolT):
            return self.to_bool(e)
        if isinstance(e, ir.Const) and isinstance(t, IntT) and not isinstance(e.value, bool):
            return ir.Const(e.value, t) if fits(e.value, IntT(t.width, t.signed)) else ir.Cast(e, t)
        if isinstance(t, IntT) and isinstance(e.t, (IntT, BoolT)) and e.t.c_name != t.c_name:
            return ir.Cast(e, t)
        return e

    def to_bool(self, e: ir.Expr) -> ir.Expr:
        if isinstance(e.t, BoolT):
            return e
        if isinstance(e.t, IntT):
            return ir.Bin("!=", e, ir.Const(0, e.t), BOOL)
        raise self.err("condition", f"a {e.t} is not a truth value")

    def literal_type(self, value: int, want: CType | None) -> IntT:
        if isinstance(want, IntT) and fits(value, IntT(want.width, want.signed)):
            return want
        base = self.ctx.int_t
        if fits(value, base):
            return base
        if fits(value, IntT(64, True)):
            return IntT(64, True, "int")
        if fits(value, IntT(64, False)):
            return IntT(64, False, "bv")
        raise self.err(f"constant {value}", "does not fit in 64 bits")

    def scalar(self, node: ast.expr, want: CType | None = None) -> ir.Expr:
        self.line = getattr(node, "lineno", self.line)
        name = type(node).__name__
        if name in UNSUPPORTED_NODES:
            raise self.err(UNSUPPORTED_NODES[name], "not synthesizable", node)
        method = getattr(self, f"x_{name}", None)
        if method is None:
            raise self.err(f"expression {ast.unparse(node)[:40]}", "not in the synthesizable subset", node)
        return method(node, want)

    def x_Constant(self, node: ast.Constant, want: CType | None) -> ir.Expr:
        v = node.value
        if isinstance(v, bool):
            return ir.Const(v, BOOL)
        if isinstance(v, int):
            return ir.Const(v, self.literal_type(v, want))
        if isinstance(v, str) and len(v) == 1:
            if ord(v) > 255:
                raise self.err(f"character {v!r}", "only 8-bit characters are synthesized", node)
            return ir.Const(ord(v), CHAR)
        if isinstance(v, float):
            raise self.err(f"constant {v}", "real numbers are not synthesized", node)
        raise self.err(f"constant {v!r}", "not a scalar value", node)

    def x_Name(self, node: ast.Name, want: CType | None) -> ir.Expr:
        sym = self.syms.get(node.id)
        if sym is None:
            const = self.ctx.info.constants.get(node.id)
            if const is not None and isinstance(const.value, ast.Constant):
                return self.x_Constant(const.value, want)
            raise self.err(f"name {node.id}", "used before it is assigned (or not a variable of this function)", node)
        if sym.is_array:
            raise self.err(f"array {node.id}", "used where a scalar is expected", node)
        return ir.Ref(sym)

    def operands(self, left: ast.expr, right: ast.expr, want: CType | None) -> tuple[ir.Expr, ir.Expr]:
        if _const_int(left) is not None and _const_int(right) is None:
            r = self.scalar(right, want)
            return self.scalar(left, r.t), r
        a = self.scalar(left, want)
        return a, self.scalar(right, a.t if _const_int(right) is not None else want)

    def x_BinOp(self, node: ast.BinOp, want: CType | None) -> ir.Expr:
        if self.is_array_node(node):
            raise self.err("sequence expression", "used where a scalar is expected", node)
        op = type(node.op).__name__
        a, b = self.operands(node.left, node.right, want)
        return self.arith(op, a, b, node, want)

    def arith(self, op: str, a: ir.Expr, b: ir.Expr, node: ast.AST, want: CType | None = None) -> ir.Expr:
        if op in ("Div", "MatMult"):
            raise self.err("'/' division", "real division is not synthesized", node)
        if op == "Pow":
            raise self.err("'**'", "exponentiation is not synthesized", node)
        cop = {"Add": "+", "Sub": "-", "Mult": "*", "BitAnd": "&", "BitOr": "|", "BitXor": "^",
               "LShift": "<<", "RShift": ">>", "FloorDiv": "/", "Mod": "%"}[op]
        if isinstance(a.t, BoolT) and isinstance(b.t, BoolT) and cop in "&|^":
            return ir.Bin(cop, a, b, BOOL)
        if cop in ("<<", ">>"):
            if not isinstance(a.t, IntT) or not isinstance(b.t, IntT):
                raise self.err(f"shift {cop}", "only bit-vectors are shifted in hardware", node)
            if a.t.signed:
                # an int shifted: the Python model dropped a Dafny `as bvN` conversion (the value is proved to be
                # in 0 .. 2^N-1); shift it as the bit-vector the context wants, or as a 64-bit one
                ct = compute_type(want) if isinstance(want, IntT) and not want.signed else IntT(64, False, "bv")
            else:
                ct = compute_type(a.t)
            name = self.helper(f"p2s_{'shl' if cop == '<<' else 'shr'}_u{ct.width}")
            u32 = IntT(32, False, "bv")
            shift = ir.Cast(b, u32) if b.t.c_name != u32.c_name else b
            return ir.Call(name, [self.coerce(a, ct), shift], ct)
        t = unify(a.t, b.t, getattr(node, "lineno", None), f"operator {cop}")
        assert isinstance(t, IntT)
        a, b = self.coerce(a, t), self.coerce(b, t)
        if cop in ("/", "%"):
            if t.signed:
                name = self.helper(f"p2s_f{'div' if cop == '/' else 'mod'}_i{t.width}")
                return ir.Call(name, [a, b], t)
            return ir.Bin(cop, a, b, t)
        if not t.signed and cop in "+-*":
            ct = compute_type(t)
            return ir.Bin(cop, self.coerce(a, ct), self.coerce(b, ct), ct)
        return ir.Bin(cop, a, b, t)

    def x_UnaryOp(self, node: ast.UnaryOp, want: CType | None) -> ir.Expr:
        e = self.scalar(node.operand, want)
        if isinstance(node.op, ast.Not):
            return ir.Un("!", self.to_bool(e), BOOL)
        if isinstance(node.op, ast.UAdd):
            return e
        if not isinstance(e.t, IntT):
            raise self.err("unary operator", f"on a {e.t}", node)
        if isinstance(e, ir.Const) and isinstance(node.op, ast.USub):
            return ir.Const(-int(e.value), self.literal_type(-int(e.value), want))
        op = "-" if isinstance(node.op, ast.USub) else "~"
        if e.t.signed:
            return ir.Un(op, e, e.t)
        ct = compute_type(e.t)
        return ir.Un(op, self.coerce(e, ct), ct)

    def x_BoolOp(self, node: ast.BoolOp, want: CType | None) -> ir.Expr:
        cop = "&&" if isinstance(node.op, ast.And) else "||"
        result = self.to_bool(self.scalar(node.values[0]))
        for v in node.values[1:]:
            with self.capture() as pre:
                e = self.to_bool(self.scalar(v))
            if not pre:
                result = ir.Bin(cop, result, e, BOOL)
                continue
            t = self.temp(BOOL, "p2s_c")
            self.emit(ir.Assign(ir.Ref(t), result))
            guard = ir.Ref(t) if cop == "&&" else ir.Un("!", ir.Ref(t), BOOL)
            self.emit(ir.If(guard, pre + [ir.Assign(ir.Ref(t), e)]))
            result = ir.Ref(t)
        return result

    def x_IfExp(self, node: ast.IfExp, want: CType | None) -> ir.Expr:
        cond = self.to_bool(self.scalar(node.test))
        with self.capture() as pre_a:
            a = self.scalar(node.body, want)
        with self.capture() as pre_b:
            b = self.scalar(node.orelse, want if _const_int(node.orelse) is None else a.t)
        if _const_int(node.body) is not None and _const_int(node.orelse) is None:
            a = self.coerce(a, b.t)
        t = unify(a.t, b.t, node.lineno, "conditional expression")
        if not pre_a and not pre_b:
            return ir.Cond(cond, self.coerce(a, t), self.coerce(b, t), t)  # type: ignore[arg-type]
        tmp = self.temp(t, "p2s_v")
        self.emit(ir.If(cond, pre_a + [ir.Assign(ir.Ref(tmp), self.coerce(a, t))],
                        pre_b + [ir.Assign(ir.Ref(tmp), self.coerce(b, t))]))
        return ir.Ref(tmp)

    def x_Compare(self, node: ast.Compare, want: CType | None) -> ir.Expr:
        parts: list[ir.Expr] = []
        left_node = node.left
        left: ir.Expr | None = None
        for i, (op, right_node) in enumerate(zip(node.ops, node.comparators, strict=True)):
            last = i == len(node.ops) - 1
            if isinstance(op, (ast.In, ast.NotIn)):
                res = self.membership(left_node, right_node, node)
                parts.append(ir.Un("!", res, BOOL) if isinstance(op, ast.NotIn) else res)
                left = None
                left_node = right_node
                continue
            if isinstance(op, (ast.Is, ast.IsNot)):
                raise self.err("'is' comparison", "identity comparison is not synthesized", node)
            cop = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}[type(op)]
            if self.is_array_node(left_node) or self.is_array_node(right_node):
                if cop not in ("==", "!="):
                    raise self.err(f"sequence comparison {cop}", "only == and != compare sequences", node)
                eq = self.array_equal(left_node, right_node, node)
                parts.append(eq if cop == "==" else ir.Un("!", eq, BOOL))
                left = None
                left_node = right_node
                continue
            if left is None:
                if _const_int(left_node) is not None and _const_int(right_node) is None:
                    r = self.scalar(right_node)
                    left = self.scalar(left_node, r.t)
                    right = r
                else:
                    left = self.scalar(left_node)
                    right = self.scalar(right_node, left.t)
            else:
                right = self.scalar(right_node, left.t)
            if not last and not isinstance(right, (ir.Ref, ir.Const, ir.Len)):
                tmp = self.temp(right.t if isinstance(right.t, (IntT, BoolT)) else self.ctx.int_t, "p2s_m")
                self.emit(ir.Assign(ir.Ref(tmp), right))
                right = ir.Ref(tmp)
            t = unify(left.t, right.t, node.lineno, f"comparison {cop}")
            parts.append(self.compare(cop, self.coerce(left, t), self.coerce(right, t)))
            left = right
            left_node = right_node
        out = parts[0]
        for p in parts[1:]:
            out = ir.Bin("&&", out, p, BOOL)
        return out

    @staticmethod
    def compare(cop: str, a: ir.Expr, b: ir.Expr) -> ir.Expr:
        """``a cop b``, folded when C compilers would call it a tautology (``x < x``, ``u >= 0`` unsigned)."""
        if ir.same_expr(a, b):
            return ir.Const(cop in ("==", "<=", ">="), BOOL)
        for x, y, op in ((a, b, cop), (b, a, _FLIP[cop])):
            if isinstance(y, ir.Const) and not isinstance(x, ir.Const) and isinstance(x.t, IntT):
                lo, hi = _c_range(x)
                c = int(y.value)
                decided = {"<": (hi < c, lo >= c), "<=": (hi <= c, lo > c), ">": (lo > c, hi <= c),
                           ">=": (lo >= c, hi < c), "==": (False, c < lo or c > hi), "!=": (c < lo or c > hi, False)}
                yes, no = decided[op]
                if yes or no:
                    return ir.Const(bool(yes), BOOL)
        return ir.Bin(cop, a, b, BOOL)

    def display_membership(self, item: ast.expr, elems: list[ast.expr]) -> ir.Expr:
        """``x in {a, b, c}``: a set display of scalars needs no buffer; it is ``x == a || x == b || x == c``."""
        if not elems:
            return ir.Const(False, BOOL)
        x = self.scalar(item)
        if not isinstance(x, (ir.Ref, ir.Const)):
            tmp = self.temp(x.t, "p2s_x")  # type: ignore[arg-type]
            self.emit(ir.Assign(ir.Ref(tmp), x))
            x = ir.Ref(tmp)
        out: ir.Expr | None = None
        for e in elems:
            test = self.compare("==", x, self.coerce(self.scalar(e, x.t), x.t))
            out = test if out is None else ir.Bin("||", out, test, BOOL)
        return out  # type: ignore[return-value]

    def membership(self, item: ast.expr, container: ast.expr, node: ast.AST) -> ir.Expr:
        if isinstance(container, ast.Constant) and isinstance(container.value, str):
            x = self.scalar(item, CHAR)
            if not isinstance(x, (ir.Ref, ir.Const)):
                tmp = self.temp(x.t, "p2s_x")  # type: ignore[arg-type]
                self.emit(ir.Assign(ir.Ref(tmp), x))
                x = ir.Ref(tmp)
            chars = sorted(set(container.value))
            if not chars:
                return ir.Const(False, BOOL)
            out: ir.Expr | None = None
            for c in chars:
                test = ir.Bin("==", self.coerce(x, CHAR), ir.Const(ord(c), CHAR), BOOL)
                out = test if out is None else ir.Bin("||", out, test, BOOL)
            return out  # type: ignore[return-value]
        elems = _set_display(container)
        if elems is not None:
            return self.display_membership(item, elems)
        if not self.is_array_node(container):
            raise self.err("'in'", "membership needs a sequence, an array or a set display", node)
        seq = self.array_sym(container)
        elem = seq.type.elem  # type: ignore[union-attr]
        x = self.scalar(item, elem)
        xs = self.temp(elem, "p2s_x")
        self.emit(ir.Assign(ir.Ref(xs), self.coerce(x, elem)))
        found = self.temp(BOOL, "p2s_found")
        k = self.temp(LEN, "p2s_k")
        self.emit(ir.Assign(ir.Ref(found), ir.Const(False, BOOL)))
        hit = ir.If(ir.Bin("==", ir.Load(seq, [ir.Ref(k)]), ir.Ref(xs), BOOL),
                    [ir.Assign(ir.Ref(found), ir.Const(True, BOOL)), ir.Break()])
        self.emit(ir.For(k, ir.Const(0, LEN), ir.Len(seq), 1, [hit]))
        return ir.Ref(found)

    def prefix(self, left: ast.expr, right: ast.expr, proper: bool, node: ast.AST) -> ir.Expr:
        """Dafny's ``s <= t`` / ``s < t`` on sequences: a loop over the shorter one."""
        a = self.array_sym(left)
        b = self.array_sym(right, a.type)
        if a is b:
            return ir.Const(not proper, BOOL)
        res = self.temp(BOOL, "p2s_pre")
        k = self.temp(LEN, "p2s_k")
        self.emit(ir.Assign(ir.Ref(res), ir.Bin("<" if proper else "<=", ir.Len(a), ir.Len(b), BOOL)))
        t = unify(a.type.elem, b.type.elem, getattr(node, "lineno", None), "sequence prefix")  # type: ignore[union-attr]
        differ = ir.Bin("!=", self.coerce(ir.Load(a, [ir.Ref(k)]), t), self.coerce(ir.Load(b, [ir.Ref(k)]), t), BOOL)
        stop = ir.If(differ, [ir.Assign(ir.Ref(res), ir.Const(False, BOOL)), ir.Break()])
        self.emit(ir.If(ir.Ref(res), [ir.For(k, ir.Const(0, LEN), ir.Len(a), 1, [stop])]))
        return ir.Ref(res)

    def array_equal(self, left: ast.expr, right: ast.expr, node: ast.AST) -> ir.Expr:
        a = self.array_sym(left)
        b = self.array_sym(right, a.type)
        if isinstance(a.type, Arr2T) or isinstance(b.type, Arr2T):
            raise self.err("2-D array comparison", "not synthesized", node)
        if a is b:
            return ir.Const(True, BOOL)
        eq = self.temp(BOOL, "p2s_eq")
        k = self.temp(LEN, "p2s_k")
        self.emit(ir.Assign(ir.Ref(eq), ir.Bin("==", ir.Len(a), ir.Len(b), BOOL)))
        t = unify(a.type.elem, b.type.elem, getattr(node, "lineno", None), "sequence comparison")  # type: ignore[union-attr]
        differ = ir.Bin("!=", self.coerce(ir.Load(a, [ir.Ref(k)]), t), self.coerce(ir.Load(b, [ir.Ref(k)]), t), BOOL)
        stop = ir.If(differ, [ir.Assign(ir.Ref(eq), ir.Const(False, BOOL)), ir.Break()])
        loop = ir.For(k, ir.Const(0, LEN), ir.Len(a), 1, [stop])
        self.emit(ir.If(ir.Ref(eq), [loop]))
        return ir.Ref(eq)

    def x_Subscript(self, node: ast.Subscript, want: CType | None) -> ir.Expr:
        if isinstance(node.slice, ast.Slice):
            raise self.err("slice", "used where a scalar is expected", node)
        base = node.value
        if isinstance(base, ast.Subscript) and isinstance(base.value, ast.Name):
            sym = self.syms.get(base.value.id)
            if sym is not None and isinstance(sym.type, Arr2T):
                return ir.Load(sym, [self.index(base.slice), self.index(node.slice)])
        sym = self.array_sym(base)
        if isinstance(sym.type, Arr2T):
            raise self.err("2-D array row", "index both dimensions: a[i][j]", node)
        return ir.Load(sym, [self.index(node.slice)])

    def index(self, node: ast.expr) -> ir.Expr:
        k = _const_int(node)
        if k is not None and k < 0:
            raise self.err("negative index", "Python's from-the-end indexing is not synthesized", node)
        e = self.scalar(node, self.ctx.int_t)
        if not isinstance(e.t, IntT):
            raise self.err("index", f"a {e.t} is not an index", node)
        return e

    def x_Call(self, node: ast.Call, want: CType | None) -> ir.Expr:
        if not isinstance(node.func, ast.Name):
            what = f"call of {ast.unparse(node.func)[:40]}"
            raise self.err(what, "only calls of module functions are synthesized", node)
        f = node.func.id
        args = node.args
        if f in self.ctx.sigs:
            sig = self.ctx.sigs[f]
            if sig.outs or isinstance(sig.ret, VoidT):
                raise self.err(f"call of {f}", "a call with no scalar result used as a value", node)
            return self.call_expr(node, sig)
        if f == "len" and len(args) == 1:
            return self.length(args[0])
        if f in ("_dafny_div", "_dafny_mod") and len(args) == 2:
            a, b = self.operands(args[0], args[1], want)
            t = unify(a.t, b.t, node.lineno, f)
            assert isinstance(t, IntT)
            a, b = self.coerce(a, t), self.coerce(b, t)
            if not t.signed:
                return ir.Bin("/" if f == "_dafny_div" else "%", a, b, t)
            name = self.helper(f"p2s_{'div' if f == '_dafny_div' else 'mod'}_i{t.width}")
            return ir.Call(name, [a, b], t)
        if f == "int" and len(args) == 1:
            e = self.scalar(args[0], want)
            return self.coerce(e, self.ctx.int_t) if isinstance(e.t, BoolT) else e
        if f == "bool" and len(args) == 1:
            return self.to_bool(self.scalar(args[0]))
        if f == "ord" and len(args) == 1:
            return self.coerce(self.scalar(args[0], CHAR), self.ctx.int_t)
        if f == "chr" and len(args) == 1:
            return self.coerce(self.scalar(args[0]), CHAR)
        if f == "abs" and len(args) == 1:
            e = self.scalar(args[0], want)
            if not isinstance(e, (ir.Ref, ir.Const)):
                tmp = self.temp(e.t, "p2s_a")  # type: ignore[arg-type]
                self.emit(ir.Assign(ir.Ref(tmp), e))
                e = ir.Ref(tmp)
            return ir.Cond(ir.Bin("<", e, ir.Const(0, e.t), BOOL), ir.Un("-", e, e.t), e, e.t)  # type: ignore[arg-type]
        if f in ("min", "max") and len(args) == 2:
            a, b = self.operands(args[0], args[1], want)
            t = unify(a.t, b.t, node.lineno, f)
            a, b = self.coerce(a, t), self.coerce(b, t)
            for e in (a, b):
                if not isinstance(e, (ir.Ref, ir.Const, ir.Len)):
                    raise self.err(f"{f}()", "arguments must be names or constants", node)
            return ir.Cond(ir.Bin("<" if f == "min" else ">", a, b, BOOL), a, b, t)  # type: ignore[arg-type]
        if f in ("all", "any") and len(args) == 1 and isinstance(args[0], (ast.GeneratorExp, ast.ListComp)):
            return self.quantifier(f, args[0])
        if f in ("_dafny_is_prefix", "_dafny_is_proper_prefix") and len(args) == 2:
            return self.prefix(args[0], args[1], proper=f == "_dafny_is_proper_prefix", node=node)
        if f in RUNTIME_CLASSES:
            raise self.err(f"{f} value", RUNTIME_CLASSES[f], node)
        if f == "print":
            raise self.err("print", "printing has no hardware form", node)
        if f in self.ctx.info.classes:
            raise self.err(f"datatype {f}", "datatypes (classes) are not synthesized", node)
        raise self.err(f"call of {f}", "not a function of this module or a supported builtin", node)

    def length(self, node: ast.expr) -> ir.Expr:
        if _is_element(node):
            sym = self.syms.get(node.value.id)
            if sym is not None and isinstance(sym.type, Arr2T):
                return ir.Len(sym, 1)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return ir.Const(len(node.value), LEN)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice) and node.slice.step is None:
            base = self.array_sym(node.value)
            if isinstance(base.type, ArrT):  # |s[lo..hi]| = hi - lo (Dafny slices are in range)
                lo = self.scalar(node.slice.lower, LEN) if node.slice.lower is not None else ir.Const(0, LEN)
                hi = self.scalar(node.slice.upper, LEN) if node.slice.upper is not None else ir.Len(base)
                if isinstance(lo, ir.Const) and lo.value == 0:
                    return hi
                return ir.Bin("-", self.coerce(hi, LEN), self.coerce(lo, LEN), LEN)
        sym = self.array_sym(node)
        return ir.Len(sym, 0)

    def quantifier(self, f: str, gen: ast.GeneratorExp | ast.ListComp) -> ir.Expr:
        if len(gen.generators) != 1:
            raise self.err(f"{f}()", "one generator only", gen)
        g = gen.generators[0]
        if g.is_async or not isinstance(g.target, ast.Name):
            raise self.err(f"{f}()", "the generator must bind one name", gen)
        it = g.iter
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"):
            if self.is_array_node(it):
                src = self.array_sym(it)
                idx_name = g.target.id
                var = self.new_sym(idx_name, src.type.elem)  # type: ignore[union-attr]
                k = self.temp(LEN, "p2s_k")
                return self._quant_loop(f, gen, g, var, k, ir.Const(0, LEN), ir.Len(src), src)
            raise self.err(f"{f}()", "quantify over range(...) or a sequence", gen)
        lo, hi, step = self.range_args(it)
        if step != 1:
            raise self.err(f"{f}()", "quantifier ranges must have step 1", gen)
        var = self.new_sym(g.target.id, self.ctx.int_t)
        return self._quant_loop(f, gen, g, var, var, lo, hi, None)

    def _quant_loop(self, f, gen, g, var, counter, lo, hi, src) -> ir.Expr:
        res = self.temp(BOOL, "p2s_q")
        saved = self.syms.get(g.target.id)
        self.syms[g.target.id] = var
        try:
            with self.capture() as body:
                if src is not None:
                    self.emit(ir.Assign(ir.Ref(var), ir.Load(src, [ir.Ref(counter)])))
                conds = [self.to_bool(self.scalar(c)) for c in g.ifs]
                e = self.to_bool(self.scalar(gen.elt))
        finally:
            if saved is None:
                self.syms.pop(g.target.id, None)
            else:
                self.syms[g.target.id] = saved
        stop = ir.Un("!", e, BOOL) if f == "all" else e
        found = [ir.Assign(ir.Ref(res), ir.Const(f != "all", BOOL)), ir.Break()]
        check: ir.Stmt = ir.If(stop, found)
        for c in reversed(conds):
            check = ir.If(c, [check])
        self.emit(ir.Assign(ir.Ref(res), ir.Const(f == "all", BOOL)))
        self.emit(ir.For(counter, lo, hi, 1, body + [check]))
        return ir.Ref(res)

    # ----------------------------------------------------------------------------------------- array expressions

    def atype(self, av: ir.AExpr, want: CType | None = None) -> ArrT | Arr2T:
        """The array type of an array expression (``want`` decides literal element types)."""
        if isinstance(want, (ArrT, Arr2T)):
            return want
        if isinstance(av, ir.ARef):
            return av.sym.type  # type: ignore[return-value]
        if isinstance(av, (ir.ASlice, ir.AUpdate)):
            return av.base.type  # type: ignore[return-value]
        if isinstance(av, ir.AConcat):
            return self.atype(av.parts[0])
        if isinstance(av, ir.ALit):
            if not av.items:
                return ArrT(self.ctx.int_t, "seq")
            return ArrT(self._default_type(av.items[0].t), "seq")  # type: ignore[arg-type]
        if isinstance(av, ir.AFill):
            return ArrT(self._default_type(av.value.t), "array")  # type: ignore[arg-type]
        if isinstance(av, ir.AFill2):
            return Arr2T(self._default_type(av.value.t))  # type: ignore[arg-type]
        if isinstance(av, ir.AComp):
            return ArrT(self._default_type(av.elem.t), "array")  # type: ignore[arg-type]
        raise AssertionError(av)

    def array_sym(self, node: ast.expr, want: CType | None = None) -> ir.Sym:
        """The buffer holding ``node``'s value: the variable itself, or a temporary filled by an ArrAssign."""
        if isinstance(node, ast.Name):
            sym = self.lookup(node.id, node)
            if not sym.is_array:
                raise self.err(f"{node.id}", "is not an array or sequence", node)
            return sym
        av = self.array(node, want)
        if isinstance(av, ir.ARef):
            return av.sym
        tmp = self.temp(self.atype(av, want), "p2s_s")
        self.emit(ir.ArrAssign(tmp, av, getattr(node, "lineno", None)))
        return tmp

    def array(self, node: ast.expr, want: CType | None = None) -> ir.AExpr:
        line = getattr(node, "lineno", self.line)
        self.line = line
        elem_want = want.elem if isinstance(want, (ArrT, Arr2T)) else None
        if isinstance(node, ast.Name):
            sym = self.lookup(node.id, node)
            if not sym.is_array and self.is_string_char(node):  # `s + ch`: the model's char is a 1-string
                return ir.ALit([self.coerce(ir.Ref(sym), CHAR)], line)
            if not sym.is_array:
                raise self.err(f"{node.id}", "is a scalar where a sequence is expected", node)
            return ir.ARef(sym, line)
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            if node.slice.step is not None:
                raise self.err("slice with a step", "not synthesized", node)
            base = self.array_sym(node.value)
            lo = self.scalar(node.slice.lower, self.ctx.int_t) if node.slice.lower is not None else None
            hi = self.scalar(node.slice.upper, self.ctx.int_t) if node.slice.upper is not None else None
            return ir.ASlice(base, lo, hi, line)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            parts: list[ir.AExpr] = []
            for side in _flatten_add(node):
                part = self.array(side, want)
                parts.extend(part.parts if isinstance(part, ir.AConcat) else [part])
            return ir.AConcat(parts, line)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            lit, count = node.left, node.right
            if not isinstance(lit, (ast.List, ast.Tuple)):
                lit, count = count, lit
            if not isinstance(lit, (ast.List, ast.Tuple)) or len(lit.elts) != 1:
                raise self.err("sequence repetition", "only [value] * count is synthesized", node)
            item = lit.elts[0]
            if isinstance(item, ast.Constant) and item.value is None:  # `new T[n]`: T's default value
                value: ir.Expr = ir.Const(False, BOOL) if isinstance(elem_want, BoolT) else \
                    ir.Const(0, elem_want if isinstance(elem_want, IntT) else self.ctx.int_t)
            else:
                value = self.scalar(item, elem_want)
            if elem_want is not None:
                value = self.coerce(value, elem_want)
            return ir.AFill(value, self.scalar(count, self.ctx.int_t), line, ast.unparse(count))
        if isinstance(node, (ast.List, ast.Tuple)):
            items = []
            for e in node.elts:
                v = self.scalar(e, elem_want)
                items.append(self.coerce(v, elem_want) if elem_want is not None else v)
            return ir.ALit(items, line)
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if any(ord(c) > 255 for c in node.value):
                raise self.err(f"string {node.value!r}", "only 8-bit characters are synthesized", node)
            return ir.ALit([ir.Const(ord(c), CHAR) for c in node.value], line)
        if isinstance(node, ast.ListComp):
            return self.comprehension(node, want)
        if isinstance(node, ast.IfExp):
            cond = self.to_bool(self.scalar(node.test))
            with self.capture() as pre_a:
                a = self.array(node.body, want)
            t = self.atype(a, want)
            tmp = self.temp(t, "p2s_s")
            pre_a.append(ir.ArrAssign(tmp, a, line))
            with self.capture() as pre_b:
                b = self.array(node.orelse, t)
            pre_b.append(ir.ArrAssign(tmp, b, line))
            self.emit(ir.If(cond, pre_a, pre_b))
            return ir.ARef(tmp, line)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            f = node.func.id
            if f in ("list", "tuple", "str") and len(node.args) == 1:
                return self.array(node.args[0], want)
            if f in ("list", "tuple") and not node.args:
                return ir.ALit([], line)
            if f == "_dafny_seq_update" and len(node.args) == 3:
                base = self.array_sym(node.args[0], want)
                elem = base.type.elem  # type: ignore[union-attr]
                index = self.index(node.args[1])
                value = self.coerce(self.scalar(node.args[2], elem), elem)
                return ir.AUpdate(base, index, value, line)
            if f in RUNTIME_CLASSES:
                raise self.err(f"{f} value", RUNTIME_CLASSES[f], node)
            sig = self.ctx.sigs.get(f)
            if sig is not None and len(sig.results) == 1 and sig.outs:
                (tmp,) = self.call_into_temps(node, sig)
                return ir.ARef(tmp, line)
            if sig is not None and sig.results == [CHAR]:  # `s + [Lower(c)]`: the model's char is a 1-string
                return ir.ALit([self.coerce(self.scalar(node, CHAR), CHAR)], line)
            raise self.err(f"call of {f}", "does not return a sequence that can be synthesized", node)
        if self.is_string_char(node) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            return ir.ALit([self.coerce(self.scalar(node, CHAR), CHAR)], line)
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            if isinstance(self.type_of_name(node.value.id), Arr2T):
                raise self.err("2-D array row", "rows of 2-D arrays are not values; index both dimensions", node)
            raise self.err(f"element {ast.unparse(node)}", "used where a sequence is expected", node)
        name = type(node).__name__
        if name in UNSUPPORTED_NODES:
            raise self.err(UNSUPPORTED_NODES[name], "not synthesizable", node)
        raise self.err(f"sequence expression {ast.unparse(node)[:40]}", "not in the synthesizable subset", node)

    def comprehension(self, node: ast.ListComp, want: CType | None) -> ir.AExpr:
        if len(node.generators) != 1 or node.generators[0].ifs:
            raise self.err("list comprehension", "one generator without filters only", node)
        g = node.generators[0]
        it = g.iter
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range"):
            raise self.err("list comprehension", "only comprehensions over range(...) are synthesized", node)
        lo, hi, step = self.range_args(it)
        if step != 1:
            raise self.err("list comprehension", "the range must have step 1", node)
        elt = node.elt
        if isinstance(elt, ast.BinOp) and isinstance(elt.op, ast.Mult) and self.is_array_node(elt):
            inner = self.array(elt, ArrT(want.elem) if isinstance(want, Arr2T) else None)
            if isinstance(inner, ir.AFill) and isinstance(lo, ir.Const) and lo.value == 0:
                return ir.AFill2(inner.value, hi, inner.count, node.lineno)
            raise self.err("2-D comprehension", "only [[v] * cols for _ in range(rows)] is synthesized", node)
        if not isinstance(g.target, ast.Name):
            raise self.err("list comprehension", "the generator must bind one name", node)
        var = self.new_sym(g.target.id, self.ctx.int_t)
        saved = self.syms.get(g.target.id)
        self.syms[g.target.id] = var
        elem_want = want.elem if isinstance(want, ArrT) else None
        try:
            with self.capture() as pre:
                e = self.scalar(elt, elem_want)
                if elem_want is not None:
                    e = self.coerce(e, elem_want)
        finally:
            if saved is None:
                self.syms.pop(g.target.id, None)
            else:
                self.syms[g.target.id] = saved
        return ir.AComp(var, lo, hi, e, pre, node.lineno)


# --------------------------------------------------------------------------------------------- utilities


_FLIP = {"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}


def _c_range(e: ir.Expr) -> tuple[int, int]:
    """The values ``e`` can take as C sees its type (gcc's -Wtype-limits reasons the same way)."""
    t = e.t
    assert isinstance(t, IntT)
    lo, hi = (-(1 << (t.width - 1)), (1 << (t.width - 1)) - 1) if t.signed else (0, (1 << t.width) - 1)
    if isinstance(e, ir.Cast) and isinstance(e.expr.t, IntT):
        ilo, ihi = _c_range(e.expr)
        if lo <= ilo and ihi <= hi:  # a widening cast keeps the inner range
            return ilo, ihi
    return lo, hi


def _const_int(node: ast.expr | None) -> int | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        v = _const_int(node.operand)
        return -v if v is not None else None
    return None


def _is_element(node: ast.expr) -> bool:
    """``name[i]`` (not a slice)."""
    if not isinstance(node, ast.Subscript):
        return False
    return not isinstance(node.slice, ast.Slice) and isinstance(node.value, ast.Name)


def _is_str_literal(node: ast.expr, multi: bool = False) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and (not multi or len(node.value) != 1)


def _set_display(node: ast.expr) -> list[ast.expr] | None:
    """The elements of a set display as the Python model writes it (``_Set((a, b))``), else ``None``."""
    if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("_Set", "frozenset")
            and len(node.args) == 1 and isinstance(node.args[0], (ast.Tuple, ast.List))):
        return list(node.args[0].elts)
    return None


def _flatten_add(node: ast.expr) -> list[ast.expr]:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _flatten_add(node.left) + _flatten_add(node.right)
    return [node]


def _as_load(target: ast.expr) -> ast.expr:
    import copy

    node = copy.deepcopy(target)
    for n in ast.walk(node):
        if hasattr(n, "ctx"):
            n.ctx = ast.Load()
    return node


def _always_returns(stmts: list[ir.Stmt]) -> bool:
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, ir.Return):
        return True
    if isinstance(last, ir.If):
        return _always_returns(last.then) and _always_returns(last.other)
    if isinstance(last, ir.While) and isinstance(last.cond, ir.Const) and last.cond.value is True:
        return not any(isinstance(s, ir.Break) for s in _same_loop(last.body))
    return False


def _same_loop(stmts: list[ir.Stmt]):
    """Statements of a loop body that a ``break`` there would leave (nested loops excluded)."""
    for s in stmts:
        yield s
        if isinstance(s, ir.If):
            yield from _same_loop(s.then)
            yield from _same_loop(s.other)
