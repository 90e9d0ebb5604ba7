"""The local batch engine: chunked reading, one output row per input row, atomic Parquet output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from lucidscore.errors import InputError, ModelFileError
from lucidscore.score import ROW_COLUMN, score_file, score_frame
from tests.score.cards import two_cards


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


def test_header_only_file(tmp_path: Path, model: Path) -> None:
    applicants(3).iloc[:0].to_csv(tmp_path / "data.csv", index=False)
    with pytest.raises(InputError, match="has no data rows"):
        score_file(model, tmp_path / "data.csv", tmp_path / "out.parquet", progress=False)


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
