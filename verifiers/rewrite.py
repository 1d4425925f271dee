"""Source rewriting that remembers where every character came from.

The integrity gate splices the task's contract into a candidate and the dialect bridge rewrites Dafny 4
syntax for an older verifier; Dafny then reports positions in the rewritten text. A :class:`Rewrite` keeps,
for each character of the new text, the offset of the user's character it came from (inserted text points
at an anchor) and an optional note (e.g. "pinned task ensures"), so every diagnostic can be mapped back to
the user's own line and column.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Edit:
    """Replace ``source[start:end]`` by ``text``; inserted characters map to ``anchor`` (default ``start``)."""

    start: int
    end: int
    text: str
    anchor: int | None = None
    note: str | None = None


@dataclass
class Rewrite:
    """A rewritten text with a per-character origin (an offset into the original) and note."""

    original: str
    text: str
    origins: list[int]
    notes: list[str | None] = field(default_factory=list)

    @classmethod
    def identity(cls, source: str) -> Rewrite:
        return cls(source, source, list(range(len(source))), [None] * len(source))

    @property
    def changed(self) -> bool:
        return self.text != self.original

    def then(self, later: Rewrite) -> Rewrite:
        """Compose: ``later`` rewrote this rewrite's text; the result maps ``later.text`` to our original."""
        if later.original != self.text:
            raise ValueError("rewrites do not chain")
        origins, notes = [], []
        for i, o in enumerate(later.origins):
            o = min(o, len(self.origins) - 1) if self.origins else 0
            origins.append(self.origins[o] if self.origins else 0)
            notes.append(later.notes[i] or (self.notes[o] if self.notes else None))
        return Rewrite(self.original, later.text, origins, notes)

    def locate(self, line: int, col: int) -> tuple[int, int, str | None]:
        """Map a 1-based (line, column) of the rewritten text to the original's, with the note there."""
        if not self.text:
            return line, col, None
        offset = _offset(self.text, line, col)
        offset = max(0, min(offset, len(self.text) - 1))
        orig = self.origins[offset]
        o_line, o_col = _line_col(self.original, orig)
        return o_line, o_col, self.notes[offset]


def apply_edits(source: str, edits: list[Edit]) -> Rewrite:
    """Apply non-overlapping ``edits`` to ``source``.

    Raises:
        ValueError: two edits overlap.
    """
    edits = sorted(edits, key=lambda e: (e.start, e.end))
    parts: list[str] = []
    origins: list[int] = []
    notes: list[str | None] = []
    pos = 0
    for e in edits:
        if e.start < pos:
            raise ValueError(f"overlapping edits at offset {e.start}")
        parts.append(source[pos : e.start])
        origins.extend(range(pos, e.start))
        notes.extend([None] * (e.start - pos))
        parts.append(e.text)
        anchor = e.start if e.anchor is None else e.anchor
        origins.extend([anchor] * len(e.text))
        notes.extend([e.note] * len(e.text))
        pos = e.end
    parts.append(source[pos:])
    origins.extend(range(pos, len(source)))
    notes.extend([None] * (len(source) - pos))
    return Rewrite(source, "".join(parts), origins, notes)


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def _offset(text: str, line: int, col: int) -> int:
    starts = _line_starts(text)
    line = max(1, min(line, len(starts)))
    start = starts[line - 1]
    end = starts[line] - 1 if line < len(starts) else len(text)
    return min(start + max(col - 1, 0), max(end, start))


def _line_col(text: str, offset: int) -> tuple[int, int]:
    starts = _line_starts(text)
    idx = bisect_right(starts, offset) - 1
    return idx + 1, offset - starts[idx] + 1
