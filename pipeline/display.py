"""Terminal output shared by the commands that run stages: one table of stage results."""

from __future__ import annotations

from pipeline.stage import RunContext, Status

COLORS = {Status.PASS: "green", Status.FAIL: "red", Status.SKIPPED: "yellow", Status.ERROR: "magenta"}


def print_stage_table(ctx: RunContext, title: str, footer: str, detail_width: int = 100) -> None:
    """Print each stage's status, time and reason as a table, then ``footer`` (e.g. the report's path)."""
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(title=title)
    for col in ("stage", "status", "seconds", "detail"):
        table.add_column(col)
    for r in ctx.results:
        table.add_row(r.stage, f"[{COLORS[r.status]}]{r.status.value}[/]", f"{r.seconds:.1f}", r.detail[:detail_width])
    console.print(table)
    console.print(footer)
