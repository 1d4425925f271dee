"""How many CloverBench ``textbook_algo`` programs the installed Dafny verifies, as they are and through the
dialect bridge.

Usage::

    .venv/bin/python benchmarks/clover_verify.py [--data DIR] [--timeout S] [--workers N] [--no-cache] [--min K]

``DIR`` defaults to ``../shared/data/cloverbench/textbook_algo`` next to the repository. For every
``*/*_strong.dfy`` (62 programs, Dafny 4 syntax, written by others) it prints the verdict of Dafny on the file
as it is and of :func:`verifiers.api.verify_source` (gate + bridge + Dafny), then the totals. With ``--min K``
the exit status is 1 when fewer than K programs verify through the bridge.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "cloverbench" / "textbook_algo"


def programs(data: Path) -> list[Path]:
    return sorted(data.glob("*/*_strong.dfy"))


def measure(paths: list[Path], timeout: float, workers: int, use_cache: bool):
    """Return ``[(name, as_is_result, bridged_result)]`` for ``paths``."""
    from concurrent.futures import ThreadPoolExecutor

    from verifiers.api import verify_many
    from verifiers.dafny import Dafny

    dafny = Dafny()
    sources = [p.read_text(encoding="utf-8") for p in paths]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        as_is = list(pool.map(lambda s: dafny.verify(s, timeout=timeout, use_cache=use_cache), sources))
    bridged = verify_many(sources, timeout=timeout, workers=workers, dafny=dafny, use_cache=use_cache)
    return [(p.parent.name, a, b) for p, a, b in zip(paths, as_is, bridged, strict=True)]


def _cell(result) -> str:
    return "verified" if result.verified else result.phase


def _why(result) -> str:
    errs = result.errors
    if not errs:
        return ""
    d = errs[0]
    return f"line {d.line}: {d.message}"[:90]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the textbook_algo folder")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per Dafny call (default 300)")
    ap.add_argument("--workers", type=int, default=2, help="parallel Dafny processes (default 2)")
    ap.add_argument("--no-cache", action="store_true", help="do not read or write the verification cache")
    ap.add_argument("--min", type=int, default=0, help="exit 1 if fewer programs verify through the bridge")
    args = ap.parse_args(argv)
    paths = programs(args.data)
    if not paths:
        print(f"no */*_strong.dfy under {args.data}", file=sys.stderr)
        return 2
    start = time.monotonic()
    rows = measure(paths, args.timeout, args.workers, not args.no_cache)
    width = max(len(name) for name, _, _ in rows)
    print(f"{'program':<{width}}  {'as is':<12}  {'bridge':<12}  first error through the bridge")
    for name, a, b in rows:
        print(f"{name:<{width}}  {_cell(a):<12}  {_cell(b):<12}  {_why(b)}".rstrip())
    n_as_is = sum(a.verified for _, a, _ in rows)
    n_bridge = sum(b.verified for _, _, b in rows)
    version = rows[0][1].dafny_version
    print(f"\nDafny {version}: {n_as_is}/{len(rows)} verify as they are; {n_bridge}/{len(rows)} through the bridge "
          f"({time.monotonic() - start:.0f} s)")
    return 1 if n_bridge < args.min else 0


if __name__ == "__main__":
    sys.exit(main())
