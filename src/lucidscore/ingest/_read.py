"""Read an input file as batches of text columns, with the row number a person sees in the file.

CSV: comma separated, UTF-8, a header row; ``row`` is the line number, the header being line 1.
Parquet: ``row`` is the 1-based row index. File-level faults (missing or unexpected columns, an empty
file, bytes that are not UTF-8) raise ``InputError``; a line with the wrong number of fields (such as a
truncated last line) becomes a problem for the quarantine, and the rest of the file loads.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from lucidscore.errors import InputError
from lucidscore.records import Table

PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv",)
_BLOCK = 8 << 20


@dataclass(frozen=True)
class FileScan:
    """One pass over the bytes: content hash, size, number of newlines, whether the last line ends."""

    sha256: str
    size: int
    newlines: int
    ends_with_newline: bool


@dataclass
class RawBatch:
    """Rows of a file (text columns for CSV, typed or text for Parquet) with their row numbers."""

    frame: pl.DataFrame
    rows: np.ndarray


@dataclass
class ParseProblems:
    """Lines the CSV parser could not split into the header's fields: (row, found, expected, text)."""

    lines: list[tuple[int, int, int, str]] = field(default_factory=list)


def is_parquet(path: Path) -> bool:
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return True
    with path.open("rb") as fh:
        return fh.read(4) == b"PAR1"


def scan_file(path: Path, check_utf8: bool) -> FileScan:
    """Hash the file and, for text, check every byte is UTF-8, naming the line of the first bad byte."""
    digest = hashlib.sha256()
    decoder = codecs.getincrementaldecoder("utf-8")("strict")
    size = newlines = 0
    last = b""
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
            if check_utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    line = newlines + block[: exc.start].count(b"\n") + 1
                    bad = block[exc.start : exc.start + 1].hex()
                    raise InputError(
                        f"{path} row {line}: byte {size + exc.start} (0x{bad}) is not UTF-8; "
                        "expected a UTF-8 text file (re-save it as UTF-8)"
                    ) from None
            newlines += block.count(b"\n")
            size += len(block)
            last = block[-1:]
    if check_utf8:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise InputError(
                f"{path} row {newlines + 1}: the file ends inside a multi-byte UTF-8 character; "
                "expected a complete UTF-8 file (was it cut off?)"
            ) from None
    return FileScan(digest.hexdigest(), size, newlines, last == b"\n")


def check_columns(path: Path, found: list[str], record: Table) -> None:
    """Refuse a file whose columns are not exactly the table's, naming the missing and unexpected ones."""
    expected = list(record.column_names)
    missing = [c for c in expected if c not in found]
    unexpected = [c for c in found if c not in expected]
    dupes = sorted({c for c in found if found.count(c) > 1})
    if missing or unexpected or dupes:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unexpected:
            parts.append(f"unexpected column(s) {', '.join(unexpected)}")
        if dupes:
            parts.append(f"repeated column(s) {', '.join(dupes)}")
        raise InputError(
            f"{path} row 1: {'; '.join(parts)}; expected the {record.name} columns {', '.join(expected)}"
        )


def csv_header(path: Path) -> list[str]:
    with path.open("r", encoding="utf-8-sig", newline="") as fh:
        first = fh.readline()
    if not first.strip():
        raise InputError(f"{path}: the file is empty; expected a header row naming the columns")
    return [name.strip() for name in next(csv.reader([first]))]


def count_rows(path: Path, scan: FileScan | None) -> int | None:
    """Data rows in the file, for a progress bar (CSV: lines after the header)."""
    if is_parquet(path):
        return int(_parquet_file(path).metadata.num_rows)
    if scan is None:
        return None
    return max(scan.newlines - 1 + (0 if scan.ends_with_newline else 1), 0)


def _lines_to_rows(rank_start: int, n: int, skipped: list[int]) -> np.ndarray:
    """Line numbers of ``n`` parsed rows whose global rank starts at ``rank_start``, given skipped lines."""
    lines = np.arange(rank_start, rank_start + n, dtype=np.int64) + 2
    for s in sorted(skipped):
        lines[lines >= s] += 1
    return lines


def iter_csv(path: Path, record: Table, batch_bytes: int, problems: ParseProblems) -> Iterator[RawBatch]:
    """Batches of a CSV file; lines with the wrong number of fields go to ``problems``."""
    header = csv_header(path)
    check_columns(path, header, record)

    def on_invalid(row: pacsv.InvalidRow) -> str:
        problems.lines.append(
            (int(row.number or 0), int(row.actual_columns), int(row.expected_columns), str(row.text))
        )
        return "skip"

    reader = pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            use_threads=False, block_size=batch_bytes, skip_rows=1, column_names=header
        ),
        # Blank lines are parsed as rows of nulls (then dropped below) so that row numbers stay exact.
        parse_options=pacsv.ParseOptions(
            invalid_row_handler=on_invalid, newlines_in_values=False, ignore_empty_lines=False
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in header},
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )
    rank = 0
    for batch in reader:
        if batch.num_rows == 0:
            continue
        frame = pl.from_arrow(pa.Table.from_batches([batch]))
        assert isinstance(frame, pl.DataFrame)
        skipped = [p[0] for p in problems.lines]  # pyarrow numbers lines with the header as line 1
        rows = _lines_to_rows(rank, frame.height, skipped)
        rank += frame.height
        blank = frame.select(pl.all_horizontal(pl.all().is_null())).to_series()
        if blank.any():
            frame, rows = frame.filter(~blank), rows[~blank.to_numpy()]
        yield RawBatch(frame.select(record.column_names), rows)


def _parquet_file(path: Path) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise InputError(f"{path}: not a readable Parquet file ({exc}); expected a Parquet file") from None


def check_parquet_columns(path: Path, record: Table) -> None:
    check_columns(path, list(_parquet_file(path).schema_arrow.names), record)


def iter_parquet(path: Path, record: Table, batch_rows: int) -> Iterator[RawBatch]:
    """Batches of a Parquet file (typed columns are validated as they are, others as text)."""
    pf = _parquet_file(path)
    check_columns(path, list(pf.schema_arrow.names), record)
    offset = 0
    for batch in pf.iter_batches(batch_size=batch_rows, columns=list(record.column_names)):
        frame = pl.from_arrow(pa.Table.from_batches([batch]))
        assert isinstance(frame, pl.DataFrame)
        frame = frame.select(record.column_names)
        rows = np.arange(offset + 1, offset + frame.height + 1, dtype=np.int64)
        offset += frame.height
        yield RawBatch(frame, rows)
