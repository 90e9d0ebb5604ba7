"""The shard map, the routing hash and the shard stamp (``lucidscore.store``, issue 15)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from lucidscore.errors import InputError
from lucidscore.store import (
    ShardMismatch,
    ShardStamp,
    check_shard_stamp,
    read_shard_map,
    read_shard_stamp,
    shard_of,
    shard_of_ids,
    stamp_shard,
)

ids = st.text(min_size=0, max_size=40)
counts = st.integers(min_value=1, max_value=5000)


def reference(consumer_id: str, n: int) -> int:
    """The rule as documented, written out independently: BLAKE2b, 8 bytes, big-endian, mod n."""
    digest = hashlib.blake2b(consumer_id.encode("utf-8"), digest_size=8).hexdigest()
    return int(digest, 16) % n


def test_shard_of_is_fixed_forever() -> None:
    """Values computed once (2026-12-06) and written down: a change of the hash would move every consumer
    to another shard, so it must never change."""
    assert hashlib.blake2b(b"C0000001", digest_size=8).hexdigest() == "92eeb6446c0cb9fc"
    assert [shard_of(f"C{i:07d}", 1000) for i in range(5)] == [144, 516, 686, 516, 135]
    assert shard_of("C0000001", 7) == 6 and shard_of("C0000001", 1) == 0
    assert shard_of("\u00e9", 10) == 3  # the UTF-8 bytes of the id


@given(ids, counts)
@settings(max_examples=300)
def test_shard_of_is_in_range_and_follows_the_rule(consumer_id: str, n: int) -> None:
    shard = shard_of(consumer_id, n)
    assert 0 <= shard < n
    assert shard == reference(consumer_id, n)


@given(st.lists(ids, max_size=50), counts)
@settings(max_examples=200)
def test_the_column_form_equals_the_scalar_one(values: list[str], n: int) -> None:
    column = shard_of_ids(pl.Series(values, dtype=pl.String), n)
    assert column.dtype == np.int64
    assert column.tolist() == [shard_of(v, n) for v in values]


def test_a_missing_id_goes_to_shard_zero_and_zero_shards_are_refused() -> None:
    assert shard_of_ids([None, "a"], 3).tolist() == [0, shard_of("a", 3)]
    with pytest.raises(InputError, match="0 shards; expected at least 1"):
        shard_of("a", 0)


@given(st.integers(min_value=2, max_value=64), st.integers(min_value=0, max_value=10**9))
@settings(max_examples=25, deadline=None)
def test_ids_spread_evenly_over_the_shards(n: int, offset: int) -> None:
    """20,000 consecutive ids: every shard within 5 standard deviations of its share (binomial)."""
    total = 20_000
    found = np.bincount(shard_of_ids([f"C{offset + i:010d}" for i in range(total)], n), minlength=n)
    expected = total / n
    sd = (total * (1 / n) * (1 - 1 / n)) ** 0.5
    assert found.sum() == total
    assert np.abs(found - expected).max() < 5 * sd, (found.min(), found.max(), expected)


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "map.toml"
    path.write_text(body, "utf-8")
    return path


def test_a_map_is_read_in_order_with_relative_files_next_to_it(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[[shard]]\nurl = "sqlite:///a.db"\n[[shard]]\nurl = "postgresql://u:secret@h/db"\n'
    )
    smap = read_shard_map(path)
    assert smap.count == 2 and [s.index for s in smap.shards] == [0, 1]
    assert smap.shards[0].url == f"sqlite:///{tmp_path / 'a.db'}"
    assert smap.shards[1].url == "postgresql://u:secret@h/db" and "secret" not in smap.shards[1].shown
    assert len(smap.fingerprint) == 64
    assert smap.stamp(1) == ShardStamp(1, 2, smap.fingerprint)
    # the fingerprint depends on the order and the databases, not on a password
    again = read_shard_map(write(tmp_path, path.read_text().replace("secret", "other")))
    assert again.fingerprint == smap.fingerprint
    flipped = '[[shard]]\nurl = "postgresql://u:secret@h/db"\n[[shard]]\nurl = "sqlite:///a.db"\n'
    assert read_shard_map(write(tmp_path, flipped)).fingerprint != smap.fingerprint


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("", r"no \[\[shard\]\] entry; expected one or more"),
        ("shard = 3\n", r"shard = 3; expected one or more \[\[shard\]\] tables"),
        ("[[shard]\nurl = 'x'\n", "not a TOML file"),
        ("name = 'x'\n[[shard]]\nurl = 'sqlite:///a.db'\n", "unknown key 'name'; a shard map holds only"),
        ("[[shard]]\nurl = 'sqlite:///a.db'\nweight = 2\n", r"entry 1 \(shard 0\): unknown key 'weight'"),
        ("[[shard]]\nurl = 5\n", r"entry 1 \(shard 0\): url is 5; expected a database URL string"),
        ("[[shard]]\nname = 'a'\n", "unknown key 'name'; expected only url"),
        ("[[shard]]\nurl = 'not a url'\n", "url 'not a url' is not a database URL"),
        ("[[shard]]\nurl = 'mysql://h/db'\n", "is a mysql URL; expected sqlite:/// or postgresql://"),
        ("[[shard]]\nurl = 'sqlite://'\n", "in-memory database; expected a database file"),
        (
            "[[shard]]\nurl = 'sqlite:///a.db'\n[[shard]]\nurl = 'sqlite:///./a.db'\n",
            r"entry 2 \(shard 1\): url 'sqlite:///./a.db' names the same database as entry 1 \(shard 0\)",
        ),
        (
            "[[shard]]\nurl = 'sqlite:///a.db'\n[[shard]]\nurl = 'sqlite:///{dir}/../{base}/a.db'\n",
            r"entry 2 \(shard 1\): url .* names the same database as entry 1 \(shard 0\)",
        ),
        (
            "[[shard]]\nurl = 'sqlite:///a.db'\n[[shard]]\nurl = 'sqlite:///a.db?timeout=5'\n",
            r"entry 2 \(shard 1\): url 'sqlite:///a.db\?timeout=5' names the same database as entry 1",
        ),
        (
            "[[shard]]\nurl = 'postgresql://u@db1/lucid'\n"
            "[[shard]]\nurl = 'postgresql+psycopg://u:pw@DB1:5432/lucid'\n",
            r"entry 2 \(shard 1\): url .* names the same database as entry 1 \(shard 0\)",
        ),
        (  # another user of the same database on the same server: the same tables
            "[[shard]]\nurl = 'postgresql://alice@db1/lucid'\n[[shard]]\nurl = 'postgresql://bob@db1/lucid'\n",
            r"entry 2 \(shard 1\): url 'postgresql://bob@db1/lucid' names the same database as entry 1",
        ),
        (  # the loopback address by another name
            "[[shard]]\nurl = 'postgresql://u@localhost/lucid'\n"
            "[[shard]]\nurl = 'postgresql://u@127.0.0.1:5432/lucid'\n",
            r"entry 2 \(shard 1\): url .* names the same database as entry 1 \(shard 0\)",
        ),
        (
            '[[shard]]\nurl = "sqlite:///a\\u0000.db"\n',
            r"entry 1 \(shard 0\): url 'sqlite:///a\\x00.db' holds a NUL character \(0x00\); expected",
        ),
    ],
)
def test_a_bad_map_is_refused_naming_file_entry_and_what_was_found(
    tmp_path: Path, body: str, message: str
) -> None:
    path = write(tmp_path, body.format(dir=tmp_path, base=tmp_path.name))
    with pytest.raises(InputError, match=message) as caught:
        read_shard_map(path)
    assert str(path) in caught.value.message


def test_a_hard_link_to_another_shards_file_is_the_same_database(tmp_path: Path) -> None:
    """Two names of one SQLite file (a hard link) passed the map's check: the shards' records and
    scores would have gone into one database (only the shard stamps, later, refused it)."""
    (tmp_path / "a.db").write_bytes(b"")
    os.link(tmp_path / "a.db", tmp_path / "b.db")
    path = write(tmp_path, "[[shard]]\nurl = 'sqlite:///a.db'\n[[shard]]\nurl = 'sqlite:///b.db'\n")
    with pytest.raises(
        InputError, match=r"entry 2 \(shard 1\): url 'sqlite:///b.db' names the same database as entry 1"
    ):
        read_shard_map(path)


def test_a_symbolic_link_loop_is_named(tmp_path: Path) -> None:
    (tmp_path / "a.db").symlink_to(tmp_path / "b.db")
    (tmp_path / "b.db").symlink_to(tmp_path / "a.db")
    with pytest.raises(InputError, match=r"entry 1 \(shard 0\): url 'sqlite:///a.db' names a path that"):
        read_shard_map(write(tmp_path, "[[shard]]\nurl = 'sqlite:///a.db'\n"))


@given(urls=st.lists(st.text(st.characters(codec="utf-8"), max_size=30), min_size=1, max_size=3))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_url_text_is_a_map_or_one_input_error(tmp_path: Path, urls: list[str]) -> None:
    """Whatever an operator writes as the url of each entry (NUL, control characters, '..', '~',
    options), reading the map gives a map whose entries name different files, or an InputError naming the
    map: never a traceback."""
    body = "".join(f"[[shard]]\nurl = {json.dumps('sqlite:///' + u)}\n" for u in urls)
    path = write(tmp_path, body)
    try:
        smap = read_shard_map(path)
    except InputError as exc:
        assert exc.message.startswith(str(path))
    else:
        files = [Path(make_url(s.url).database or "") for s in smap.shards]
        assert len({f.resolve() for f in files}) == len(files)


def test_a_missing_map_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such shard map"):
        read_shard_map(tmp_path / "none.toml")


def test_a_database_is_stamped_once_and_never_restamped(engine: Engine) -> None:
    assert read_shard_stamp(engine) is None
    stamp = ShardStamp(1, 3, "f" * 64)
    assert stamp_shard(engine, stamp, "db") is True
    assert stamp_shard(engine, stamp, "db") is False
    assert read_shard_stamp(engine) == stamp
    check_shard_stamp(engine, stamp, "db")
    with pytest.raises(
        ShardMismatch, match=r"db: the database is stamped shard 1 of 3.*map says shard 2 of 3"
    ):
        stamp_shard(engine, ShardStamp(2, 3, "f" * 64), "db")
    with pytest.raises(ShardMismatch, match=r"map ffffffffffff.*the map says shard 1 of 3, map eeeeeeeeeeee"):
        check_shard_stamp(engine, ShardStamp(1, 3, "e" * 64), "db")
    with engine.connect() as conn, pytest.raises(Exception, match=r"(?i)unique|constraint|check"):  # one row
        conn.execute(
            text(
                "INSERT INTO shard_identity (id, shard_index, shard_count, map_fingerprint, stamped_at) "
                "VALUES (2, 0, 3, 'x', '2026-01-01')"
            )
        )


def test_an_unstamped_database_is_refused_with_the_way_out(engine: Engine) -> None:
    with pytest.raises(ShardMismatch, match=r"carries no shard stamp.*lucidscore shards init MAP"):
        check_shard_stamp(engine, ShardStamp(0, 2, "a" * 64), "shard 0 (x)")
