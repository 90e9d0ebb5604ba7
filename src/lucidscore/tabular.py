"""Read the flat tables users hand to ``train``, ``score`` and ``evaluate`` (CSV or Parquet).

Every failure names the file and, where it can, the row and column, and says what was expected.
"""

from __future__ import annotations

import codecs
import csv
import warnings
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lucidscore.errors import FIRST_ROW, InputError
from lucidscore.paths import temporary_sibling

if TYPE_CHECKING:  # pandas loads when a table is read: ``train`` decodes a Parquet file meanwhile
    import pandas as pd

_CSV = {".csv", ".txt", ".data", ".tsv"}
_PARQUET = {".parquet", ".pq"}
# The cells pandas' CSV reader reads as missing (its default ``na_values``, pandas 3.1), which ``read_table``
# keeps: whatever else reads a CSV for the same purpose (``sparktable``) reads these as missing too.
NA_WORDS = frozenset(
    {
        *("", "NA", "N/A", "n/a", "#N/A", "#N/A N/A", "#NA", "<NA>", "NULL", "null", "None"),
        *("NaN", "-NaN", "nan", "-nan", "1.#IND", "-1.#IND", "1.#QNAN", "-1.#QNAN"),
    }
)


def first_bad_utf8(path: Path, block: int = 1 << 20) -> tuple[int, int, int] | None:
    """Where a text file stops being UTF-8: (1-based line, 1-based byte of that line, the byte), or None.

    Read in blocks through an incremental decoder, so a large file is never held whole.

    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = f.write_bytes(b"a,b\n1,2\n3,\xff4\n")
    >>> first_bad_utf8(f)
    (3, 3, 255)
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines, line_start, offset = 0, 0, 0  # newlines before ``offset``; where the line at ``offset`` starts
    with path.open("rb") as fh:
        while True:
            data = fh.read(block)
            try:
                decoder.decode(data, final=not data)
            except UnicodeDecodeError as exc:
                # exc.start indexes the decoder's pending bytes (an unfinished character from the last
                # block: bytes >= 0x80, never a newline) followed by this block.
                local = max(exc.start - (len(exc.object) - len(data)), 0)
                at = offset + exc.start - (len(exc.object) - len(data))
                newline = data.rfind(b"\n", 0, local)
                start = offset + newline + 1 if newline >= 0 else line_start
                return lines + data.count(b"\n", 0, local) + 1, at - start + 1, exc.object[exc.start]
            if not data:
                return None
            newline = data.rfind(b"\n")
            if newline >= 0:
                line_start = offset + newline + 1
            lines += data.count(b"\n")
            offset += len(data)


def bad_utf8_error(path: Path) -> InputError:
    """The error for a text table that is not UTF-8 somewhere, naming the row (a CSV's line: its header
    is row 1) and the byte."""
    where = first_bad_utf8(path)
    if where is None:
        return InputError(f"{path}: not UTF-8 text; expected a UTF-8 CSV or a Parquet file")
    line, column, byte = where
    return InputError(
        f"{path} row {line}: byte {column} of the line (0x{byte:02x}) is not UTF-8; expected a UTF-8 CSV "
        "(re-save the file as UTF-8) or a Parquet file"
    )


def _csv_reader(lines: Iterable[str], sep: str) -> Any:
    """Python's CSV reader of ``lines`` (``csv.reader``), with no limit on a field's length but the
    platform's, as pandas and pyarrow read a long field (the reader's default refuses one past 128 KiB,
    with an error naming no file)."""
    csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))
    return csv.reader(lines, delimiter=sep)


def _csv_records(path: Path, sep: str) -> Generator[tuple[int, list[str], bool]]:
    """Each record of a CSV file whose separator is ``sep`` (one character), header first, as Python's CSV
    reader splits it (as pandas' C parser does): the line it ends on, its fields, and whether pandas skips
    it as blank (an empty line, or one of spaces and tabs other than the separator, unquoted). Streamed,
    each line kept until its record is read: for the first records (``first_rows``)."""
    blank = " \t".replace(sep, "")
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        read: list[str] = []  # the lines of the record being read

        def lines() -> Iterator[str]:
            for line in fh:
                read.append(line)
                yield line

        reader = _csv_reader(lines(), sep)
        for fields in reader:
            skipped = len(read) == 1 and len(fields) <= 1 and not read[0].rstrip("\r\n").strip(blank)
            read.clear()
            yield reader.line_num, fields, skipped


def first_rows(path: Path, sep: str) -> tuple[list[str], list[str] | None]:
    """The header's fields of a CSV file whose separator is ``sep`` (one character) and those of its first
    data row as ``read_table`` reads them (blank lines skipped; None without one): whether pandas reads a
    column past the header's (``surplus_kept``). Reads those two records only."""
    records = _csv_records(path, sep)
    try:
        header = next(records, None)
        if header is None:
            return [], None
        return header[1], next((fields for _, fields, skipped in records if not skipped), None)
    finally:
        records.close()  # and the file


def surplus_kept(path: Path, sep: str) -> bool:
    """Whether ``read_table`` reads a column past the header's in a CSV file whose separator is ``sep``
    (one character): its first data row holds one field more than the header. pandas (under
    ``index_col=False``) then drops that column if every cell of it is missing (a trailing separator on
    every row, say), else the file is refused (``ragged_row_error``). Reads two records only."""
    header, first = first_rows(path, sep)
    return first is not None and len(first) == len(header) + 1


def ragged_row_error(path: Path, sep: str) -> InputError | None:
    """The error for the first row whose fields ``read_table`` refuses, or None (``sep`` one character: a
    CSV's separator). pandas, under ``index_col=False``, reads one column past the header's when the first
    data row holds one field more than the header, and drops it when every cell of it is missing (empty
    or a missing-value word, ``NA_WORDS``: a trailing separator on every row, or on some). So a row is
    refused when it holds more fields than the header and than that first row, naming its fields, or a
    value in that column, naming the value. A row with fewer fields has its last values missing, as
    pandas, pyarrow's fallback here and R read it. One pass of Python's CSV reader over the file."""
    header, first = first_rows(path, sep)
    names = len(header)
    width = names + 1 if first is not None and len(first) == names + 1 else names
    with path.open(newline="", encoding="utf-8", errors="replace") as fh:
        reader = _csv_reader(fh, sep)
        next(reader, None)
        for fields in reader:  # a blank line (no field, or one) is never refused: no need to tell it
            if len(fields) <= names:
                continue
            if len(fields) > width:
                return InputError(
                    f"{path} row {reader.line_num}: found {len(fields)} fields; expected {names}, as in the "
                    "header row"
                )
            if fields[names] not in NA_WORDS:
                return InputError(
                    f"{path} row {reader.line_num}: found {len(fields)} fields, the last {fields[names]!r}; "
                    f"expected {names}, as in the header row, or one more left empty (a trailing separator)"
                )
    return None


# Files people hand over instead of a CSV, by their first bytes: what to say, and what to do.
_BINARY_KINDS = (
    (b"PK\x03\x04", 'a ZIP archive or an Excel workbook (.xlsx): save the sheet as "CSV UTF-8", or unzip it'),
    (b"\xd0\xcf\x11\xe0", 'an Excel 97-2003 workbook (.xls): save the sheet as "CSV UTF-8"'),
    (b"\x1f\x8b", "a gzip-compressed file: decompress it first (gunzip)"),
)


def header_line(path: Path) -> str:
    """The first line of a text table, refusing binary, non-UTF-8 and empty files with one clear line."""
    with path.open("rb") as fh:
        head = fh.read(64 * 1024)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # a UTF-16 byte-order mark: Excel's "Unicode Text"
        raise InputError(
            f'{path}: UTF-16 text; expected a UTF-8 CSV (save it as "CSV UTF-8") or a Parquet file'
        )
    known = next((what for magic, what in _BINARY_KINDS if head.startswith(magic)), None)
    if known is not None:
        raise InputError(f"{path}: {known}; expected a CSV or Parquet file")
    if b"\0" in head:
        raise InputError(f"{path}: looks binary but is not Parquet; expected a CSV or Parquet file")
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if len(head) == 64 * 1024 and exc.reason == "unexpected end of data":
            text = head[: exc.start].decode("utf-8")  # the block cut a character in two
        else:
            raise bad_utf8_error(path) from None
    # A leading byte-order mark (Excel's "CSV UTF-8" writes one) is no part of the first column's name:
    # pandas and pyarrow skip it too, so every reader names the columns alike.
    lines = text.removeprefix("\ufeff").splitlines()
    if not lines or not lines[0].strip():
        raise InputError(f"{path}: the file is empty; expected a header row and at least one data row")
    return lines[0]


def separator_of(first_line: str) -> str:
    """Comma, semicolon or tab when the header holds one, else runs of spaces (``\\s+``), else comma."""
    for sep in (",", ";", "\t"):
        if sep in first_line:
            return sep
    return r"\s+" if " " in first_line.strip() else ","


def is_parquet(path: Path) -> bool:
    """Whether ``read_table`` reads ``path`` as Parquet: by its suffix, or its first bytes (``PAR1``);
    False for a file that cannot be opened (``read_table`` says why)."""
    if path.suffix.lower() in _PARQUET:
        return True
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"PAR1"
    except OSError:
        return False


def decode_parquet(path: Path) -> Any:
    """A Parquet file decoded to an Arrow table (``pyarrow.Table``), straight from the mapped file, without
    pandas: what ``read_table`` converts. The decoding runs outside the GIL, on pyarrow's threads, so
    ``lucidscore train`` starts it on a thread of its own while its main thread imports pandas."""
    import pyarrow.parquet as pq

    return pq.read_table(path, memory_map=True, use_pandas_metadata=True)


def parquet_frame(table: Any) -> pd.DataFrame:
    """A decoded Parquet file as ``pandas.read_parquet(engine="pyarrow")`` makes it (pandas 3.1 with
    pyarrow 26: ``to_pandas`` without a type mapper, the frame's attrs from ``PANDAS_ATTRS``), one pandas
    block per column handed over without a copy, each Arrow column freed as it is converted: the same
    values and dtypes as one 2-d block of every column copied, without its 0.3-0.9 CPU-s of page faults
    on 1,000,000 rows x 24 columns of a loaded machine. ``table`` is unusable afterwards."""
    import json

    attrs = (table.schema.metadata or {}).get(b"PANDAS_ATTRS")  # before: the table is unusable after
    frame: pd.DataFrame = table.to_pandas(split_blocks=True, self_destruct=True)
    if attrs is not None:
        frame.attrs = json.loads(attrs)
    return frame


def read_table(path: str | Path, decoded: Callable[[], Any] | None = None) -> pd.DataFrame:
    """Read a CSV (comma, semicolon, tab or space separated, with a header row) or Parquet file.

    ``decoded``: for a Parquet file, a call that returns ``decode_parquet(path)`` (or raises as it does),
    when the decoding was started earlier; it is called after the checks below.

    Raises ``InputError`` naming the file for a missing, empty, binary or unreadable file.
    """
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file; expected a CSV or Parquet file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory; expected a CSV or Parquet file")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: the file is empty; expected a header row and at least one data row")
    suffix = p.suffix.lower()
    with p.open("rb") as fh:
        magic = fh.read(4)
    if suffix in _PARQUET or magic == b"PAR1":
        try:
            frame = parquet_frame(decode_parquet(p) if decoded is None else decoded())
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise InputError(
                f"{p}: not a readable Parquet file ({exc}); expected a CSV or Parquet file"
            ) from None
    else:
        if suffix not in _CSV and suffix:
            # Unknown suffix: still try CSV, but a binary file is refused by the sniffer.
            pass
        sep = separator_of(header_line(p))
        try:
            header = pd.read_csv(p, sep=sep, header=None, nrows=1, dtype=str).iloc[0].astype(str).str.strip()
            refuse_duplicate_names(p, header.tolist())
            with warnings.catch_warnings(record=True) as caught:
                # Not ``index_col=None``'s guess, which takes a first data row's surplus field for an index
                # column's and shifts every column: pandas warns of the surplus instead.
                warnings.simplefilter("always", pd.errors.ParserWarning)
                frame = pd.read_csv(p, sep=sep, engine="c", low_memory=False, index_col=False)
            warned = [w for w in caught if issubclass(w.category, pd.errors.ParserWarning)]
            if warned:
                raise pd.errors.ParserError(str(warned[0].message))
        except UnicodeDecodeError:
            raise bad_utf8_error(p) from None
        except pd.errors.ParserError as exc:
            raised = ragged_row_error(p, sep) if len(sep) == 1 else None
            raise raised or not_well_formed(p, exc) from None
        except pd.errors.EmptyDataError:
            raise InputError(
                f"{p}: the file is empty; expected a header row and at least one data row"
            ) from None
    if frame.shape[1] == 0 or frame.shape[0] == 0:
        raise no_data_rows(p)
    frame.attrs[FIRST_ROW] = 1 if suffix in _PARQUET or magic == b"PAR1" else 2  # a CSV's header is row 1
    frame.columns = [str(c).strip() for c in frame.columns]
    refuse_duplicate_names(p, list(frame.columns))
    return frame


def not_well_formed(path: str | Path, exc: Exception) -> InputError:
    """The error for a CSV file pandas' parser refuses (``exc``, its ``ParserError``), in every reader's
    words."""
    return InputError(f"{path}: not a well-formed CSV file ({str(exc).strip()})")


def no_data_rows(path: str | Path) -> InputError:
    """The error for a table with a header and no data row, in every reader's words."""
    return InputError(f"{path}: the file has no data rows; expected a header row and at least one data row")


def refuse_duplicate_names(path: str | Path, names: list[str]) -> None:
    """Refuse a table (``path``: its file, or what names it in the message) whose column names (as read)
    hold one name more than once, naming each such name."""
    dupes = sorted(name for name, n in Counter(names).items() if n > 1)
    if dupes:
        raise InputError(
            f"{path}: column name(s) {', '.join(dupes)} appear more than once; expected unique names"
        )


def csv_columns(path: Path, sep: str) -> list[str]:
    """The column names ``read_table`` gives a CSV file whose separator is ``sep`` (pandas' names, such as
    ``Unnamed: 2`` for an empty one, stripped), from its header row alone, refusing a name given twice as
    ``read_table`` does: for readers other than pandas (``sparktable``)."""
    import pandas as pd

    try:
        header = pd.read_csv(path, sep=sep, header=None, nrows=1, dtype=str).iloc[0].astype(str).str.strip()
        refuse_duplicate_names(path, header.tolist())
        names = [str(c).strip() for c in pd.read_csv(path, sep=sep, nrows=0).columns]
    except UnicodeDecodeError:
        raise bad_utf8_error(path) from None
    except pd.errors.ParserError as exc:
        raise not_well_formed(path, exc) from None
    except pd.errors.EmptyDataError:
        raise InputError(
            f"{path}: the file is empty; expected a header row and at least one data row"
        ) from None
    refuse_duplicate_names(path, names)
    return names


def write_table(frame: pd.DataFrame, path: str | Path) -> Path:
    """Write Parquet (or CSV when the suffix says so) atomically: a temporary file, then a rename."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_sibling(p)
    if p.suffix.lower() == ".csv":
        frame.to_csv(tmp, index=False)
    else:
        frame.to_parquet(tmp, index=False)
    tmp.replace(p)
    return p
