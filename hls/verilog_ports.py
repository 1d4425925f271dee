"""Read a Verilog module's ports (name, direction, width) from generated RTL.

The testbench must connect to the ports that the HLS tool really produced (which memory ports exist, how
wide an address is), so backends read the top module's header instead of predicting it. Both header
styles that HLS tools write are handled: ANSI (``module m(input [3:0] a, output b);``, CIRCT) where a port
without a direction inherits the previous one's, and non-ANSI (``module m(a, b); input [3:0] a;``,
Vitis HLS and Bambu).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.errors import UserError


def bit_range(width: int) -> str:
    """A declaration's bit range with its trailing space (``[31:0] ``); nothing for a single bit."""
    return f"[{width - 1}:0] " if width > 1 else ""


@dataclass(frozen=True)
class VerilogPort:
    name: str
    direction: str  # input | output | inout
    width: int


_DIRS = ("input", "output", "inout")
_NET = r"(?:wire|reg|logic|signed|unsigned|\s)*"


def _strip_comments(text: str) -> str:
    return re.sub(r"//[^\n]*|/\*.*?\*/", " ", text, flags=re.S)


def _width(rng: str | None, params: dict[str, int]) -> int:
    if not rng:
        return 1
    m = re.fullmatch(r"\[\s*(.+?)\s*:\s*(.+?)\s*\]", rng.strip())
    if not m:
        return 1
    hi, lo = (_eval(x, params) for x in m.groups())
    return abs(hi - lo) + 1


def _eval(expr: str, params: dict[str, int]) -> int:
    for name, value in params.items():
        expr = re.sub(rf"\b{re.escape(name)}\b", str(value), expr)
    if not re.fullmatch(r"[\d\s+\-*()/]+", expr):
        raise UserError(f"cannot evaluate the port range expression '{expr}' of the generated Verilog")
    return int(eval(expr, {"__builtins__": {}}))  # digits and + - * / ( ) only, checked above


def module_text(verilog: str, module: str) -> str:
    m = re.search(rf"\bmodule\s+{re.escape(module)}\b(.*?)\bendmodule\b", verilog, flags=re.S)
    if not m:
        raise UserError(f"module '{module}' not found in the generated Verilog")
    return m.group(1)


def read_ports(verilog: str, module: str) -> list[VerilogPort]:
    """The ports of ``module`` in header order.

    Raises:
        UserError: the module is absent or its header cannot be read.
    """
    body = _strip_comments(module_text(verilog, module))
    params = {k: int(v) for k, v in re.findall(r"\bparameter\s+(\w+)\s*=\s*(\d+)", body)}
    m = re.match(r"\s*(?:#\s*\(.*?\)\s*)?\((.*?)\)\s*;", body, flags=re.S)
    if not m:
        return []
    header = m.group(1)
    items = [i.strip() for i in header.split(",") if i.strip()]
    ansi = any(re.match(rf"({'|'.join(_DIRS)})\b", i) for i in items)
    if ansi:
        return _ansi(items, params)
    return _non_ansi(items, body[m.end() :], params)


def _ansi(items: list[str], params: dict[str, int]) -> list[VerilogPort]:
    ports: list[VerilogPort] = []
    direction, width = "input", 1
    for item in items:
        m = re.match(rf"({'|'.join(_DIRS)})\b{_NET}(\[[^\]]+\])?\s*(\w+)\s*$", item)
        if m:
            direction, width = m.group(1), _width(m.group(2), params)
            ports.append(VerilogPort(m.group(3), direction, width))
            continue
        m = re.match(rf"{_NET}(\[[^\]]+\])?\s*(\w+)\s*$", item)
        if m:
            if m.group(1):
                width = _width(m.group(1), params)
            ports.append(VerilogPort(m.group(2), direction, width))
    return ports


def _non_ansi(names: list[str], body: str, params: dict[str, int]) -> list[VerilogPort]:
    decl: dict[str, VerilogPort] = {}
    pattern = rf"\b({'|'.join(_DIRS)})\b{_NET}(\[[^\]]+\])?([^;]*);"
    for m in re.finditer(pattern, body):
        width = _width(m.group(2), params)
        for name in m.group(3).split(","):
            name = name.strip().split("=")[0].strip()
            if re.fullmatch(r"\w+", name):
                decl[name] = VerilogPort(name, m.group(1), width)
    return [decl[n] for n in (re.sub(r"\s", "", n) for n in names) if n in decl]


def read_ports_from_files(files: list[str | Path], module: str) -> list[VerilogPort]:
    """Find ``module`` in any of ``files`` and read its ports."""
    for f in files:
        text = Path(f).read_text(encoding="utf-8", errors="replace")
        if re.search(rf"\bmodule\s+{re.escape(module)}\b", text):
            return read_ports(text, module)
    raise UserError(f"module '{module}' not found in {', '.join(str(f) for f in files)}")
