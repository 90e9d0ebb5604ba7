"""read_table: every unusable file gets one line naming the file and what was expected."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lucidscore.errors import FIRST_ROW, InputError
from lucidscore.tabular import decode_parquet, first_bad_utf8, is_parquet, read_table, write_table


def test_reads_comma_and_space_separated(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x,y\n1,2\n3,4\n")
    (tmp_path / "b.data").write_text("x y\n1 2\n3 4\n")
    for name in ("a.csv", "b.data"):
        frame = read_table(tmp_path / name)
        assert list(frame.columns) == ["x", "y"]
        assert frame["y"].tolist() == [2, 4]


def test_parquet_round_trip_is_atomic(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1.5, None], "b": ["u", "v"]})
    out = write_table(frame, tmp_path / "sub" / "t.parquet")
    assert not list(out.parent.glob(".*tmp"))
    pd.testing.assert_frame_equal(read_table(out), frame)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"x,y\n", "no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not UTF-8|looks binary"),
        (b"x,x\n1,2\n", "appear more than once"),
    ],
)
def test_bad_files_are_named(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        read_table(path)
    assert str(path) in str(info.value)


def _workbook() -> bytes:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("scores.xlsx", _workbook(), 'an Excel workbook (.xlsx): save the sheet as "CSV UTF-8"'),
        ("scores.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "Excel 97-2003 workbook (.xls)"),
        ("scores.csv.gz", gzip.compress(b"x,bad\n1,0\n", mtime=0), "gzip-compressed file: decompress"),
    ],
    ids=["xlsx", "xls", "gzip"],  # the same names on every xdist worker (the bytes hold timestamps)
)
def test_a_workbook_or_archive_is_named_as_one(tmp_path: Path, name: str, content: bytes, said: str) -> None:
    """What people hand over instead of a CSV is named, with what to do, by ``train``'s reader and the
    scorer's alike (it was "looks binary but is not Parquet")."""
    from lucidscore.score._chunks import open_source

    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as trained:
        read_table(path)
    with pytest.raises(InputError) as scored:
        open_source(path)
    assert trained.value.message == scored.value.message
    assert trained.value.message.startswith(f"{path}: ") and said in trained.value.message
    assert trained.value.message.endswith("; expected a CSV or Parquet file")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a directory"):
        read_table(tmp_path)


def test_damaged_parquet(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_table(path)


def _table(rows: int) -> bytes:
    return b"name,amount,status\n" + b"".join(b"caf\xc3\xa9 %d,%d.5,ok\n" % (i, i) for i in range(rows))


def _chunks(path: Path) -> list[pd.DataFrame]:
    from lucidscore.score._chunks import iter_chunks, open_source

    return list(iter_chunks(open_source(path), ["amount"], ["name"], [], chunk_rows=1000, block_bytes=4096))


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(1, 9000), where=st.floats(0.0, 1.0), byte=st.sampled_from([0xFF, 0xFE, 0xC3, 0x80]))
def test_a_byte_that_is_not_utf8_is_named_by_row_wherever_it_is(
    tmp_path_factory: pytest.TempPathFactory, rows: int, where: float, byte: int
) -> None:
    """Training, scoring and evaluating read the same way: a bad byte anywhere, also past the first 64 KB
    the header check reads, is one error naming the row (a CSV's line) and the byte; never a traceback."""
    data = bytearray(_table(rows))
    lines = data.split(b"\n")
    row = 2 + min(int(where * rows), rows - 1)  # a data row (the header is row 1)
    line = lines[row - 1]
    at = line.index(b",") + 1  # the first byte of the amount field
    lines[row - 1] = line[:at] + bytes([byte]) + line[at + 1 :]
    path = tmp_path_factory.mktemp("utf8") / "t.csv"
    path.write_bytes(b"\n".join(lines))
    assert first_bad_utf8(path) == (row, at + 1, byte)
    expected = f"t.csv row {row}: byte {at + 1} of the line (0x{byte:02x}) is not UTF-8"
    with pytest.raises(InputError, match=re.escape(expected)):
        read_table(path)
    with pytest.raises(InputError, match=re.escape(expected)):
        _chunks(path)


def test_a_character_cut_by_the_header_check_is_not_an_error(tmp_path: Path) -> None:
    """The header check reads 64 KB: a two-byte character across that edge is whole in the file."""
    header = b"note,y\n"
    filler = b"x" * (64 * 1024 - len(header) - 1)
    path = tmp_path / "t.csv"
    path.write_bytes(header + filler + b"\xc3\xa9,1\n")
    assert first_bad_utf8(path) is None
    assert read_table(path)["note"].iloc[0] == "x" * len(filler) + "é"


@pytest.mark.parametrize("extra", [b",surplus", b",,"])
def test_a_row_with_more_fields_than_the_header_is_named_not_cut(tmp_path: Path, extra: bytes) -> None:
    """Scoring read a row of 4 fields under a 3-field header and dropped the 4th without a word."""
    lines = _table(300).split(b"\n")
    lines[150] += extra
    path = tmp_path / "t.csv"
    path.write_bytes(b"\n".join(lines))
    expected = f"t.csv row 151: found {3 + extra.count(b',')} fields; expected 3, as in the header row"
    with pytest.raises(InputError, match=re.escape(expected)):
        read_table(path)
    with pytest.raises(InputError, match=re.escape(expected)):
        _chunks(path)


def test_a_row_with_fewer_fields_has_its_last_values_missing_in_both_readers(tmp_path: Path) -> None:
    lines = _table(300).split(b"\n")
    lines[150] = lines[150].split(b",")[0]  # the name only
    path = tmp_path / "t.csv"
    path.write_bytes(b"\n".join(lines))
    for frame in (read_table(path), pd.concat(_chunks(path), ignore_index=True)):
        assert len(frame) == 300
        assert frame["name"].iloc[149] == "café 149"
        assert pd.isna(frame["amount"].iloc[149])
        assert frame["amount"].drop(index=149).notna().all()


_PIECES = [b"a", b"\n", b",", "é".encode(), "€".encode(), "😀".encode(), b"\xff", b"\x80", b"\xc3"]


@settings(max_examples=300, deadline=None)
@given(pieces=st.lists(st.sampled_from(_PIECES), max_size=40), block=st.integers(1, 9))
def test_the_first_bad_byte_is_found_whatever_the_blocks_cut(
    tmp_path_factory: pytest.TempPathFactory, pieces: list[bytes], block: int
) -> None:
    """Read in blocks (here of 1-9 bytes, so characters and lines straddle them), the position is the one
    decoding the whole file at once reports: line, byte of the line, the byte."""
    data = b"".join(pieces)
    path = tmp_path_factory.mktemp("blocks") / "t.csv"
    path.write_bytes(data)
    try:
        data.decode("utf-8")
        expected = None
    except UnicodeDecodeError as exc:
        start = data.rfind(b"\n", 0, exc.start) + 1
        expected = (data.count(b"\n", 0, exc.start) + 1, exc.start - start + 1, data[exc.start])
    assert first_bad_utf8(path, block=block) == expected


def test_a_bad_byte_in_a_space_separated_table_is_named_too(tmp_path: Path) -> None:
    rows = [b"name amount status"] + [b"caf\xc3\xa9_%d %d.5 ok" % (i, i) for i in range(3000)]
    rows[2001] = rows[2001].replace(b"caf", b"\xffaf", 1)
    path = tmp_path / "t.data"
    path.write_bytes(b"\n".join(rows) + b"\n")
    expected = "t.data row 2002: byte 1 of the line (0xff) is not UTF-8"
    with pytest.raises(InputError, match=re.escape(expected)):
        read_table(path)
    with pytest.raises(InputError, match=re.escape(expected)):
        _chunks(path)


@settings(max_examples=30, deadline=None)
@given(
    columns=st.lists(
        st.tuples(
            st.sampled_from(["float", "int", "text", "bool"]),
            st.lists(st.booleans(), min_size=1, max_size=1),
        ),
        min_size=1,
        max_size=5,
    ),
    rows=st.integers(1, 60),
    seed=st.integers(0, 2**16),
    attrs=st.booleans(),
)
def test_a_parquet_file_decoded_earlier_reads_as_pandas_reads_it(
    tmp_path_factory: pytest.TempPathFactory,
    columns: list[tuple[str, list[bool]]],
    rows: int,
    seed: int,
    attrs: bool,
) -> None:
    """``train`` decodes a Parquet file on a thread while pandas is imported, then ``read_table``
    converts it: the frame is ``pandas.read_parquet``'s, values, dtypes, order and attrs, whichever way."""
    import numpy as np

    rng = np.random.default_rng(seed)
    data: dict[str, object] = {}
    for j, (kind, (gaps,)) in enumerate(columns):
        missing = rng.random(rows) < (0.3 if gaps else 0.0)
        if kind == "float":
            values = rng.normal(size=rows)
            values[missing] = np.nan
            data[f"c{j}"] = values
        elif kind == "int":
            data[f"c{j}"] = pd.array(
                [None if m else int(v) for m, v in zip(missing, rng.integers(-9, 9, rows), strict=True)],
                dtype="Int64" if gaps else "int64",
            )
        elif kind == "text":
            data[f"c{j}"] = [
                None if m else f"v{v}" for m, v in zip(missing, rng.integers(0, 4, rows), strict=True)
            ]
        else:
            data[f"c{j}"] = rng.random(rows) < 0.5
    frame = pd.DataFrame(data)
    if attrs:
        frame.attrs = {"source": "bureau", "n": rows}
    path = tmp_path_factory.mktemp("pq") / "t.parquet"
    frame.to_parquet(path, index=False)
    expected = pd.read_parquet(path, engine="pyarrow")
    expected.attrs[FIRST_ROW] = 1
    for got in (read_table(path), read_table(path, decoded=lambda: decode_parquet(path))):
        pd.testing.assert_frame_equal(got, expected)
        assert got.attrs == expected.attrs


def test_a_damaged_parquet_decoded_earlier_is_named(tmp_path: Path) -> None:
    """The decoding's error reaches ``read_table``'s one line naming the file; the file's own checks
    (missing, empty) come first, whatever the decoding found."""
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")
    assert is_parquet(path) and is_parquet(path.with_suffix(".bin")) is False
    with pytest.raises(InputError, match=re.escape(f"{path}: not a readable Parquet file")):
        read_table(path, decoded=lambda: decode_parquet(path))
    empty = tmp_path / "e.parquet"
    empty.write_bytes(b"")
    with pytest.raises(InputError, match="the file is empty"):
        read_table(empty, decoded=lambda: decode_parquet(empty))


def test_train_names_a_damaged_parquet_file(tmp_path: Path) -> None:
    """``lucidscore train`` decodes a Parquet file on a thread of its own: a damaged one is still one line
    naming the file, not a traceback."""
    from typer.testing import CliRunner

    from lucidscore.cli.main import app

    path = tmp_path / "applicants.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 64 + b"PAR1")
    result = CliRunner(env={"COLUMNS": "200"}).invoke(
        app, ["train", str(path), "--target", "bad", "--out", str(tmp_path / "m.json")]
    )
    assert result.exit_code != 0
    # The CLI's main prints an InputError as one line (tests/cli/test_main.py); here it is the exception.
    assert isinstance(result.exception, InputError)
    assert str(result.exception).startswith(f"{path}: not a readable Parquet file")


def test_the_missing_words_are_the_readers_defaults() -> None:
    """``NA_WORDS``, which other readers of a training CSV treat as missing, are pandas' default
    ``na_values`` (what ``read_table`` reads as missing); ``ARROW_NA_WORDS`` are pyarrow's, with which the
    local scorer reads text columns."""
    import pyarrow.csv as pacsv
    from pandas._libs.parsers import STR_NA_VALUES  # type: ignore[import-not-found]

    from lucidscore.score._chunks import ARROW_NA_WORDS
    from lucidscore.tabular import NA_WORDS

    assert NA_WORDS == STR_NA_VALUES
    assert set(pacsv.ConvertOptions().null_values) == ARROW_NA_WORDS


@settings(max_examples=300, deadline=None)
@given(text=st.text(alphabet=" \t\x0b\x0c\r+-.0123456789eEinfINFtyTYrsuFalS", max_size=9))
@example(text="tRue")
@example(text="FALSE")
@example(text=" 1 ")
@example(text=" inf")
def test_the_spark_readers_patterns_type_a_cell_as_pandas_does(text: str) -> None:
    """``sparktable``'s patterns (Java's reading of them is Python's) say of a cell what pandas' CSV reader
    makes of it: a whole number, another number, true or false, or text."""
    import io

    from lucidscore.sparktable import INTEGER, NUMBER
    from lucidscore.tabular import NA_WORDS

    if text in NA_WORDS:
        return
    kind = pd.read_csv(io.StringIO(f'a\n"{text}"\n'))["a"].dtype.kind
    integer, number = re.search(INTEGER, text) is not None, re.search(NUMBER, text) is not None
    word = text.lower() in ("true", "false")
    assert (kind == "i", kind == "f", kind == "b") == (integer, number and not integer, word), kind


def test_a_first_row_with_more_fields_is_refused_not_taken_for_an_index(tmp_path: Path) -> None:
    """pandas took the first data row's surplus field for an index column's and shifted every column
    (``a`` held 2, ``b`` 3): refused, naming the value past the header's (a column of missing cells past the
    header's, as after a trailing separator, is dropped: ``tests/score/test_local.py``,
    ``test_fields_past_the_header_score_as_train_reads_them``)."""
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,b\n1,2,3\n4,5\n")
    expected = "t.csv row 2: found 3 fields, the last '3'; expected 2, as in the header row, or one more left"
    with pytest.raises(InputError, match=re.escape(expected)):
        read_table(path)


@pytest.mark.parametrize("trailing", [b"", b","])
def test_a_field_past_128_kib_reads_in_both_readers(tmp_path: Path, trailing: bytes) -> None:
    """Python's CSV reader, which reads a file's first rows when the scorer opens it (and every row when
    one is refused), refuses a field past 128 KiB by default, with an error naming no file; pandas and
    pyarrow read it. A trailing separator on every row too (a column past the header's)."""
    lines = _table(5).split(b"\n")
    lines[1] = b"x" * 200_000 + lines[1][lines[1].index(b",") :]
    path = tmp_path / "t.csv"
    path.write_bytes(b"\n".join([lines[0], *(line + trailing for line in lines[1:] if line)]) + b"\n")
    names = pd.concat(_chunks(path), ignore_index=True)["name"].tolist()
    assert names == read_table(path)["name"].tolist()
    assert names[0] == "x" * 200_000
