"""Jinja rendering of the scripts and testbenches in ``hls/templates/<kind>/*.j2``.

Templates keep whitespace trimming on (``trim_blocks``/``lstrip_blocks``) so the generated TCL and Verilog
read like hand-written files, and :func:`write_if_changed` leaves a file untouched when its content is the
same (tools that look at timestamps then skip work).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).parent / "templates"


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )


def render(name: str, **context: Any) -> str:
    """Render ``hls/templates/<name>`` (e.g. ``vitis/script.tcl.j2``)."""
    return environment().get_template(name).render(**context)


def write_if_changed(path: str | Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless it already holds exactly that; returns whether it wrote."""
    p = Path(path)
    if p.exists() and p.read_text(encoding="utf-8") == text:
        return False
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return True
