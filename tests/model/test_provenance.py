"""What a fitted model records about where it came from (issue 13): the held-out rows of its split, a
fingerprint of exactly its training rows, and which characteristics were declared rather than guessed."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from lucidscore.artifact import training_overlap
from lucidscore.model import InferredMeta, Scorecard, is_declared, meta_for, train_scorecard, train_split
from lucidscore.policy import FeatureMeta
from tests.model._sim import credit_table

FAST = {"segment_search": False, "shape_search": False}


def test_the_held_out_rows_are_kept_and_the_fingerprint_covers_only_the_training_rows() -> None:
    frame = credit_table(4000, seed=1).assign(SEX=np.arange(4000) % 2, row_id=np.arange(4000))
    trained = train_split(
        frame, "bad", test_size=0.3, seed=0, exclude=["row_id"], audit_columns=["SEX"], **FAST
    )
    heldout, art = trained.heldout, trained.artifact
    assert heldout is not None and list(heldout.columns) == list(frame.columns)  # every column
    assert len(heldout) == art.training["split"]["test_rows"] == 1200
    assert heldout["row_id"].is_monotonic_increasing  # in input order
    training = frame[~frame["row_id"].isin(heldout["row_id"])]
    assert len(training) == art.training["split"]["train_rows"]
    fp = art.fingerprint
    assert fp is not None and fp.rows == len(training)
    assert sorted(fp.columns) == sorted(frame.columns)  # every column: audit columns tell people apart too
    assert training_overlap(fp, training).in_training == len(training)
    held = training_overlap(fp, heldout)
    assert held.label == "held-out" and held.high is not None and held.high < 0.01 * len(heldout)
    whole = training_overlap(fp, frame)
    assert whole.label == "in-sample"
    assert whole.low is not None and whole.high is not None and whole.low <= 2800 <= whole.high


def test_without_a_split_every_row_trained_the_model() -> None:
    frame = credit_table(2500, seed=2)
    trained = train_split(frame, "bad", **FAST)
    assert trained.heldout is None
    art = trained.artifact
    assert art.fingerprint is not None and art.fingerprint.rows == 2500
    assert train_scorecard(frame, "bad", **FAST).fingerprint == art.fingerprint


def test_the_estimator_fingerprints_its_rows_with_the_target() -> None:
    frame = credit_table(2500, seed=3)
    card = Scorecard(**FAST).fit(frame.drop(columns=["bad"]), frame["bad"])
    fp = card.artifact_.fingerprint
    assert fp is not None and fp.columns[-1] == "bad"
    assert training_overlap(fp, frame).in_training == 2500


def test_declared_characteristics_are_marked_and_guessed_ones_are_not() -> None:
    frame = credit_table(3000, seed=4)
    declared = {
        "months_late": FeatureMeta("months_late", "credit_history", "Months late on the latest payment"),
        "utilisation": FeatureMeta("utilisation", "fulfilment_capacity", "Share of credit in use"),
    }
    # A guessed column marked actionable (as train --actionable does) stays undeclared.
    declared["tenure_months"] = replace(meta_for("tenure_months", None), advice="higher")
    art = train_scorecard(frame, "bad", feature_meta=declared, **FAST)
    chars = {c.name: c for s in art.segments for c in s.characteristics}
    assert chars["months_late"].declared and chars["utilisation"].declared
    assert chars["months_late"].description == "Months late on the latest payment"
    assert isinstance(declared["tenure_months"], InferredMeta) and not is_declared(declared["tenure_months"])
    assert chars["tenure_months"].actionable and not chars["tenure_months"].declared
    undeclared = [name for name, c in chars.items() if not c.declared]
    # Every characteristic but the two declared ones is undeclared: the guessed tenure_months, and any
    # that refinement added after selection left it out (docs/model.md 7b).
    assert "tenure_months" in undeclared and art.undeclared == undeclared
    assert undeclared == [n for n in chars if n not in ("months_late", "utilisation")]
    assert all(chars[n].description == n for n in undeclared)  # the name is all a guess can say


def test_a_flat_file_without_declarations_trains_with_every_characteristic_undeclared() -> None:
    art = train_scorecard(credit_table(3000, seed=5), "bad", **FAST)
    names = [c.name for s in art.segments for c in s.characteristics]
    assert names and art.undeclared == list(dict.fromkeys(names))


def test_the_fingerprint_reads_the_same_rows_from_a_parquet_copy(tmp_path: object) -> None:
    frame = credit_table(2000, seed=6)
    art = train_scorecard(frame, "bad", **FAST)
    assert art.fingerprint is not None
    path = f"{tmp_path}/copy.parquet"
    frame.astype({"months_late": "int64"}).to_parquet(path, index=False)
    assert training_overlap(art.fingerprint, pd.read_parquet(path)).in_training == 2000
