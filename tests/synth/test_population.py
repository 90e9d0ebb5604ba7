"""The synthetic population obeys every constraint of lucidscore.records and is deterministic by seed."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lucidscore.errors import InputError
from lucidscore.records import TABLES
from lucidscore.synth import SynthSummary, generate_population
from tests.synth.conftest import END, TODAY, read_all


def test_one_file_per_table_with_the_record_columns(population: SynthSummary) -> None:
    assert set(population.files) == {t.name for t in TABLES}
    for table in TABLES:
        path = population.out_dir / f"{table.name}.parquet"
        assert path.is_file()
        assert tuple(pl.read_parquet_schema(path)) == table.column_names
        assert population.rows[table.name] == pl.read_parquet(path).height
    assert population.rows["consumers"] == 4000
    assert population.observation_date == date(2025, 6, 30)


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_natural_keys_are_unique(tables: dict[str, pl.DataFrame], table: object) -> None:
    frame = tables[table.name]  # type: ignore[attr-defined]
    key = list(table.key)  # type: ignore[attr-defined]
    assert frame.height > 0
    assert frame.select(key).is_duplicated().sum() == 0


@pytest.mark.parametrize("table", TABLES, ids=lambda t: t.name)
def test_columns_obey_their_constraints(tables: dict[str, pl.DataFrame], table: object) -> None:
    frame = tables[table.name]  # type: ignore[attr-defined]
    for column in table.columns:  # type: ignore[attr-defined]
        series = frame.get_column(column.name)
        if not column.nullable:
            assert series.null_count() == 0, column.name
        if column.minimum is not None:
            assert series.min() >= column.minimum, column.name
        if column.maximum is not None:
            assert series.max() <= column.maximum, column.name
        if column.choices:
            assert set(series.drop_nulls().unique()) <= set(column.choices), column.name
        if column.type == "date":
            assert series.max() <= END, column.name
        if column.type == "datetime":
            assert series.max() <= datetime(END.year, END.month, END.day), column.name
        if column.type == "month":
            assert series.str.contains(r"^\d{4}-\d{2}$").all()
            assert series.max() <= f"{END.year:04d}-{END.month:02d}", column.name


def test_references_point_at_existing_rows(tables: dict[str, pl.DataFrame]) -> None:
    for table in TABLES:
        for column in table.columns:
            if column.references:
                target_table, target_column = column.references.split(".")
                known = tables[target_table].get_column(target_column)
                values = tables[table.name].get_column(column.name)
                assert values.is_in(known.implode()).all(), f"{table.name}.{column.name}"


def test_statements_lie_between_opening_and_closing(tables: dict[str, pl.DataFrame]) -> None:
    joined = tables["statements"].join(tables["accounts"], on="account_id")
    opened = joined.get_column("opened").dt.strftime("%Y-%m")
    closed = joined.get_column("closed").dt.strftime("%Y-%m")
    assert (joined.get_column("period") >= opened).all()
    assert (closed.is_null() | (joined.get_column("period") <= closed)).all()
    assert (tables["accounts"].get_column("closed").drop_nulls() >= date(1900, 1, 1)).all()
    accounts = tables["accounts"].filter(pl.col("closed").is_not_null())
    assert (accounts.get_column("closed") >= accounts.get_column("opened")).all()


def test_about_fifty_statement_rows_per_consumer(population: SynthSummary) -> None:
    assert 40 <= population.rows["statements"] / population.n_consumers <= 65


def test_file_types_in_realistic_shares(tables: dict[str, pl.DataFrame]) -> None:
    credit = (
        tables["accounts"]
        .group_by("consumer_id")
        .agg(pl.col("kind").is_in(["revolving", "instalment", "mortgage"]).sum().alias("n_credit"))
    )
    per_consumer = tables["consumers"].join(credit, on="consumer_id", how="left").fill_null(0)
    n = per_consumer.height
    bill_only = per_consumer.filter(pl.col("n_credit") == 0).height / n
    thin = per_consumer.filter(pl.col("n_credit") < 2).height / n
    assert 0.06 <= bill_only <= 0.15  # consumers with only rent, utility or telecom history
    assert 0.2 <= thin <= 0.45  # thin files (fewer than two credit accounts), bill-only included
    kinds = set(tables["accounts"].get_column("kind").unique())
    assert kinds == {"revolving", "instalment", "mortgage", "rent", "utility", "telecom"}


def test_delinquency_rolls_through_every_bucket(tables: dict[str, pl.DataFrame]) -> None:
    dpd = set(tables["statements"].get_column("days_past_due").unique())
    assert {0, 30, 60, 90, 120, 150, 180} <= dpd
    records = set(tables["public_records"].get_column("kind").unique())
    assert records == {"judgment", "bankruptcy", "charge_off"}


def test_bad_is_what_happened_after_the_observation_date(tables: dict[str, pl.DataFrame]) -> None:
    """bad = 1 exactly for consumers with 90+ DPD, a charge-off or an unpaid judgment in the 12 months
    after the observation date, as recorded in the very tables the features read (up to the date)."""
    window = (pl.col("period") > "2025-06") & (pl.col("period") <= "2026-06")
    late = (
        tables["statements"]
        .filter(window & (pl.col("days_past_due") >= 90))
        .join(tables["accounts"], on="account_id")
        .select("consumer_id")
    )
    filed = (pl.col("filed") > date(2025, 6, 30)) & (pl.col("filed") <= date(2026, 6, 30))
    derogatory = tables["public_records"].filter(
        filed & ((pl.col("kind") == "charge_off") | ((pl.col("kind") == "judgment") & ~pl.col("satisfied")))
    )
    evidence = set(late.get_column("consumer_id")) | set(derogatory.get_column("consumer_id"))
    outcomes = tables["outcomes"]
    bad = set(outcomes.filter(pl.col("bad") == 1).get_column("consumer_id"))
    assert bad == evidence
    assert set(outcomes.get_column("observation_date").unique()) == {date(2025, 6, 30)}


def test_base_bad_rate_near_the_target(population: SynthSummary, tables: dict[str, pl.DataFrame]) -> None:
    assert population.bad_rate == pytest.approx(tables["outcomes"].get_column("bad").mean())
    assert 0.06 <= population.bad_rate <= 0.10


@pytest.mark.parametrize("target", [0.03, 0.2])
def test_bad_rate_follows_the_setting(tmp_path: Path, target: float) -> None:
    summary = generate_population(3000, seed=5, out_dir=tmp_path, bad_rate=target, end=END, today=TODAY)
    assert summary.bad_rate == pytest.approx(target, abs=0.02)


def test_same_seed_same_files_other_seed_other_files(tmp_path: Path, population: SynthSummary) -> None:
    again = generate_population(4000, seed=11, out_dir=tmp_path / "again", end=END, today=TODAY)
    first, second = read_all(population.out_dir), read_all(again.out_dir)
    for name in first:
        assert_frame_equal(first[name], second[name])
    other = generate_population(4000, seed=12, out_dir=tmp_path / "other", end=END, today=TODAY)
    assert not read_all(other.out_dir)["statements"].equals(first["statements"])


def test_chunks_keep_identifiers_unique(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("lucidscore.synth._population.CHUNK_SIZE", 400)
    summary = generate_population(1000, seed=3, out_dir=tmp_path, end=END, today=TODAY)
    tables = read_all(tmp_path)
    assert summary.rows["consumers"] == 1000
    for table in TABLES:
        assert tables[table.name].select(list(table.key)).is_duplicated().sum() == 0, table.name
    accounts = tables["accounts"].get_column("account_id")
    assert tables["statements"].get_column("account_id").is_in(accounts.implode()).all()


def test_csv_format_writes_the_same_tables(tmp_path: Path) -> None:
    summary = generate_population(300, seed=4, out_dir=tmp_path / "csv", fmt="csv", end=END, today=TODAY)
    parquet = generate_population(300, seed=4, out_dir=tmp_path / "pq", end=END, today=TODAY)
    assert all(p.suffix == ".csv" for p in summary.files.values())
    assert summary.rows == parquet.rows
    csv_tables = read_all(tmp_path / "csv", "csv")
    for table in TABLES:
        assert tuple(csv_tables[table.name].columns) == table.column_names
    frame = pl.read_parquet(parquet.files["statements"])
    assert_frame_equal(
        csv_tables["statements"].select("account_id", "period", "days_past_due"),
        frame.select("account_id", "period", "days_past_due"),
    )


def test_end_moves_every_date(tmp_path: Path) -> None:
    summary = generate_population(200, seed=1, out_dir=tmp_path, end=date(2024, 2, 29), today=TODAY)
    assert summary.observation_date == date(2023, 2, 28)
    statements = pl.read_parquet(summary.files["statements"])
    assert statements.get_column("period").max() == "2024-02"
    assert statements.get_column("period").min() == "2021-03"
    assert pl.read_parquet(summary.files["accounts"]).get_column("opened").max() <= date(2024, 2, 29)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"end": date(2027, 1, 1)},
            r"end: 2027-01-01 is in the future; expected a date on or before 2026-11-22",
        ),
        ({"n_consumers": 0}, r"consumers: 0 is not a positive number"),
        ({"bad_rate": 0.9}, r"bad_rate: 0.9; expected a share between 0.02 and 0.4"),
        ({"history_months": 12}, r"history_months: 12; expected 24 to 240"),
        ({"fmt": "xlsx"}, r"format: 'xlsx'; expected parquet or csv"),
    ],
)
def test_bad_arguments_are_named(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"n_consumers": 10, "seed": 1, "out_dir": tmp_path, "today": TODAY, **kwargs}
    with pytest.raises(InputError, match=message):
        generate_population(**args)  # type: ignore[arg-type]
    assert not any(tmp_path.iterdir())


def test_roll_rates_rise_and_cures_fall_with_depth(tables: dict[str, pl.DataFrame]) -> None:
    """Month-to-month transitions: the deeper an account is behind, the likelier it rolls further and the
    less likely it cures, as in real roll-rate tables."""
    moves = (
        tables["statements"]
        .sort("account_id", "period")
        .with_columns(pl.col("days_past_due").shift(1).over("account_id").alias("before"))
        .drop_nulls("before")
        .group_by("before")
        .agg(
            (pl.col("days_past_due") > pl.col("before")).mean().alias("roll"),
            (pl.col("days_past_due") == 0).mean().alias("cure"),
        )
        .sort("before")
    )
    rates = {row["before"]: row for row in moves.iter_rows(named=True)}
    assert rates[0]["roll"] < 0.05  # most current accounts stay current
    assert rates[0]["roll"] < rates[30]["roll"] < rates[60]["roll"] <= rates[90]["roll"] + 0.05
    assert rates[30]["cure"] > rates[60]["cure"] > 0.05
