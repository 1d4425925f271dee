"""The :class:`~pipeline.hw_interface.HwInterface` record of a compiled top function.

Ports follow the C argument order of the top (see :mod:`pipeline.hw_interface` for the convention); the
``return`` port, when the top returns one scalar, comes last. ``width`` is the C container's width (the
RTL port width); a bit-vector narrower than its container is listed in ``notes["bv_bits"]``.
"""

from __future__ import annotations

from hls.hls_c import ir
from hls.hls_c.ctype import Arr2T, ArrT, BoolT, CType, IntT
from pipeline.hw_interface import HwInterface, HwPort
from pipeline.task import Task


def _scalar_info(t: CType) -> tuple[str, int, bool]:
    if isinstance(t, BoolT):
        return "bool", 1, False
    assert isinstance(t, IntT)
    return t.c_name, t.width, t.signed


def _dafny(task: Task | None, index: int, results: bool) -> tuple[str | None, str | None]:
    if task is None:
        return None, None
    items = task.signature.returns if results else task.signature.params
    if index < len(items):
        return items[index].name, str(items[index].type)
    return None, None


def _array_ports(sym: ir.Sym, role: str, dafny: tuple[str | None, str | None]) -> list[HwPort]:
    t = sym.type
    assert isinstance(t, (ArrT, Arr2T))
    c, w, s = _scalar_info(t.elem)
    if isinstance(t, Arr2T):
        dims = [sym.bound, sym.cols]
        ports = [HwPort(sym.name, role, c, w, s, dims[0] * dims[1], dims, None, *dafny)]
        ports.append(HwPort(sym.rows_name, "rows", "int32_t", 32, True, of=sym.name))
        ports.append(HwPort(sym.cols_name, "cols", "int32_t", 32, True, of=sym.name))
        return ports
    return [HwPort(sym.name, role, c, w, s, sym.bound, [sym.bound], None, *dafny),
            HwPort(sym.len_name, "len", "int32_t", 32, True, of=sym.name)]


def build_interface(top: ir.Function, task: Task | None, int_width: int) -> HwInterface:
    """Ports of ``top`` in C order, each mapped to the task parameter or result it carries."""
    ports: list[HwPort] = []
    bv_bits: dict[str, int] = {}
    for i, p in enumerate(top.params):
        dafny = _dafny(task, i, results=False)
        if p.is_array:
            ports.extend(_array_ports(p, "array", dafny))
            elem = p.type.elem  # type: ignore[union-attr]
        else:
            c, w, s = _scalar_info(p.type)
            ports.append(HwPort(p.name, "in", c, w, s, dafny_name=dafny[0], dafny_type=dafny[1]))
            elem = p.type
        if isinstance(elem, IntT) and elem.masked:
            bv_bits[p.name] = elem.bits
    for i, o in enumerate(top.outs):
        dafny = _dafny(task, i, results=True)
        if o.is_array:
            ports.extend(_array_ports(o, "array_out", dafny))
            elem = o.type.elem  # type: ignore[union-attr]
        else:
            c, w, s = _scalar_info(o.type)
            ports.append(HwPort(o.name, "out", c, w, s, dafny_name=dafny[0], dafny_type=dafny[1]))
            elem = o.type
        if isinstance(elem, IntT) and elem.masked:
            bv_bits[o.name] = elem.bits
    if not top.outs and top.result_types:
        dafny = _dafny(task, 0, results=True)
        c, w, s = _scalar_info(top.ret)
        ports.append(HwPort("return", "return", c, w, s, dafny_name=dafny[0], dafny_type=dafny[1]))
        if isinstance(top.ret, IntT) and top.ret.masked:
            bv_bits["return"] = top.ret.bits
    notes: dict = {"pragma_macro": "P2S_HLS"}
    if task is not None:
        notes["task"] = task.id
        notes["max_array_length"] = task.hardware.max_array_length
    if bv_bits:
        notes["bv_bits"] = bv_bits
    return HwInterface(top=top.name, ports=ports, int_width=int_width, notes=notes)
