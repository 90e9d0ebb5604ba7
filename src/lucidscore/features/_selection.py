"""Which consumers one pass of the features reads: a list (rescoring after a dispute) or a range of
identifiers (one chunk of an out-of-core run), and the ranges that split a population into chunks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from lucidscore.errors import InputError

# The tables with a consumer_id column; statements reach a consumer through their account.
CONSUMER_TABLES = ("consumers", "accounts", "inquiries", "public_records", "income", "outcomes")


@dataclass(frozen=True)
class Consumers:
    """Exactly these consumers (sorted, without duplicates)."""

    ids: tuple[str, ...]


@dataclass(frozen=True)
class IdRange:
    """The consumers whose identifier sorts from ``first`` to ``last``, both included."""

    first: str
    last: str


Selection = Consumers | IdRange | None


def consumers(ids: Iterable[str]) -> Consumers:
    """A ``Consumers`` selection; a lone string (which would be read as its characters) is refused."""
    if isinstance(ids, str | bytes):
        raise InputError(
            f"consumer_ids: got the single string {ids!r}; expected a list of consumer identifiers"
        )
    chosen = list(ids)
    wrong = [i for i in chosen if not isinstance(i, str)]
    if wrong:
        raise InputError(
            f"consumer_ids: {wrong[0]!r} is a {type(wrong[0]).__name__}; expected consumer identifiers (str)"
        )
    return Consumers(tuple(sorted(set(chosen))))


def chunk_ranges(ids: pl.Series, size: int) -> list[IdRange]:
    """Consecutive ranges of at most ``size`` identifiers covering the sorted, distinct ``ids``.

    ``ids`` are sorted in the order the source compares them (a database's collation), so that each
    identifier falls in exactly one range when the source filters by it.
    """
    if size < 1:
        raise InputError(f"chunk_consumers: {size} is too small; expected at least 1")
    starts = list(range(0, ids.len(), size))
    firsts = ids.gather(starts).to_list()
    lasts = ids.gather([min(start + size, ids.len()) - 1 for start in starts]).to_list()
    return [IdRange(first, last) for first, last in zip(firsts, lasts, strict=True)]


def selected(selection: Consumers | IdRange, column: str = "consumer_id") -> pl.Expr:
    """The filter for the consumers of ``selection`` on a consumer_id column.

    The range part lets the Parquet reader skip row groups by their min/max statistics; ``is_in`` is the
    exact test.
    """
    value = pl.col(column)
    if isinstance(selection, IdRange):
        return value.is_between(pl.lit(selection.first), pl.lit(selection.last))
    return among(value, pl.Series(selection.ids, dtype=pl.String))


def among(value: pl.Expr, ids: pl.Series) -> pl.Expr:
    """``value`` is one of ``ids``, with a range test first so Parquet row groups can be skipped."""
    if ids.len() == 0:
        return pl.lit(False)
    return value.is_between(pl.lit(ids.min()), pl.lit(ids.max())) & value.is_in(ids.implode())
