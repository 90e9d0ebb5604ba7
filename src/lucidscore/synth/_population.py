"""``generate_population``: the whole synthetic bureau, written chunk by chunk."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from lucidscore.errors import InputError
from lucidscore.records import TABLES
from lucidscore.synth._calendar import month_index, months_before
from lucidscore.synth._process import (
    Accounts,
    Traits,
    Window,
    draw_accounts,
    draw_traits,
    simulate,
)
from lucidscore.synth._progress import Ticker
from lucidscore.synth._tables import ChunkTables, Offsets, arrow_schema
from lucidscore.synth._writer import Format, TableSink

CHUNK_SIZE = 50_000
_PILOT_SIZE = 10_000
OUTCOME_MONTHS = 12


@dataclass(frozen=True)
class SynthSummary:
    """What ``generate_population`` wrote."""

    out_dir: Path
    fmt: str
    n_consumers: int
    seed: int
    end: date
    observation_date: date
    rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)
    bad_rate: float = 0.0
    seconds: float = 0.0


def _window(end: date, history_months: int) -> Window:
    last = month_index(end)
    return Window(first=last - history_months + 1, last=last, observation=last - OUTCOME_MONTHS)


def _check(n_consumers: int, end: date, history_months: int, bad_rate: float, fmt: str, today: date) -> None:
    if n_consumers < 1:
        raise InputError(f"consumers: {n_consumers} is not a positive number; expected at least 1")
    if end > today:
        raise InputError(f"end: {end.isoformat()} is in the future; expected a date on or before {today}")
    if not OUTCOME_MONTHS + 12 <= history_months <= 240:
        raise InputError(
            f"history_months: {history_months}; expected {OUTCOME_MONTHS + 12} to 240 "
            f"(at least 12 months before the observation date and {OUTCOME_MONTHS} after it)"
        )
    if not 0.02 <= bad_rate <= 0.4:
        raise InputError(f"bad_rate: {bad_rate:g}; expected a share between 0.02 and 0.4")
    if fmt not in ("parquet", "csv"):
        raise InputError(f"format: {fmt!r}; expected parquet or csv")


def calibrate_intercept(seed: int, window: Window, bad_rate: float) -> float:
    """Find the distress-onset intercept whose simulated bad rate matches ``bad_rate`` on a pilot.

    The pilot runs the same process (without writing anything) with common random numbers, so the rate
    is a smooth increasing function of the intercept; regula falsi (Illinois variant) on its logit,
    inside a bracket, converges in a few runs.
    """
    pilot_rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    traits = draw_traits(pilot_rng, _PILOT_SIZE)
    accounts = draw_accounts(pilot_rng, traits, window)

    def gap(intercept: float) -> float:
        rate = np.clip(_pilot_rate(seed, traits, accounts, window, intercept), 1e-4, 1 - 1e-4)
        return float(np.log(rate / (1 - rate)) - np.log(bad_rate / (1 - bad_rate)))

    lo, hi = -12.0, 2.0
    f_lo, f_hi = gap(lo), gap(hi)
    x, side = lo, 0
    for _ in range(12):
        x = hi - f_hi * (hi - lo) / (f_hi - f_lo) if f_hi != f_lo else (lo + hi) / 2
        f = gap(x)
        if abs(f) < 0.01:
            break
        if f < 0:
            lo, f_lo = x, f
            if side == -1:
                f_hi /= 2
            side = -1
        else:
            hi, f_hi = x, f
            if side == 1:
                f_lo /= 2
            side = 1
    return x


def _pilot_rate(seed: int, traits: Traits, accounts: Accounts, window: Window, intercept: float) -> float:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    sim = simulate(rng, traits, accounts, window, intercept, record=False)
    return float(sim.bad.mean())


@contextmanager
def _sinks(out_dir: Path, fmt: Format) -> Iterator[dict[str, TableSink]]:
    out_dir.mkdir(parents=True, exist_ok=True)
    sinks = {t.name: TableSink(out_dir / f"{t.name}.{fmt}", arrow_schema(t), fmt) for t in TABLES}
    try:
        yield sinks
        # every file is finished before any is renamed: an interrupt while a footer is written (the slow
        # part) leaves the folder as it was, not a mix of this run's tables and an earlier run's
        for sink in sinks.values():
            sink.finish()
    except BaseException:
        for sink in sinks.values():
            sink.abort()
        raise
    for sink in sinks.values():
        sink.publish()


def generate_population(
    n_consumers: int,
    seed: int,
    out_dir: Path,
    fmt: Format = "parquet",
    end: date = date(2026, 6, 30),
    history_months: int = 36,
    bad_rate: float = 0.08,
    progress: bool = False,
    today: date | None = None,
) -> SynthSummary:
    """Write a synthetic population: one file per table of ``lucidscore.records``.

    Parameters
    ----------
    n_consumers
        Number of consumers.
    seed
        Seed of the numpy Generator; the same seed (and arguments) writes the same files.
    out_dir
        Directory for ``consumers.<fmt>``, ``accounts.<fmt>``, ... ``outcomes.<fmt>``.
    fmt
        ``"parquet"`` or ``"csv"``.
    end
        Last simulated day, not in the future. Statements cover the ``history_months`` months up to it;
        outcomes are observed as of ``end`` minus 12 months and ``bad`` is what happened after that.
    history_months
        Simulated months, including the 12 months of the outcome window.
    bad_rate
        Target share of bad consumers; the process is calibrated to it on a pilot population.
    progress
        Show a Rich progress bar.
    today
        The date "the future" starts after (default: today); for tests.

    Returns
    -------
    SynthSummary
        Row counts per table, file paths and the realised bad rate.

    Examples
    --------
    >>> import tempfile
    >>> s = generate_population(200, seed=1, out_dir=Path(tempfile.mkdtemp()))
    >>> s.rows["consumers"], s.observation_date.isoformat()
    (200, '2025-06-30')
    """
    started = time.perf_counter()
    _check(n_consumers, end, history_months, bad_rate, fmt, today or date.today())
    window = _window(end, history_months)
    intercept = calibrate_intercept(seed, window, bad_rate)
    n_chunks = -(-n_consumers // CHUNK_SIZE)
    streams = np.random.SeedSequence([seed, 0]).spawn(n_chunks)
    offsets = Offsets(consumer=1, account=1, record=1)
    n_bad = 0
    with _sinks(Path(out_dir), fmt) as sinks, Ticker("synth", n_consumers, "consumers", progress) as ticker:
        for chunk, stream in enumerate(streams):
            size = min(CHUNK_SIZE, n_consumers - chunk * CHUNK_SIZE)
            rng = np.random.default_rng(stream)
            traits = draw_traits(rng, size)
            accounts = draw_accounts(rng, traits, window)
            sim = simulate(rng, traits, accounts, window, intercept)
            builder = ChunkTables(rng, traits, accounts, sim, window, end, offsets)
            for name, table in builder.all().items():
                sinks[name].write(table)
            n_bad += int(sim.bad.sum())
            offsets = Offsets(
                consumer=offsets.consumer + size,
                account=offsets.account + len(accounts),
                record=builder.next_record,
            )
            ticker.advance(size)
    return SynthSummary(
        out_dir=Path(out_dir),
        fmt=fmt,
        n_consumers=n_consumers,
        seed=seed,
        end=end,
        observation_date=months_before(end, OUTCOME_MONTHS),
        rows={name: sink.rows for name, sink in sinks.items()},
        files={name: sink.path for name, sink in sinks.items()},
        bad_rate=n_bad / n_consumers,
        seconds=time.perf_counter() - started,
    )
