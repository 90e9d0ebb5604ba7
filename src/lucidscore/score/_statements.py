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
from numpy.dtypes import StringDType

from lucidscore.artifact import display_round, format_rounded, statement_text
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
        self.simple = np.asarray([len(p) <= 2 for p in parts], dtype=np.bool_)
        self.prefix = np.asarray([p[0] for p in parts], dtype=StringDType())
        self.suffix = np.asarray([p[1] if len(p) == 2 else "" for p in parts], dtype=StringDType())
        self.unit_names = sorted(set(units))
        self.units = list(units)
        self.categories = list(categories)
        self.is_cat = np.asarray([c is not None for c in categories], dtype=np.bool_)
        self.unit_of = np.asarray([self.unit_names.index(u) for u in units], dtype=np.int64)
        # A value is written the same for every key of one unit (or one category list): words are kept per
        # (writer, value) across calls, so chunks and reason slots write each value once.
        writers: dict[object, int] = {}
        self.writer_of = [
            writers.setdefault(u if c is None else id(c), len(writers))
            for u, c in zip(units, categories, strict=True)
        ]
        self._words: dict[tuple[int, float], str] = {}

    def _word(self, key: int, value: float) -> str:
        found = self._words.get((self.writer_of[key], value))
        if found is not None:
            return found
        cats = self.categories[key]
        word = cats[int(value)] if cats is not None else format_rounded(self.units[key], value)  # rounded
        if len(self._words) > 1_000_000:  # bounded memory on endless batches
            self._words.clear()
        self._words[(self.writer_of[key], value)] = word
        return word

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
        # One text per distinct (key, rounded value): two hash passes over the rows, then work per pair.
        # Hashing the values' bits is faster than hashing floats (-0.0 and 0.0 then differ: harmless, they
        # write the same text, and texts are made distinct below).
        value_code, value_bits = pd.factorize(rounded.view(np.int64))
        value_of = np.asarray(value_bits, dtype=np.int64).view(np.float64)
        n_values = max(1, len(value_of))
        pair_code, pairs = pd.factorize(k * n_values + value_code)
        pair_key, pair_value = np.divmod(np.asarray(pairs, dtype=np.int64), n_values)
        words = np.asarray(
            [
                self._word(int(key), float(value_of[j])) if self.has_value[key] else ""
                for key, j in zip(pair_key.tolist(), pair_value.tolist(), strict=True)
            ],
            dtype=StringDType(),
        )
        texts = np.strings.add(np.strings.add(self.prefix[pair_key], words), self.suffix[pair_key])
        texts = texts.astype(object)
        for i in np.flatnonzero(~self.simple[pair_key]):  # a template with {value} twice or more
            texts[i] = statement_text(self.parts[int(pair_key[i])], str(words[i]))
        text_code, distinct = pd.factorize(texts)
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
