"""The Spark engine gives the local engine's scores, row for row (in the shared test session,
tests/fixtures/spark.py), and the reference rule's scores and reasons for a model with interaction grids
(issue 14)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lucidscore.artifact import ScorecardArtifact, Segment, parse_numbers, reference_reasons, reference_scores
from lucidscore.errors import InputError
from lucidscore.score import score_file, score_frame, to_sql
from lucidscore.tabular import NA_WORDS, read_table
from tests.fixtures.names import awkward_names
from tests.fixtures.spark import SPARK_MARKS
from tests.score.cards import artifact, checking, tenure, two_cards, utilisation
from tests.score.test_local import applicants, plain
from tests.score.test_sql import reasons_of, two_cards_with_grids

pytestmark = SPARK_MARKS


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("spark") / "month [2026-06]"  # Hadoop would read the name as a pattern
    root.mkdir()
    data = applicants(700, seed=3)
    data.to_csv(root / "data.csv", index=False)
    data.to_parquet(root / "data.parquet")
    return {
        "model": two_cards().save(root / "model.json"),
        "csv": root / "data.csv",
        "parquet": root / "data.parquet",
    }


@pytest.mark.parametrize(("kind", "id_column"), [("csv", None), ("parquet", "applicant")])
def test_spark_equals_local(
    spark: Any, files: dict[str, Path], tmp_path: Path, kind: str, id_column: str | None
) -> None:
    from lucidscore.score.spark import score_file as spark_score_file

    local = score_file(
        files["model"], files[kind], tmp_path / "local.parquet", progress=False, id_column=id_column,
        recourse=True,
    )  # fmt: skip
    remote = spark_score_file(
        files["model"], files[kind], tmp_path / "spark.parquet", id_column=id_column, spark=spark,
        recourse=True,
    )  # fmt: skip
    a = pd.read_parquet(tmp_path / "local.parquet")
    b = pd.read_parquet(tmp_path / "spark.parquet")
    schemas = [pq.read_schema(tmp_path / f).remove_metadata() for f in ("local.parquet", "spark.parquet")]
    assert schemas[0] == schemas[1]  # the same Parquet schema
    # The text columns' dictionaries may list their texts in another order: compare the values.
    pd.testing.assert_frame_equal(plain(a), plain(b))
    assert a["recourse_score"].notna().any() and a["reason_5"].notna().any()
    assert (remote.rows, remote.tier_counts, remote.extra_columns) == (
        local.rows,
        local.tier_counts,
        local.extra_columns,
    )
    assert remote.engine == "spark"


def test_spark_sql_export_equals_kernel(spark: Any) -> None:
    art = two_cards()
    data = applicants(200, seed=5).drop(columns=["applicant", "colour"])
    spark.createDataFrame(data.astype(object).where(data.notna(), None)).createOrReplaceTempView("input")
    got = spark.sql(to_sql(art, table="input", dialect="spark")).toPandas()
    want = score_frame(art, data)
    assert got["score"].tolist() == want["score"].tolist()
    assert got["probability"].tolist() == want["probability"].tolist()


def test_spark_sql_export_scores_and_reasons_grids_as_the_reference(spark: Any) -> None:
    art = two_cards_with_grids()
    data = applicants(300, seed=6).drop(columns=["applicant", "colour"])
    data.loc[::5, "months_late"] = -8.0  # the special bin, grouped in the grid
    spark.createDataFrame(data.astype(object).where(data.notna(), None)).createOrReplaceTempView("paired")
    got = spark.sql(to_sql(art, table="paired", dialect="spark", reasons=4)).toPandas()
    want = reference_scores(art.segments, data)
    assert (want != reference_scores(two_cards().segments, data)).any()  # the grids count here
    assert got["score"].tolist() == want.tolist()
    assert reasons_of(got) == reference_reasons(art.segments, data, 4)


def test_spark_engine_scores_and_reasons_grids_as_the_reference(spark: Any, tmp_path: Path) -> None:
    """Spark's scores and reasons (by reason units: a pair's code '<first>+<second>', points lost against
    the unit's best) equal the reference rule's, row for row."""
    from lucidscore.score.spark import score_file as spark_score_file

    art = two_cards_with_grids()
    data = applicants(400, seed=12)
    data.loc[::5, "months_late"] = -8.0
    data.to_parquet(tmp_path / "data.parquet")
    model = art.save(tmp_path / "model.json")
    spark_score_file(model, tmp_path / "data.parquet", tmp_path / "spark.parquet", id_column="applicant",
                     spark=spark)  # fmt: skip
    got = pd.read_parquet(tmp_path / "spark.parquet")
    assert got["applicant"].tolist() == data["applicant"].tolist()
    assert got["score"].tolist() == reference_scores(art.segments, data).tolist()
    width = max(int(c.split("_")[1]) for c in got.columns if c.endswith("_code"))
    reasons = [
        [(row[f"reason_{j}_code"], int(row[f"reason_{j}_points"])) for j in range(1, width + 1)
         if pd.notna(row[f"reason_{j}_code"])]
        for _, row in got.astype(object).iterrows()
    ]  # fmt: skip
    want = reference_reasons(art.segments, data, 4)
    assert reasons == want
    assert any("+" in code for r in want for code, _ in r)  # pairs are among the reasons


def test_spark_sql_reads_text_cells_by_the_one_rule(spark: Any) -> None:
    """Numbers read as strings (as a CSV gives them): numeric text scores as its number, blank text as
    missing, and text that is not a number leaves the row without a score, as the other engines refuse it."""
    art = two_cards()
    data = applicants(60, seed=8).drop(columns=["applicant", "colour"])
    text = data.astype(object).where(data.notna(), None).map(lambda v: None if v is None else f" {v} ")
    text.loc[3, "utilisation"] = "lots"
    text.loc[5, "n_accounts"] = "n/a"
    text.loc[7, "months_late"] = "  "
    spark.createDataFrame(
        text.astype("string").astype(object).where(text.notna(), None)
    ).createOrReplaceTempView("text_input")
    got = spark.sql(to_sql(art, table="text_input", dialect="spark")).toPandas()
    junk = [3, 5]
    assert got.loc[junk, "score"].isna().all()
    clean = [i for i in range(len(data)) if i not in junk]
    want = score_frame(art, text.loc[clean].reset_index(drop=True))
    assert got.loc[clean, "score"].astype(int).tolist() == want["score"].tolist()
    with pytest.raises(InputError, match=r"column utilisation row 4: found 'lots'"):
        score_frame(art, text)


def test_spark_junk_is_one_clear_error(spark: Any, tmp_path: Path, files: dict[str, Path]) -> None:
    from lucidscore.score.spark import score_file as spark_score_file

    frame = applicants(20).astype({"utilisation": object})
    frame.loc[4, "utilisation"] = "lots"
    frame.to_csv(tmp_path / "junk.csv", index=False)
    with pytest.raises(
        InputError, match=r"junk.csv: column utilisation row \d+: found 'lots'; expected a number"
    ):
        spark_score_file(files["model"], tmp_path / "junk.csv", tmp_path / "o.parquet", spark=spark)
    assert not (tmp_path / "o.parquet").exists()


def test_spark_reads_missing_words_as_the_local_engine(
    spark: Any, tmp_path: Path, files: dict[str, Path]
) -> None:
    """pandas' and pyarrow's missing-value words (``NA``, ``null``, ``None``...) in a CSV file's numeric
    and text columns: missing to the Spark engine as to the local one, the same scores."""
    from lucidscore.score.spark import score_file as spark_score_file
    from lucidscore.tabular import NA_WORDS

    frame = applicants(300, seed=4).astype(object)
    words = sorted(NA_WORDS - {""})
    for j, name in enumerate(["months_late", "utilisation", "inquiries_6m", "checking"]):
        frame.loc[j::9, name] = [words[(i + j) % len(words)] for i in range(len(frame.loc[j::9]))]
    frame.to_csv(tmp_path / "words.csv", index=False)
    score_file(files["model"], tmp_path / "words.csv", tmp_path / "local.parquet", progress=False)
    spark_score_file(files["model"], tmp_path / "words.csv", tmp_path / "spark.parquet", spark=spark)
    local = pd.read_parquet(tmp_path / "local.parquet")
    pd.testing.assert_frame_equal(plain(local), plain(pd.read_parquet(tmp_path / "spark.parquet")))


def test_spark_scores_a_line_of_tabs_as_the_local_engine(
    spark: Any, tmp_path: Path, files: dict[str, Path]
) -> None:
    """A tab-separated file's line of tabs only is a row of missing cells to the local reader (pyarrow):
    the Spark engine scores it too (Spark's CSV reader skips it), so every later row keeps its number."""
    from lucidscore.score.spark import score_file as spark_score_file

    lines = applicants(40, seed=5).to_csv(sep="\t", index=False).splitlines()
    lines.insert(6, "\t" * (len(lines[0].split("\t")) - 1))
    (tmp_path / "tabs.tsv").write_text("\n".join(lines) + "\n")
    local = score_file(files["model"], tmp_path / "tabs.tsv", tmp_path / "local.parquet", progress=False)
    spark_score_file(files["model"], tmp_path / "tabs.tsv", tmp_path / "spark.parquet", spark=spark)
    assert local.rows == 41
    a, b = (pd.read_parquet(tmp_path / f) for f in ("local.parquet", "spark.parquet"))
    pd.testing.assert_frame_equal(plain(a), plain(b))


@pytest.mark.parametrize("sep", [",", "\t"])
def test_spark_scores_a_file_with_a_byte_order_mark_as_the_local_engine(
    spark: Any, tmp_path: Path, files: dict[str, Path], sep: str
) -> None:
    """Excel's "CSV UTF-8" starts with a byte-order mark, which both engines refused as a missing first
    column (the model's, here); both now score the file as it scores without the mark."""
    from lucidscore.score.spark import score_file as spark_score_file

    data = applicants(60, seed=8)
    data = data[["months_late", *[c for c in data.columns if c != "months_late"]]]
    (tmp_path / "excel.csv").write_bytes(b"\xef\xbb\xbf" + data.to_csv(sep=sep, index=False).encode())
    spark_score_file(files["model"], tmp_path / "excel.csv", tmp_path / "spark.parquet", spark=spark)
    scored = pd.read_parquet(tmp_path / "spark.parquet")
    assert scored["score"].tolist() == score_frame(two_cards(), data)["score"].tolist()


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_spark_names_a_file_without_data_rows_as_train_does(spark: Any, tmp_path: Path, suffix: str) -> None:
    from lucidscore.score.spark import score_file as spark_score_file

    path = tmp_path / f"data{suffix}"
    empty = applicants(3).iloc[:0]
    empty.to_csv(path, index=False) if suffix == ".csv" else empty.to_parquet(path)
    with pytest.raises(InputError) as scored:
        spark_score_file(two_cards().save(tmp_path / "model.json"), path, tmp_path / "o.parquet", spark=spark)
    assert scored.value.message == (
        f"{path}: the file has no data rows; expected a header row and at least one data row"
    )


def test_cli_engine_spark(spark: Any, files: dict[str, Path], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from lucidscore.cli.main import app

    out = tmp_path / "cli.parquet"
    args = [
        "score",
        str(files["model"]),
        str(files["csv"]),
        "--engine",
        "spark",
        "--id",
        "applicant",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(app, args)  # reuses the shared session (getOrCreate)
    assert result.exit_code == 0, result.output
    assert "700 rows scored (spark)" in result.output
    assert "ignored: colour" in result.output
    want = score_frame(two_cards(), applicants(700, seed=3))["score"].tolist()
    assert pd.read_parquet(out)["score"].tolist() == want


@pytest.mark.parametrize(("kind", "id_column"), [("csv", None), ("parquet", "app.id")])
def test_names_spark_sql_reads_specially_score_as_locally(
    spark: Any, tmp_path: Path, kind: str, id_column: str | None
) -> None:
    """A model whose characteristics are named ``x.1``, ``b c``, ``X`` and ``x``, with backticks or
    non-ASCII letters (trained locally) scores on Spark as locally: each column found by its exact name."""
    from lucidscore.model import train_scorecard
    from lucidscore.score.spark import score_file as spark_score_file

    frame = awkward_names(15, 1200)
    params = {"segment_search": False, "shape_search": False, "refine": False, "interactions": 0}
    model = train_scorecard(frame, "y.bad", **params).save(tmp_path / "model.json")
    data = tmp_path / f"data.{kind}"
    rows = frame.drop(columns=["y.bad"]).assign(**{"app.id": [f"a{i}" for i in range(len(frame))]})
    if kind == "csv":
        rows.to_csv(data, index=False)
    else:
        rows.to_parquet(data)
    score_file(model, data, tmp_path / "local.parquet", progress=False, id_column=id_column)
    spark_score_file(model, data, tmp_path / "spark.parquet", id_column=id_column, spark=spark)
    a, b = (pd.read_parquet(tmp_path / f"{e}.parquet") for e in ("local", "spark"))
    pd.testing.assert_frame_equal(plain(a), plain(b))


# Cells of a numeric column as a CSV file or a Parquet string column may hold them: numbers as pandas
# reads them (spaced, signed, exponents, infinities), pandas' missing-value words, NaN spelled otherwise
# (``NAN``, ``+nan``: numbers to pyarrow's CSV reader, text to pandas) and other text.
NUMERIC_CELLS = {
    "number": ["1", "-2", "+3", "0.25", " 12 ", "+1e3", "1e-2", ".5", "7.", "inf", "-inf", "Infinity", "INF"],
    "missing": sorted(NA_WORDS),
    "text": ["NAN", "+nan", "Nan", "-NAN", "nan(1)", "1,5", " NA", "abc"],
}


@st.composite
def numeric_cells(draw: st.DrawFn) -> list[str | None]:
    """A numeric column's cells, mostly numbers and missing words, now and then text."""
    kind = st.sampled_from(["number"] * 6 + ["missing"] * 3 + ["text"])
    rows = draw(st.integers(4, 16))
    return [draw(st.sampled_from(NUMERIC_CELLS[draw(kind)])) for _ in range(rows)]


def refused_at(cells: list[str | None], words: frozenset[str]) -> int | None:
    """The position of the first cell the one rule refuses in a numeric column (``words``: the cells read
    as missing before it, pandas' missing-value words in a CSV file, none in a Parquet file), or None."""
    kept = pd.Series([None if c in words else c for c in cells], dtype=object)
    _, junk = parse_numbers(kept)
    return int(junk.argmax()) if junk.any() else None


@settings(
    max_examples=2,  # ~1.5 s an example, on the shared session
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    cells=numeric_cells(),
    fmt=st.sampled_from([",", ";", "\t", "parquet"]),
    id_column=st.sampled_from([None, "applicant"]),
)
# pyarrow read NAN as NaN: the local engine scored it; with an id, Spark named the row within its batch
@example(cells=["1", "NAN", "2", "3"], fmt=",", id_column="applicant")
def test_numeric_cells_read_by_one_rule_on_both_engines(
    spark: Any,
    tmp_path_factory: pytest.TempPathFactory,
    files: dict[str, Path],
    cells: list[str | None],
    fmt: str,
    id_column: str | None,
) -> None:
    """A numeric column's cells in a CSV file (of any separator) or a Parquet string column: the local and
    the Spark engine give the same scores, or refuse the first cell that is neither missing (pandas'
    missing-value words in a CSV file, blank) nor a number (as pandas reads them: ``NAN`` is text), in
    the same words, naming that cell's column, row (as the file counts it, with an id column or
    without) and value."""
    from lucidscore.score.spark import score_file as spark_score_file

    root = tmp_path_factory.mktemp("cells")
    frame = applicants(len(cells), seed=len(cells)).astype({"utilisation": object})
    frame["utilisation"] = cells
    data = root / ("data.parquet" if fmt == "parquet" else "data.csv")
    if fmt == "parquet":
        frame.to_parquet(data)
    else:
        frame.to_csv(data, sep=fmt, index=False)
    outcomes = []
    for engine, run in (("local", score_file), ("spark", spark_score_file)):
        options: dict[str, Any] = {"progress": False} if engine == "local" else {"spark": spark}
        try:
            run(files["model"], data, root / f"{engine}.parquet", id_column=id_column, **options)
            outcomes.append(plain(pd.read_parquet(root / f"{engine}.parquet")))
        except InputError as exc:
            outcomes.append(exc.message)
    local, remote = outcomes
    at = refused_at(cells, frozenset() if fmt == "parquet" else NA_WORDS)
    if at is None:
        assert isinstance(local, pd.DataFrame), local
        assert isinstance(remote, pd.DataFrame), remote
        pd.testing.assert_frame_equal(local, remote)
    else:
        row = at + (1 if fmt == "parquet" else 2)  # a CSV's header is row 1
        assert isinstance(local, str), f"the local engine scored {cells[at]!r}"
        assert local == f"{data}: column utilisation row {row}: found {cells[at]!r}; expected a number " + (
            "(or an empty cell for missing)"
        )
        assert remote == local


def output_named_card() -> ScorecardArtifact:
    """A card reading columns named as the scores table's own: ``row``, ``score`` and ``reason_1``."""
    renamed = {"row": tenure(), "score": utilisation(), "reason_1": checking()}
    chars = [char.model_copy(update={"name": name}) for name, char in renamed.items()]
    seg = Segment(
        name="all", intercept=0.0, base_points=300, characteristics=chars, n_train=100, bad_rate=0.1
    )
    return artifact([seg])


@pytest.mark.parametrize("model_reads_them", [True, False])
def test_input_columns_named_as_output_columns_score_as_locally(
    spark: Any, tmp_path: Path, files: dict[str, Path], model_reads_them: bool
) -> None:
    """Input columns named ``row``, ``score`` and ``reason_1`` (read by the model, or only carried in the
    file): the Spark engine writes the local engine's table, whose ``row`` is the data row's number
    (Spark refused ``row`` as a repeated name: its row numbers had that name)."""
    from lucidscore.score.spark import score_file as spark_score_file

    frame = applicants(30, seed=6)
    frame = frame.assign(
        row=frame["months_at_address"], score=frame["utilisation"], reason_1=frame["checking"]
    )
    model = output_named_card().save(tmp_path / "model.json") if model_reads_them else files["model"]
    frame.to_csv(tmp_path / "data.csv", index=False)
    score_file(model, tmp_path / "data.csv", tmp_path / "local.parquet", progress=False)
    spark_score_file(model, tmp_path / "data.csv", tmp_path / "spark.parquet", spark=spark)
    a, b = (pd.read_parquet(tmp_path / f"{e}.parquet") for e in ("local", "spark"))
    pd.testing.assert_frame_equal(plain(a), plain(b))
    assert a["row"].tolist() == list(range(1, 31))
    if model_reads_them:  # the user's columns were read: the same scores as from their usual names
        usual = frame.drop(columns=["row", "score", "reason_1"])
        assert a["score"].tolist() == score_frame(one_named_as_usual(), usual)["score"].tolist()


def one_named_as_usual() -> ScorecardArtifact:
    """``output_named_card`` with its characteristics' usual names."""
    seg = Segment(
        name="all",
        intercept=0.0,
        base_points=300,
        characteristics=[tenure(), utilisation(), checking()],
        n_train=100,
        bad_rate=0.1,
    )
    return artifact([seg])


@pytest.mark.parametrize(("id_column", "options"), [("score", []), ("reason_2_points", ["--recourse"])])
def test_an_id_named_as_an_output_column_is_refused_in_the_same_words(
    spark: Any,
    tmp_path: Path,
    files: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    id_column: str,
    options: list[str],
) -> None:
    """``score --id score`` (or any column the scores table adds) is refused by both engines, through the
    CLI's entry point, in one line naming the file and the column; both crashed with a traceback (pandas'
    ``cannot insert score``, Spark's ``COLUMN_ALREADY_EXISTS``)."""
    from lucidscore.cli.main import main

    data = tmp_path / "data.csv"
    applicants(8).assign(**{id_column: "x"}).to_csv(data, index=False)
    said = []
    for engine in ("local", "spark"):
        out = tmp_path / f"{engine}.parquet"
        args = ["score", str(files["model"]), str(data), "--id", id_column, "--engine", engine]
        monkeypatch.setattr("sys.argv", ["lucidscore", *args, "--out", str(out), *options])
        with pytest.raises(SystemExit) as exited:
            main()
        assert exited.value.code != 0 and not out.exists()
        said.append(" ".join(capsys.readouterr().err.split()))
    assert said[0] == said[1]
    assert said[0].startswith(
        f"error: {data}: id column {id_column} has the name of a column the scores table adds; expected "
    ), said[0]
    assert "Traceback" not in said[0]


def _csv_cases() -> dict[str, bytes]:
    """CSV files Spark's reader read otherwise than the local engine's (comma separated unless named)."""
    lines = applicants(40, seed=9).to_csv(index=False).splitlines()
    broken = list(lines)
    broken[3] = broken[3].replace(",red", ',"r\ned"')  # an unread column
    fields = broken[7].split(",")
    fields[3] = f'"{fields[3]}\n"' if fields[3] else '"\n"'  # a read one: an unseen category, missing bin
    broken[7] = ",".join(fields)
    tabbed = applicants(40, seed=9).to_csv(index=False, sep="\t").splitlines()
    tabbed[3] = tabbed[3].replace("\tred", '\t"r\ned"')
    fields = tabbed[7].split("\t")
    fields[3] = f'"{fields[3]}\n"' if fields[3] else '"\n"'
    tabbed[7] = "\t".join(fields)
    tabbed.insert(9, "\t" * 7)  # a line of tabs: a row of missing cells (Spark's CSV reader skips it)
    surplus = list(lines)
    surplus[12] += ",9"
    trailing = list(lines)
    trailing[12] += ","  # an empty surplus field, which Spark's reader reads as a missing one
    everywhere = [lines[0], *(line + "," for line in lines[1:])]  # a trailing separator on every row
    valued = list(everywhere)
    valued[12] += "9"  # a value past the header's on a later row: refused, naming it
    late = [*lines[:2], *everywhere[2:]]  # the first data row without: every other row refused
    tabs = [line.replace(",", "\t") for line in everywhere]
    tabs[5] += "NA"  # a missing word past the header's is missing too
    quoted_tabs = [broken[0].replace(",", "\t"), *(line.replace(",", "\t") + "\t" for line in broken[1:])]
    spaced = applicants(40, seed=9).fillna({"months_late": -1, "checking": "A11"})
    spaces = spaced.to_csv(sep=" ", index=False).splitlines()
    spaces[12] += " 9"
    first_spaced = list(spaces[:12])
    first_spaced[1] += " 9"  # pandas took it for an index column's, shifting every column
    big = applicants(40, seed=9).assign(colour="ab" * 1000).to_csv(index=False).encode()  # past 64 KiB
    at = big.rfind(b"ab")  # an unread column of the last row, past the header check: scored by both
    unread = big[:at] + b"\xe9" + big[at + 1 :]
    at = big.rfind(b",A1")  # a read (categorical) column
    read = big[: at + 2] + b"\xe9" + big[at + 3 :]
    text = "\n".join
    return {
        "quoted line breaks": (text(broken) + "\n").encode(),
        "quoted line breaks, tab separated": (text(tabbed) + "\n").encode(),
        "more fields than the header": (text(surplus) + "\n").encode(),
        "more fields than the header, space separated": (text(spaces) + "\n").encode(),
        "one field more on the first row, space separated": (text(first_spaced) + "\n").encode(),
        "an empty surplus field": (text(trailing) + "\n").encode(),
        "a trailing separator on every row": (text(everywhere).replace(",", ";") + "\n").encode(),
        "a trailing separator on every row, a value past it on one": (text(valued) + "\n").encode(),
        "a trailing separator on every row but the first": (text(late) + "\n").encode(),
        "a trailing tab on every row": (text(tabs) + "\n").encode(),
        "a trailing tab on every row, quoted line breaks": (text(quoted_tabs) + "\n").encode(),
        "not UTF-8 in a column not read": unread,
        "not UTF-8 in a column read": read,
        "U+FFFD written in UTF-8 in a column read": (text(lines) + "\n").replace(",A1", ",A\ufffd").encode(),
    }


@pytest.mark.parametrize("case", list(_csv_cases()))
def test_csv_files_spark_read_otherwise_score_as_locally(
    spark: Any, tmp_path: Path, files: dict[str, Path], case: str
) -> None:
    """Each file: the Spark engine writes the local engine's scores, or refuses it in its words (the
    row named as the local reader names it); it used to cut a quoted line break into two rows, drop a
    surplus field (an empty one too: its reader reads it as a missing field) and read bytes that are not
    UTF-8 as U+FFFD (now refused where the local engine refuses them: not where U+FFFD is written as
    text)."""
    from lucidscore.score.spark import score_file as spark_score_file

    data = tmp_path / "data.csv"
    data.write_bytes(_csv_cases()[case])
    outcomes: list[pd.DataFrame | str] = []
    for engine, run in (("local", score_file), ("spark", spark_score_file)):
        options: dict[str, Any] = {"progress": False} if engine == "local" else {"spark": spark}
        try:
            run(files["model"], data, tmp_path / f"{engine}.parquet", **options)
            outcomes.append(plain(pd.read_parquet(tmp_path / f"{engine}.parquet")))
        except InputError as exc:
            outcomes.append(exc.message)
    local, remote = outcomes
    if case in ("more fields than the header", "an empty surplus field"):
        assert local == f"{data} row 13: found 9 fields; expected 8, as in the header row"
    elif case == "a trailing separator on every row, a value past it on one":
        assert local == (
            f"{data} row 13: found 9 fields, the last '9'; expected 8, as in the header row, or one more "
            "left empty (a trailing separator)"
        )
    elif case == "a trailing separator on every row but the first":
        assert local == f"{data} row 3: found 9 fields; expected 8, as in the header row"
    elif case == "more fields than the header, space separated":  # the local scorer cut it to its columns
        assert local == (
            f"{data}: not a well-formed CSV file (Error tokenizing data. C error: Expected 8 fields in line "
            "13, saw 9)"
        )
    elif case == "one field more on the first row, space separated":
        assert local == (
            f"{data}: not a well-formed CSV file (Length of header or names does not match length of data. "
            "This leads to a loss of data with index_col=False.)"
        )
    elif case == "not UTF-8 in a column read":
        line = data.read_bytes().split(b"\xe9")[0].count(b"\n") + 1
        assert isinstance(local, str) and local.startswith(f"{data} row {line}: byte "), local
    else:
        assert isinstance(local, pd.DataFrame), local
        assert len(local) == (41 if case == "quoted line breaks, tab separated" else 40)
    if case.startswith("a trailing"):  # ``train``'s reader: it reads or refuses the file as both engines
        try:
            read = read_table(data)
        except InputError as exc:
            assert exc.message == local
        else:  # the scores of the file without the fields past the header's
            assert isinstance(local, pd.DataFrame), local
            assert local["row"].tolist() == list(range(1, 41))
            want = plain(score_frame(two_cards(), read, reasons=4))
            pd.testing.assert_frame_equal(local.drop(columns=["row"]), want, check_dtype=False)
    if isinstance(local, str):
        assert remote == local
    else:
        assert isinstance(remote, pd.DataFrame), remote
        pd.testing.assert_frame_equal(local, remote)


def test_blank_lines_of_a_one_column_file_score_as_locally(spark: Any, tmp_path: Path) -> None:
    """Lines of spaces and tabs only in a one-column file, which pandas (``train``) skips as blank and the
    local scorer's pyarrow read as rows (tests/score/test_local.py): Spark's CSV reader skips them too,
    and reads a quoted blank cell as a row, as pandas does; both engines score ``read_table``'s rows."""
    from lucidscore.score.spark import score_file as spark_score_file

    chars = [checking()]
    seg = Segment(name="all", intercept=0.0, base_points=300, characteristics=chars, n_train=9, bad_rate=0.1)
    model = artifact([seg]).save(tmp_path / "model.json")
    data = tmp_path / "data.csv"
    data.write_text('checking\nA11\n   \n\t\n" "\n \t \nA13\n\nA12\n')
    read = read_table(data)
    assert read["checking"].tolist() == ["A11", " ", "A13", "A12"]
    want = plain(score_frame(artifact([seg]), read, reasons=1))
    score_file(model, data, tmp_path / "local.parquet", reasons=1, progress=False)
    spark_score_file(model, data, tmp_path / "spark.parquet", reasons=1, spark=spark)
    for engine in ("local", "spark"):
        got = plain(pd.read_parquet(tmp_path / f"{engine}.parquet"))
        assert got["row"].tolist() == [1, 2, 3, 4], engine
        pd.testing.assert_frame_equal(got.drop(columns=["row"]), want, check_dtype=False)
