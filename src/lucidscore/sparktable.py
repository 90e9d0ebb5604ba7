"""Read a CSV file into Spark as ``tabular.read_table`` reads it with pandas, so that ``train --engine
spark`` fits on the table the local engine fits on (issue 15):

- the separator sniffed from the header row (``tabular.separator_of``): comma, semicolon (Spark's CSV
  reader), tab or runs of spaces (lines read as text and split: Spark's reader cannot split on runs of
  spaces, and skips a line of tabs, which pandas reads as a row of missing cells);
- pandas' column names (stripped; ``Unnamed: 2`` for an empty one), a name given twice refused with the
  local message;
- pandas' missing-value words (``tabular.NA_WORDS``: empty, ``NA``, ``null``, ``N/A``, ``NaN``, ``None``...)
  read as missing, in every column;
- each column typed as pandas types it, decided for every column by one aggregation (one Spark job, no
  data on the driver): only whole numbers and no missing cell, 64-bit integers; only numbers (``1.5``,
  ``1e3``, ``inf``; spaces around a number allowed), doubles; only ``true``/``false`` in any case,
  booleans, or with a missing cell the texts ``True``/``False`` (pandas then holds Python booleans, which
  read as those categories); anything else text, as written.

A quoted field holding a line break is read whole (Spark's ``multiLine``, for a file with such a line); a
row with more fields than the header, empty ones too, is refused as pandas refuses it, naming its row,
or its surplus dropped where pandas drops it (a first data row of one field more, and every such field
missing: a trailing separator; ``SURPLUS`` and ``FIELDS`` columns past the header's say what a row
holds), and a file with bytes that are not UTF-8 past the header check's 64 KiB is refused (Spark reads
them as U+FFFD: a cell holding one sends the driver to find the first); a separator inside double quotes
does not split a line of a file separated by tabs or spaces, and such a file with a line of an odd number
of double quotes (a quoted field may go on past it, which splitting lines would cut) is read by
``read_table`` on the driver (Spark's ``multiLine`` reads a file in one task too; its CSV reader cannot
split runs of spaces and skips a line of tabs): it must fit in the driver's memory. pyspark is imported
only inside functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lucidscore.errors import InputError
from lucidscore.sparkenv import literal_path
from lucidscore.tabular import (
    NA_WORDS,
    bad_utf8_error,
    csv_columns,
    first_bad_utf8,
    header_line,
    no_data_rows,
    ragged_row_error,
    read_table,
    refuse_duplicate_names,
    separator_of,
)

# What pandas' CSV reader (its C parser) reads as a number, for Spark's ``rlike`` (Java regular expressions,
# which Python reads alike: tests/test_tabular.py holds them to pandas): digits with an optional point and
# exponent, with ASCII white space around; or an infinity, with none. ``_END`` is the end of the text
# (``$`` would also match before a final line break, in Java before a final ``\r`` or ``\u2028`` too).
_SPACE = r"[ \t\n\x0b\x0c\r]*"
_END = r"(?![\s\S])"
NUMBER = (
    rf"^{_SPACE}[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?{_SPACE}{_END}"
    rf"|^[+-]?(?i:inf|infinity){_END}"
)
INTEGER = rf"^{_SPACE}[+-]?[0-9]+{_SPACE}{_END}"
_SPLIT = ("\t", r"\s+")  # separators whose lines are split here (``separator_of``'s for runs of spaces)
REPLACEMENT = "\ufffd"  # what Spark's readers make of bytes that are not UTF-8
# After a separator outside double quotes: an even number of quotes follows it on the line.
_UNQUOTED = r'(?=(?:[^"]*"[^"]*")*[^"]*$)'
# A column after the header's: a row's first field past the header's, as text (an empty one ``""``), null
# for a row of no more fields than the header; the local readers refuse such a row unless pandas drops the
# surplus (``_surplus_dropped``; the scorers' ``TableSource.surplus``). ``FIELDS``: the row's number of
# fields.
SURPLUS = "__lucid_surplus"
FIELDS = "__lucid_fields"
# Where lines are split here: whether the row's line holds an odd number of double quotes, so that a quoted
# field of it may go on past the line (``spans_lines``), when the file is read by ``read_table`` instead.
SPANS = "__lucid_spans"
# Spark's CSV reader puts a record whose number of fields is not the schema's here, as written: the one
# way to count its fields, since the reader reads an empty field as null, as it reads a missing one.
_RECORD = "__lucid_record"


def column(name: str) -> Any:
    """A Spark column by its name alone: a dot or a backtick in it is part of the name, not a path."""
    from pyspark.sql import functions as F

    return F.col("`" + name.replace("`", "``") + "`")


def positional(sdf: Any, what: str = "the Spark DataFrame") -> tuple[Any, dict[str, str]]:
    """``sdf`` with its columns renamed ``__lucid_in0``, ``__lucid_in1``... by position, and each
    original name's new one. ``toDF`` renames without parsing a name, so Spark SQL never reads a user's
    name afterwards: a dot in it is not a struct path, a backtick not a quote, and ``X`` and ``x`` stay
    two columns even in a session that compares names ignoring case (``spark.sql.caseSensitive``). A
    name given twice is refused (``what`` names the table in the message)."""
    names = [str(n) for n in sdf.columns]
    refuse_duplicate_names(what, names)
    inner = {n: f"__lucid_in{j}" for j, n in enumerate(names)}
    return sdf.toDF(*inner.values()), inner


def select_exactly(sdf: Any, names: list[str], what: str = "the Spark DataFrame") -> Any:
    """The columns ``names`` of ``sdf``, in that order, each found by its exact name (``positional``):
    not parsed as a path, and told from a name that differs only in case. They are named
    ``__lucid_in0``, ``__lucid_in1``... by their place in ``names``, since ``mapInPandas`` too reads its
    input's columns by name: the function it runs names a batch's columns ``names`` again
    (``batch.set_axis(names, axis=1)``)."""
    renamed, inner = positional(sdf, what)
    return renamed.select(*[inner[n] for n in names]).toDF(*[f"__lucid_in{j}" for j in range(len(names))])


def without_na_words(name: str, words: frozenset[str] = NA_WORDS) -> Any:
    """The text column ``name`` with each of ``words`` (by default pandas' missing-value words) null."""
    from pyspark.sql import functions as F

    cell = column(name)
    return F.when(cell.isin(*sorted(words)), F.lit(None)).otherwise(cell)


def read_csv(spark: Any, path: Path) -> Any:
    """``path``, a CSV file with a header row, as a Spark DataFrame holding the columns, the values and the
    column types that ``read_table`` gives it (module docstring), after one Spark job that types the
    columns. An empty or binary file, a column name given twice and a file without data rows are refused
    with ``read_table``'s messages.

    >>> read_csv(local_session(), Path("applicants.csv")).dtypes  # doctest: +SKIP
    [('default', 'bigint'), ('x1', 'double'), ('cat', 'string')]
    """
    from pyspark.sql import functions as F

    sep = separator_of(header_line(path))
    names = csv_columns(path, sep)
    if sep in _SPLIT:
        raw, spans = split_lines(spark, path, sep, names), column(SPANS)
    else:
        raw, spans = csv_fields(spark, path, sep, names), F.lit(False)
    text = raw.select(
        *[without_na_words(n).alias(n) for n in names], column(SURPLUS), column(FIELDS), spans.alias(SPANS)
    )
    kinds = _kinds(text, names, path, sep)
    if kinds is None:
        # A quoted field may hold a line break, which splitting lines would cut: a file separated by tabs
        # or spaces then goes through ``read_table`` on the driver (read in one task by Spark's
        # ``multiLine`` too; Spark's CSV reader cannot split runs of spaces, and skips a line of tabs).
        return driver_frame(spark, read_table(path))
    return text.select(*[_typed(n, kinds[n]).alias(n) for n in names])


def driver_frame(spark: Any, frame: Any) -> Any:
    """``frame``, as ``read_table`` gives it (pandas), as a Spark DataFrame of the columns and values
    ``read_csv`` gives such a file: integers as longs, floats as doubles (NaN null, as a missing cell),
    booleans as booleans, a text column as text (``True``/``False`` for pandas' booleans in a column with
    a missing cell, as ``_typed``'s ``boolean text``), missing null."""
    import pandas as pd
    from pyspark.sql import types as T

    fields, cells = [], {}
    for j, name in enumerate(frame.columns):
        values = frame[name]
        kind = values.dtype.kind
        spark_type = {"i": T.LongType(), "u": T.LongType(), "f": T.DoubleType(), "b": T.BooleanType()}.get(
            kind, T.StringType()
        )
        if kind in "iub":
            cells[j] = values.astype(object)
        elif kind == "f":
            cells[j] = values.astype(object).where(values.notna(), None)
        else:
            cells[j] = values.map(
                lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v)
            )
        fields.append(T.StructField(str(name), spark_type, True))
    rows = pd.DataFrame(cells).astype(object) if cells else pd.DataFrame()
    return spark.createDataFrame(rows.set_axis([f.name for f in fields], axis=1), T.StructType(fields))


def spans_lines(spark: Any, path: Path) -> bool:
    """Whether a quoted field of ``path`` may hold a line break: a line with an odd number of double
    quotes (a quoted field's own quotes are doubled, so a line that closes every quote it opens holds an
    even number). One Spark job over the file's lines, in parallel, ending at the first such line found:
    a large file whose quoted fields keep to their lines is still read in parallel, not in one task."""
    from pyspark.sql import functions as F

    lines = spark.read.text(literal_path(path))
    quotes = F.length("value") - F.length(F.regexp_replace("value", '"', ""))
    return bool(lines.filter(quotes % 2 == 1).take(1))


def surplus_refusal(path: Path, sep: str) -> InputError:
    """The local reader's refusal of ``path``, a CSV file with a row of more fields than its header: the
    row named as ``tabular.ragged_row_error`` names it, else as ``read_table`` refuses the file."""
    raised = ragged_row_error(path, sep) if len(sep) == 1 else None
    if raised is not None:
        return raised
    try:
        read_table(path)
    except InputError as exc:
        return exc
    return InputError(f"{path}: a row holds more fields than the header row; expected one field per column")


def csv_fields(spark: Any, path: Path, sep: str, names: list[str]) -> Any:
    """Every field as text, named ``names``, then ``SURPLUS`` and ``FIELDS``, by Spark's CSV reader: the
    header row skipped, a doubled quote inside a quoted field read as one quote and a quoted field holding
    a line break read whole (``multiLine``, which reads the file in one task: only for a file with a line
    of an odd number of quotes, ``spans_lines``), as pandas reads them, nothing else converted.

    The reader reads an empty field as null, as it reads a field a short row lacks, and drops the fields
    of a long row past the schema's: a row whose number of fields is not the header's is kept as written
    (its ``_RECORD``, Spark's corrupt-record column; only such rows pay for it), and its fields are
    counted there, splitting at a separator outside double quotes."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    schema = StructType([StructField(n, StringType(), True) for n in [*names, _RECORD]])
    # Without column pruning (the reader's ``columnPruning`` option): a query of a few columns would
    # have the reader split only those, and count only those as the row's fields.
    read = spark.read.option("columnPruning", False).csv(
        literal_path(path),
        schema=schema,
        header=True,
        enforceSchema=True,
        sep=sep,
        escape='"',
        multiLine=spans_lines(spark, path),
        mode="PERMISSIVE",
        columnNameOfCorruptRecord=_RECORD,
    )
    record = F.col(_RECORD)
    parts = _split(record, "\\" + sep)
    fields = F.when(record.isNull(), F.lit(len(names))).otherwise(F.size(parts))
    surplus = F.when(fields > len(names), _unquoted(F.get(parts, len(names))))
    return read.select(*[column(n) for n in names], surplus.alias(SURPLUS), fields.alias(FIELDS))


def _split(value: Any, at: str) -> Any:
    """The text column ``value`` split at the pattern ``at`` where it is outside double quotes."""
    from pyspark.sql import functions as F

    # The look-ahead for quotes scans the rest of the text at every separator: only texts holding a quote
    # pay for it.
    return F.when(value.contains('"'), F.split(value, at + _UNQUOTED)).otherwise(F.split(value, at))


def split_lines(spark: Any, path: Path, sep: str, names: list[str]) -> Any:
    """Every field of a file separated by tabs (``sep`` ``"\\t"``) or by runs of spaces (``r"\\s+"``) as
    text, named ``names``, then ``SURPLUS`` and ``FIELDS``: each line after the header (the first line of
    the first partition) split as pandas splits it (not at a separator inside double quotes), a missing
    field null, a field wholly in double quotes unquoted. Spark's CSV reader
    cannot split on runs of spaces, and skips a line of tabs, which pandas (and pyarrow) read as a row of
    missing cells; pandas skips an empty line and (but for a line of tabs) one of white space only."""
    from pyspark.sql import functions as F

    lines = spark.read.text(literal_path(path)).filter(F.monotonically_increasing_id() != 0)
    if sep == "\t":
        body = lines.filter(~F.col("value").rlike(r"^[ \r]*$"))
        at = "\t"
    else:
        trimmed = F.regexp_replace(F.col("value"), r"^[ \t\r]+|[ \t\r]+$", "")
        body = lines.select(trimmed.alias("value")).filter(F.col("value") != "")
        at = r"[ \t]+"
    value = F.col("value")
    parts = _split(value, at)
    surplus = _unquoted(F.get(parts, len(names))).alias(SURPLUS)
    fields = F.size(parts).alias(FIELDS)
    spans = ((F.length(value) - F.length(F.regexp_replace(value, '"', ""))) % 2 == 1).alias(SPANS)
    cells = [_unquoted(F.get(parts, j)).alias(n) for j, n in enumerate(names)]
    return body.select(*cells, surplus, fields, spans)


def _unquoted(field: Any) -> Any:
    """A field wholly in double quotes without them, a doubled quote inside as one, as pandas reads it."""
    from pyspark.sql import functions as F

    inner = F.regexp_replace(F.regexp_extract(field, r'^"(.*)"$', 1), '""', '"')
    return F.when(field.rlike(r'^".*"$'), inner).otherwise(field)


def _kinds(text: Any, names: list[str], path: Path, sep: str) -> dict[str, str] | None:
    """How pandas types each of ``names`` (text columns, missing words null): ``long``, ``double``,
    ``boolean``, ``boolean text`` or ``string``, from counts of one aggregation; a file without data rows
    or with a row of more fields than the header that pandas refuses (``SURPLUS``, ``_surplus_dropped``),
    or bytes that are not UTF-8 (Spark reads
    them as U+FFFD; a cell holding one sends the driver to find the first, ``first_bad_utf8``: a U+FFFD
    written in UTF-8 is text) is refused as ``read_table`` refuses it. None when a line split here holds an
    odd number of double quotes (``SPANS``): its fields may go on past it."""
    from pyspark.sql import functions as F

    replaced = F.lit(False)
    for n in names:
        replaced = replaced | F.coalesce(column(n).contains(REPLACEMENT), F.lit(False))
    aggs = [
        F.count(F.lit(1)).alias("rows"),
        F.count(F.when(column(SPANS), 1)).alias("spans"),
        F.count(column(SURPLUS)).alias("surplus"),
        F.count(F.when(~column(SURPLUS).isin(*sorted(NA_WORDS)), 1)).alias("kept"),
        F.max(column(FIELDS)).alias("widest"),
        F.count(F.when(replaced, 1)).alias("replaced"),
    ]
    for j, n in enumerate(names):
        cell = column(n)
        present = cell.isNotNull()
        aggs += [
            F.count(cell).alias(f"present{j}"),
            F.count(F.when(present & ~cell.rlike(NUMBER), 1)).alias(f"text{j}"),
            F.count(F.when(present & (~cell.rlike(INTEGER) | cell.try_cast("long").isNull()), 1)).alias(
                f"fraction{j}"
            ),
            F.count(F.when(present & ~F.lower(cell).isin("true", "false"), 1)).alias(f"word{j}"),
        ]
    counts = text.agg(*aggs).first()
    if int(counts["spans"]):
        return None
    rows = int(counts["rows"])
    if rows == 0:
        raise no_data_rows(path)
    if int(counts["surplus"]) and not _surplus_dropped(text, names, counts):
        raise surplus_refusal(path, sep)
    if int(counts["replaced"]) and first_bad_utf8(path) is not None:
        raise bad_utf8_error(path)  # pandas cannot decode the file (read_table's refusal)
    kinds: dict[str, str] = {}
    for j, n in enumerate(names):
        full = int(counts[f"present{j}"]) == rows  # pandas turns a column with a missing cell to floats
        if int(counts[f"text{j}"]) == 0:  # every present cell a number (or none present: all NaN)
            kinds[n] = "long" if full and int(counts[f"fraction{j}"]) == 0 else "double"
        elif int(counts[f"word{j}"]) == 0:
            kinds[n] = "boolean" if full else "boolean text"
        else:
            kinds[n] = "string"
    return kinds


def _surplus_dropped(text: Any, names: list[str], counts: Any) -> bool:
    """Whether ``read_table`` reads a file whose rows hold fields past the header's without them (``text``
    and ``counts``: ``_kinds``'). Under its ``index_col=False``, pandas gives the table one column past the
    header's when the first data row has one field more (a row of still more fields is refused), then
    drops that column if every cell of it is missing (a missing-value word, empty, or absent): a trailing
    separator on the first row, and on any others."""
    if int(counts["kept"]) or int(counts["widest"]) != len(names) + 1:
        return False
    # The first data row: the first of the first partition, which begins the file. A name's column rides
    # along since Spark refuses a query of the corrupt-record column alone (``FIELDS`` is read from it).
    first = text.select(column(names[0]), column(FIELDS)).first()
    return first is not None and int(first[1]) == len(names) + 1


def _typed(name: str, kind: str) -> Any:
    """The text column ``name`` converted to ``kind`` (``_kinds``)."""
    from pyspark.sql import functions as F

    cell = column(name)
    if kind in ("long", "double"):
        return cell.cast(kind)
    if kind == "boolean":
        return F.lower(cell) == "true"
    if kind == "boolean text":
        return F.when(F.lower(cell) == "true", "True").when(F.lower(cell) == "false", "False")
    return cell
