"""The import contract: layers only import downward, and no two modules of ours import each other.

Layers, bottom up (DESIGN.md "Layers"):

0. the ground of ``pipeline/``: task model, stage contract, errors, process runner, hardware types;
1. ``verifiers/``;
2. ``hls/`` and ``agents/`` (each may import the ground and ``verifiers``, not each other);
3. the roof: the rest of ``pipeline/`` (runner, batch, API, CLI) and ``benchmarks/``.

Every ``import`` counts, at module level or inside a function: a deferred import is still a dependency.
The graph is read from the source with :mod:`ast`, so the test needs nothing installed.

``KNOWN`` lists the violations the code had when the contract was written. It is a ratchet: a new violation
fails the test, and so does an entry that no longer occurs (delete it, so it cannot come back unseen).
The redesign empties it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGES = ("pipeline", "verifiers", "hls", "agents", "benchmarks")
GROUND = {"pipeline", "pipeline.task", "pipeline.stage", "pipeline.errors", "pipeline.process",
          "pipeline.hw_interface", "pipeline.types", "pipeline.vectors", "pipeline.tools",
          "pipeline.dialect", "pipeline.home", "pipeline.suites", "pipeline.registry",
          "pipeline.provenance"}
SIDEWAYS_FORBIDDEN = {frozenset({"hls", "agents"})}

KNOWN_UPWARD: set[tuple[str, str]] = set()
KNOWN_CYCLES: set[frozenset[str]] = set()


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, set[str]]:
    """Module -> the modules of ours it imports (``from a.b import c`` counts as ``a.b``, or ``a.b.c``
    where that is a module)."""
    packages = tuple(packages)
    files = {module_name(root, f): f for pkg in packages for f in (root / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for mod, path in files.items():
        targets: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    targets.add(sub if sub in files else node.module)
        graph[mod] = {t for t in targets if t.split(".")[0] in packages and t != mod}
    return graph


def layer(module: str) -> int:
    top = module.split(".")[0]
    if top == "pipeline":
        return 0 if module in GROUND else 3
    return {"verifiers": 1, "hls": 2, "agents": 2}.get(top, 3)


def upward_imports(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Edges to a higher layer, or between the two middle packages."""
    bad = set()
    for src, targets in graph.items():
        for dst in targets:
            sideways = frozenset({src.split(".")[0], dst.split(".")[0]}) in SIDEWAYS_FORBIDDEN
            if layer(dst) > layer(src) or sideways:
                bad.add((src, dst))
    return bad


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one module (iterative Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: set[frozenset[str]] = set()
    counter = 0
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = set()
                while True:
                    top = stack.pop()
                    on_stack.discard(top)
                    comp.add(top)
                    if top == node:
                        break
                if len(comp) > 1:
                    found.add(frozenset(comp))
    return found


def test_no_new_upward_import_and_none_listed_that_is_gone():
    found = upward_imports(import_graph(REPO))
    assert not found - KNOWN_UPWARD, f"imports against the layers: {sorted(found - KNOWN_UPWARD)}"
    assert not KNOWN_UPWARD - found, f"fixed, delete from KNOWN_UPWARD: {sorted(KNOWN_UPWARD - found)}"


def test_no_new_import_cycle_and_none_listed_that_is_gone():
    found = cycles(import_graph(REPO))
    assert not found - KNOWN_CYCLES, f"modules importing each other: {[sorted(c) for c in found - KNOWN_CYCLES]}"
    assert not KNOWN_CYCLES - found, f"fixed, delete from KNOWN_CYCLES: {[sorted(c) for c in KNOWN_CYCLES - found]}"


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return tmp_path


def test_the_contract_catches_a_deliberate_violation(tmp_path):
    """The checker itself: an upward import, a sideways one, a deferred one and a cycle are all found."""
    root = _tree(tmp_path, {
        "pipeline/__init__.py": "",
        "pipeline/task.py": "from pipeline.runner import run\n",  # ground -> roof
        "pipeline/runner.py": "import verifiers.api\n",  # roof -> middle: fine
        "verifiers/__init__.py": "", "verifiers/api.py": "def f():\n    import hls.x\n",  # deferred, upward
        "hls/__init__.py": "", "hls/x.py": "from agents import y\n",  # sideways between middle packages
        "agents/__init__.py": "", "agents/y.py": "import agents.z\n", "agents/z.py": "from agents import y\n",
    })
    graph = import_graph(root, ("pipeline", "verifiers", "hls", "agents"))
    assert upward_imports(graph) == {
        ("pipeline.task", "pipeline.runner"), ("verifiers.api", "hls.x"), ("hls.x", "agents.y"),
    }
    assert cycles(graph) == {frozenset({"agents.y", "agents.z"})}
