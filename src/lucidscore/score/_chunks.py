"""Read the columns a model needs from a CSV or Parquet file, chunk by chunk (pyarrow where it can)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from lucidscore.errors import FIRST_ROW, InputError, absent
from lucidscore.tabular import (
    NA_WORDS,
    bad_utf8_error,
    first_rows,
    header_line,
    not_well_formed,
    ragged_row_error,
    separator_of,
    surplus_kept,
)

CHUNK_ROWS = 250_000  # Parquet batches and pandas fallbacks
BLOCK_BYTES = 16 << 20  # pyarrow CSV blocks
_PARQUET = {".parquet", ".pq"}
# The cells pyarrow's CSV reader reads as missing in a text column (its default ``null_values``): pandas'
# words but two. A numeric column reads pandas' all: a cell pyarrow cannot read as a number (``None``)
# sends the rest of the file to pandas (``_csv_chunks``).
ARROW_NA_WORDS = NA_WORDS - {"None", "<NA>"}


@dataclass(frozen=True)
class TableSource:
    """A data file, its header and its format; ``total_rows`` is known for Parquet only. ``surplus``: a
    CSV file whose first data row holds one field more than the header (a trailing separator, say), whose
    column past the header's ``read_table`` reads, and drops when every cell of it is missing
    (``tabular.surplus_kept``): read here too, each cell checked, never scored."""

    path: Path
    columns: list[str]
    kind: str  # "parquet", "csv" (pyarrow) or "whitespace" (pandas)
    separator: str = ","
    total_rows: int | None = None
    surplus: bool = False


def open_source(path: str | Path) -> TableSource:
    """Look at a file's header (no data read yet); raise ``InputError`` for what cannot be read."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: {absent(p)}; expected a CSV or Parquet file")
    if p.stat().st_size == 0:
        raise InputError(f"{p}: the file is empty; expected a header row and at least one data row")
    with p.open("rb") as fh:
        magic = fh.read(4)
    if p.suffix.lower() in _PARQUET or magic == b"PAR1":
        try:
            meta = pq.ParquetFile(p)
        except Exception as exc:  # pyarrow raises several types for a damaged file
            raise InputError(
                f"{p}: not a readable Parquet file ({exc}); expected a CSV or Parquet file"
            ) from None
        return TableSource(p, list(meta.schema_arrow.names), "parquet", total_rows=meta.metadata.num_rows)
    first = header_line(p)
    sep = separator_of(first)
    if sep == r"\s+":
        return TableSource(p, first.split(), "whitespace", " ")
    columns = [c.strip().strip('"') for c in first.split(sep)]
    return TableSource(p, columns, "csv", sep, surplus=surplus_kept(p, sep))


def iter_chunks(
    source: TableSource,
    numeric: list[str],
    text: list[str],
    keep: list[str],
    chunk_rows: int = CHUNK_ROWS,
    block_bytes: int = BLOCK_BYTES,
) -> Iterator[pd.DataFrame]:
    """Frames of up to ``chunk_rows`` rows holding ``numeric`` (float64), ``text`` (strings) and ``keep``.

    Numeric columns are read as float64 by pyarrow; a cell that is not a number makes pyarrow fail, and a
    NaN spelled as pandas does not read it (``NAN``, ``+nan``: text to ``train``'s reader, numbers to
    pyarrow) stops it, and the chunk is then re-read as text so the caller's parser can name the row and
    value (docs/scoring.md, "Cells of a file"). Each frame
    records the number of the file's first data row (``errors.FIRST_ROW``: 2 in a CSV, whose header is
    row 1), so messages name rows as ``ingest`` does.
    """
    first_row = 1 if source.kind == "parquet" else 2
    for chunk in _raw_chunks(source, numeric, text, keep, chunk_rows, block_bytes):
        chunk.attrs[FIRST_ROW] = first_row
        yield chunk


def _raw_chunks(
    source: TableSource,
    numeric: list[str],
    text: list[str],
    keep: list[str],
    chunk_rows: int = CHUNK_ROWS,
    block_bytes: int = BLOCK_BYTES,
) -> Iterator[pd.DataFrame]:
    """``iter_chunks`` without the row numbering."""
    wanted = list(dict.fromkeys([*numeric, *text, *keep]))
    if source.kind == "parquet":
        pf = pq.ParquetFile(source.path)
        for batch in pf.iter_batches(batch_size=chunk_rows, columns=wanted):
            yield batch.to_pandas()
        return
    if source.kind == "whitespace":
        for chunk in whitespace_chunks(source.path, {c: "string" for c in text}, chunk_rows):
            yield chunk[wanted]
        return
    yield from _csv_chunks(source, numeric, text, wanted, chunk_rows, block_bytes)


def whitespace_chunks(path: Path, dtypes: str | dict[str, str], chunk_rows: int) -> Iterator[pd.DataFrame]:
    """A file separated by runs of spaces, every column, in frames of up to ``chunk_rows`` rows, as
    ``read_table`` reads it for ``train``: by pandas' C parser (reading only the columns wanted, with
    ``usecols``, cut a row of more fields than the header to them without a word) with ``index_col=False``
    (else a first data row of one field more made the first column an index, shifting every value one
    column left), a row of more fields than the header refused in ``read_table``'s words."""
    try:
        # Closed however the reading ends (a refused row, a caller that stops early), not left open.
        with pd.read_csv(
            path, sep=r"\s+", dtype=dtypes, chunksize=chunk_rows, engine="c", index_col=False
        ) as reader:
            while True:
                # pandas warns, rather than refuses, of a column past the header's it would drop: not all
                # missing (one that is, after a first row of one field more, it drops as ``read_table``
                # does).
                with warnings.catch_warnings():
                    warnings.simplefilter("error", pd.errors.ParserWarning)
                    chunk = next(reader, None)
                if chunk is None:
                    return
                yield chunk
    except UnicodeDecodeError:
        raise bad_utf8_error(path) from None
    except (pd.errors.ParserError, pd.errors.ParserWarning) as exc:
        raise not_well_formed(path, exc) from None


def _spelled_nan(batch: pa.RecordBatch, numeric: list[str]) -> bool:
    """Whether a numeric column of ``batch`` holds a NaN: a cell such as ``NAN``, ``+nan`` or ``Nan``, which
    pyarrow reads as the number NaN but pandas (``tabular.read_table``, and so ``train``) reads as text,
    not a number: the one rule (docs/scoring.md) refuses it. pandas' own NaN words (``NaN``, ``nan``,
    ``-nan``...) are among pyarrow's null values, read as missing before any conversion."""
    import pyarrow.compute as pc

    return any(pc.any(pc.is_nan(batch.column(name))).as_py() for name in numeric)


def _blank_line(batch: pa.RecordBatch) -> bool:
    """Whether a block of a one-column CSV file holds a text cell of spaces and tabs only: pyarrow's
    reading of a line pandas (``read_table``) skips as blank, unless its cell is quoted, which pyarrow
    cannot tell. (In a file of more columns such a line is a row of too few fields to pyarrow, which
    sends its block to pandas; in a numeric column, a cell that is not a number.)"""
    import pyarrow.compute as pc

    return any(
        pc.any(pc.match_substring_regex(values, "^[ \t]+$")).as_py()
        for values in batch.columns
        if pa.types.is_string(values.type)
    )


def _surplus_name(header: list[str]) -> str:
    """A name for the column past the header's that no column of ``header`` has."""
    name = "__lucid_surplus"
    while name in header:
        name += "_"
    return name


def _surplus_present(values: pa.Array) -> bool:
    """Whether a column past the header's, read as text, holds a cell ``read_table`` does not read as
    missing: pyarrow reads its missing words but ``None`` and ``<NA>`` as null, pandas all of
    ``NA_WORDS``."""
    import pyarrow.compute as pc

    missing = pc.or_kleene(pc.is_null(values), pc.is_in(values, value_set=pa.array(sorted(NA_WORDS))))
    return not pc.all(missing).as_py()


def _surplus_refusal(source: TableSource) -> InputError:
    """The refusal of ``source``, a value found past its header's columns: the row named as ``read_table``
    names it."""
    return ragged_row_error(source.path, source.separator) or InputError(
        f"{source.path}: a row holds a value past the header's columns; expected a field per column, or "
        "one more left empty (a trailing separator)"
    )


def _csv_chunks(
    source: TableSource,
    numeric: list[str],
    text: list[str],
    wanted: list[str],
    chunk_rows: int,
    block_bytes: int,
) -> Iterator[pd.DataFrame]:
    """The columns ``wanted`` of a CSV file, by pyarrow in blocks, else (from a block pyarrow cannot read
    as asked) by pandas. A file whose first data row holds one field more than the header
    (``source.surplus``) is read with that column too, named after the header's (pyarrow, which takes the
    number of fields a row holds from the header row, is given the names); each block's cells of it must
    be missing, as ``read_table`` requires, and the column is dropped. A block of a one-column file holding
    a line of spaces and tabs only (``_blank_line``), and the rest, go to pandas, which skips the line as
    ``read_table`` does."""
    types: dict[str, pa.DataType] = {c: pa.string() for c in wanted}
    types.update({c: pa.float64() for c in numeric})
    header = first_rows(source.path, source.separator)[0] if source.surplus else []
    extra = _surplus_name(header) if source.surplus else None
    read = pacsv.ReadOptions(block_size=block_bytes)
    if extra is not None:
        types[extra] = pa.string()
        read = pacsv.ReadOptions(block_size=block_bytes, column_names=[*header, extra], skip_rows=1)
    columns = wanted if extra is None else [*wanted, extra]
    one_column = len(source.columns) == 1
    done = 0
    try:
        reader = pacsv.open_csv(
            source.path,
            read_options=read,
            parse_options=pacsv.ParseOptions(delimiter=source.separator),
            convert_options=pacsv.ConvertOptions(
                include_columns=columns, column_types=types, strings_can_be_null=True
            ),
        )
        for batch in reader:
            if extra is not None:
                if _surplus_present(batch.column(extra)):
                    raise _surplus_refusal(source)
                batch = batch.select(wanted)
            if _spelled_nan(batch, numeric):
                break  # this batch and the rest as text, below: the caller's parser names the cell
            if one_column and _blank_line(batch):
                break  # this batch and the rest by pandas, below, which skips a blank line as ``train``
            done += batch.num_rows
            yield batch.to_pandas()
        else:
            return
    except pa.ArrowInvalid:
        pass  # a cell that is not a number, or a row of other fields than the header: below
    # Before pandas reads the rest, a row of more fields than ``read_table`` reads is named: pandas, reading
    # only the columns wanted (``usecols``), would drop its surplus without a word, and ``train`` refuses
    # the file for it before any cell's value (one pass of Python's CSV reader, 0.7 s a million rows of 8
    # fields: only on this path).
    ragged = ragged_row_error(source.path, source.separator)
    if ragged is not None:
        raise ragged
    # A cell is not a number (or a NaN pyarrow reads, or a blank line pyarrow reads as a row): read the rest
    # as text, so the caller's parser names its row and value. The file is read again from its start and
    # the ``done`` records pyarrow read are dropped: ``skiprows`` counts a blank line, which neither reader
    # takes for a record, so skipping ``done`` lines gave a record again after each blank line before the
    # block (issue 15).
    names: dict[str, Any] = {}
    if extra is not None:  # the header row's names and one past them, as pandas reads the first data row
        names = {"header": 0, "names": [*header, extra], "index_col": False}
    try:
        # Closed when the caller stops early (a cell refused), not left to the garbage collector.
        with pd.read_csv(
            source.path,
            sep=source.separator,
            usecols=columns,
            dtype="string",
            chunksize=chunk_rows,
            **names,
        ) as chunks:
            for chunk in chunks:
                if extra is not None:
                    if chunk[extra].notna().any():
                        raise _surplus_refusal(source)
                    chunk = chunk.drop(columns=extra)
                if done >= len(chunk):
                    done -= len(chunk)
                    continue
                yield chunk.iloc[done:]
                done = 0
    except UnicodeDecodeError:
        raise bad_utf8_error(source.path) from None
    except pd.errors.ParserError as exc:
        raise not_well_formed(source.path, exc) from None
