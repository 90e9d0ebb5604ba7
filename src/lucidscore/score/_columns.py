"""The reason and recourse columns of a scores table, built from kernel output with table lookups.

Per reason slot j: ``reason_j`` (the consumer statement, with the person's value), ``reason_j_code`` (the
characteristic's stable code), ``reason_j_characteristic`` (its column) and ``reason_j_points`` (points
lost, >= 1). A pair of an interaction grid is one reason: its code is ``"<first code>+<second code>"``,
its characteristic ``"<first column>+<second column>"``, its statement names both with both values.

With recourse: ``recourse_target_tier``, ``recourse_score``, ``recourse_note`` and per step
``recourse_k_characteristic``, ``recourse_k_from`` (the person's value) and ``recourse_k_to`` (the range to
reach), all in words.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.artifact import format_range, pair_statement_text, pair_statements
from lucidscore.score._compiled import CompiledScorecard, PreparedBatch, ReasonCodes
from lucidscore.score._recourse import (
    NO_PLAN,
    NOTHING_ACTIONABLE,
    TOP_TIER,
    MoveTables,
    Plans,
    move_tables,
    plan_recourse,
)
from lucidscore.score._statements import ValueTexts, as_column

IntArray = npt.NDArray[np.int64]

REASON_FIELDS = ("", "_code", "_characteristic", "_points")
RECOURSE_FIELDS = ("_characteristic", "_from", "_to")


class Lookups:
    """Tables derived once from a compiled model: statements, codes, names, value texts, moves."""

    def __init__(self, compiled: CompiledScorecard) -> None:
        self.compiled = compiled
        chars = compiled.characteristics
        counts = np.diff(compiled.bin_start)
        self.bin_char: IntArray = np.repeat(np.arange(len(chars), dtype=np.int64), counts)
        cats = [compiled.category_text.get(c) for c in range(len(chars))]
        self.statements = ValueTexts(
            [st.parts for st in compiled.statements],
            [chars[int(c)].unit for c in self.bin_char],
            [cats[int(c)] for c in self.bin_char],
        )
        self.values = ValueTexts([("", "")] * len(chars), [c.unit for c in chars], cats)
        # Codes and names of reason units: characteristic c is key c; the pair of grid q is key
        # len(chars) + q (``unit_keys``).
        pairs = compiled.pairs
        self.pair_of_first = np.full(len(chars), -1, dtype=np.int64)
        self.pair_second = np.asarray([p.second for p in pairs], dtype=np.int64)
        for p in pairs:
            self.pair_of_first[p.first] = p.q
        self.code_of, self.codes = _factorize(
            [c.reason_code for c in chars]
            + [f"{chars[p.first].reason_code}+{chars[p.second].reason_code}" for p in pairs]
        )
        self.name_of, self.names = _factorize(
            [c.name for c in chars] + [f"{chars[p.first].name}+{chars[p.second].name}" for p in pairs]
        )
        # The range of each global bin in words (what a recourse step moves to).
        self.range_of, self.ranges = _factorize(
            [
                format_range(char.unit, b.lower, b.upper) if b.kind == "interval" else b.label
                for char in chars
                for b in char.bins
            ]
        )

    @cached_property
    def moves(self) -> MoveTables:
        return move_tables(self.compiled.artifact, self.compiled.witnesses)

    @cached_property
    def pair_cells(self) -> tuple[IntArray, list[str]]:
        """Every pair's consumer statement per cell: grid q's cell (a, b) (local bins) is entry
        ``start[q] + a * bins of second + b`` of the list (``artifact.pair_statements``)."""
        compiled = self.compiled
        start: list[int] = []
        templates: list[str] = []
        for p in compiled.pairs:
            first, second = compiled.characteristics[p.first], compiled.characteristics[p.second]
            joint = (
                np.asarray([b.points for b in first.bins])[:, None]
                + np.asarray([b.points for b in second.bins])[None, :]
                + np.asarray(p.interaction.points_by_bin())
            )
            start.append(len(templates))
            cells = pair_statements(
                first, second, joint.tolist(), compiled.witnesses[p.first], compiled.witnesses[p.second]
            )
            templates += [text for row in cells for text in row]
            assert int(compiled.grids.grid_cols[p.q]) == len(second.bins)
        return np.asarray(start, dtype=np.int64), templates

    def unit_keys(self, chars: npt.NDArray[np.integer], second_bins: npt.NDArray[np.integer]) -> IntArray:
        """The reason unit of each slot: characteristic c, or len(characteristics) + q for grid q's pair
        (-1 where no reason applies)."""
        keys = np.asarray(chars, dtype=np.int64)
        if not self.compiled.pairs:
            return keys
        paired = np.asarray(second_bins) >= 0
        n_chars = len(self.compiled.characteristics)
        return np.where(paired, n_chars + self.pair_of_first[np.maximum(keys, 0)], keys)

    def _words(self, batch: PreparedBatch, chars: npt.NDArray[np.integer]) -> tuple[IntArray, list[str]]:
        """Each row's value of characteristic ``chars[row]`` in words, as codes into a list whose last
        entry is "" (no characteristic, or a missing value: a statement of a missing bin names none)."""
        values = self.cell_values(batch, chars)
        codes, words = self.values.codes(np.where(np.isnan(values), -1, chars), values)
        return np.where(codes >= 0, codes, len(words)).astype(np.int64), [*words, ""]

    def statement_codes(
        self, batch: PreparedBatch, codes: ReasonCodes, j: int
    ) -> tuple[npt.NDArray[np.int32], list[str]]:
        """The consumer statement of reason slot ``j`` of every row, as codes into a list of texts."""
        chars, bins, seconds = codes.characteristic[:, j], codes.bin[:, j], codes.second_bin[:, j]
        if not self.compiled.pairs:
            return self.statements.codes(bins, self.cell_values(batch, chars))
        paired = seconds >= 0
        out, texts = self.statements.codes(np.where(paired, -1, bins), self.cell_values(batch, chars))
        if not paired.any():
            return out, texts
        first_c = np.where(paired, chars, -1)
        q = self.pair_of_first[np.maximum(first_c, 0)]
        second_c = np.where(paired, self.pair_second[np.maximum(q, 0)] if len(self.pair_second) else -1, -1)
        a_codes, a_words = self._words(batch, first_c)
        b_codes, b_words = self._words(batch, second_c)
        start, templates = self.pair_cells
        g = self.compiled.grids
        local_a = bins - g.bin_start[np.maximum(first_c, 0)]
        local_b = seconds - g.bin_start[np.maximum(second_c, 0)]
        cell = start[np.maximum(q, 0)] + local_a * g.grid_cols[np.maximum(q, 0)] + local_b
        rows = np.flatnonzero(paired)
        n_a, n_b = len(a_words), len(b_words)
        triple = (cell[rows] * n_a + a_codes[rows]) * n_b + b_codes[rows]
        triple_code, distinct = pd.factorize(triple)
        pair_texts = [
            pair_statement_text(templates[x // (n_a * n_b)], a_words[x // n_b % n_a], b_words[x % n_b])
            for x in np.asarray(distinct, dtype=np.int64).tolist()
        ]
        # Texts made distinct (two values may write alike): each code into one list of distinct texts.
        text_code, distinct_texts = pd.factorize(pd.Series([*texts, *pair_texts], dtype=object))
        remap = np.append(np.asarray(text_code, dtype=np.int32), -1)
        out = remap[out]
        out[rows] = remap[len(texts) + np.asarray(triple_code, dtype=np.int64)]
        return out, [str(x) for x in distinct_texts]

    def cell_values(self, batch: PreparedBatch, chars: npt.NDArray[np.integer]) -> npt.NDArray[np.float64]:
        """Each row's value (or category code) of characteristic ``chars[row]`` (any value where < 0)."""
        col = self.compiled.tables.col[np.maximum(chars, 0)]
        n = batch.n_rows
        flat = batch.values.reshape(-1, order="F")  # a view: the matrix is column-major
        return flat.take(col * n + np.arange(n, dtype=np.int64))


def _factorize(items: list[str]) -> tuple[npt.NDArray[np.int32], list[str]]:
    codes, uniques = pd.factorize(pd.Series(items, dtype=object))
    return np.asarray(codes, dtype=np.int32), [str(u) for u in uniques]


def lookups(compiled: CompiledScorecard) -> Lookups:
    """The compiled model's lookups, built on first use and kept with it."""
    found = compiled.cache.get("lookups")
    if not isinstance(found, Lookups):
        found = compiled.cache["lookups"] = Lookups(compiled)
    return found


def _coded(
    codes: npt.NDArray[np.int32], names: list[str], categorical: bool, index: pd.Index | None
) -> pd.Series:
    return as_column(codes, names, categorical, index)


def take(table: npt.NDArray[np.integer], keys: npt.NDArray[np.integer]) -> npt.NDArray[np.int32]:
    """table[keys] where keys >= 0, else -1 (an empty table is fine)."""
    return np.append(table, -1).astype(np.int32)[np.where(keys >= 0, keys, -1)]


def _small_ints(
    values: npt.NDArray[np.integer], present: npt.NDArray[np.bool_], index: pd.Index | None
) -> pd.Series:
    return pd.Series(pd.arrays.IntegerArray(values.astype(np.int16), ~present), index=index)


def reason_columns(
    compiled: CompiledScorecard,
    batch: PreparedBatch,
    codes: ReasonCodes,
    width: int,
    categorical: bool,
    index: pd.Index | None = None,
) -> dict[str, pd.Series]:
    """The four columns of each of the first ``width`` reason slots."""
    look = lookups(compiled)
    out: dict[str, pd.Series] = {}
    for j in range(width):
        c = codes.characteristic[:, j]
        unit = look.unit_keys(c, codes.second_bin[:, j])
        present = c >= 0
        text_codes, texts = look.statement_codes(batch, codes, j)
        name = f"reason_{j + 1}"
        out[name] = as_column(text_codes, texts, categorical, index)
        out[f"{name}_code"] = _coded(take(look.code_of, unit), look.codes, categorical, index)
        out[f"{name}_characteristic"] = _coded(take(look.name_of, unit), look.names, categorical, index)
        out[f"{name}_points"] = _small_ints(codes.points_lost[:, j], present, index)
    return out


@dataclass(frozen=True)
class Recourse:
    """A batch's plans with what is needed to write them (``bins`` of every row's characteristics)."""

    plans: Plans
    bins: npt.NDArray[np.int32]
    raw: IntArray


def batch_recourse(
    compiled: CompiledScorecard, batch: PreparedBatch, scores: npt.ArrayLike, max_changes: int
) -> Recourse:
    """Recourse for every row of ``batch`` (at most ``max_changes`` changes each)."""
    bins = compiled.bins(batch)
    plans = plan_recourse(lookups(compiled).moves, bins, batch.segment, scores, max_changes)
    return Recourse(plans, bins, plans.raw)


def recourse_notes(
    compiled: CompiledScorecard, plans: Plans, max_changes: int
) -> tuple[npt.NDArray[np.int32], list[str]]:
    """Why a row has no plan, as codes into a list of notes (-1 where it has one)."""
    tiers = compiled.artifact.scaling.tiers
    notes = [
        "already in the top tier",
        "no characteristic of this score declares a direction a person could move it",
    ]
    codes = np.full(plans.status.shape[0], -1, dtype=np.int32)
    codes[plans.status == TOP_TIER] = 0
    codes[plans.status == NOTHING_ACTIONABLE] = 1
    for k, tier in enumerate(tiers):
        rows = (plans.status == NO_PLAN) & (plans.target_tier == k)
        if rows.any():
            codes[rows] = len(notes)
            notes.append(
                f"no change to up to {max_changes} characteristic(s), each in its declared direction, "
                f"reaches {tier.name} ({tier.min_score}+)"
            )
    return codes, notes


def recourse_columns(
    compiled: CompiledScorecard,
    batch: PreparedBatch,
    recourse: Recourse,
    max_changes: int,
    categorical: bool,
    index: pd.Index | None = None,
) -> dict[str, pd.Series]:
    """``recourse_target_tier``, ``recourse_score``, ``recourse_note`` and the steps' columns."""
    look = lookups(compiled)
    plans = recourse.plans
    tier_names = [t.name for t in compiled.artifact.scaling.tiers]
    note_codes, notes = recourse_notes(compiled, plans, max_changes)
    out = {
        "recourse_target_tier": _coded(plans.target_tier.astype(np.int32), tier_names, categorical, index),
        "recourse_score": _small_ints(plans.new_score, plans.status == 0, index),
        "recourse_note": as_column(note_codes, notes, categorical, index),
    }
    moves = look.moves
    for k in range(max_changes):
        to_bin = take(moves.to_bin, plans.moves[:, k])
        char = take(look.bin_char, to_bin)
        value_codes, values = look.values.codes(char, look.cell_values(batch, char))
        name = f"recourse_{k + 1}"
        out[f"{name}_characteristic"] = _coded(take(look.name_of, char), look.names, categorical, index)
        out[f"{name}_from"] = as_column(value_codes, values, categorical, index)
        out[f"{name}_to"] = _coded(take(look.range_of, to_bin), look.ranges, categorical, index)
    return out
