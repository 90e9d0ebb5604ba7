"""``train --engine spark`` fits the same model file as the local engine from the same rows (issue 15)."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from lucidscore.artifact import ScorecardArtifact
from lucidscore.model import train_scorecard
from lucidscore.model._spark_train import train_spark
from lucidscore.tabular import NA_WORDS
from tests.fixtures.names import awkward_names
from tests.fixtures.spark import SPARK_MARKS

pytestmark = SPARK_MARKS

TAIWAN = Path(__file__).resolve().parents[3] / "shared" / "data" / "taiwan_default.csv"


def comparable(art: ScorecardArtifact) -> dict[str, Any]:
    """The model file without the fields that legitimately differ: ``created_at`` (the time of the fit)
    and ``model_id`` (the date of the fit, and a digest of the segments, compared in full here)."""
    data = json.loads(art.model_dump_json())
    data.pop("model_id")
    data.pop("created_at")
    return data


def table(seed: int, n: int) -> pd.DataFrame:
    """Numeric columns with missing and special values and a point mass, a categorical one with a rare
    tail and missing values, a target driven by all of them."""
    rng = np.random.default_rng(seed)
    income = np.round(rng.lognormal(7.5, 0.6, n), 0)
    income[rng.random(n) < 0.08] = np.nan
    late = rng.poisson(0.6, n).astype(np.float64)
    late[rng.random(n) < 0.05] = -9.0  # declared special value
    housing = rng.choice(
        ["own", "rent", "free", "mortgage", "other1", "other2"], n, p=[0.35, 0.3, 0.15, 0.16, 0.02, 0.02]
    )
    housing = housing.astype(object)
    housing[rng.random(n) < 0.05] = None
    z = -1.5 + 0.9 * np.nan_to_num(late, nan=0.0).clip(0) - 0.0004 * np.nan_to_num(income, nan=1500.0)
    z += np.where(housing == "rent", 0.6, 0.0)
    bad = (rng.random(n) < 1.0 / (1.0 + np.exp(-z))).astype(np.int64)
    return pd.DataFrame({"income": income, "late": late, "housing": housing, "bad": bad})


def both(spark: Any, frame: pd.DataFrame, **params: Any) -> tuple[ScorecardArtifact, ScorecardArtifact]:
    local = train_scorecard(frame, "bad", **params)
    sdf = spark.createDataFrame(frame.astype(object).where(frame.notna(), None), schema=_schema(frame))
    return local, train_spark(sdf.repartition(1), "bad", **params)


def _schema(frame: pd.DataFrame) -> Any:
    from pyspark.sql.types import DoubleType, LongType, StringType, StructField, StructType

    def kind(dtype: Any) -> Any:
        if pd.api.types.is_integer_dtype(dtype):
            return LongType()
        if pd.api.types.is_float_dtype(dtype):
            return DoubleType()
        return StringType()

    return StructType([StructField(c, kind(frame[c].dtype), True) for c in frame.columns])


def test_one_card_equal_local(spark: Any) -> None:
    """A 3,000-row card is a medium card (``_card.bag_medium``): Spark collects its rows in row order,
    averages the same bootstrap cards and refines the average on the same rows, to the same model file.
    (One table: a second seed took the same path; the other tests' tables vary the data.)"""
    frame = table(0, 3000)
    params = {"special_values": [-9.0], "segment_search": False, "shape_search": False}
    local, remote = both(spark, frame, **params)
    assert any("bootstrap cards, then refined" in n for n in local.training["notes"]), local.training
    assert comparable(remote) == comparable(local)


def test_searches_and_segments_equal_local(spark: Any) -> None:
    frame = table(7, 6000)
    local, remote = both(spark, frame, special_values=[-9.0], min_segment_rows=500)
    notes = " ".join(local.training["notes"])
    assert "shape search" in notes and "segment search" in notes  # both searches ran
    assert comparable(remote) == comparable(local)


def test_strided_samples_equal_local(spark: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above their sample sizes the local engine takes numeric edges and WOE correlations from every k-th
    row: Spark takes the same rows (a near-copy of a column makes the correlation filter act).

    Which rows are taken depends on the table's size only through the ratio to the sample sizes, so both
    are made small here (edges from at most 2,000 rows, correlations from 3,000: steps 4 and 3 on 6,500
    rows, where the real sizes, 50,000 and 100,000, needed 107,000 rows for steps 3 and 2). The card
    stays unbagged, as a card above ``_bag.MEDIUM_ROWS`` rows is."""
    from lucidscore.model import _bag, _binning, _selection, _spark_train

    monkeypatch.setattr(_binning, "SAMPLE_ROWS", 2_000)
    monkeypatch.setattr(_selection, "SAMPLE_ROWS", 3_000)
    monkeypatch.setattr(_spark_train, "SAMPLE_ROWS", 2_000)
    monkeypatch.setattr(_spark_train, "CORRELATION_ROWS", 3_000)
    frame = table(11, 3_000 + 3_500)
    monkeypatch.setattr(_bag, "MEDIUM_ROWS", len(frame))
    noise = np.random.default_rng(0).normal(0.0, 30.0, len(frame))
    frame.insert(1, "income2", np.round(frame["income"] + noise, 0))
    local, remote = both(spark, frame, special_values=[-9.0], segment_search=False, shape_search=False)
    assert any("|correlation|" in note for note in local.training["notes"])
    assert not any("bootstrap cards" in note for note in local.training["notes"])  # unbagged, as said
    assert comparable(remote) == comparable(local)


def test_segment_by_equal_local(spark: Any) -> None:
    frame = table(3, 5000)
    local, remote = both(
        spark, frame, special_values=[-9.0], segment_by="housing", min_segment_rows=400, shape_search=False
    )
    assert len(local.segments) > 1
    assert comparable(remote) == comparable(local)


def test_taiwan_equal_local(spark: Any) -> None:
    if not TAIWAN.exists():
        pytest.skip(f"{TAIWAN} not present")
    frame = pd.read_csv(TAIWAN)
    target = "default" if "default" in frame.columns else frame.columns[-1]
    audit = ["SEX", "MARRIAGE", "AGE"]  # protected: never model inputs (SPEC section 2)
    local = train_scorecard(frame, target, audit_columns=audit)
    assert any("refined on their pre-bins" in n for n in local.training["notes"])  # refinement compared
    sdf = spark.read.csv(str(TAIWAN), header=True, inferSchema=True).coalesce(1)
    remote = train_spark(sdf, target, audit_columns=audit)
    assert comparable(remote) == comparable(local)


def test_interactions_equal_local(spark: Any) -> None:
    """The interaction search reads the same rows of each card as locally (all of them up to
    ``REFINE_ROWS``, then a seeded sample in row order): the same grids, points and cell counts, and the
    training metrics of the scores with them. Above ``refine_rows`` rows, to take the sampled path: made
    10,000 here (the default, ``REFINE_ROWS``, is 40,000), where the sample is drawn alike whatever the
    limit (``sample_positions``), on 16,000 rows instead of 46,000."""
    limit = 10_000
    frame = table(5, limit + 6_000)
    util = np.random.default_rng(5).beta(2, 2, len(frame))
    frame.insert(2, "util", np.round(util, 3))
    late = frame["late"].clip(lower=0).to_numpy()
    extra = np.random.default_rng(6).random(len(frame)) < 0.3 * late * (util > 0.6)
    frame["bad"] = np.maximum(frame["bad"].to_numpy(), extra.astype(np.int64))
    local, remote = both(
        spark,
        frame,
        special_values=[-9.0],
        segment_search=False,
        shape_search=False,
        interactions=5,
        refine_rows=limit,
    )
    assert any(s.interactions for s in local.segments), local.training["notes"]
    assert any(f"on {limit:,} training rows" in n for n in local.training["notes"])  # the sampled path
    assert comparable(remote) == comparable(local)


def test_shared_refinement_rows_and_screened_signs_equal_local(
    spark: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two cards share refinement's rows (``refine_rows``, ``rows_per_card``: each reads a seeded sample
    of its rows in row order), and the sign rule's drops are screened on a strided sample of the distinct
    rows: with both limits made small, Spark reads the same rows and drops the same characteristics."""
    from lucidscore.model import _card, _refine

    monkeypatch.setattr(_refine, "SHARED_ROWS", 2200)
    monkeypatch.setattr(_card, "SCREEN_ROWS", 50)
    monkeypatch.setattr(_card, "SCREEN_SAMPLE", 100)
    frame = table(13, 9000)
    late = frame["late"].clip(lower=0).to_numpy()
    frame.insert(1, "late2", late + np.random.default_rng(1).poisson(1.0, len(frame)))  # a suppressor
    rule = {"column": "late", "op": ">=", "value": 1.0}
    local, remote = both(
        spark, frame, special_values=[-9.0], segment_rule=rule, shape_search=False, refine_rows=3000
    )
    assert [s.n_train > 2200 for s in local.segments] == [True, True]  # both cards read a sample
    assert any("refined on their pre-bins" in n for n in local.training["notes"])
    assert any("evenly strided" in n for n in local.training["notes"])  # a drop the sample decided
    assert comparable(remote) == comparable(local)


@pytest.mark.parametrize("bag_medium", [0, 8])
def test_left_out_characteristics_refinement_adds_equal_local(
    spark: Any, monkeypatch: pytest.MonkeyPatch, bag_medium: int
) -> None:
    """Refinement starts from the card and the characteristics selection left out, and adds those that
    held-out rows support (``_card.with_left_out``, ``_refine.held_out_gains``): Spark bins, collects and
    adds the same ones, to the same model file. The same for the card bagged first
    (``_card.BAG_MEDIUM``), where bagging or the refinement after it adds them."""
    from lucidscore.model import _card

    monkeypatch.setattr(_card, "BAG_MEDIUM", bag_medium)
    frame = table(4, 6000)
    rng = np.random.default_rng(104)
    weak = rng.normal(0.0, 1.0, len(frame))
    frame.insert(3, "weak", np.round(weak, 3))
    extra = rng.random(len(frame)) < 0.04 * (weak > 0.5)  # a real effect below the IV threshold
    frame["bad"] = np.maximum(frame["bad"].to_numpy(), extra.astype(np.int64))
    local, remote = both(spark, frame, special_values=[-9.0], segment_search=False, shape_search=False)
    assert any("added weak (left out" in n for n in local.training["notes"]), local.training["notes"]
    assert comparable(remote) == comparable(local)


def test_bagged_small_card_equal_local(spark: Any) -> None:
    """A card under ``_refine.MIN_ROWS`` rows is bagged (``_bag``): Spark collects its rows in row order
    and averages the same bootstrap cards on the same cells (a categorical one's finer binning too), to
    the same model file."""
    frame = table(2, 1500)
    frame.insert(3, "noise", np.round(np.random.default_rng(102).normal(0.0, 1.0, len(frame)), 3))
    local, remote = both(spark, frame, special_values=[-9.0], segment_search=False, shape_search=False)
    assert any("bootstrap cards" in n for n in local.training["notes"]), local.training["notes"]
    assert any(len(c.bins) > 4 for c in local.segments[0].characteristics if c.dtype == "categorical")
    assert comparable(remote) == comparable(local)


NUMBER_TEXTS = ["12", "3.5", "-4", " 7 ", "0"]
COMMA_TEXTS = ["0,13", " -1.234,5 ", "1,234"]  # numbers written with a comma: refused when most are numbers
DATE_TEXTS = ["2024-01-05", " 05/01/2024", "2024-01-05 09:30:00"]  # dates: refused when most are dates
OTHER_TEXTS = ["own", "rent", "n/a", None, "", "NAN", "1d"]  # Spark's cast reads the last two as numbers


@st.composite
def text_columns(draw: st.DrawFn) -> dict[str, list[str | None]]:
    """One to three text columns: numbers as text (some with a decimal comma), words, missing and empty
    cells, in any mix (some mostly numbers with a few words, which both engines refuse)."""
    columns: dict[str, list[str | None]] = {}
    for j in range(draw(st.integers(1, 3))):
        written = draw(st.sampled_from([NUMBER_TEXTS, NUMBER_TEXTS + COMMA_TEXTS, DATE_TEXTS]))
        numbers = draw(st.lists(st.sampled_from(written), max_size=20))
        others = draw(st.lists(st.sampled_from(OTHER_TEXTS), max_size=4))
        columns[f"t{j}"] = draw(st.permutations([*numbers, *others]))
    rows = max(1, *(len(v) for v in columns.values()))
    return {c: [*v, *[None] * (rows - len(v))] for c, v in columns.items()}


@settings(max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(columns=text_columns())
def test_text_column_kinds_in_one_job_as_the_local_engine(
    spark: Any, columns: dict[str, list[str | None]]
) -> None:
    """Every text column's kind (numeric, categorical, or refused, naming the first such column) from one
    Spark aggregation, as the local ``column_kind`` decides them one by one; a numeric column beside."""
    from pyspark.sql.types import DoubleType, StringType, StructField, StructType

    from lucidscore.errors import InputError
    from lucidscore.model._frame import column_kind
    from lucidscore.model._spark_train import _kinds

    names = ["x", *columns]
    rows = len(next(iter(columns.values())))
    data = {"x": [float(i) for i in range(rows)], **columns}
    expected: dict[str, str] = {}
    refused: str | None = None
    for c in names:
        try:
            expected[c] = column_kind(pd.Series(data[c], dtype=float if c == "x" else object), c)
        except InputError:
            refused = c
            break
    schema = StructType([StructField(c, DoubleType() if c == "x" else StringType(), True) for c in names])
    sdf = spark.createDataFrame(list(zip(*(data[c] for c in names), strict=True)), schema=schema)
    same = {c: c for c in names}  # names Spark reads as written
    sc = spark.sparkContext
    group = f"kinds-{uuid.uuid4().hex}"  # this example's jobs only
    sc.setJobGroup(group, "kinds")
    try:
        if refused is None:
            assert _kinds(sdf, same, names) == expected
        else:
            with pytest.raises(InputError) as local:
                column_kind(pd.Series(data[refused], dtype=object), refused)
            with pytest.raises(InputError) as remote:
                _kinds(sdf, same, names)
            assert remote.value.message == local.value.message  # the same row, value and counts
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)  # no group for the later tests' jobs
    if refused is None:  # a refusal looks up its first row in later jobs
        assert len(sc.statusTracker().getJobIdsForGroup(group)) == 1


JUNK_TEXTS = ["abc", "12x", "?", "1,5"]  # none of them a missing marker to pandas' CSV reader


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    fault=st.sampled_from(["target", "junk"]),
    fmt=st.sampled_from(["csv", "parquet"]),
    rows=st.integers(20, 40),
    data=st.data(),
)
def test_bad_rows_named_as_the_local_engine_names_them(
    spark: Any, tmp_path_factory: pytest.TempPathFactory, fault: str, fmt: str, rows: int, data: Any
) -> None:
    """A missing target or a word in a mostly-numeric column, wherever the bad rows sit in a CSV or
    Parquet file: ``train --engine spark`` refuses it with the local engine's message (the same row as
    the file counts it, value, column and counts), not a position in its list of distinct values."""

    bad = sorted(data.draw(st.sets(st.integers(0, rows - 1), min_size=1, max_size=2), label="bad rows"))
    rng = np.random.default_rng(rows)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=rows).round(3),
            "amount": [str(v) for v in rng.integers(0, 500, rows)],  # numbers as text
            "bad": (np.arange(rows) % 3 == 0).astype(np.float64),
        }
    )
    if fault == "target":
        frame.loc[bad, "bad"] = np.nan
    else:
        frame["amount"] = frame["amount"].astype(object)
        frame.loc[bad, "amount"] = [data.draw(st.sampled_from(JUNK_TEXTS), label="junk") for _ in bad]
    path = tmp_path_factory.mktemp("bad") / f"t.{fmt}"
    if fmt == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    local, remote = refusals(path)
    assert remote == local
    first = bad[0] + (2 if fmt == "csv" else 1)  # a CSV's header is row 1
    assert re.search(rf"\brow {first}\b", local), local  # the file's row


def refusals(path: Path) -> tuple[str, str]:
    """The messages the local engine and ``train --engine spark`` refuse ``path`` with (target ``bad``)."""
    from lucidscore.cli.model_cmds import _spark_table
    from lucidscore.errors import InputError
    from lucidscore.tabular import read_table

    with pytest.raises(InputError) as local:
        train_scorecard(read_table(path), "bad")
    sdf, first_row = _spark_table(path)
    with pytest.raises(InputError) as remote:
        train_spark(sdf, "bad", first_row=first_row)
    return local.value.message, remote.value.message


@pytest.mark.parametrize("kind", ["timestamp, parquet", "date, parquet", "text, csv"])
def test_a_date_column_is_refused_in_the_local_words(spark: Any, tmp_path: Path, kind: str) -> None:
    """A column of dates (a Parquet timestamp or date column, or dates written in a CSV file): ``train
    --engine spark`` refuses it as the local engine does, naming the same row and value."""
    rng = np.random.default_rng(5)
    days = pd.Series(pd.date_range("2024-01-01", periods=40, freq="D")).sample(frac=1, random_state=1)
    applied: Any = {
        "timestamp, parquet": days + pd.Timedelta(hours=9),
        "date, parquet": [d.date() for d in days],
        "text, csv": days.dt.strftime("%d/%m/%Y"),
    }[kind]
    frame = pd.DataFrame(
        {"x": rng.normal(size=40).round(3), "applied": list(applied), "bad": np.arange(40) % 3 == 0}
    )
    frame["bad"] = frame["bad"].astype(int)
    path = tmp_path / ("t.csv" if kind.endswith("csv") else "t.parquet")
    frame.to_csv(path, index=False) if kind.endswith("csv") else frame.to_parquet(path, index=False)
    local, remote = refusals(path)
    assert remote == local
    assert "is a date (40 of 40 values are dates)" in local


def model_reading(frame: pd.DataFrame) -> dict[str, Any]:
    """What the fit reads of a table: each column's dtype kind (``i``, ``f``, ``b`` or ``O``) and, as
    ``column_kind`` decides it, its kind and values (or the local refusal), and each row's fingerprint
    hash."""
    from lucidscore.artifact import category_values, row_hashes
    from lucidscore.errors import InputError
    from lucidscore.model._frame import column_kind, numeric_column

    out: dict[str, Any] = {"hashes": row_hashes(frame, list(frame.columns)).tolist()}
    for c in frame.columns:
        dtype = "O" if frame[c].dtype.kind in "OTU" else frame[c].dtype.kind
        try:
            kind = column_kind(frame[c], c)
        except InputError as exc:
            out[c] = (dtype, exc.message)
            continue
        values = numeric_column(frame[c]) if kind == "numeric" else category_values(frame[c])
        out[c] = (dtype, kind, [None if v != v else v for v in values.tolist()])  # NaN: missing
    return out


MISSING_WORDS = sorted(NA_WORDS)  # pandas' missing-value words
CELLS = {
    "numbers": ["1", "-2", "+3", "007", "1.5", " 2.5 ", ".5", "1e3", "inf", "-Infinity", "1.", '"4.5"'],
    "booleans": ["True", "false", "TRUE"],
    "texts": ["own", " NA", "NAN", "+nan", "Nan", "1d", "n/a ", "None2", '"1,5"', '"rent"', '"a""b"'],
}


@st.composite
def csv_files(draw: st.DrawFn) -> str:
    """A CSV file's text: one to three columns, each of numbers, booleans or texts with
    pandas' missing-value words among them (no empty or spaced cell where runs of spaces separate)."""
    sep = draw(st.sampled_from([",", ";", "\t", " "]))

    def usable(cells: list[str]) -> list[str]:
        return [c for c in cells if sep != " " or (c and " " not in c)]

    rows = draw(st.integers(1, 12))
    columns = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(sorted(CELLS)))
        cell = st.one_of(st.sampled_from(usable(CELLS[kind])), st.sampled_from(usable(MISSING_WORDS)))
        columns.append(draw(st.lists(cell, min_size=rows, max_size=rows)))
    lines = [sep.join(f"c{j}" for j in range(len(columns)))]
    lines += [sep.join(row) for row in zip(*columns, strict=True)]
    return "\n".join(lines) + "\n"


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(file=csv_files())
@example(file="c0\tc1\nTrue\tTrue\n\t\n")  # a line of tabs: Spark's CSV reader skips it, pandas does not
@example(file='c0,c1\n"own\nrent",1\nNA,2\n')  # a quoted line break: Spark read two rows of it
@example(file='c0\tc1\n"a\tb"\t1\nown\t2\n')  # a quoted separator: split there, a surplus field
@example(file='c0 c1\n"a b" 1\nown 2\n')
@example(file='c0\tc1\n"own\nrent"\t1\n\t\nNA\t2\n')  # quoted line breaks where lines are split
@example(file='c0 c1\n"own\nrent" 1\nNA 2\n')
# Surplus fields all missing: Spark's CSV reader read an empty one as absent, and refused a missing word.
@example(file="c0,c1\n1,2\n3,4,\n")  # pandas refuses: the first row has no surplus field
@example(file="c0;c1\n1;2;NA\n3;4;\n")  # pandas drops the column: the first row has one
@example(file="c0\tc1\n1\t2\t\n3\t4\n")
@example(file="c0;c1\n1;2;\n3;4;x\n")  # pandas refuses: a value in that column, named by its row
def test_a_csv_file_reads_as_the_local_reader_reads_it(
    spark: Any, tmp_path_factory: pytest.TempPathFactory, file: str
) -> None:
    """``train --engine spark`` reads a CSV file (comma, semicolon, tab or space separated, pandas'
    missing-value words anywhere) into the columns, types and values the local reader gives it: what the
    fit reads of them (kinds, values, refusals, fingerprint hashes) is the same."""
    from lucidscore.cli.model_cmds import _spark_table
    from lucidscore.errors import FIRST_ROW, InputError
    from lucidscore.tabular import read_table

    path = tmp_path_factory.mktemp("csv") / "t.csv"
    path.write_text(file)
    try:
        local = read_table(path)
    except InputError as exc:  # every line blank (no data rows), a value past the header's...
        with pytest.raises(InputError) as remote:
            _spark_table(path)
        assert remote.value.message == exc.message
        return
    sdf, first_row = _spark_table(path)
    got = sdf.toPandas()
    got.attrs[FIRST_ROW] = first_row
    assert list(got.columns) == list(local.columns)
    assert model_reading(got) == model_reading(local)


def test_missing_words_and_semicolons_give_the_local_model_file(spark: Any, tmp_path: Path) -> None:
    """A semicolon-separated CSV file with pandas' missing-value words in its numeric columns (``NA``,
    ``null``, ``N/A``...) and its text column: the model file the local engine writes from it."""
    from lucidscore.cli.model_cmds import _spark_table
    from lucidscore.tabular import read_table

    frame = table(8, 1500).astype(object)
    rng = np.random.default_rng(8)
    for name in ("income", "late", "housing"):
        where = rng.random(len(frame)) < 0.06
        frame.loc[where, name] = rng.choice(MISSING_WORDS, int(where.sum()))
    path = tmp_path / "na.csv"
    frame.to_csv(path, sep=";", index=False)
    params: dict[str, Any] = {"special_values": [-9.0], "segment_search": False, "shape_search": False}
    local = train_scorecard(read_table(path), "bad", **params)
    assert local.segments[0].characteristics[0].dtype == "numeric"  # the words read as missing
    sdf, first_row = _spark_table(path)
    remote = train_spark(sdf, "bad", first_row=first_row, **params)
    assert comparable(remote) == comparable(local)


@pytest.mark.parametrize("kind", ["list", "map", "struct"])
def test_a_nested_parquet_column_is_refused_as_locally(spark: Any, tmp_path: Path, kind: str) -> None:
    """A nested Parquet column (array, map or struct) among the inputs: ``train --engine spark`` refuses
    it with the local engine's one line (its first present cell's row and value), before any of its
    cells reaches a Python worker; left out of the inputs, it is refused in words of its own, as the
    fingerprint could not be the local one."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from typer.testing import CliRunner

    from lucidscore.cli.main import app
    from lucidscore.errors import InputError

    n = 60
    cells = {  # a cell, its Arrow type, how the local message shows it, the Spark type's name
        "list": ([1.0, 2.0], pa.list_(pa.float64()), "[1.0, 2.0]", "array<double>"),
        "map": ([("a", 1)], pa.map_(pa.string(), pa.int64()), "[('a', 1)]", "map<string,bigint>"),
        "struct": (
            {"p": 1, "q": "x"},
            pa.struct([("p", pa.int64()), ("q", pa.string())]),
            "{'p': 1, 'q': 'x'}",
            "struct<p:bigint,q:string>",
        ),
    }
    cell, arrow_type, shown, spark_type = cells[kind]
    # pandas holds a struct column with a missing cell with its numbers as floats ({'p': 1.0}), which
    # the Spark engine's message does not follow: none missing there.
    missing = 0 if kind == "struct" else 3
    nested = pa.array([None] * missing + [cell] * (n - missing), arrow_type)
    rng = np.random.default_rng(1)
    data = pa.table({"x": rng.normal(size=n), "nested": nested, "bad": np.arange(n) % 2})
    path = tmp_path / "nested.parquet"
    pq.write_table(data, path)
    said = f"column nested row {missing + 1}: value {shown} is a {'dict' if kind == 'struct' else 'list'};"
    for args in ([], ["--exclude", "nested"]):
        base = ["train", str(path), "--target", "bad", "--out", str(tmp_path / "m.json"), *args]
        local = CliRunner().invoke(app, base)
        remote = CliRunner().invoke(app, [*base, "--engine", "spark"])
        assert isinstance(remote.exception, InputError), remote.output
        if not args:
            assert isinstance(local.exception, InputError), local.output
            assert said in local.exception.message
            assert remote.exception.message == local.exception.message
        else:
            assert local.exit_code == 0, local.output
            assert remote.exception.message.startswith(f"{path}: column nested is nested ({spark_type});")
            assert remote.exception.message.endswith("or train with the local engine")


def test_an_input_error_in_a_worker_is_raised_as_itself(spark: Any) -> None:
    """An ``InputError`` raised in a Python worker reaches the driver inside the Spark exception that
    reports the failed job; ``input_error_of`` gives it back as one ``InputError``. The commands' session
    (``local_session``, here the shared one) does not also log the failed task's stacks to the terminal."""
    from lucidscore.errors import InputError
    from lucidscore.score.spark import local_session
    from lucidscore.sparkenv import input_error_of

    jvm = local_session()._jvm
    for name in ("org.apache.spark.executor.Executor", "org.apache.spark.scheduler.TaskSetManager"):
        assert str(jvm.org.apache.logging.log4j.LogManager.getLogger(name).getLevel()) == "OFF"

    def refuse(batches: Any) -> Any:
        for _ in batches:
            raise InputError("column x row 7: found 'ten'; expected a number")
        yield pd.DataFrame({"x": []})

    with pytest.raises(Exception) as failed:
        spark.range(3).mapInPandas(refuse, "x long").collect()
    raised = input_error_of(failed.value)
    assert raised is not None and raised.message == "column x row 7: found 'ten'; expected a number"
    assert input_error_of(ValueError("something else")) is None


def test_names_spark_sql_reads_specially_give_the_local_model_file(spark: Any, tmp_path: Path) -> None:
    """``x.1``, ``b c``, ``X`` beside ``x``, a backtick name and a non-ASCII one: the local engine's model
    file, from a CSV file (the command's session, case-sensitive) and from a user's own DataFrame in a
    session that compares names ignoring case (Spark's default), and the user's names in it."""
    from lucidscore.cli.model_cmds import _spark_table
    from lucidscore.tabular import read_table

    frame = awkward_names(15, 1200)
    path = tmp_path / "names.csv"
    frame.to_csv(path, index=False)
    params: dict[str, Any] = {
        "segment_search": False,
        "shape_search": False,
        "refine": False,
        "interactions": 0,
    }
    local = train_scorecard(read_table(path), "y.bad", **params)
    names = {c.name for s in local.segments for c in s.characteristics}
    assert names == set(frame.columns) - {"y.bad"}
    sdf, first_row = _spark_table(path)
    assert comparable(train_spark(sdf, "y.bad", first_row=first_row, **params)) == comparable(local)
    ignoring_case = spark.conf.get("spark.sql.caseSensitive")
    spark.conf.set("spark.sql.caseSensitive", "false")
    try:
        sdf = spark.createDataFrame(frame, schema=_schema(frame))
        remote = train_spark(sdf.repartition(1), "y.bad", **params)
    finally:
        spark.conf.set("spark.sql.caseSensitive", ignoring_case)
    assert comparable(remote) == comparable(train_scorecard(frame, "y.bad", **params))


def test_a_name_given_twice_is_refused(spark: Any) -> None:
    """A DataFrame of the user's may hold one name twice, which no table the local engine reads does."""
    from lucidscore.errors import InputError

    sdf = spark.createDataFrame([(1.0, 2.0, 0), (2.0, 1.0, 1)], ["a", "a", "bad"])
    with pytest.raises(InputError, match=r"column name\(s\) a appear more than once"):
        train_spark(sdf, "bad")


def test_rows_collected_in_row_order_in_one_job(spark: Any) -> None:
    """``in_row_order`` (the searches', refinement's and the interaction search's rows) gives the rows as
    ``orderBy(ROW).toPandas()`` does, in one Spark job: a sort ran two (its range partitioner runs the plan
    above it once more to sample its keys) and a shuffle."""
    from lucidscore.model._spark_train import ROW, in_row_order

    rng = np.random.default_rng(3)
    frame = pd.DataFrame({ROW: rng.permutation(500).astype(np.int64), "v": rng.normal(size=500)})
    rows = spark.createDataFrame(frame).repartition(3)  # rows out of order, across partitions
    sc = spark.sparkContext
    group = f"in-row-order-{uuid.uuid4().hex}"
    sc.setJobGroup(group, "in_row_order")
    try:
        got = in_row_order(rows)
    finally:
        sc.setLocalProperty("spark.jobGroup.id", None)  # no group for the later tests' jobs
    assert len(sc.statusTracker().getJobIdsForGroup(group)) == 1
    pd.testing.assert_frame_equal(got, rows.orderBy(ROW).toPandas())
    assert got[ROW].tolist() == list(range(500))
