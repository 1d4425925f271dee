"""The compiler driver: module → recursion elimination → signatures → typed IR → bounds → loops → pragmas.

PyLog's architecture for our Python subset: the AST is typed into an IR (:mod:`frontend`), passes transform
it (:mod:`recursion` on the AST; :mod:`bounds`, :mod:`lower` on the IR), and :mod:`codegen` prints C.
"""

from __future__ import annotations

import ast

from hls.hls_c import ir
from hls.hls_c.bounds import infer_bounds, requires_bounds
from hls.hls_c.ctype import BOOL, CHAR, VOID, Arr2T, ArrT, CType, IntT, TupleT, VoidT, bv_type, int_type
from hls.hls_c.errors import NotSynthesizable
from hls.hls_c.frontend import FuncSig, FunctionCompiler, Namespace, ProgramContext, dims_of, sanitize
from hls.hls_c.lower import SequenceLowering, alias_results, drop_dead_stores, insert_pragmas
from hls.hls_c.module import ModuleInfo, TypeResolver, reachable_order, read_module
from hls.hls_c.recursion import eliminate_recursion
from pipeline.task import Signature, Task
from pipeline.types import DafnyType
from verifiers.front.checker import py_name

SUPPORTED_WIDTHS = (8, 16, 32, 64)




def dafny_ctype(t: DafnyType, int_width: int) -> CType:
    """The C type of a task-interface type."""
    if t.kind == "int":
        return int_type(int_width)
    if t.kind == "nat":
        return int_type(int_width, "nat")
    if t.kind == "bool":
        return BOOL
    if t.kind == "char":
        return CHAR
    if t.kind == "bv":
        return bv_type(t.width)
    if t.kind == "string":
        return ArrT(CHAR, "string")
    assert t.elem is not None
    elem = dafny_ctype(t.elem, int_width)
    if t.kind == "array2":
        return Arr2T(elem)  # type: ignore[arg-type]
    return ArrT(elem, "array" if t.kind == "array" else "seq")  # type: ignore[arg-type]


def _compatible(py: CType, task: CType) -> bool:
    """Whether the annotation and the task's type describe the same kind of value."""
    if isinstance(task, ArrT) and task.elem == CHAR:
        return isinstance(py, ArrT) or py == CHAR
    if isinstance(task, IntT) and task.kind == "char":
        return py == CHAR or (isinstance(py, ArrT) and py.kind == "string")
    if isinstance(task, (ArrT, Arr2T)) or isinstance(py, (ArrT, Arr2T)):
        return type(task) is type(py)
    return type(task) is type(py)


def _results(t: CType) -> list[CType]:
    if isinstance(t, VoidT):
        return []
    if isinstance(t, TupleT):
        return list(t.items)
    return [t]


def find_top(info: ModuleInfo, sig: Signature) -> str:
    name = py_name(sig.name)
    if name in info.functions:
        return name
    names = ", ".join(sorted(info.functions)) or "none"
    raise NotSynthesizable(
        f"top function {sig.name}", None, f"the Python module has no function {name} (it has: {names})"
    )


class ProgramCompiler:
    """Compiles the functions reachable from the task's method into an :class:`ir.Program`."""

    def __init__(self, source: str, task: Task) -> None:
        hw = task.hardware
        if hw.int_width not in SUPPORTED_WIDTHS:
            raise NotSynthesizable(
                f"hardware.int_width={hw.int_width}", None, f"use one of {', '.join(map(str, SUPPORTED_WIDTHS))}"
            )
        self.task = task
        self.info = read_module(source)
        self.ctx = ProgramContext(self.info, TypeResolver(self.info, hw.int_width), hw.int_width)
        self.top_py = find_top(self.info, task.signature)

    def compile(self) -> ir.Program:
        order = reachable_order(self.info, self.top_py)
        self._bind_type_parameters(self.info.functions[self.top_py])
        for name in order:
            fn = self.info.functions[name]
            ret = self.ctx.resolver.resolve(fn.returns, fn.lineno) if fn.returns is not None else VOID
            fn = eliminate_recursion(fn, isinstance(ret, ArrT))
            self.info.functions[name] = fn
        c_names = {self.top_py: self.ctx.globals.alloc(sanitize(self.top_py))}
        for name in order:
            if name != self.top_py:
                c_names[name] = self.ctx.globals.alloc(sanitize(name))
        for name in order:
            self.ctx.sigs[name] = self.signature(self.info.functions[name], c_names[name], name == self.top_py)
        functions: list[ir.Function] = []
        for name in order:
            sig = self.ctx.sigs[name]
            fn = FunctionCompiler(self.ctx, self.info.functions[name], sig).compile()
            fn.ns = sig.ns
            functions.append(fn)
        top = functions[-1]
        hw = self.task.hardware
        for fn in functions:
            alias_results(fn)
        infer_bounds(functions, top, hw.max_array_length, requires_bounds(self.task.requires))
        for fn in functions:
            SequenceLowering(fn).run()
            drop_dead_stores(fn)
            insert_pragmas(fn, hw.pipeline, hw.unroll)
        top.interface_pragmas = interface_pragmas(top)
        return ir.Program(functions, top.name, set(self.ctx.helpers))

    def _bind_type_parameters(self, fn: ast.FunctionDef) -> None:
        """``T`` in the top's annotations takes the task's type (the same instance program-wide)."""
        sig = self.task.signature
        w = self.task.hardware.int_width
        for a, p in zip(fn.args.args, sig.params, strict=False):
            self.ctx.resolver.bind(a.annotation, dafny_ctype(p.type, w))
        rets = fn.returns
        items = rets.slice.elts if (isinstance(rets, ast.Subscript) and getattr(rets.value, "id", "") == "tuple"
                                    and isinstance(rets.slice, ast.Tuple) and len(sig.returns) > 1) else [rets]
        for node, p in zip(items, sig.returns, strict=False):
            self.ctx.resolver.bind(node, dafny_ctype(p.type, w))

    def signature(self, fn: ast.FunctionDef, c_name: str, is_top: bool) -> FuncSig:
        args = fn.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.defaults or args.posonlyargs:
            raise NotSynthesizable(f"parameters of {fn.name}", fn.lineno, "only plain positional parameters")
        ns = Namespace(self.ctx.globals.taken)
        resolver = self.ctx.resolver
        ptypes = [resolver.resolve(a.annotation, fn.lineno) for a in args.args]
        ret = resolver.resolve(fn.returns, fn.lineno) if fn.returns is not None else VOID
        results = _results(ret)
        out_names = [f"r{i}" if len(results) > 1 else "r" for i in range(len(results))]
        if is_top:
            ptypes, results, out_names = self._top_types(fn, ptypes, results)
        for t in ptypes + results:
            if isinstance(t, (VoidT, TupleT)):
                raise NotSynthesizable(f"function {fn.name}", fn.lineno, f"unsupported parameter or result type {t}")
        params = []
        for a, t in zip(args.args, ptypes, strict=True):
            params.append(ir.Sym(ns.alloc(sanitize(a.arg), dims_of(t)), t, "param", a.arg, line=fn.lineno))
        use_outs = len(results) > 1 or any(isinstance(t, (ArrT, Arr2T)) for t in results)
        outs = []
        if use_outs:
            for n, t in zip(out_names, results, strict=True):
                outs.append(ir.Sym(ns.alloc(sanitize(n), dims_of(t)), t, "out", n, line=fn.lineno))
        c_ret = results[0] if (results and not use_outs) else VOID
        return FuncSig(fn.name, c_name, params, results, outs, c_ret, ns, fn.lineno, [a.arg for a in args.args])

    def _top_types(self, fn: ast.FunctionDef, ptypes: list[CType], results: list[CType]):
        sig = self.task.signature
        w = self.task.hardware.int_width
        names = [a.arg for a in fn.args.args]
        want = [py_name(p.name) for p in sig.params]
        if len(names) != len(want):  # names may differ (the Python compiler renames builtins: len -> len_)
            raise NotSynthesizable(
                f"top function {fn.name}", fn.lineno, f"parameters {names} differ from the task's {want}"
            )
        if len(results) != len(sig.returns):
            raise NotSynthesizable(
                f"top function {fn.name}", fn.lineno,
                f"returns {len(results)} value(s) but the task's signature has {len(sig.returns)}",
            )
        new_p = []
        for p, t in zip(sig.params, ptypes, strict=True):
            tt = dafny_ctype(p.type, w)
            if not _compatible(t, tt):
                raise NotSynthesizable(f"parameter {p.name}", fn.lineno, f"annotated {t} but the task says {p.type}")
            new_p.append(tt)
        new_r = []
        for p, t in zip(sig.returns, results, strict=True):
            tt = dafny_ctype(p.type, w)
            if not _compatible(t, tt):
                raise NotSynthesizable(f"result {p.name}", fn.lineno, f"annotated {t} but the task says {p.type}")
            new_r.append(tt)
        return new_p, new_r, [py_name(p.name) for p in sig.returns]


def interface_pragmas(top: ir.Function) -> list[str]:
    """Vitis/Vivado HLS port directives for the calling convention of :mod:`pipeline.hw_interface`."""
    out: list[str] = []
    for p in top.params:
        if p.is_array:
            out.append(f"INTERFACE ap_memory port={p.name}")
            lens = [p.rows_name, p.cols_name] if isinstance(p.type, Arr2T) else [p.len_name]
            out.extend(f"INTERFACE ap_none port={n}" for n in lens)
        else:
            out.append(f"INTERFACE ap_none port={p.name}")
    for o in top.outs:
        if o.is_array:
            out.append(f"INTERFACE ap_memory port={o.name}")
            lens = [o.rows_name, o.cols_name] if isinstance(o.type, Arr2T) else [o.len_name]
            out.extend(f"INTERFACE ap_vld port={n}" for n in lens)
        else:
            out.append(f"INTERFACE ap_vld port={o.name}")
    out.append("INTERFACE ap_ctrl_hs port=return")
    return out


def compile_ir(source: str, task: Task) -> ir.Program:
    """Python module text → lowered IR program (the top function last)."""
    return ProgramCompiler(source, task).compile()


__all__ = ["compile_ir", "dafny_ctype", "sanitize"]
