"""Read an input file as batches of text columns, with the row number a person sees in the file.

CSV: comma separated, UTF-8, a header row, one record per line; ``row`` is the line number, the header
being line 1. Parquet: ``row`` is the 1-based row index. File-level faults (missing or unexpected columns,
an empty file, a header that is not UTF-8, a nested Parquet column) raise ``InputError``.

A damaged line never takes other lines with it. Before parsing, one pass over the bytes (``scan_file``)
finds the lines a CSV parser would misread: bytes that are not UTF-8, a quote that is not closed on its
line (a parser would swallow every line up to the next quote), a quote inside an unquoted value, and a
last line with no line end (it may have been cut off inside its last value). Those lines are handed to
the parser as blank lines, so that every other line keeps its number, and become problems for the
quarantine. A line with the wrong number of fields is reported by the parser itself.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
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
LINE = "(line)"
_BLOCK = 8 << 20
_SHOWN = 200  # characters of a damaged line kept in the quarantine file

# One line of well-formed CSV: each value either unquoted (no quote in it) or wholly quoted ("" inside).
_WELL_FORMED = re.compile(r'(?:"(?:[^"]|"")*"|[^",]*)(?:,(?:"(?:[^"]|"")*"|[^",]*))*\r?')
UNCLOSED_QUOTE = (
    "a quoted value is not closed on this line (a stray '\"'?); expected a closing '\"' before the line "
    "ends (a value cannot span lines)"
)
STRAY_QUOTE = (
    "a stray '\"' inside a value; expected '\"' only around a whole value, and doubled inside it "
    '("a ""b""")'
)
NOT_UTF8 = "byte 0x{:02x} is not UTF-8; expected UTF-8 text (re-save the file as UTF-8)"


@dataclass(frozen=True)
class LineFault:
    """A line the parser must not see: its byte range (line end excluded) and the problem it becomes."""

    row: int
    start: int
    end: int
    column: str
    value: str
    reason: str


@dataclass(frozen=True)
class FileScan:
    """One pass over the bytes: content hash, size, newlines, whether the last line ends, damaged lines."""

    sha256: str
    size: int
    newlines: int
    ends_with_newline: bool
    faults: tuple[LineFault, ...] = ()


@dataclass
class RawBatch:
    """Rows of a file (text columns for CSV, typed or text for Parquet) with their row numbers, and the
    problems of rows taken out of it before validation (Parquet bytes that are not UTF-8, for example)."""

    frame: pl.DataFrame
    rows: np.ndarray
    problems: pl.DataFrame | None = None


@dataclass
class ParseProblems:
    """Lines the CSV parser could not split into the header's fields: (row, found, expected, text)."""

    lines: list[tuple[int, int, int, str]] = field(default_factory=list)


def is_parquet(path: Path) -> bool:
    if path.suffix.lower() in PARQUET_SUFFIXES:
        return True
    with path.open("rb") as fh:
        return fh.read(4) == b"PAR1"


def _shown(raw: bytes) -> str:
    """A damaged line as text a person can read: bad bytes as \\xNN, no line end, at most 200 chars."""
    return raw.rstrip(b"\r").decode("utf-8", "backslashreplace")[:_SHOWN]


def _quote_fault(line: str) -> str | None:
    """Why the quotes of ``line`` cannot be read as CSV (a stray or an unclosed quote), or None."""
    quoted, at_start = False, True
    i, n = 0, len(line)
    while i < n:
        ch = line[i]
        if quoted:
            if ch == '"':
                if i + 1 < n and line[i + 1] == '"':
                    i += 2
                    continue
                quoted = False
                if i + 1 < n and line[i + 1] != "," and line[i + 1 :] != "\r":
                    return STRAY_QUOTE
        elif ch == '"':
            if not at_start:
                return STRAY_QUOTE
            quoted = True
        at_start = not quoted and ch == ","
        i += 1
    return UNCLOSED_QUOTE if quoted else None


def _utf8_fault(raw: bytes, row: int, start: int, header: list[str]) -> LineFault | None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        reason = NOT_UTF8.format(raw[exc.start])
    else:
        return None
    text = raw.rstrip(b"\r").decode("utf-8", "surrogateescape")
    fields = next(csv.reader([text]), [])
    for i, value in enumerate(fields):
        if i < len(header) and any("\udc80" <= ch <= "\udcff" for ch in value):
            shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
            return LineFault(row, start, start + len(raw), header[i], shown[:_SHOWN], reason)
    return LineFault(row, start, start + len(raw), LINE, _shown(raw), reason)


def _scan_lines(chunk: bytes, base: int, first_row: int, header: list[str], out: list[LineFault]) -> None:
    """Find damaged lines in ``chunk`` (whole lines, each ending with a newline, starting at ``base``)."""
    try:
        chunk.decode("utf-8")
        utf8_ok = True
    except UnicodeDecodeError:
        utf8_ok = False
    if utf8_ok and b'"' not in chunk:
        return
    arr = np.frombuffer(chunk, dtype=np.uint8)
    ends = np.flatnonzero(arr == 10)
    starts = np.concatenate(([0], ends[:-1] + 1))
    if utf8_ok:
        candidates = np.unique(np.searchsorted(ends, np.flatnonzero(arr == 34)))
    else:
        candidates = np.arange(len(ends))
    for i in candidates.tolist():
        row = first_row + i
        if row == 1:
            continue  # the header, already read
        s, e = int(starts[i]), int(ends[i])
        raw = chunk[s:e]
        fault = None if utf8_ok else _utf8_fault(raw, row, base + s, header)
        if fault is None and b'"' in raw:
            text = raw.decode("utf-8", "surrogateescape")
            if _WELL_FORMED.fullmatch(text) is None:
                reason = _quote_fault(text) or STRAY_QUOTE
                fault = LineFault(row, base + s, base + e, LINE, _shown(raw), reason)
        if fault is not None:
            out.append(fault)


def _last_line_fault(raw: bytes, row: int, start: int, header: list[str]) -> LineFault | None:
    """The last line when the file does not end with a line end: it cannot be proved complete."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.end == len(raw) and exc.reason == "unexpected end of data":
            reason = "the last line is cut off inside a UTF-8 character and has no line end"
        else:
            return _utf8_fault(raw, row, start, header)
        text = raw[: exc.start].decode("utf-8", "replace")
    else:
        if _quote_fault(text) == UNCLOSED_QUOTE:
            reason = "the last line is cut off inside a quoted value and has no line end"
        else:
            fields = next(csv.reader([text.rstrip("\r")]), [])
            if not any(f.strip() for f in fields):
                return None  # a blank last line carries no record
            if len(fields) < len(header):
                reason = f"the last line is cut off: {len(fields)} of {len(header)} fields and no line end"
            else:
                reason = "the last line has no line end, so it may have been cut off inside its last value"
    if "may have been" in reason:
        reason += (
            " (was the file truncated?); if it is complete, end it with a line break and load the file again"
        )
    else:
        reason += " (was the file truncated?)"
    return LineFault(row, start, start + len(raw), LINE, _shown(raw), reason)


def scan_file(path: Path, header: list[str] | None) -> FileScan:
    """Hash the file; for CSV (``header`` given) also find the damaged lines (see the module docstring)."""
    digest = hashlib.sha256()
    size = newlines = 0
    faults: list[LineFault] = []
    carry = b""
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
            size += len(block)
            if header is None:
                continue
            buf = carry + block
            cut = buf.rfind(b"\n") + 1
            if cut:
                _scan_lines(buf[:cut], size - len(buf), newlines + 1, header, faults)
                newlines += buf.count(b"\n", 0, cut)
            carry = buf[cut:]
    if header is None:
        return FileScan(digest.hexdigest(), size, 0, True)
    if carry:
        last = _last_line_fault(carry, newlines + 1, size - len(carry), header)
        if last is not None:
            faults.append(last)
    return FileScan(digest.hexdigest(), size, newlines, not carry, tuple(faults))


class _SkipRanges(io.RawIOBase):
    """A file read as if the given byte ranges were not there (damaged lines become blank lines)."""

    def __init__(self, path: Path, ranges: list[tuple[int, int]]) -> None:
        self._fh = path.open("rb")
        self._ranges = sorted(ranges)
        self._i = 0
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        n = 0
        while n < len(view):
            while self._i < len(self._ranges) and self._ranges[self._i][1] <= self._pos:
                self._i += 1
            if self._i < len(self._ranges) and self._ranges[self._i][0] <= self._pos:
                self._pos = self._ranges[self._i][1]
                self._fh.seek(self._pos)
                continue
            limit = len(view) - n
            if self._i < len(self._ranges):
                limit = min(limit, self._ranges[self._i][0] - self._pos)
            got = self._fh.readinto(view[n : n + limit])
            if not got:
                break
            n += got
            self._pos += got
        return n

    def close(self) -> None:
        self._fh.close()
        super().close()


def check_columns(path: Path, found: list[str], record: Table) -> None:
    """Refuse a file whose columns are not exactly the table's, naming the missing and unexpected ones."""
    expected = list(record.column_names)
    missing = [c for c in expected if c not in found]
    unexpected = [c for c in found if c not in expected]
    dupes = sorted({c for c in found if found.count(c) > 1})
    if len(found) == 1 and missing:
        for sep, said in ((";", "semicolons"), ("\t", "tabs"), ("|", "vertical bars")):
            names = [n.strip().strip('"') for n in found[0].split(sep)]
            if sep in found[0] and set(names) == set(expected):
                raise InputError(
                    f"{path} row 1: the columns are separated by {said}; expected a comma-separated file "
                    "(or Parquet): ingest reads commas only, as a bureau's exchange files are written — "
                    "save the file with commas, or as Parquet"
                )
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
    with path.open("rb") as fh:
        raw = fh.readline()
    try:
        first = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{path} row 1: byte 0x{raw[exc.start]:02x} of the header is not UTF-8; expected a UTF-8 text "
            "file (re-save it as UTF-8)"
        ) from None
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


def iter_csv(
    path: Path,
    record: Table,
    batch_bytes: int,
    problems: ParseProblems,
    faults: tuple[LineFault, ...] = (),
) -> Iterator[RawBatch]:
    """Batches of a CSV file; lines with the wrong number of fields go to ``problems``; the damaged lines
    found by ``scan_file`` (``faults``) are read as blank lines."""
    header = csv_header(path)
    check_columns(path, header, record)

    def on_invalid(row: pacsv.InvalidRow) -> str:
        problems.lines.append(
            (int(row.number or 0), int(row.actual_columns), int(row.expected_columns), str(row.text))
        )
        return "skip"

    source: Path | io.BufferedReader = path
    if faults:
        source = io.BufferedReader(_SkipRanges(path, [(f.start, f.end) for f in faults]), 1 << 20)
    reader = pacsv.open_csv(
        source,
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


_EXPECTED_ONE = {
    "string": "one text value",
    "integer": "one integer",
    "float": "one number",
    "boolean": "one true or false",
    "date": "one date",
    "datetime": "one date-time",
    "month": "one month",
}


def check_parquet_columns(path: Path, record: Table) -> None:
    """Refuse wrong columns, and nested columns (list, struct, map): a row must hold one value per column."""
    schema = _parquet_file(path).schema_arrow
    check_columns(path, list(schema.names), record)
    for col in record.columns:
        kind = schema.field(col.name).type
        if pa.types.is_nested(kind):
            raise InputError(
                f"{path} column {col.name}: a nested Parquet type ({kind}) holds several values per row; "
                f"expected {_EXPECTED_ONE[col.type]} per row (every row)"
            )


def _decode_binary(
    frame: pl.DataFrame, rows: np.ndarray
) -> tuple[pl.DataFrame, np.ndarray, pl.DataFrame | None]:
    """Binary columns as text; rows holding bytes that are not UTF-8 leave the batch as problems."""
    binary = [c for c, t in frame.schema.items() if t == pl.Binary]
    if not binary:
        return frame, rows, None
    bad = np.zeros(frame.height, dtype=bool)
    found: list[tuple[int, str, str, str]] = []
    decoded: dict[str, list[str | None]] = {}
    for name in binary:
        out: list[str | None] = []
        for i, value in enumerate(frame.get_column(name).to_list()):
            if value is None:
                out.append(None)
                continue
            try:
                out.append(value.decode("utf-8"))
            except UnicodeDecodeError as exc:
                bad[i] = True
                out.append(None)
                shown = value.decode("utf-8", "backslashreplace")[:_SHOWN]
                reason = f"byte 0x{value[exc.start]:02x} is not UTF-8; expected UTF-8 text"
                found.append((int(rows[i]), name, shown, reason))
        decoded[name] = out
    frame = frame.with_columns(pl.Series(n, v, dtype=pl.String) for n, v in decoded.items())
    problems = pl.DataFrame(
        found,
        schema={"row": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String},
        orient="row",
    )
    keep = ~bad
    return frame.filter(pl.Series(keep)), rows[keep], problems if problems.height else None


def iter_parquet(path: Path, record: Table, batch_rows: int) -> Iterator[RawBatch]:
    """Batches of a Parquet file (typed columns are validated as they are, others as text)."""
    check_parquet_columns(path, record)
    pf = _parquet_file(path)
    offset = 0
    batches = pf.iter_batches(batch_size=batch_rows, columns=list(record.column_names))
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except Exception as exc:  # a damaged page: pyarrow raises several types
            raise InputError(
                f"{path}: not a readable Parquet file after row {offset:,} ({exc}); expected a Parquet file"
            ) from None
        frame = pl.from_arrow(pa.Table.from_batches([batch]))
        assert isinstance(frame, pl.DataFrame)
        frame = frame.select(record.column_names)
        rows = np.arange(offset + 1, offset + frame.height + 1, dtype=np.int64)
        offset += frame.height
        frame, rows, problems = _decode_binary(frame, rows)
        yield RawBatch(frame, rows, problems)
