"""The quarantine file next to the input: one line per problem (row, column, value, reason)."""

from __future__ import annotations

from pathlib import Path

import polars as pl


def quarantine_path(path: Path) -> Path:
    """``statements.csv`` → ``statements.csv.quarantine.csv``."""
    return path.with_name(path.name + ".quarantine.csv")


def write_quarantine(problems: pl.DataFrame, path: Path) -> Path:
    """Write the problems sorted by row to a temporary file; the caller renames it once the load commits."""
    tmp = path.with_name(f".{path.name}.tmp")
    problems.sort("row", maintain_order=True).write_csv(tmp)
    return tmp


def message(source: str, row: int, column: str, value: str, reason: str) -> str:
    """One line a person can act on: file, row, column, what was found, what was expected."""
    found = f"{column} is {value!r}" if value != "" else f"{column} is empty"
    if reason.startswith("empty; "):
        return f"{source} row {row:,}: {found}; {reason.removeprefix('empty; ')}"
    return f"{source} row {row:,}: {found}; {reason}"
