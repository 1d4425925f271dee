"""Python reference model → synthesizable HLS C (the PyLog approach: AST → typed IR → passes → C).

``compile_to_c(python_source, task) -> CProgram(source, top, interface)``; a construct without a hardware
form raises :class:`NotSynthesizable` (a ``UserError``: construct, line, reason).

The C subset the generator emits (what HLS backends, including the pycparser-based CIRCT flow, can rely on)
==========================================================================================================

File level
  * ``#include <stdint.h>`` and ``#include <stdbool.h>`` only; no other library calls, no dynamic memory,
    no globals, no ``struct``/``union``/``enum``/``typedef``, no pointer arithmetic, no ``switch``/``goto``,
    no recursion (it is converted to loops or refused), no function prototypes (callees are defined first).
  * Preprocessor: only ``#include <stdint.h>``, ``#include <stdbool.h>``, ``#ifndef``, ``#define NAME``
    (no value) and ``#endif``. A guard block near the top::

        #ifndef __SYNTHESIS__
        #ifndef P2S_HLS
        #define P2S_PLAIN_C
        #endif
        #endif

    and every ``#pragma HLS`` sits inside ``#ifndef P2S_PLAIN_C ... #endif``: gcc's ``-Wall`` rejects unknown
    pragmas, so a plain C compiler must not see them; Vitis/Vivado HLS define ``__SYNTHESIS__`` and see
    them; other HLS tools pass ``-DP2S_HLS``. A front end that blanks directive lines (keeping ``#pragma``
    lines) reads the file correctly.
  * ``static inline`` runtime helpers named ``p2s_*`` (only those used): ``p2s_div_iW``/``p2s_mod_iW``
    (Euclidean ``/``/``%``), ``p2s_fdiv_iW``/``p2s_fmod_iW`` (Python floor ``//``/``%``), ``p2s_shl_uW``/
    ``p2s_shr_uW`` (shifts that give 0 for a count >= W). Their bodies use only the constructs below.
  * Design functions (not ``static``), the top function last.

Types
  * ``bool``, ``int8_t``..``int64_t``, ``uint8_t``..``uint64_t``; ``int32_t`` for every length.
  * Parameters: scalars by value; arrays ``T a[N]`` followed by ``int32_t a_len`` (2-D: ``T a[R][C]``,
    ``int32_t a_rows, int32_t a_cols``); results through pointers after the parameters: ``T *r``, or
    ``T r[N], int32_t *r_len``. One scalar result is the C return value (``void`` otherwise).
  * Locals: declared at the top of the function body, scalars initialised (``T x = 0;``, ``bool b = false;``),
    arrays uninitialised (``T buf[N];``) with ``int32_t buf_len = 0;``.

Statements
  * ``x = e;``  ``a[i] = e;``  ``a[i][j] = e;``  ``*r = e;``  ``*r_len = e;``  ``f(args);`` (a call whose
    value is unused); ``(void)x;`` right after the declarations for a parameter (or, rarely, a local) that is
    never read: a no-op that keeps ``-Wunused-parameter`` quiet (HLS front ends should ignore it)
  * ``if (c) { ... }`` / ``if (c) { ... } else { ... }`` (always braced; ``else if`` is a nested ``if`` in
    the ``else`` block)
  * ``while (c) { ... }`` (``while (true)`` with ``break`` for conditions that need statements)
  * ``for (i = e; i < e; i = i + k) { ... }`` / ``for (i = e; i > e; i = i - k) { ... }`` (the counter is a
    declared local; no declarations in the ``for`` header)
  * ``break;``  ``continue;``  ``return;``  ``return e;``
  * ``#pragma HLS PIPELINE II=1`` / ``#pragma HLS UNROLL factor=N`` as the first lines of innermost loop
    bodies; ``#pragma HLS INTERFACE <mode> port=<name>`` (``ap_memory``, ``ap_none``, ``ap_vld``,
    ``ap_ctrl_hs port=return``) at the top of the top function; all guarded as described above.

Expressions (fully parenthesised)
  * integer and boolean constants (``true``/``false``; unsigned constants carry ``u``/``ull``, 64-bit ones
    ``LL``; the most negative value is written ``(-2147483647 - 1)``)
  * names, ``a[i]``, ``a[i][j]``, ``*p`` (only as an assignment target), ``a_len`` and friends
  * binary ``+ - * / % & | ^ << >>`` (``/``, ``%`` only on unsigned operands or inside helpers; ``<< >>`` only
    inside helpers), comparisons ``== != < <= > >=``, logical ``&& ||``; unary ``- ! ~``
  * ``(c ? a : b)``, casts ``((T)e)`` between the integer types and ``bool`` (every conversion between two
    different C types is an explicit cast), calls ``f(args)`` of design functions and helpers; array
    arguments are passed by name, result slots as ``&x`` / ``buf, &buf_len`` (or the caller's own result
    pointers).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from hls.hls_c.errors import NotSynthesizable
from pipeline.hw_interface import HwInterface
from pipeline.task import Task

__all__ = ["CProgram", "NotSynthesizable", "compile_to_c"]


@dataclass
class CProgram:
    """The generated design: C text, the top function's name, its interface, and the top's prototype."""

    source: str
    top: str
    interface: HwInterface
    prototype: str = ""
    helpers: list[str] = field(default_factory=list)
    functions: list[str] = field(default_factory=list)


def compile_to_c(python_source: str, task: Task) -> CProgram:
    """Compile the Python reference model's function for ``task.signature`` (and its callees) to HLS C.

    Args:
        python_source: the module the Dafny → Python compiler emitted (DESIGN.md's subset).
        task: gives the top function (its signature), int width, array bound, pipeline/unroll options.

    Raises:
        NotSynthesizable: a construct without a hardware form, with its line and the reason.
    """
    from hls.hls_c.codegen import prototype, render_program
    from hls.hls_c.compiler import compile_ir
    from hls.hls_c.interface import build_interface

    prog = compile_ir(python_source, task)
    top = prog.functions[-1]
    banner = (
        f"/* HLS C generated by Proof2Silicon (hls.hls_c) from the Python reference model of task '{task.id}'.\n"
        f"   Top function: {top.name}; int width {task.hardware.int_width}; "
        f"arrays up to {task.hardware.max_array_length} elements. */"
    )
    source = render_program(prog, banner)
    return CProgram(
        source=source,
        top=top.name,
        interface=build_interface(top, task, task.hardware.int_width),
        prototype=prototype(top),
        helpers=sorted(prog.helpers),
        functions=[f.name for f in prog.functions],
    )
