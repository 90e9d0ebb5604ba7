"""The quarantine file next to the input: one line per problem (row, column, value, reason).

A quarantine file is meant to be opened in a spreadsheet, and its values come from untrusted input, so a
cell that a spreadsheet would run as a formula is neutralised (CSV injection): every text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or ``'`` gets one more ``'`` in front.
The rule is reversible: a cell that starts with ``'`` had exactly one ``'`` added, so removing the first
``'`` gives the original value (``'-5`` → ``-5``, ``''abc`` → ``'abc``); ``read_quarantine`` does that.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from lucidscore.paths import temporary_sibling

_TEXT_COLUMNS = ("column", "value", "reason")
_RISKY_START = r"^[=+\-@\t\r']"


def quarantine_path(path: Path) -> Path:
    """``statements.csv`` → ``statements.csv.quarantine.csv``."""
    return path.with_name(path.name + ".quarantine.csv")


def write_quarantine_file(problems: pl.DataFrame, path: Path) -> Path:
    """Write ``problems`` (row, column, value, reason) sorted by row to ``path``, formulas neutralised.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "q.csv"
    >>> frame = pl.DataFrame({"row": [2], "column": ["balance"], "value": ["-5"], "reason": ["r"]})
    >>> print(write_quarantine_file(frame, out).read_text(), end="")
    row,column,value,reason
    2,balance,'-5,r
    >>> read_quarantine(out)["value"].to_list()
    ['-5']
    """
    safe = problems.sort("row", maintain_order=True).with_columns(
        pl.when(pl.col(c).str.contains(_RISKY_START)).then("'" + pl.col(c)).otherwise(pl.col(c)).alias(c)
        for c in _TEXT_COLUMNS
    )
    safe.write_csv(path)
    return path


def write_quarantine(problems: pl.DataFrame, path: Path) -> Path:
    """Write the problems to a temporary file; the caller renames it once the load commits."""
    return write_quarantine_file(problems, temporary_sibling(path))


def read_quarantine(path: Path | str) -> pl.DataFrame:
    """A quarantine file as written, with the formula neutralisation undone: the original values."""
    frame = pl.read_csv(path, infer_schema=False, glob=False).with_columns(pl.col("row").cast(pl.Int64))
    return frame.with_columns(
        pl.when(pl.col(c).str.starts_with("'"))
        .then(pl.col(c).str.slice(1))
        .otherwise(pl.col(c))
        .fill_null("")
        .alias(c)
        for c in _TEXT_COLUMNS
    )


SHOWN_CHARACTERS = 80  # of a value, in a message (the quarantine file keeps it whole)


def message(source: str, row: int, column: str, value: str, reason: str) -> str:
    """One line a person can act on: file, row, column, what was found, what was expected. A long value
    is cut to its first ``SHOWN_CHARACTERS`` characters and its length (a 5 MB field is one line, not
    5 MB on the terminal)."""
    shown = repr(value)
    if len(value) > SHOWN_CHARACTERS:
        shown = f"{value[:SHOWN_CHARACTERS]!r}… ({len(value):,} characters)"
    found = f"{column} is {shown}" if value != "" else f"{column} is empty"
    if reason.startswith("empty; "):
        return f"{source} row {row:,}: {found}; {reason.removeprefix('empty; ')}"
    return f"{source} row {row:,}: {found}; {reason}"
