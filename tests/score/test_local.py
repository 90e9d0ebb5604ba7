"""The local batch engine: chunked reading, one output row per input row, atomic Parquet output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from lucidscore.artifact import Characteristic, ScorecardArtifact, Segment, parse_numbers
from lucidscore.errors import InputError, ModelFileError
from lucidscore.score import ROW_COLUMN, score_file, score_frame
from lucidscore.score._chunks import iter_chunks, open_source
from lucidscore.tabular import read_table
from tests.score.cards import artifact, checking, tenure, two_cards


def applicants(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    data = pd.DataFrame(
        {
            "applicant": [f"c{i:05d}" for i in range(n)],
            "months_late": rng.integers(-1, 5, n).astype(float),
            "utilisation": rng.random(n).round(3),
            "checking": rng.choice(["A11", "A12", "A13", "A14", "A99"], n),
            "inquiries_6m": rng.integers(0, 5, n),
            "months_at_address": rng.integers(0, 60, n),
            "n_accounts": rng.integers(0, 5, n),
            "colour": "red",
        }
    )
    data.loc[::7, "months_late"] = np.nan
    data.loc[::11, "checking"] = None
    return data


@pytest.fixture
def model(tmp_path: Path) -> Path:
    return two_cards().save(tmp_path / "model.json")


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """Categoricals as objects and empty cells as None, to compare tables column for column."""
    out = frame.reset_index(drop=True).copy()
    for name in out.columns:
        column = out[name].astype(object)
        out[name] = column.where(out[name].notna(), None)
    return out


@pytest.mark.parametrize(
    ("suffix", "chunk_bytes"), [(".csv", 16 << 20), (".csv", 4096), (".parquet", 0), (".tsv", 0)]
)
def test_file_equals_score_frame_with_reasons_and_recourse(
    tmp_path: Path, model: Path, suffix: str, chunk_bytes: int
) -> None:
    data = applicants(500)
    path = tmp_path / f"data{suffix}"
    if suffix == ".parquet":
        data.to_parquet(path)
    else:
        data.to_csv(path, index=False, sep="\t" if suffix == ".tsv" else ",")
    summary = score_file(
        model,
        path,
        tmp_path / "out.parquet",
        reasons=4,
        progress=False,
        id_column="applicant",
        recourse=True,
        chunk_bytes=chunk_bytes or 16 << 20,
    )
    out = pd.read_parquet(tmp_path / "out.parquet")
    want = score_frame(two_cards(), data, reasons=4, recourse=True)
    assert summary.rows == 500 == len(out)
    assert out["applicant"].tolist() == data["applicant"].tolist()
    reason_columns = [
        f"reason_{j}{field}" for j in range(1, 6) for field in ("", "_code", "_characteristic", "_points")
    ]
    recourse_columns = ["recourse_target_tier", "recourse_score", "recourse_note"] + [
        f"recourse_{k}_{field}" for k in (1, 2) for field in ("characteristic", "from", "to")
    ]
    assert list(out.columns) == [
        "applicant",
        "score",
        "tier",
        "probability",
        "segment",
        *reason_columns,
        *recourse_columns,
    ]
    pd.testing.assert_frame_equal(plain(out.drop(columns=["applicant"])), plain(want), check_dtype=False)
    assert out["reason_1_points"].dropna().min() >= 1 and out["recourse_score"].notna().any()
    assert summary.extra_columns == ["colour"]
    assert sum(summary.tier_counts.values()) == 500


def test_row_numbers_without_id_and_across_chunks(tmp_path: Path, model: Path) -> None:
    data = applicants(1000)
    data.to_csv(tmp_path / "data.csv", index=False)
    out = tmp_path / "out.parquet"
    score_file(model, tmp_path / "data.csv", out, reasons=0, progress=False, chunk_bytes=4096)
    assert pq.ParquetFile(out).num_row_groups > 5  # one row group per chunk: it really ran in chunks
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert out[ROW_COLUMN].tolist() == list(range(1, 1001))
    assert out["score"].tolist() == score_frame(two_cards(), data)["score"].tolist()
    assert [c for c in out.columns if c.startswith("reason")] == []


def test_whitespace_separated_file(tmp_path: Path, model: Path) -> None:
    data = applicants(50).drop(columns=["colour"]).fillna({"checking": "A99", "months_late": 9.0})
    data.to_csv(tmp_path / "data.data", index=False, sep=" ")
    score_file(model, tmp_path / "data.data", tmp_path / "out.parquet", reasons=0, progress=False)
    out = pd.read_parquet(tmp_path / "out.parquet")
    assert out["score"].tolist() == score_frame(two_cards(), data)["score"].tolist()


@pytest.mark.parametrize("sep", [",", ";", "\t", " "])
@pytest.mark.parametrize("chunk_bytes", [16 << 20, 4096])
def test_a_byte_order_mark_is_no_part_of_the_first_column_name(
    tmp_path: Path, model: Path, sep: str, chunk_bytes: int
) -> None:
    """Excel's "CSV UTF-8" starts the file with a byte-order mark: ``train`` (pandas) read the first
    column's name without it, and ``score`` refused the file for lacking that column (its header line
    kept the mark). The model's first column comes first here."""
    data = applicants(300).drop(columns=["colour"]).fillna({"checking": "A99", "months_late": 9.0})
    data = data[["months_late", *[c for c in data.columns if c != "months_late"]]]
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + data.to_csv(index=False, sep=sep).encode())
    assert read_table(path).columns.tolist() == data.columns.tolist()  # what train reads
    assert open_source(path).columns == data.columns.tolist()
    out = tmp_path / "out.parquet"
    score_file(model, path, out, reasons=0, progress=False, chunk_bytes=chunk_bytes)
    assert pd.read_parquet(out)["score"].tolist() == score_frame(two_cards(), data)["score"].tolist()


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_is_named_as_one_by_train_and_score(tmp_path: Path, model: Path, encoding: str) -> None:
    """Excel's "Unicode Text" is UTF-16 (with a byte-order mark): both readers say so, instead of
    "looks binary"."""
    path = tmp_path / "unicode.txt"
    text = applicants(20).to_csv(index=False, sep="\t")
    path.write_bytes(("\ufeff" + text).encode(encoding) if encoding.endswith("be") else text.encode(encoding))
    want = f'{path}: UTF-16 text; expected a UTF-8 CSV (save it as "CSV UTF-8") or a Parquet file'
    for read in (lambda: read_table(path), lambda: score_file(model, path, tmp_path / "o.parquet")):
        with pytest.raises(InputError) as refused:
            read()
        assert refused.value.message == want


def test_a_number_with_a_decimal_comma_is_named_as_one(tmp_path: Path, model: Path) -> None:
    """A semicolon-separated file from a spreadsheet set to a language that writes decimal commas: the
    scorer refuses the first such number, saying what it is and how it is read."""
    data = applicants(30).drop(columns=["colour"])
    path = tmp_path / "eu.csv"
    data.to_csv(path, index=False, sep=";", decimal=",")
    with pytest.raises(InputError) as refused:
        score_file(model, path, tmp_path / "out.parquet", progress=False)
    first = str(data["utilisation"].iloc[0]).replace(".", ",")
    assert refused.value.message == (
        f"{path}: column utilisation row 2: found {first!r}; expected a number (or an empty cell for "
        "missing) (lucidscore reads neither a decimal comma nor a thousands separator: expected "
        f"{data['utilisation'].iloc[0]})"
    )
    assert not (tmp_path / "out.parquet").exists()


def test_two_runs_writing_one_output_at_once_each_finish_whole(tmp_path: Path, model: Path) -> None:
    """Two scorings of one file into one output at once (a retried job beside the first): both finish,
    and the output is one run's whole file. With one temporary name for the target, the second truncated
    and renamed the first's file from under it ("No such file or directory", or a mixture)."""
    from concurrent.futures import ThreadPoolExecutor

    data = applicants(6000)
    data.to_csv(tmp_path / "data.csv", index=False)
    out = tmp_path / "out.parquet"

    def run(_: int) -> int:
        return score_file(model, tmp_path / "data.csv", out, reasons=4, progress=False, chunk_bytes=8192).rows

    with ThreadPoolExecutor(max_workers=2) as pool:
        assert list(pool.map(run, range(4))) == [6000] * 4
    scored = pd.read_parquet(out)
    assert scored["score"].tolist() == score_frame(two_cards(), data)["score"].tolist()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temporary file left


@pytest.mark.parametrize("extra", ["9", "NA"])
def test_space_separated_first_row_of_one_field_more_reads_as_train_reads_it(
    tmp_path: Path, model: Path, extra: str
) -> None:
    """pandas took the first data row's surplus field for an index column's, shifting every value one
    column left (``months_late`` scored as ``utilisation``...): now read as ``read_table`` reads it, the
    column dropped where all missing, else refused in its words."""
    data = applicants(30).drop(columns=["colour"]).fillna({"checking": "A99", "months_late": 9.0})
    lines = data.to_csv(index=False, sep=" ").splitlines()
    lines[1] += f" {extra}"
    path = tmp_path / "data.txt"
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "out.parquet"
    if extra == "NA":
        score_file(model, path, out, reasons=0, progress=False)
        assert (
            pd.read_parquet(out)["score"].tolist()
            == score_frame(two_cards(), read_table(path))["score"].tolist()
        )
        assert read_table(path).shape == data.shape
        return
    with pytest.raises(InputError) as by_train:
        read_table(path)
    assert "Length of header or names does not match length of data" in by_train.value.message
    with pytest.raises(InputError) as by_score:
        score_file(model, path, out, progress=False)
    assert by_score.value.message == by_train.value.message


@pytest.mark.parametrize("chunk_bytes", [16 << 20, 2048])
def test_junk_cell_names_file_row_and_value_and_writes_nothing(
    tmp_path: Path, model: Path, chunk_bytes: int
) -> None:
    data = applicants(300).astype({"utilisation": object})
    data.loc[270, "utilisation"] = "n/a?"
    data.to_csv(tmp_path / "data.csv", index=False)
    out = tmp_path / "out.parquet"
    with pytest.raises(
        InputError, match=r"data.csv: column utilisation row 272: found 'n/a\?'; expected a number"
    ):
        score_file(model, tmp_path / "data.csv", out, progress=False, chunk_bytes=chunk_bytes)
    assert not out.exists()
    assert list(tmp_path.glob(".out.parquet*")) == []


def _awkward_csv(path: Path, planted: str) -> Path:
    """400 applicants with ``planted`` in utilisation at data row 352, quoted line breaks in a text column
    and a blank line (which no reader takes for a record) in the first 4 KiB block."""
    data = applicants(400).astype({"utilisation": object})
    data["colour"] = data["colour"].astype(object)
    data.loc[3, "colour"] = "dark\nred"
    data.loc[5, "colour"] = 'a "deep"\n\nred, mostly'
    data.loc[350, "utilisation"] = planted
    lines = data.to_csv(index=False).splitlines(keepends=True)
    lines.insert(20, "\n")
    path.write_text("".join(lines))
    return path


def test_fallback_block_reads_the_records_after_those_pyarrow_read(tmp_path: Path, model: Path) -> None:
    """A ``None`` word in a numeric column (missing, as ``train`` reads it) sends its 4 KiB block and the
    rest of the file to pandas: the rows are the file's records, once each, in order, blank lines and
    quoted line breaks before that block notwithstanding."""
    path = _awkward_csv(tmp_path / "data.csv", "None")
    chunks = list(iter_chunks(open_source(path), ["utilisation"], [], ["applicant"], block_bytes=4096))
    assert chunks[0]["utilisation"].dtype == np.float64  # read by pyarrow
    assert chunks[-1]["utilisation"].dtype == "string"  # the fallback
    assert pd.concat(chunks)["applicant"].tolist() == [f"c{i:05d}" for i in range(400)]
    out = tmp_path / "out.parquet"
    score_file(model, path, out, reasons=2, progress=False, chunk_bytes=4096)
    got = pd.read_parquet(out)
    want = score_frame(two_cards(), read_table(path), reasons=2)
    assert got[ROW_COLUMN].tolist() == list(range(1, 401))
    pd.testing.assert_frame_equal(plain(got.drop(columns=[ROW_COLUMN])), plain(want), check_dtype=False)


def test_fallback_block_names_the_row_train_names(tmp_path: Path, model: Path) -> None:
    path = _awkward_csv(tmp_path / "data.csv", "n/a?")
    with pytest.raises(InputError) as by_train:
        score_frame(two_cards(), read_table(path))
    assert "column utilisation row 352: found 'n/a?'" in by_train.value.message
    with pytest.raises(InputError, match=r"data.csv: column utilisation row 352: found 'n/a\?'"):
        score_file(model, path, tmp_path / "out.parquet", progress=False, chunk_bytes=4096)


_RECORDS = st.lists(
    st.tuples(
        st.one_of(st.floats(-50, 50).map(lambda x: f"{x:.3g}"), st.sampled_from(["", "7", "NA"])),
        st.text(alphabet='ab ,"\n', max_size=6),
        st.booleans(),
    ),
    min_size=1,
    max_size=60,
)
# Cells pyarrow does not read as a float64 (or reads as NaN, which pandas does not), so that their block
# and the rest of the file go to pandas: missing words, a NaN spelled otherwise, a number with spaces, junk.
_FALLBACK = st.sampled_from(["None", "<NA>", "NAN", " 2 ", "n/a?"])


@settings(max_examples=40, deadline=None)
@given(records=_RECORDS, planted=st.tuples(st.floats(0, 1), _FALLBACK), block_bytes=st.integers(32, 300))
def test_chunks_hold_pandas_records_whatever_the_blocks(
    tmp_path_factory: pytest.TempPathFactory,
    records: list[tuple[str, str, bool]],
    planted: tuple[float, str],
    block_bytes: int,
) -> None:
    """Quoted line breaks and blank lines anywhere, blocks of any size, a cell that sends its block and
    the rest to pandas anywhere: the chunks hold the file's records as pandas reads them, each once, in
    order."""
    path = tmp_path_factory.mktemp("chunks") / "data.csv"
    x = [r[0] for r in records]
    x[min(int(planted[0] * len(x)), len(x) - 1)] = planted[1]
    frame = pd.DataFrame(
        {"id": [f"r{i}" for i in range(len(records))], "x": x, "note": [r[1] for r in records]}
    )
    lines = frame.to_csv(index=False).splitlines(keepends=True)
    for i in reversed([i for i, r in enumerate(records) if r[2]]):
        lines.insert(i + 2, "\n")  # a blank line after record i
    path.write_text("".join(lines))
    want = pd.read_csv(path, dtype="string")
    got = pd.concat(list(iter_chunks(open_source(path), ["x"], ["note"], ["id"], block_bytes=block_bytes)))
    assert got["id"].tolist() == want["id"].tolist()
    assert got["note"].fillna("").tolist() == want["note"].fillna("").tolist()
    got_x, want_x = parse_numbers(got["x"]), parse_numbers(want["x"])
    np.testing.assert_array_equal(got_x[0], want_x[0])
    np.testing.assert_array_equal(got_x[1], want_x[1])


def test_missing_columns_are_named(tmp_path: Path, model: Path) -> None:
    applicants(10).drop(columns=["utilisation", "n_accounts"]).to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(
        InputError, match=r"missing column\(s\) utilisation, n_accounts that model sc-test needs"
    ):
        score_file(model, tmp_path / "data.csv", tmp_path / "out.parquet", progress=False)


def test_unknown_id_column(tmp_path: Path, model: Path) -> None:
    applicants(10).to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(InputError, match="id column customer not found"):
        score_file(
            model, tmp_path / "data.csv", tmp_path / "out.parquet", progress=False, id_column="customer"
        )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_header_only_file(tmp_path: Path, model: Path, suffix: str) -> None:
    """The scorer names a file without data rows in ``train``'s words (it said "expected at least one row
    to score", and the Spark engine named no file)."""
    path = tmp_path / f"data{suffix}"
    empty = applicants(3).iloc[:0]
    empty.to_csv(path, index=False) if suffix == ".csv" else empty.to_parquet(path)
    with pytest.raises(InputError) as trained:
        read_table(path)
    with pytest.raises(InputError) as scored:
        score_file(model, path, tmp_path / "out.parquet", progress=False)
    assert (
        scored.value.message
        == trained.value.message
        == (f"{path}: the file has no data rows; expected a header row and at least one data row")
    )


def test_edited_model_is_refused(tmp_path: Path, model: Path) -> None:
    model.write_text(model.read_text().replace('"base_points": 400', '"base_points": 450'))
    applicants(3).to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(ModelFileError, match="the file was edited after training"):
        score_file(model, tmp_path / "data.csv", tmp_path / "out.parquet", progress=False)


def test_previous_output_survives_a_failed_run(tmp_path: Path, model: Path) -> None:
    out = tmp_path / "out.parquet"
    out.write_bytes(b"previous")
    applicants(5).drop(columns=["checking"]).to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(InputError):
        score_file(model, tmp_path / "data.csv", out, progress=False)
    assert out.read_bytes() == b"previous"


# What a row holds past the header's 8 fields: nothing, one field (empty, a missing-value word pandas reads
# as missing, or a value), or two empty ones.
_PAST = st.one_of(
    st.just(None),
    st.sampled_from(["", "NA", "None", "<NA>", "nan", "#N/A N/A", '""']),
    st.sampled_from(["9", " ", "x", "n/a?"]),
    st.just("sep"),
)


@settings(max_examples=60, deadline=None)
# A ``None`` in a numeric column sends the rest to pandas, which read only the columns wanted and dropped
# the trailing separator of a later row without a word: train refuses the file.
@example(
    rows=3,
    every=None,
    changed=[(1.0, "")],
    sep=",",
    ending="\n",
    blank="",
    planted=(0.0, "None"),
    chunk_bytes=160,
)
@given(
    rows=st.integers(1, 40),
    every=st.sampled_from([None, "", "", "NA"]),
    changed=st.lists(st.tuples(st.floats(0, 1), _PAST), max_size=3),
    sep=st.sampled_from([",", ";", "\t"]),
    ending=st.sampled_from(["\n", "\r\n"]),
    blank=st.sampled_from(["", "\n", "   \n"]),
    planted=st.none() | st.tuples(st.floats(0, 1), _FALLBACK),
    chunk_bytes=st.sampled_from([160, 700, 16 << 20]),
)
def test_fields_past_the_header_score_as_train_reads_them(
    tmp_path_factory: pytest.TempPathFactory,
    rows: int,
    every: str | None,
    changed: list[tuple[float, str | None]],
    sep: str,
    ending: str,
    blank: str,
    planted: tuple[float, str] | None,
    chunk_bytes: int,
) -> None:
    """Rows holding fields past the header's (``every`` row one, a trailing separator, say, but the
    ``changed`` rows; a blank line before the first; a ``planted`` cell that sends its block and the rest
    to pandas): the local scorer scores the file where ``train``'s reader reads it, as that reader's table
    (the same file without the surplus), and refuses it where that reader refuses it, in its words (naming
    the file and row), in blocks of any size, writing nothing.
    ``read_table`` reads such a column when the first data row holds one field more than the header and
    every cell of it is missing; the rest are refused."""
    folder = tmp_path_factory.mktemp("past")
    data = applicants(rows, seed=rows).astype({"utilisation": object})
    if planted is not None:
        data.loc[min(int(planted[0] * rows), rows - 1), "utilisation"] = planted[1]
    lines = data.to_csv(index=False, sep=sep).splitlines()
    clean, path, out = folder / "clean.csv", folder / "data.csv", folder / "out.parquet"
    clean.write_text(ending.join(lines) + ending)
    past = [every] * rows
    for at, extra in changed:
        past[min(int(at * rows), rows - 1)] = extra
    for i, extra in enumerate(past, start=1):
        lines[i] += "" if extra is None else sep * 2 if extra == "sep" else sep + extra
    path.write_text(lines[0] + ending + blank + ending.join(lines[1:]) + ending)
    model = two_cards().save(folder / "model.json")
    try:
        read = read_table(path)
    except InputError as exc:
        assert "fields" in exc.message, exc.message
        event("refused, a value past the header's" if "the last" in exc.message else "refused, too wide")
        with pytest.raises(InputError) as refused:
            score_file(model, path, out, reasons=2, progress=False, chunk_bytes=chunk_bytes)
        assert refused.value.message == exc.message
        assert not out.exists()
        assert list(folder.glob(".out.parquet*")) == []
        return
    event("read, a column past the header's" if past[0] not in (None, "sep") else "read")
    pd.testing.assert_frame_equal(read, read_table(clean))
    try:
        want = score_frame(two_cards(), read, reasons=2)
    except InputError as exc:  # a planted cell that is not a number
        event("a cell refused")
        with pytest.raises(InputError) as refused:
            score_file(model, path, out, reasons=2, progress=False, chunk_bytes=chunk_bytes)
        assert refused.value.message == f"{path}: {exc.message}"
        assert not out.exists()
        return
    score_file(model, path, out, reasons=2, progress=False, chunk_bytes=chunk_bytes)
    got = pd.read_parquet(out)
    assert got[ROW_COLUMN].tolist() == list(range(1, rows + 1))
    pd.testing.assert_frame_equal(plain(got.drop(columns=[ROW_COLUMN])), plain(want), check_dtype=False)


def _one_column_card(characteristic: Characteristic) -> ScorecardArtifact:
    seg = Segment(
        name="all",
        intercept=0.0,
        base_points=300,
        characteristics=[characteristic],
        n_train=100,
        bad_rate=0.1,
    )
    return artifact([seg])


@settings(max_examples=40, deadline=None)
@given(
    cells=st.lists(
        st.one_of(
            st.sampled_from(["A11", "A13", "7", "40", "", "NA"]),
            st.sampled_from([" ", "   ", "\t", " \t "]),  # a blank line to pandas
            st.just('"  "'),  # a quoted one: a row
        ),
        min_size=1,
        max_size=30,
    ),
    text=st.booleans(),
    block_bytes=st.sampled_from([32, 16 << 20]),
)
def test_a_blank_line_of_a_one_column_file_scores_as_train_reads_it(
    tmp_path_factory: pytest.TempPathFactory, cells: list[str], text: bool, block_bytes: int
) -> None:
    """A line of spaces and tabs only, which pandas (``train``) skips as blank, was a row to pyarrow in a
    one-column file (one of more columns sends it to pandas: too few fields), scored in a text column:
    the local scorer now scores the rows ``read_table`` reads, numbered alike (a quoted blank cell is a
    row to both)."""
    folder = tmp_path_factory.mktemp("blank")
    characteristic = checking() if text else tenure()
    path, out = folder / "data.csv", folder / "out.parquet"
    path.write_text("\n".join([characteristic.name, *cells]) + "\n")
    model = _one_column_card(characteristic).save(folder / "model.json")
    try:
        read = read_table(path)
    except InputError as exc:  # blank lines only
        assert "the file has no data rows" in exc.message
        with pytest.raises(InputError, match="the file has no data rows"):
            score_file(model, path, out, progress=False, chunk_bytes=block_bytes)
        return
    try:
        want = score_frame(_one_column_card(characteristic), read, reasons=1)
    except InputError as exc:
        with pytest.raises(InputError) as refused:
            score_file(model, path, out, reasons=1, progress=False, chunk_bytes=block_bytes)
        assert refused.value.message == f"{path}: {exc.message}"
        return
    score_file(model, path, out, reasons=1, progress=False, chunk_bytes=block_bytes)
    got = pd.read_parquet(out)
    assert got[ROW_COLUMN].tolist() == list(range(1, len(read) + 1))
    pd.testing.assert_frame_equal(plain(got.drop(columns=[ROW_COLUMN])), plain(want), check_dtype=False)
