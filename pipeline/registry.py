"""One registry type for everything chosen by name: stages, HLS backends, simulators, estimators, LLMs, policies.

Each entry names its object as ``module:attribute`` so that a heavy toolchain (torch, llama.cpp, the CIRCT
environment) loads only when its entry is chosen; :meth:`Registry.register` adds an object defined anywhere
(tests, plug-ins). An unknown name is a :class:`UserError` that lists the valid ones.

Loading tells two import failures apart, because they mean different things to a user:

* a module of this project that does not import is a bug, and the :class:`ImportError` propagates with its
  traceback (never "not installed");
* a third-party package that is not installed is a missing prerequisite: :class:`ToolMissingError` naming the
  package and how to get it, which the runner reports as a skipped stage.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from pipeline.errors import ToolMissingError, UserError

T = TypeVar("T")

OWN_PACKAGES = frozenset({"pipeline", "verifiers", "hls", "agents", "benchmarks"})


def is_own_module(module_name: str | None) -> bool:
    """Whether ``module_name`` (as in ``ImportError.name``) belongs to this project."""
    return bool(module_name) and module_name.split(".")[0] in OWN_PACKAGES


def import_target(target: str, what: str) -> object:
    """Import ``module:attribute``; a missing third-party package becomes :class:`ToolMissingError`.

    Args:
        target: ``package.module:attribute``.
        what: how the error names the thing being loaded (``"stage rtl"``, ``"LLM backend hf"``).

    Raises:
        ImportError: a module of this project failed to import (a bug: the traceback must be seen).
        ToolMissingError: a package outside the project is not installed.
    """
    module, _, attribute = target.partition(":")
    try:
        loaded = importlib.import_module(module)
    except ImportError as exc:
        if exc.name is None or is_own_module(exc.name):
            raise
        raise ToolMissingError(f"Python package {exc.name!r} (needed by {what})",
                               "run 'make setup', or pip install it into the project's environment") from exc
    return getattr(loaded, attribute) if attribute else loaded


@dataclass
class Registry(Generic[T]):
    """Names → lazily imported objects.

    Attributes:
        kind: what an entry is, for messages (``"HLS backend"``).
        flag: the command-line option that takes these names, for messages (``"--hls"``), or ``""``.
        targets: name → ``module:attribute`` of entries not imported yet.
        help: name → one line for ``--help`` and error messages.
    """

    kind: str
    flag: str = ""
    targets: dict[str, str] = field(default_factory=dict)
    help: dict[str, str] = field(default_factory=dict)
    _loaded: dict[str, T] = field(default_factory=dict, repr=False)

    def register(self, name: str, help: str = "") -> Callable[[T], T]:
        """Decorator: make ``name`` a valid choice for the decorated object (a class or a function)."""

        def deco(obj: T) -> T:
            self._loaded[name] = obj
            if help:
                self.help[name] = help
            return obj

        return deco

    def add(self, name: str, obj: T, help: str = "") -> T:
        """Register an object that is already built (a record such as a stage's spec)."""
        return self.register(name, help)(obj)

    def names(self) -> list[str]:
        """Every valid name, sorted."""
        return sorted(set(self.targets) | set(self._loaded))

    def __contains__(self, name: object) -> bool:
        return name in self.targets or name in self._loaded

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def check(self, name: str) -> str:
        """``name`` itself when valid, else a :class:`UserError` listing the valid names."""
        if name not in self:
            where = f" (for {self.flag})" if self.flag else ""
            raise UserError(f"unknown {self.kind} {name!r}{where}; valid: {', '.join(self.usages())}")
        return name

    def get(self, name: str) -> T:
        """The object behind ``name``, importing its module on first use (see :func:`import_target`)."""
        self.check(name)
        if name not in self._loaded:
            self._loaded[name] = import_target(self.targets[name], f"{self.kind} {name}")  # type: ignore[assignment]
        return self._loaded[name]

    def usages(self) -> list[str]:
        """Each name as it is written on the command line: the head of its help where that spells it
        (``openai:MODEL``), else the bare name."""
        heads = {n: self.help.get(n, "").split("  ")[0] for n in self.names()}
        return [h if h.startswith(n) else n for n, h in heads.items()]

    def describe(self) -> str:
        """``name  help`` per entry, for ``--help`` texts."""
        return "; ".join(self.help.get(n, n) for n in self.names())
