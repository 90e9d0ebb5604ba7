"""The fingerprint of a model's training rows: which rows trained it, never what they hold.

A model file carries a compact sketch of the rows it was fitted on (``RowFingerprint``), so that
``lucidscore evaluate`` can say how many of the rows it is given were used in training, and label figures
on them "in-sample" rather than "held-out" (issue 13).

How it is built:

1. each row gets a 64-bit hash of its values in every column of the training table (the target and
   the audit columns included: without them two people with the same record would look like one; the
   columns are listed in the fingerprint), read the way a cell is
   read everywhere in lucidscore (``_values``): a cell that reads as a number hashes as that number, so
   ``1``, ``1.0``, ``"1"`` and ``" 1.0 "`` are the same value and a CSV and a Parquet copy of a table
   give the same hashes; other text hashes as its stripped text; an empty cell as missing. The hash is
   salted with the fingerprint's ``key`` (derived from the training rows themselves, so the same rows
   give the same model file);
2. rows whose hash falls under ``sample_threshold`` (out of 2**32) are kept: every row up to
   ``CAPACITY`` training rows, a hash-chosen sample of about ``CAPACITY`` rows above that, so the
   fingerprint stays small (at most about 54 KB of JSON) however many rows trained the model;
3. the kept hashes are put in a Bloom filter sized for a false-positive rate of ``TARGET_FPR`` (0.2%).

How it is read (``training_overlap``): the rows given are hashed the same way; of those that fall under
the same threshold, the share found in the filter, less the filter's false-positive rate, estimates the
share of rows that trained the model, with a 95% interval that covers the false positives (binomial) and,
when the filter holds a sample, the sampling.

What it holds: bits set by salted hashes, the row count and the names of the columns hashed; no value of
any row can be read back. Anyone
holding both the model file and a row can test whether that row (very probably) trained the model: that
is the point of it, and the reason a model file should be kept as the fact of a person's being in the
lender's book would be. A row identical in every column to a training row counts as a training row.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:  # pandas loads when rows are hashed, not when a model file is read (the service)
    import pandas as pd

CAPACITY = 25_000  # training rows kept in the filter at most (a hash-chosen sample above this)
# The false-positive rate the filter is sized for: low enough that a few hundred held-out rows are told
# apart from a 1% contamination (the label's threshold), at 12.9 bits (1.6 bytes) per row.
TARGET_FPR = 0.002
HASHES = 9  # bits set per row: the best number for 0.2% (-log2 0.002 = 9.0)
Z95 = 1.959963984540054
FULL = 1 << 32

U64 = npt.NDArray[np.uint64]
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_MISSING = np.uint64(0x6D697373696E6721)  # what an empty cell hashes as, before its column's seed


class RowFingerprint(BaseModel):
    """A Bloom filter of salted hashes of the training rows (module docstring): which rows, not their
    values."""

    model_config = ConfigDict(extra="forbid")

    method: Literal["bloom-splitmix64-v1"] = "bloom-splitmix64-v1"
    columns: list[str]  # the columns hashed, in order (every column of the training table)
    rows: int = Field(ge=0)  # training rows
    key: str  # hex salt of the row hash
    sample_threshold: int = Field(ge=0, le=FULL)  # a row is kept when its hash's top 32 bits are below
    kept_rows: int = Field(ge=0)  # distinct training rows in the filter
    n_bits: int = Field(ge=8)
    n_hashes: int = Field(ge=1)
    bits: str  # base64 of the bit array (bit i is bit i % 8 of byte i // 8)
    false_positive_rate: float = Field(ge=0, le=1)  # of a row not in training, from the filter's fill

    @property
    def sample_rate(self) -> float:
        """The share of rows the filter holds (1.0 up to ``CAPACITY`` training rows)."""
        return self.sample_threshold / FULL


def _splitmix(x: U64) -> U64:
    """splitmix64's finaliser: a bijection on 64-bit integers that spreads every input bit."""
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
    return np.asarray(z ^ (z >> np.uint64(31)), dtype=np.uint64)


def _text_hash(text: str, seed: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8, key=seed).digest(), "little")


def _splitmix_into(z: U64, scratch: U64) -> None:
    """``z = _splitmix(z)`` in place (``scratch``: an array of z's size to overwrite), the same bits without
    the nine temporary arrays: row hashing makes two of these passes per column of the table."""
    with np.errstate(over="ignore"):
        np.add(z, _GOLDEN, out=z)
        for shift, mix in ((30, _MIX1), (27, _MIX2)):
            np.right_shift(z, np.uint64(shift), out=scratch)
            np.bitwise_xor(z, scratch, out=z)
            np.multiply(z, mix, out=z)
        np.right_shift(z, np.uint64(31), out=scratch)
        np.bitwise_xor(z, scratch, out=z)


def _column_hashes_into(
    out: U64, scratch: U64, values: pd.Series | npt.NDArray[np.float64], seed: bytes
) -> None:
    """Each cell's hash in one column, written to ``out``: numbers by value, other text by its stripped
    text, empty as one (``values``: the cells, or a float64 column's numbers, as ``parse_numbers`` reads
    them)."""
    import pandas as pd

    from lucidscore.artifact._values import parse_numbers

    if isinstance(values, np.ndarray):
        numbers, junk = values, np.zeros(values.shape[0], dtype=np.bool_)
    else:
        numbers, junk = parse_numbers(values)
    seed64 = np.uint64(int.from_bytes(seed[:8], "little"))
    with np.errstate(invalid="ignore"):
        np.add(numbers, 0.0, out=out.view(np.float64))  # + 0.0: -0.0 and 0.0 are one value
    np.bitwise_xor(out, seed64, out=out)
    _splitmix_into(out, scratch)
    missing = np.isnan(numbers)
    if missing.any():
        out[missing] = _splitmix(np.asarray([_MISSING ^ seed64], dtype=np.uint64))[0]
    if junk.any() and not isinstance(values, np.ndarray):  # only read cells hold text
        text = values[junk].astype(str).str.strip()
        codes, uniques = pd.factorize(text)
        table = np.asarray([_text_hash("t:" + u, seed) for u in uniques], dtype=np.uint64)
        out[junk] = table[codes]


def row_hashes(frame: pd.DataFrame, columns: list[str], key: bytes = b"") -> U64:
    """A 64-bit hash of each row's values in ``columns`` (in that order), salted with ``key``."""
    return _hashes_of([frame[name] for name in columns], columns, len(frame), key)


# Rows are hashed a block at a time: each column's ~20 passes of whole-array arithmetic then run on arrays
# of 512 KB, in the core's cache, instead of streaming arrays of 8 MB per 1,000,000 rows through memory
# (0.40 -> 0.23 CPU-s for 1,000,000 rows x 24 columns). Element by element, so the same bits.
BLOCK_ROWS = 65_536


def _hashes_of(values: list[pd.Series], columns: list[str], n: int, key: bytes = b"") -> U64:
    """``row_hashes`` of the columns ``values`` (named ``columns``, ``n`` rows each), ``BLOCK_ROWS`` rows
    at a time."""
    h = np.full(n, np.uint64(len(columns)), dtype=np.uint64)
    seeds = [
        hashlib.blake2b(c.encode("utf-8"), digest_size=16, key=b"lucidscore.rows").digest() for c in columns
    ]
    # A float64 column is read as its numbers (what parse_numbers reads, without a copy); others a block
    # of cells at a time (an int column's numbers would be a copy: one block's, not the column's).
    read = [v.to_numpy() if v.dtype == np.float64 else v for v in values]
    size = min(n, BLOCK_ROWS)
    cell, scratch = np.empty(size, dtype=np.uint64), np.empty(size, dtype=np.uint64)
    for start in range(0, n, BLOCK_ROWS):
        rows = min(BLOCK_ROWS, n - start)
        block, c, s = h[start : start + rows], cell[:rows], scratch[:rows]
        for column, seed in zip(read, seeds, strict=True):
            part = (
                column[start : start + rows]
                if isinstance(column, np.ndarray)
                else column.iloc[start : start + rows]
            )
            _column_hashes_into(c, s, part, seed)
            np.bitwise_xor(block, c, out=block)
            _splitmix_into(block, s)
    return _salted(h, key) if key else h


def _salted(h: U64, key: bytes) -> U64:
    salt = np.uint64(int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "little"))
    z = h ^ salt
    scratch = np.empty_like(z)
    _splitmix_into(z, scratch)
    with np.errstate(over="ignore"):
        np.add(z, salt, out=z)
    _splitmix_into(z, scratch)
    return z


def _positions(h: U64, n_bits: int, n_hashes: int) -> npt.NDArray[np.int64]:
    """The filter's bit positions of each hash, rows x ``n_hashes`` (double hashing on a remixed hash)."""
    g = _splitmix(h ^ np.uint64(0xA5A5A5A5A5A5A5A5))
    h1 = g & np.uint64(0xFFFFFFFF)
    h2 = (g >> np.uint64(32)) | np.uint64(1)
    steps = np.arange(n_hashes, dtype=np.uint64)
    with np.errstate(over="ignore"):
        pos = (h1[:, None] + steps[None, :] * h2[:, None]) % np.uint64(n_bits)
    return pos.astype(np.int64)


def fingerprint_rows(frame: pd.DataFrame) -> RowFingerprint:
    """The fingerprint of the rows of ``frame`` (every column of it, in order).

    >>> import pandas as pd
    >>> frame = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "b", None]})
    >>> fp = fingerprint_rows(frame)
    >>> fp.rows, fp.kept_rows, training_overlap(fp, frame).in_training
    (3, 3, 3)
    """
    return fingerprint_rows_later(frame)()


def fingerprint_rows_later(frame: pd.DataFrame) -> Callable[[], RowFingerprint]:
    """``fingerprint_rows`` in two steps: the columns are taken out of ``frame`` now, and the returned
    function hashes them when called, on any thread (it touches no pandas object shared with the caller's
    thread; numpy drops the GIL in its loops), e.g. on a second core while a model is fitted."""
    columns = [str(c) for c in frame.columns]
    values = [frame[name] for name in columns]
    n = len(frame)
    return lambda: fingerprint_from_hashes(columns, _hashes_of(values, columns, n))


def fingerprint_from_hashes(columns: list[str], plain: U64) -> RowFingerprint:
    """``fingerprint_rows`` from the rows' unsalted ``row_hashes``, in row order (the key hashes them in
    order): what an engine that hashes rows elsewhere (Spark, in batches) hands back."""
    # The hashes' bytes read in place (the digest of ``plain.tobytes()``, without an 8-byte-a-row copy).
    key = hashlib.blake2b(np.ascontiguousarray(plain).data, digest_size=16, person=b"lucidscore.key").digest()
    h = _salted(plain, key)
    n = int(plain.size)
    threshold = FULL if n <= CAPACITY else FULL * CAPACITY // n
    kept = np.unique(h[(h >> np.uint64(32)) < np.uint64(threshold)])
    per_row = -math.log(TARGET_FPR) / math.log(2) ** 2
    n_bits = max(64, math.ceil(kept.size * per_row / 8) * 8)
    filled = np.zeros(n_bits, dtype=np.bool_)
    filled[_positions(kept, n_bits, HASHES).ravel()] = True
    fill = float(filled.mean())
    return RowFingerprint(
        columns=columns,
        rows=n,
        key=key.hex(),
        sample_threshold=threshold,
        kept_rows=int(kept.size),
        n_bits=n_bits,
        n_hashes=HASHES,
        bits=base64.b64encode(np.packbits(filled, bitorder="little").tobytes()).decode("ascii"),
        false_positive_rate=fill**HASHES,
    )


def _contains(fp: RowFingerprint, h: U64) -> npt.NDArray[np.bool_]:
    raw = np.frombuffer(base64.b64decode(fp.bits), dtype=np.uint8)
    filled = np.unpackbits(raw, bitorder="little")[: fp.n_bits].astype(np.bool_)
    return np.asarray(filled[_positions(h, fp.n_bits, fp.n_hashes)].all(axis=1), dtype=np.bool_)


Label = Literal["held-out", "in-sample", "possibly in-sample", "unknown"]
IN_SAMPLE_SHARE = 0.01  # figures count as in-sample when at least this share of rows trained the model


@dataclass(frozen=True)
class Overlap:
    """How many of a table's rows trained the model, as estimated from its fingerprint."""

    rows: int  # rows given
    in_training: int | None  # estimated rows that trained the model (None: cannot tell)
    low: int | None  # 95% interval of ``in_training``
    high: int | None
    label: Label  # what figures on these rows are: held-out, in-sample, possibly in-sample, unknown
    checked: int  # rows looked up in the filter (all rows, or those in its hash sample)
    false_positive_rate: float | None
    why_unknown: str = ""  # when label is unknown: why

    @property
    def share(self) -> float | None:
        return None if self.in_training is None or not self.rows else self.in_training / self.rows


def label_of(low: float, high: float) -> Label:
    """held-out when the interval's top is under ``IN_SAMPLE_SHARE``, in-sample when its bottom is at or
    above it, else possibly in-sample (too few rows to tell)."""
    if high < IN_SAMPLE_SHARE:
        return "held-out"
    if low >= IN_SAMPLE_SHARE:
        return "in-sample"
    return "possibly in-sample"


def unknown(rows: int, why: str) -> Overlap:
    return Overlap(rows, None, None, None, "unknown", 0, None, why)


def training_overlap(fp: RowFingerprint, frame: pd.DataFrame) -> Overlap:
    """Estimate how many rows of ``frame`` trained the model whose fingerprint is ``fp``.

    With p the filter's false-positive rate, r its sample rate, m the rows of ``frame`` in its sample and
    h of them found in it: share = (h/m - p) / (1 - p), clipped to [0, 1]; its variance is
    ((1 - share) p (1 - p) + (1 - r) share (1 - share)) / (m (1 - p)^2) (false positives among rows not
    in training; and which rows fall in the sample, when the filter holds a sample), with the share kept
    2/m away from 0 and 1 so that the interval does not shrink to nothing there (about the rule of three).
    A normal approximation: for the label, not for a test.
    """
    n = len(frame)
    absent = [c for c in fp.columns if c not in frame.columns]
    if absent:
        return unknown(
            n,
            f"the model's fingerprint covers column(s) {', '.join(absent)}, which this table lacks "
            "(it identifies a training row by every column it had)",
        )
    h = row_hashes(frame, fp.columns, bytes.fromhex(fp.key))
    sampled = h[(h >> np.uint64(32)) < np.uint64(fp.sample_threshold)]
    m = int(sampled.size)
    p = fp.false_positive_rate
    if m == 0:
        return unknown(n, "none of these rows falls in the fingerprint's hash sample (too few rows)")
    hits = int(_contains(fp, sampled).sum())
    raw = (hits / m - p) / (1 - p)
    share = min(max(raw, 0.0), 1.0)
    s = min(max(share, 2 / m), 1 - 2 / m) if m > 4 else 0.5  # at 0 or 1, about the rule of three
    var = ((1 - s) * p * (1 - p) + (1 - fp.sample_rate) * s * (1 - s)) / (m * (1 - p) ** 2)
    half = Z95 * math.sqrt(var)
    low, high = max(raw - half, 0.0), min(raw + half, 1.0)
    return Overlap(
        rows=n,
        in_training=round(share * n),
        low=math.floor(low * n),
        high=min(math.ceil(high * n), n),
        label=label_of(low, high),
        checked=m,
        false_positive_rate=p,
    )
