"""Find and select tasks: a :class:`TaskIndex` over one or more suite folders, and :func:`load_suite`.

Suites are folders of task YAML files (one task per file; files starting with ``_`` are shared ``include:``
defaults and ``TEMPLATE*.yaml`` are blanks, neither is a task). A bundled suite is addressed by name
(``core`` is ``benchmarks/suites/core``); anything else is a path. Every consumer (batch runs, training,
evaluation, research scripts) selects tasks through here so that splits and filters mean the same
everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.errors import UserError
from pipeline.task import Task, load_task

log = logging.getLogger(__name__)

SUITES_DIR = Path(__file__).resolve().parents[1] / "benchmarks" / "suites"  # data, not code
SPLITS = ("train", "test")
DIFFICULTIES = ("easy", "medium", "hard")


def bundled_suites() -> list[str]:
    """Names of the suites shipped with the project (sub-folders of ``benchmarks/suites``)."""
    if not SUITES_DIR.is_dir():
        return []
    return sorted(p.name for p in SUITES_DIR.iterdir() if p.is_dir() and any(p.glob("*.yaml")))


def task_files(root: str | Path) -> list[Path]:
    """The task files under ``root`` (a folder, searched recursively, or one YAML file)."""
    root = Path(root)
    if root.is_file():
        return [root]
    return sorted(
        p for p in root.rglob("*.yaml") if not p.name.startswith(("_", ".")) and not p.name.startswith("TEMPLATE")
    )


def resolve_suite(name_or_path: str | Path) -> Path:
    """A bundled suite's folder for a name such as ``core``, else the given path.

    Raises:
        UserError: neither a bundled suite nor an existing file or folder.
    """
    path = Path(name_or_path)
    if path.exists():
        return path
    bundled = SUITES_DIR / str(name_or_path)
    if bundled.is_dir():
        return bundled
    names = ", ".join(bundled_suites()) or "none"
    raise UserError(f"suite {str(name_or_path)!r} not found: give a folder of task YAML files or a bundled suite "
                    f"name ({names})")


@dataclass
class TaskIndex:
    """Every task under some roots, keyed by id (the first file wins a duplicate id, with a warning)."""

    roots: list[Path]
    tasks: dict[str, Task] = field(default_factory=dict)
    duplicates: list[tuple[str, str, str]] = field(default_factory=list)  # (id, kept path, ignored path)

    @classmethod
    def build(cls, roots: Iterable[str | Path]) -> TaskIndex:
        """Load every task file under ``roots`` (names of bundled suites are resolved).

        Raises:
            TaskFormatError: a task file is malformed (the message names the file and the field).
        """
        index = cls([resolve_suite(r) for r in roots])
        for root in index.roots:
            for path in task_files(root):
                index.add(load_task(path))
        return index

    def add(self, task: Task) -> None:
        if task.id in self.tasks:
            kept = self.tasks[task.id].path or "?"
            self.duplicates.append((task.id, kept, task.path or "?"))
            log.warning("duplicate task id %r: %s is ignored, %s is kept", task.id, task.path, kept)
            return
        self.tasks[task.id] = task

    def __len__(self) -> int:
        return len(self.tasks)

    def __iter__(self) -> Iterator[Task]:
        return iter(sorted(self.tasks.values(), key=lambda t: t.id))

    def __getitem__(self, task_id: str) -> Task:
        try:
            return self.tasks[task_id]
        except KeyError:
            raise UserError(f"no task {task_id!r} in {', '.join(map(str, self.roots))}") from None

    def ids(self) -> list[str]:
        return sorted(self.tasks)

    def select(
        self,
        split: str | None = None,
        difficulty: str | Iterable[str] | None = None,
        tags: str | Iterable[str] | None = None,
        ids: Iterable[str] | None = None,
    ) -> list[Task]:
        """Tasks sorted by id that match every given filter.

        Args:
            split: ``train``/``test`` (``None`` or ``all``: any).
            difficulty: one difficulty or several (comma-separated text or a list).
            tags: every listed tag must be among the task's ``metadata.tags``.
            ids: keep only these task ids.
        """
        wanted_diff = _as_set(difficulty)
        wanted_tags = _as_set(tags)
        wanted_ids = set(ids) if ids is not None else None
        out = []
        for task in self:
            if split not in (None, "all") and task.split != split:
                continue
            if wanted_diff and task.difficulty not in wanted_diff:
                continue
            if wanted_tags and not wanted_tags <= set(task.metadata.get("tags") or []):
                continue
            if wanted_ids is not None and task.id not in wanted_ids:
                continue
            out.append(task)
        return out

    def summary(self) -> dict[str, dict[str, int]]:
        """Task counts per split and difficulty (for READMEs and reports)."""
        table: dict[str, dict[str, int]] = {}
        for task in self:
            row = table.setdefault(task.split or "none", {})
            row[task.difficulty or "none"] = row.get(task.difficulty or "none", 0) + 1
        return table


def _as_set(value: str | Iterable[str] | None) -> set[str]:
    if value is None:
        return set()
    if isinstance(value, str):
        return {v.strip() for v in value.split(",") if v.strip()}
    return set(value)


def load_suite(
    name_or_path: str | Path,
    split: str | None = None,
    difficulty: str | Iterable[str] | None = None,
    tags: str | Iterable[str] | None = None,
) -> list[Task]:
    """The tasks of a bundled suite (``core``) or of a folder/file of task YAML, filtered, sorted by id.

    Raises:
        UserError: the suite does not exist, a file is malformed, or ``split`` is not a known split.
    """
    if split not in (None, "all", *SPLITS):
        raise UserError(f"unknown split {split!r} (use {', '.join(SPLITS)} or all)")
    return TaskIndex.build([name_or_path]).select(split=split, difficulty=difficulty, tags=tags)
