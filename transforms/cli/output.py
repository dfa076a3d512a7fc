"""What the CLI prints: one console, and the league table from the analysts' warehouse."""

from __future__ import annotations

import duckdb
import typer
from rich.console import Console
from rich.table import Table

from transforms.core.paths import DataPaths

console = Console()


def _change(delta: int | None) -> str:
    if delta is None:
        return ""
    return f"↑{delta}" if delta > 0 else (f"↓{-delta}" if delta < 0 else "=")


def print_league(paths: DataPaths, period: str | None, scope: str, top: int | None = None) -> None:
    """Print the league table of ``period`` (``None``/``latest``: the last one) and ``scope``; exit 1 if none."""
    if not paths.warehouse.exists():
        console.print("[red]no published warehouse yet: run `make run` first[/red]")
        raise typer.Exit(1)
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        if period in (None, "latest"):
            period = con.execute("select max(period) from marts.league_table").fetchone()[0]
        rows = con.execute(
            "select rank, city_code, city_name, score, rank_change, coverage from marts.league_table "
            "where period = ? and scope = ? order by rank, city_code",
            [period, scope],
        ).fetchall()
    finally:
        con.close()
    if not rows:
        console.print(f"[red]no league table for period {period} and scope {scope}[/red]")
        raise typer.Exit(1)
    t = Table(title=f"league table {period} · scope {scope}")
    for col in ("rank", "city_code", "city", "score", "Δrank", "coverage"):
        t.add_column(col, justify="right" if col not in ("city",) else "left")
    for r in rows[: top or len(rows)]:
        t.add_row(str(r[0]), r[1], r[2], f"{r[3]:.1f}" if r[3] is not None else "—", _change(r[4]),
                  f"{r[5]:.0%}" if r[5] is not None else "—")
    console.print(t)
