"""Texts with a person's own value in them, for a whole batch at once.

A statement is fixed pieces (written once per bin, ``artifact.bin_statements``) joined by the row's value
in words. Values are first rounded as they are written (``artifact.display_round``), so a batch has few
distinct (bin, written value) pairs: each pair is written once and every row gets a code into the list of
texts — no Python work per row, and the columns are categoricals (fast to build and to write to Parquet).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore.artifact import display_round, format_value, statement_text
from lucidscore.policy import Unit

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


class ValueTexts:
    """Texts keyed by an integer (a bin, a characteristic), each ``parts`` joined by a value in words.

    ``units[key]`` says how the value is written; ``categories[key]`` (when not None) lists the category
    text of each code, for a categorical characteristic whose value is a category code.
    """

    def __init__(
        self,
        parts: Sequence[tuple[str, ...]],
        units: Sequence[Unit],
        categories: Sequence[list[str] | None],
    ) -> None:
        self.parts = list(parts)
        self.has_value = np.asarray([len(p) > 1 for p in parts], dtype=np.bool_)
        self.unit_names = sorted(set(units))
        self.unit_of = np.asarray([self.unit_names.index(u) for u in units], dtype=np.int64)
        self.is_cat = np.asarray([c is not None for c in categories], dtype=np.bool_)
        self.units = list(units)
        self.categories = list(categories)

    def _word(self, key: int, value: float) -> str:
        cats = self.categories[key]
        if cats is not None:
            return cats[int(value)]
        return format_value(self.units[key], value)

    def codes(self, keys: npt.ArrayLike, values: npt.ArrayLike) -> tuple[npt.NDArray[np.int32], list[str]]:
        """Each row's text as a code into the returned list of distinct texts (-1 where key < 0)."""
        key = np.asarray(keys, dtype=np.int64)
        out = np.full(key.shape[0], -1, dtype=np.int32)
        valid = key >= 0
        if not valid.any():
            return out, []
        k = key[valid]
        v = np.asarray(values, dtype=np.float64)[valid]
        rounded = np.zeros(k.shape[0], dtype=np.float64)
        needs = self.has_value[k]
        plain = needs & self.is_cat[k]
        rounded[plain] = v[plain]
        for u, unit in enumerate(self.unit_names):
            rows = needs & ~self.is_cat[k] & (self.unit_of[k] == u)
            if rows.any():
                rounded[rows] = display_round(unit, v[rows])
        value_code, value_of = pd.factorize(rounded, use_na_sentinel=False)
        pair_code, pairs = pd.factorize(k * max(1, len(value_of)) + value_code)
        texts = []
        for pair in np.asarray(pairs, dtype=np.int64):
            b, j = divmod(int(pair), max(1, len(value_of)))
            word = self._word(b, float(value_of[j])) if self.has_value[b] else ""
            texts.append(statement_text(self.parts[b], word))
        text_code, distinct = pd.factorize(pd.Series(texts, dtype=object))
        out[valid] = np.asarray(text_code, dtype=np.int32)[pair_code]
        return out, [str(t) for t in distinct]


def as_column(
    codes: npt.NDArray[np.int32], texts: list[str], categorical: bool, index: pd.Index | None = None
) -> pd.Series:
    """A text column: a categorical (missing = NaN) or objects (missing = None)."""
    cats = pd.Categorical.from_codes(codes, categories=pd.Index(texts, dtype=object))
    if categorical:
        return pd.Series(cats, index=index)
    objects = np.asarray([*texts, None], dtype=object)[codes]  # code -1 picks the trailing None
    return pd.Series(objects, index=index, dtype=object, copy=False)
