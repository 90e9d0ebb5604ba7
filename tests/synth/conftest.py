"""A small synthetic population shared by the synth tests of one module (generated once, read-only)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from lucidscore.synth import SynthSummary, generate_population

END = date(2026, 6, 30)
TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> SynthSummary:
    return generate_population(4000, seed=11, out_dir=tmp_path_factory.mktemp("synth"), end=END, today=TODAY)


@pytest.fixture(scope="module")
def tables(population: SynthSummary) -> dict[str, pl.DataFrame]:
    return {name: pl.read_parquet(path) for name, path in population.files.items()}


def read_all(directory: Path, fmt: str = "parquet") -> dict[str, pl.DataFrame]:
    if fmt == "csv":
        return {p.stem: pl.read_csv(p) for p in sorted(directory.glob("*.csv"))}
    return {p.stem: pl.read_parquet(p) for p in sorted(directory.glob("*.parquet"))}
