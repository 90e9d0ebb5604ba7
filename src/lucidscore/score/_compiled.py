"""An artifact compiled for the kernels: the ``Tables`` arrays, the value-matrix layout, and preparation.

Preparation (``CompiledScorecard.prepare``) turns a frame into one float64 matrix (numeric columns as
values with NaN for missing, categorical columns as codes into the model's category table with NaN for
missing and unseen values) plus the segment of each row, reading cells by the artifact's one rule
(``lucidscore.artifact.numeric_values`` / ``category_text``); the kernels then read nothing but arrays.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.artifact import (
    MAX_PRINCIPAL_REASONS,
    BinStatement,
    Characteristic,
    Interaction,
    ScorecardArtifact,
    Witness,
    attainable_bins,
    bin_statements,
    canonical_number,
    category_codes,
    category_keys,
    condition_mask,
    is_inquiry_characteristic,
    numeric_columns,
)
from lucidscore.errors import InputError
from lucidscore.score._kernel import (
    Grids,
    Tables,
    bins_kernel,
    grid_points,
    reasons_grids_kernel,
    reasons_kernel,
    run,
    score_grids_kernel,
    score_kernel,
)

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class PreparedBatch:
    """A frame ready for the kernels: the value matrix (column-major), each row's segment, ignored columns."""

    values: FloatArray
    segment: npt.NDArray[np.int32]
    extra_columns: tuple[str, ...] = ()

    @property
    def n_rows(self) -> int:
        return int(self.values.shape[0])


@dataclass(frozen=True)
class ReasonCodes:
    """Scores and ranked reasons by reason unit: global characteristic and bin indices, -1 where no reason
    applies. A pair of an interaction is named by its first characteristic and bin, with its second
    characteristic's bin in ``second_bin`` (-1 for a characteristic alone); ``points_lost`` is what the
    unit lost (0 where no reason applies).

    Column ``k`` (the last) holds the extra recent-inquiries reason, when one applies.
    """

    scores: npt.NDArray[np.int16]
    characteristic: npt.NDArray[np.int32]
    bin: npt.NDArray[np.int32]
    second_bin: npt.NDArray[np.int32]
    lost: npt.NDArray[np.int64] | None = None  # the kernel's, for a model with grids
    tables: Tables | None = None  # else points lost are read from its tables

    @cached_property
    def points_lost(self) -> npt.NDArray[np.int64]:
        """Points each reason unit lost (n x slots, 0 where no reason applies)."""
        if self.lost is not None:
            return self.lost
        assert self.tables is not None
        c, b = self.characteristic, self.bin
        lost = self.tables.best[np.maximum(c, 0)] - self.tables.points[np.maximum(b, 0)]
        return np.where(c >= 0, lost, 0)


@dataclass(frozen=True)
class Pair:
    """An interaction grid of the compiled model: its global number ``q``, segment, and the global
    characteristics of its first and second."""

    q: int
    segment: int
    first: int
    second: int
    interaction: Interaction


@dataclass
class _Columns:
    """The matrix layout: one column per (input column, dtype) the model reads."""

    index: dict[tuple[str, str], int] = field(default_factory=dict)
    category_codes: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, name: str, dtype: str) -> int:
        return self.index.setdefault((name, dtype), len(self.index))


def _category_table(char: Characteristic, codes: dict[str, int], offset: int, missing: int) -> list[int]:
    """Global bin of each category code; specials override categories (the rule's order)."""
    table = [missing] * len(codes)
    for i, b in enumerate(char.bins):
        if b.kind == "categories":
            for cat in b.categories:
                for key in category_keys(cat):
                    if table[codes[key]] == missing:
                        table[codes[key]] = offset + i
    for i, b in enumerate(char.bins):
        if b.kind == "special" and b.special_value is not None:
            for key in category_keys(canonical_number(b.special_value)):
                table[codes[key]] = offset + i
    return table


def _interval_table(char: Characteristic, offset: int) -> tuple[list[float], list[int]]:
    """Sorted finite edges, and the global bin of each elementary interval between them.

    The artifact guarantees the interval bins tile the number line, so elementary interval j, which
    covers [edges[j-1], edges[j]), lies in exactly one of them.
    """
    intervals = [(b, offset + i) for i, b in enumerate(char.bins) if b.kind == "interval"]
    edges = sorted(
        {e for b, _ in intervals for e in (b.lower, b.upper) if e is not None and math.isfinite(e)}
    )
    owners = []
    for j in range(len(edges) + 1):
        lo = -math.inf if j == 0 else edges[j - 1]
        owners.append(next(g for b, g in intervals if (b.lower is None or b.lower <= lo)
                           and (b.upper is None or lo < b.upper)))  # fmt: skip
    return edges, owners


class CompiledScorecard:
    """An artifact compiled into flat arrays (``tables``), with kernels for scores, bins and reasons."""

    def __init__(self, artifact: ScorecardArtifact) -> None:
        self.artifact = artifact
        self.characteristics: list[Characteristic] = [c for s in artifact.segments for c in s.characteristics]
        self.segment_names: list[str] = [s.name for s in artifact.segments]
        self.segment_of_characteristic: list[int] = [
            s for s, seg in enumerate(artifact.segments) for _ in seg.characteristics
        ]
        # Which bins a row can attain by changing one value without leaving its segment (and a value there):
        # reasons are measured against them, statements and recourse point only to them.
        self.witnesses: list[list[Witness | None]] = [
            attainable_bins(artifact.segments, s, char)
            for s, char in zip(self.segment_of_characteristic, self.characteristics, strict=True)
        ]
        # Interaction grids, numbered across segments in listing order (q).
        self.pairs: list[Pair] = []
        start = 0
        for s, seg in enumerate(artifact.segments):
            position = {c.name: start + i for i, c in enumerate(seg.characteristics)}
            for inter in seg.interactions:
                self.pairs.append(
                    Pair(len(self.pairs), s, position[inter.first], position[inter.second], inter)
                )
            start += len(seg.characteristics)
        members = [m for p in self.pairs for m in (p.first, p.second)]
        if len(set(members)) < len(members):  # only a model of the "stars" experiment (issue 14)
            raise ValueError(
                "a characteristic is in two interaction grids of a segment; this engine reads a "
                "characteristic in one grid at most (score such a model with lucidscore.artifact.raw_points)"
            )
        self.pair_of_first: dict[int, Pair] = {p.first: p for p in self.pairs}
        self._columns = _Columns()
        self.cache: dict[str, object] = {}  # tables derived from this model on first use (score._columns)
        self.tables, self.grids = self._compile()
        self._points_tables = (
            self.tables.points[self.tables.missing_bin],
            self.tables.points[self.tables.spec_bin],
            self.tables.points[self.tables.elem_bin],
            self.tables.points[self.tables.lut],
        )
        # Per global bin: its consumer statement, written once (a row's statement adds only its value).
        self.statements: list[BinStatement] = [
            st
            for char, witnesses in zip(self.characteristics, self.witnesses, strict=True)
            for st in bin_statements(char, witnesses)
        ]
        # Per global characteristic: the category text of each code (to write a categorical value).
        self.category_text: dict[int, list[str]] = {}
        for c, char in enumerate(self.characteristics):
            if char.dtype == "categorical":
                codes = self._columns.category_codes[char.name]
                texts = [""] * len(codes)
                for text, code in codes.items():
                    texts[code] = texts[code] or text
                self.category_text[c] = texts

    @classmethod
    def from_artifact(cls, artifact: ScorecardArtifact) -> CompiledScorecard:
        """Compile ``artifact``; cheap (milliseconds), the kernels themselves are cached on disk by numba."""
        return cls(artifact)

    # -- compilation ---------------------------------------------------------------------------------

    def _compile(self) -> tuple[Tables, Grids]:
        art = self.artifact
        cols = self._columns
        for char in self.characteristics:
            cols.add(char.name, char.dtype)
            if char.dtype == "categorical":
                codes = cols.category_codes.setdefault(char.name, {})
                for b in char.bins:
                    for cat in b.categories:
                        for key in category_keys(cat):
                            codes.setdefault(key, len(codes))
                for b in char.bins:
                    if b.kind == "special" and b.special_value is not None:
                        for key in category_keys(canonical_number(b.special_value)):
                            codes.setdefault(key, len(codes))
        seg_start = [0]
        for seg in art.segments:
            seg_start.append(seg_start[-1] + len(seg.characteristics))

        col, is_cat, missing, best, inquiry = [], [], [], [], []
        spec_start, spec_vals, spec_bin = [0], [], []
        bp_start, bp, elem_bin = [0], [], []
        lut_start, lut = [0], []
        points: list[int] = []
        bin_start = [0]
        for char, witnesses in zip(self.characteristics, self.witnesses, strict=True):
            offset = len(points)
            points.extend(b.points for b in char.bins)
            bin_start.append(len(points))
            missing_global = offset + next(i for i, b in enumerate(char.bins) if b.kind == "missing")
            col.append(cols.index[(char.name, char.dtype)])
            is_cat.append(char.dtype == "categorical")
            missing.append(missing_global)
            # Points lost are measured against the best bin the row can reach in its segment.
            best.append(max(b.points for b, w in zip(char.bins, witnesses, strict=True) if w is not None))
            inquiry.append(is_inquiry_characteristic(char))
            if char.dtype == "categorical":
                lut.extend(_category_table(char, cols.category_codes[char.name], offset, missing_global))
                elem_bin.append(missing_global)  # one elementary interval, never used
            else:
                for i, b in enumerate(char.bins):
                    if b.kind == "special" and b.special_value is not None:
                        spec_vals.append(float(b.special_value))
                        spec_bin.append(offset + i)
                edges, owners = _interval_table(char, offset)
                bp.extend(edges)
                elem_bin.extend(owners)
            spec_start.append(len(spec_vals))
            bp_start.append(len(bp))
            lut_start.append(len(lut))
        self.bin_start = np.asarray(bin_start, dtype=np.int64)
        inter_start = [0]
        inter_first: list[int] = []
        inter_second: list[int] = []
        grid_start: list[int] = []
        grid_cols: list[int] = []
        grid: list[int] = []
        member_slot = [-1] * len(self.characteristics)
        for s in range(len(art.segments)):
            for pair in (p for p in self.pairs if p.segment == s):
                one, two = pair.first, pair.second
                cells = np.asarray(pair.interaction.points_by_bin(), dtype=np.int64)
                inter_first.append(one)
                inter_second.append(two)
                grid_start.append(len(grid))
                grid_cols.append(cells.shape[1])
                grid.extend(int(v) for v in cells.ravel())
                member_slot[one], member_slot[two] = 2 * pair.q, 2 * pair.q + 1
                # The pair is one reason unit: its best joint points over pairs of attainable bins, and it
                # is a recent-inquiries unit when either member is one (docs/scoring.md, "Interactions").
                own_a = np.asarray(points[bin_start[one] : bin_start[one + 1]], dtype=np.int64)
                own_b = np.asarray(points[bin_start[two] : bin_start[two + 1]], dtype=np.int64)
                reach_a = np.asarray([w is not None for w in self.witnesses[one]])
                reach_b = np.asarray([w is not None for w in self.witnesses[two]])
                joint = own_a[:, None] + own_b[None, :] + cells
                best[one] = int(joint[reach_a[:, None] & reach_b[None, :]].max())
                inquiry[one] = inquiry[one] or inquiry[two]
                inquiry[two] = False
            inter_start.append(len(inter_first))

        def ints(values: Sequence[int]) -> npt.NDArray[np.int64]:
            return np.asarray(values, dtype=np.int64)

        return Tables(
            seg_start=ints(seg_start),
            seg_base=ints([s.base_points for s in art.segments]),
            col=ints(col),
            is_cat=np.asarray(is_cat, dtype=np.bool_),
            missing_bin=ints(missing),
            spec_start=ints(spec_start),
            spec_vals=np.asarray(spec_vals, dtype=np.float64),
            spec_bin=ints(spec_bin),
            bp_start=ints(bp_start),
            bp=np.asarray(bp, dtype=np.float64),
            elem_bin=ints(elem_bin),
            lut_start=ints(lut_start),
            lut=ints(lut),
            points=ints(points),
            best=ints(best),
            inquiry=np.asarray(inquiry, dtype=np.bool_),
            width=max(1, max(len(s.characteristics) for s in art.segments)),
        ), Grids(
            bin_start=self.bin_start,
            inter_start=ints(inter_start),
            inter_first=ints(inter_first),
            inter_second=ints(inter_second),
            grid_start=ints(grid_start),
            grid_cols=ints(grid_cols),
            grid=ints(grid),
            member_slot=ints(member_slot),
        )

    # -- public --------------------------------------------------------------------------------------

    @property
    def points_of_bin(self) -> npt.NDArray[np.int64]:
        return self.tables.points

    @property
    def required_columns(self) -> list[str]:
        """Every column scoring reads: characteristics and segment conditions, in first-use order."""
        names = [name for name, _ in self._columns.index]
        names += [s.condition.column for s in self.artifact.segments if s.condition is not None]
        return list(dict.fromkeys(names))

    def extra_columns(self, columns: Sequence[str]) -> list[str]:
        """Columns of the input that the model does not read (ignored; worth a note to the user)."""
        known = set(self.required_columns) | set(self.artifact.input_columns)
        return [c for c in columns if c not in known]

    def check_columns(self, columns: Sequence[str], source: str = "the scoring data") -> None:
        """Raise ``InputError`` naming every column the model needs that ``columns`` lacks."""
        have = set(columns)
        lacking = [c for c in self.required_columns if c not in have]
        if lacking:
            raise InputError(
                f"{source}: missing column(s) {', '.join(lacking)} that model {self.artifact.model_id} "
                f"needs; expected columns {', '.join(self.required_columns)}"
            )

    def prepare(
        self, frame: pd.DataFrame, row_offset: int = 0, source: str = "the scoring data"
    ) -> PreparedBatch:
        """Columns to one column-major float64 matrix (values or category codes) and each row's segment.

        ``row_offset`` numbers rows in error messages when ``frame`` is a chunk of a larger file.
        """
        self.check_columns(list(frame.columns), source)
        n = len(frame)
        numbers = numeric_columns(frame, self.artifact.numeric_columns, row_offset)
        values = np.empty((n, max(1, len(self._columns.index))), dtype=np.float64, order="F")
        for (name, dtype), j in self._columns.index.items():
            if dtype == "categorical":
                values[:, j] = self._category_codes(frame[name], name)
            else:
                values[:, j] = numbers[name]
        segment = np.full(n, len(self.artifact.segments) - 1, dtype=np.int32)
        conditional = [(i, s.condition) for i, s in enumerate(self.artifact.segments) if s.condition]
        for i, cond in reversed(conditional):  # first matching segment wins
            segment[condition_mask(cond, frame, row_offset)] = i
        return PreparedBatch(values, segment, tuple(self.extra_columns(list(frame.columns))))

    def _category_codes(self, series: pd.Series, name: str) -> FloatArray:
        codes_of = self._columns.category_codes[name]
        codes, texts = category_codes(series)
        mapped = [codes_of.get(t, np.nan) if t is not None else np.nan for t in texts]
        table = np.asarray([*mapped, np.nan], dtype=np.float64)
        return table[codes]

    def score(self, batch: PreparedBatch) -> npt.NDArray[np.int16]:
        """Integer scores 350-950 (the points-only path)."""
        if self.pairs:
            return run(
                score_grids_kernel, self.tables, self.grids, batch.values, batch.segment, *self._points_tables
            )
        return run(score_kernel, self.tables, batch.values, batch.segment, *self._points_tables)

    def bins(self, batch: PreparedBatch) -> npt.NDArray[np.int32]:
        """Global bin index of each row's characteristics (n x width, -1 past the segment's count)."""
        return run(bins_kernel, self.tables, batch.values, batch.segment)

    def points(self, batch: PreparedBatch) -> npt.NDArray[np.int64]:
        """Points of each row's characteristics (n x width, 0 past the segment's count); the grids' points
        are ``interaction_points``."""
        b = self.bins(batch)
        return np.where(b >= 0, self.tables.points[np.maximum(b, 0)], 0)

    @property
    def has_interactions(self) -> bool:
        return bool(self.pairs)

    def interaction_points(
        self, bins: npt.NDArray[np.int32], segment: npt.NDArray[np.int32]
    ) -> npt.NDArray[np.int64]:
        """Points of each row's cell of every grid of its segment, in the segment's order (n x most grids
        in a segment, 0 past the segment's count), from ``bins``: base points plus the row's bins' points
        plus these is the score before the 350-950 clip."""
        return run(grid_points, self.tables, self.grids, bins, segment)

    def score_with_reasons(self, batch: PreparedBatch, k: int = MAX_PRINCIPAL_REASONS) -> ReasonCodes:
        """Scores and the top ``k`` reason units by points lost, plus the recent-inquiries reason slot (a
        pair of an interaction is one unit: ``lucidscore.artifact.reason_units``)."""
        if k < 0:
            raise InputError(f"reasons is {k}; expected 0 or more")
        if not self.pairs:  # no pair: no second bins (a read-only view of -1), points lost read lazily
            scores, r_char, r_bin = run(reasons_kernel, self.tables, batch.values, batch.segment, k)
            no_pair = np.broadcast_to(np.int32(-1), r_char.shape)
            return ReasonCodes(scores, r_char, r_bin, no_pair, None, self.tables)
        scores, r_char, r_bin, r_bin2, lost = run(
            reasons_grids_kernel, self.tables, self.grids, batch.values, batch.segment, k
        )
        return ReasonCodes(scores, r_char, r_bin, r_bin2, lost)

    @property
    def has_inquiry_characteristic(self) -> bool:
        return bool(self.tables.inquiry.any())
