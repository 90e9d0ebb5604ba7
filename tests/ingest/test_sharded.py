"""``ingest_routed_shard`` checks each consumer-keyed row against the shard it is written to: a part that
holds another shard's consumer loads nothing (routing never makes one; this is the check behind it)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text

from lucidscore.ingest import RoutedFile, RoutedRun, ingest_routed_shard
from lucidscore.ingest._sharded import ROW
from lucidscore.store import Shard, ShardMismatch, ShardStamp, make_engine, migrate, shard_of, stamp_shard


def _ids_of(shard: int, n: int, count: int) -> list[str]:
    out: list[str] = []
    i = 0
    while len(out) < count:
        if shard_of(f"C{i:06d}", n) == shard:
            out.append(f"C{i:06d}")
        i += 1
    return out


def test_a_part_holding_another_shards_consumer_loads_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 's1.db'}"
    engine = make_engine(url)
    migrate(engine)
    stamp = ShardStamp(1, 2, "a" * 64)
    stamp_shard(engine, stamp, "s1")
    mine, stranger = _ids_of(1, 2, 2), _ids_of(0, 2, 1)[0]
    ids = [mine[0], stranger, mine[1]]
    part = pl.DataFrame(
        {
            "consumer_id": ids,
            "identity_verified": ["true"] * 3,
            "address_since": ["2020-01-01"] * 3,
            "reported_at": ["2026-01-01T00:00:00"] * 3,
            ROW: [2, 3, 4],
        }
    )
    (tmp_path / "parts").mkdir()
    part.write_parquet(tmp_path / "parts" / "p.parquet")
    source = tmp_path / "consumers.csv"
    routed = RoutedFile(
        path=source,
        table="consumers",
        sha256="0" * 64,
        parts={1: (tmp_path / "parts" / "p.parquet",)},
        rows={1: 3},
        problems=None,
        problem_rows=0,
    )
    run = RoutedRun(workdir=tmp_path / "work", count=2, files=(routed,))
    shard = Shard(index=1, written="sqlite:///s1.db", url=url)
    with pytest.raises(
        ShardMismatch, match=rf"consumers.csv row 3: consumer '{stranger}' belongs to shard 0"
    ):
        ingest_routed_shard(run, shard, stamp)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM consumers")).scalar_one() == 0
    with pytest.raises(ShardMismatch, match=r"stamped shard 1 of 2.*the map says shard 1 of 3"):
        ingest_routed_shard(run, shard, ShardStamp(1, 3, "a" * 64))
    engine.dispose()
