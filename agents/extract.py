"""Pull the Dafny program out of a model's reply.

Models wrap code in Markdown fences, talk around it, repeat it, stop before the closing fence, or give no
fence at all. The rules, in order:

1. complete fenced blocks (```dafny, ```dfy, ``` or any tag): the last one that declares the target
   method, else the last one that looks like Dafny, else the last one;
2. an opening fence that is never closed: everything after it;
3. no fence: from the first line that starts a Dafny declaration to the brace that closes the last one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})[ \t]*([\w+#.-]*)[^\n]*$", re.M)
_DECL = re.compile(
    r"^[ \t]*(?:ghost\s+|static\s+)*(method|function|predicate|lemma|datatype|class|module|const|type|include|"
    r"newtype|trait|codatatype|iterator)\b",
    re.M,
)
DAFNY_TAGS = {"dafny", "dfy", ""}


@dataclass(frozen=True)
class Extraction:
    """The program found (``""`` when none) and which rule found it."""

    code: str
    how: str  # fenced | unclosed_fence | bare | none

    @property
    def found(self) -> bool:
        return bool(self.code.strip())


def _blocks(text: str) -> tuple[list[tuple[str, str]], str | None]:
    """Complete fenced blocks as (tag, body), and the body of a trailing unclosed fence if any."""
    blocks: list[tuple[str, str]] = []
    pos = 0
    while True:
        m = _FENCE.search(text, pos)
        if not m:
            return blocks, None
        fence, tag = m.group(1), m.group(2).lower()
        body_start = m.end() + 1
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$", re.M).search(text, body_start)
        if not close:
            return blocks, text[body_start:] if body_start <= len(text) else ""
        blocks.append((tag, text[body_start : close.start()]))
        pos = close.end()


def _looks_like_dafny(code: str) -> bool:
    return bool(_DECL.search(code))


def _declares(code: str, name: str | None) -> bool:
    return bool(name) and re.search(rf"\bmethod\s+(?:\{{[^}}]*\}}\s*)*{re.escape(name)}\s*[(<]", code) is not None


def _bare(text: str) -> str:
    """From the first declaration line to the brace that closes the last top-level declaration."""
    m = _DECL.search(text)
    if not m:
        return ""
    code = text[m.start():]
    depth, end, started = 0, None, False
    for i, ch in enumerate(code):
        if ch == "{":
            depth += 1
            started = True
        elif ch == "}":
            depth -= 1
            if depth == 0 and started:
                end = i + 1
    return code[:end] if end else code


def extract_dafny(reply: str, method: str | None = None) -> Extraction:
    """Find the Dafny program in ``reply``.

    Args:
        reply: the model's text (for completion-style prompts, the prompt's open fence plus the reply).
        method: the target method's name; a block that declares it wins over later blocks that do not.
    """
    text = reply.replace("\r\n", "\n")
    blocks, unclosed = _blocks(text)
    if blocks:
        for pick in (
            lambda t, c: _declares(c, method),
            lambda t, c: t in DAFNY_TAGS and _looks_like_dafny(c),
            lambda t, c: _looks_like_dafny(c),
        ):
            chosen = [c for t, c in blocks if pick(t, c)]
            if chosen:
                return Extraction(chosen[-1].strip("\n").rstrip() + "\n", "fenced")
    if unclosed is not None and _looks_like_dafny(unclosed):
        return Extraction(_bare(unclosed).rstrip() + "\n", "unclosed_fence")
    bare = _bare(text)
    if bare:
        return Extraction(bare.rstrip() + "\n", "bare")
    return Extraction("", "none")
