"""The feature catalogue: families, descriptions, the Parquet metadata the model reads, and its docs."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from lucidscore.features import FEATURE_CATALOGUE, compute_features, render_feature_table, write_features
from lucidscore.policy import FEATURE_META_KEY, UNUSED_FAMILY, USABLE_FAMILIES, FeatureMeta
from tests.features.conftest import AS_OF, TODAY, tiny_rows, write_tables

DOC = Path(__file__).resolve().parents[2] / "docs" / "features.md"


def test_at_least_25_characteristics_in_every_usable_family() -> None:
    assert len(FEATURE_CATALOGUE) >= 25
    families = {m.family for m in FEATURE_CATALOGUE.values()}
    assert families == set(USABLE_FAMILIES)
    assert UNUSED_FAMILY not in families


@pytest.mark.parametrize("meta", list(FEATURE_CATALOGUE.values()), ids=lambda m: m.name)
def test_each_characteristic_is_described_for_a_consumer(meta: FeatureMeta) -> None:
    assert meta.description[0].isupper()
    assert "_" not in meta.description  # plain language, not a column name
    assert meta.higher_is in ("better", "worse", "unknown")
    assert meta.unit
    assert FeatureMeta.from_dict(meta.to_dict()) == meta


def test_thin_file_indicator_for_segmentation() -> None:
    assert "n_credit_accounts" in FEATURE_CATALOGUE
    assert "thin_file" in FEATURE_CATALOGUE


def test_write_features_stores_the_catalogue_in_parquet_metadata(tmp_path: Path) -> None:
    frame = compute_features(write_tables(tmp_path / "raw", tiny_rows()), AS_OF, today=TODAY)
    path = write_features(frame, tmp_path / "out" / "features.parquet")
    table = pq.read_table(path)
    assert table.num_rows == 3
    assert table.column_names == frame.columns
    stored = json.loads(table.schema.metadata[FEATURE_META_KEY])
    metas = {d["name"]: FeatureMeta.from_dict(d) for d in stored}
    assert metas == FEATURE_CATALOGUE
    assert not list((tmp_path / "out").glob(".*.tmp"))


def test_docs_list_exactly_the_catalogue() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert render_feature_table() in text, (
        "docs/features.md is stale: paste lucidscore.features.render_feature_table() into it"
    )


# What recourse must never suggest raising (more debt, credit, applications or use of a limit), and what a
# person cannot or should not change by their own conduct (issue 10).
NEVER_RAISED = {"total_credit_balance", "revolving_utilisation", "utilisation_trend", "debt_to_income",
                "inquiries_6m", "inquiries_12m", "accounts_opened_12m", "current_dpd"}  # fmt: skip
NEVER_ADVISED = {"n_credit_accounts", "n_open_credit_accounts", "thin_file", "balance_buffer",
                 "income_avg_6m", "income_volatility_12m", "months_at_address", "months_since_oldest_account",
                 "months_since_newest_account", "public_records_5y", "charge_offs_5y"}  # fmt: skip
CODE_PREFIX = {"credit_history": "CH", "payment_behaviour": "PB", "fulfilment_capacity": "FC",
               "stability_identity": "SI"}  # fmt: skip


def test_every_characteristic_is_declared_for_reasons_and_recourse() -> None:
    metas = list(FEATURE_CATALOGUE.values())
    codes = [m.code for m in metas]
    assert len(set(codes)) == len(codes)
    for m in metas:
        assert m.code.startswith(CODE_PREFIX[m.family]) and m.code[2:].isdigit(), m.name
        assert "{value}" in m.statement and "{better}" in m.statement, m.name
        assert m.statement.endswith("scores higher.") or m.statement.endswith("score higher."), m.name
        assert m.adverse_action and "{" not in m.adverse_action and m.adverse_action[0].isupper(), m.name
    assert all(FEATURE_CATALOGUE[n].advice == "lower" for n in NEVER_RAISED)
    assert all(FEATURE_CATALOGUE[n].advice == "none" for n in NEVER_ADVISED)
