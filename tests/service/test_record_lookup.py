"""A disputed record is found through the store's key index, never by reading every current row (issue 15:
a correction took a second at 100,000 consumers because the key was compared as text only)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from lucidscore.service._records import RECORD_KEYS, key_condition
from lucidscore.store import make_engine
from tests.fixtures.databases import migrated


@pytest.mark.parametrize("table", sorted(RECORD_KEYS))
def test_the_key_lookup_searches_the_key_index(tmp_path: Path, table: str) -> None:
    engine = make_engine(migrated(f"sqlite:///{tmp_path / 'l.db'}"))  # a copy of the migrated database
    columns = RECORD_KEYS[table]
    params = {f"k{i}": "x" for i in range(len(columns))}
    with engine.connect() as conn:
        plan = conn.execute(
            text(f"EXPLAIN QUERY PLAN SELECT * FROM {table}_current t WHERE {key_condition(columns)}"), params
        ).all()
    engine.dispose()
    steps = " ".join(str(row[-1]) for row in plan)
    assert f"SEARCH {table} USING" in steps and f"SCAN {table}" not in steps, steps
