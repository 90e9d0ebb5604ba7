"""A deployment split by consumer (issue 15), through the real ``lucidscore`` entry point: the bureau's
records ingested into 3 shards give, shard by shard, exactly the unsharded database's records, features
and published scores (every consumer in one shard, its own); ingesting and publishing again changes
nothing; a shard that failed is finished by running the command again; a database whose stamp disagrees
with the map, or holding another shard's consumer, is refused with both values named."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import text

from lucidscore.store import make_engine, read_shard_map, shard_of
from tests.cli.test_publish_cli import current
from tests.fixtures.bureau import END, BureauFiles, Lucid
from tests.fixtures.databases import migrated

TABLES = ("consumers", "accounts", "statements", "inquiries", "public_records", "income", "outcomes")


def write_map(folder: Path, urls: list[str]) -> Path:
    path = folder / "shards.toml"
    path.write_text("".join(f'[[shard]]\nurl = "{u}"\n\n' for u in urls), "utf-8")
    return path


def rows(url: str, table: str) -> pl.DataFrame:
    """The current rows of a raw table (record columns), sorted."""
    engine = make_engine(url)
    with engine.connect() as conn:
        result = conn.execute(text(f"SELECT * FROM {table}_current"))
        frame = pl.DataFrame([tuple(r) for r in result], schema=list(result.keys()), orient="row")
    engine.dispose()
    return frame.sort(frame.columns)


def consumers(url: str) -> list[str]:
    return rows(url, "consumers").get_column("consumer_id").to_list()


def _three(folder: Path, lucid: Lucid) -> Path:
    path = write_map(folder, ["sqlite:///s0.db", "sqlite:///s1.db", "sqlite:///s2.db"])
    code, out, err = lucid("shards", "init", str(path))
    assert code == 0, err
    assert out.count("stamped") == 3 and "already stamped" not in out
    return path


@pytest.fixture
def new_three(tmp_path: Path, lucid: Lucid) -> Path:
    """A map of three SQLite shards (relative paths: next to the map), created, migrated and stamped by
    ``shards init``."""
    return _three(tmp_path, lucid)


@pytest.fixture
def three(tmp_path: Path, lucid: Lucid) -> Path:
    """As ``new_three``, but each shard is first a copy of the migrated database, so ``shards init`` finds
    it at the newest revision and only stamps it: the same stamped shards, without three migrations per
    test (``new_three`` and the map tests below keep the creating and migrating path)."""
    for i in range(3):
        migrated(f"sqlite:///{tmp_path / f's{i}.db'}")
    return _three(tmp_path, lucid)


def urls(map_path: Path) -> list[str]:
    return [s.url for s in read_shard_map(map_path).shards]


def test_three_shards_hold_exactly_the_unsharded_database(
    new_three: Path, bureau_files: BureauFiles, _bureau_sqlite: Path, lucid: Lucid, tmp_path: Path
) -> None:
    from lucidscore.features import compute_features

    three = new_three
    whole = f"sqlite:///{_bureau_sqlite}"
    code, out, err = lucid("ingest", str(bureau_files.data), "--shards", str(three), "--jobs", "2")
    assert code == 0, err
    assert "by shard (3" in out
    shard_urls = urls(three)
    # every consumer in exactly one shard, its own; the union is the unsharded population
    seen: dict[str, int] = {}
    for i, url in enumerate(shard_urls):
        mine = consumers(url)
        assert mine, f"shard {i} is empty"
        assert all(shard_of(c, 3) == i for c in mine)
        for c in mine:
            assert c not in seen
            seen[c] = i
    assert sorted(seen) == consumers(whole)
    for table in TABLES:  # nothing dropped, nothing added: every table's rows, shard by shard
        union = pl.concat([rows(u, table) for u in shard_urls])
        assert union.sort(union.columns).equals(rows(whole, table)), table
    features = pl.concat([compute_features(u, END) for u in shard_urls]).sort("consumer_id")
    assert features.equals(compute_features(whole, END).sort("consumer_id"))

    # again: nothing changes
    code, out, err = lucid("ingest", str(bureau_files.data), "--shards", str(three))
    assert code == 0, err
    engine = make_engine(shard_urls[1])
    with engine.connect() as conn:
        inserted = conn.execute(
            text("SELECT sum(rows_superseded) FROM ingest_batches WHERE status = 'committed'")
        ).one()
        again = conn.execute(
            text("SELECT count(*) FROM ingest_batches WHERE rows_inserted > 0 OR rows_superseded > 0")
        ).scalar_one()
    engine.dispose()
    assert inserted[0] == 0 and again == len(TABLES)  # the first run's batches only

    # the same model everywhere, published by a process per shard: the unsharded scores, consumer by consumer
    code, out, err = lucid("model", "register", str(bureau_files.model), "--shards", str(three))
    assert code == 0, err  # the hint names the map: the next command is the sharded one
    assert out.count(f"lucidscore model activate {bureau_files.model_id} --shards {three}") == 3
    code, out, err = lucid("model", "activate", bureau_files.model_id, "--shards", str(three))
    assert code == 0, err
    assert out.count(f"model {bureau_files.model_id} is active") == 3
    assert out.count(f"--as-of YYYY-MM-DD --shards {three} has run") == 3
    code, out, err = lucid("publish", "--shards", str(three), "--as-of", END.isoformat(), "--jobs", "2")
    assert code == 0, err
    assert "over 3 shard(s): 1,000 consumers scored; 1,000 new" in out
    scores: dict[str, tuple[int, str]] = {}
    for i, url in enumerate(shard_urls):
        mine = current(url, END)
        assert {shard_of(c, 3) for c in mine} == {i}
        scores |= mine
    unsharded = tmp_path / "whole.db"
    with sqlite3.connect(_bureau_sqlite) as src, sqlite3.connect(unsharded) as dst:
        src.backup(dst)
    one = f"sqlite:///{unsharded}"
    assert lucid("model", "register", str(bureau_files.model), "--db", one)[0] == 0
    assert lucid("model", "activate", bureau_files.model_id, "--db", one)[0] == 0
    assert lucid("publish", "--db", one, "--as-of", END.isoformat())[0] == 0
    assert scores == current(one, END)

    code, out, err = lucid("publish", "--shards", str(three), "--as-of", END.isoformat(), "--full")
    assert code == 0 and "0 new, 0 superseded, 1,000 unchanged" in out  # scored again: nothing changes
    code, out, err = lucid("audit", "verify", "--shards", str(three))
    assert code == 0, err
    assert out.count("score_history    ok") == 3 and "shard 2 (" in out


def test_a_shard_that_failed_is_finished_by_running_again(
    three: Path, bureau_files: BureauFiles, _bureau_sqlite: Path, lucid: Lucid
) -> None:
    shard_urls = urls(three)
    blocker = sqlite3.connect(read_shard_map(three).shards[2].url.removeprefix("sqlite:///"))
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds shard 2
    try:
        code, out, err = lucid("ingest", str(bureau_files.data), "--shards", str(three), "--wait", "0.2")
    finally:
        blocker.rollback()
        blocker.close()
    assert code == 1, out
    assert "shard 2 (" in err and "1 of 3 shard(s) failed" in err
    assert consumers(shard_urls[0]) and consumers(shard_urls[1]) and not consumers(shard_urls[2])
    code, out, err = lucid("ingest", str(bureau_files.data), "--shards", str(three))
    assert code == 0, err
    whole = f"sqlite:///{_bureau_sqlite}"
    assert sorted(c for u in shard_urls for c in consumers(u)) == consumers(whole)
    for table in ("accounts", "statements"):
        assert sum(rows(u, table).height for u in shard_urls) == rows(whole, table).height


def test_a_reordered_map_or_a_forged_stamp_is_refused(
    three: Path, bureau_files: BureauFiles, lucid: Lucid, tmp_path: Path
) -> None:
    shard_urls = urls(three)
    (tmp_path / "other").mkdir()
    swapped = write_map(tmp_path / "other", [shard_urls[1], shard_urls[0], shard_urls[2]])
    code, _, err = lucid("ingest", str(bureau_files.data), "--shards", str(swapped))
    assert code == 2
    assert "shard 0 (sqlite:///" in err and "s1.db" in err
    assert "stamped shard 1 of 3" in err and "the map says shard 0 of 3" in err
    assert not consumers(shard_urls[0]) and not consumers(shard_urls[1])  # nothing was loaded anywhere
    code, _, err = lucid("shards", "init", str(swapped))
    assert code == 2 and "stamped shard 1 of 3" in err  # never restamped

    engine = make_engine(shard_urls[2])
    with engine.begin() as conn:
        conn.execute(text("UPDATE shard_identity SET shard_count = 4"))
    engine.dispose()
    code, _, err = lucid("publish", "--shards", str(three), "--as-of", END.isoformat())
    assert code == 2
    assert "shard 2 (" in err and "stamped shard 2 of 4" in err and "the map says shard 2 of 3" in err
    code, _, err = lucid("audit", "verify", "--shards", str(three))
    assert code == 2 and "stamped shard 2 of 4" in err

    fresh = tmp_path / "fresh.db"
    unstamped = write_map(tmp_path, [f"sqlite:///{fresh}"])
    sqlite3.connect(fresh).close()  # a database, but no shard
    code, _, err = lucid("ingest", str(bureau_files.data), "--shards", str(unstamped))
    assert code == 2 and "carries no shard stamp" in err and "lucidscore shards init" in err


def test_a_consumer_in_the_wrong_shard_is_refused(
    bureau_shards: Path, bureau_files: BureauFiles, lucid: Lucid
) -> None:
    three = bureau_shards  # ingested with --shards once per session (asserted there), copied
    shard_urls = urls(three)
    stranger = next(c for c in consumers(shard_urls[0]))
    # loaded into shard 1 behind the map's back (an unsharded ingest into a shard's database)
    from lucidscore.ingest import ingest_frame

    engine = make_engine(shard_urls[1])
    row = rows(shard_urls[0], "consumers").filter(pl.col("consumer_id") == stranger)
    frame = row.select(pl.all().cast(pl.String))
    assert ingest_frame(frame, "consumers", engine).inserted == 1
    engine.dispose()
    assert lucid("model", "register", str(bureau_files.model), "--shards", str(three))[0] == 0
    assert lucid("model", "activate", bureau_files.model_id, "--shards", str(three))[0] == 0
    code, _, err = lucid("publish", "--shards", str(three), "--as-of", END.isoformat())
    assert code == 1
    assert f"{stranger} (belongs to shard 0)" in err and "shard 1 (" in err
    code, _, err = lucid("ingest", str(bureau_files.data), "--shards", str(three))
    assert code == 1 and f"{stranger} (belongs to shard 0)" in err


def test_publish_refuses_shards_with_different_active_models(
    bureau_shards: Path, bureau_files: BureauFiles, lucid: Lucid, tmp_path: Path
) -> None:
    from lucidscore.artifact import load_artifact

    three = bureau_shards  # ingested with --shards once per session (asserted there), copied
    other = load_artifact(bureau_files.model).model_copy(update={"model_id": "other-model"}).with_hash()
    other_file = tmp_path / "other.json"
    other.save(other_file)
    for f in (bureau_files.model, other_file):
        assert lucid("model", "register", str(f), "--shards", str(three))[0] == 0
    assert lucid("model", "activate", bureau_files.model_id, "--shards", str(three))[0] == 0
    assert lucid("model", "activate", "other-model", "--db", urls(three)[1])[0] == 0
    code, _, err = lucid("publish", "--shards", str(three), "--as-of", END.isoformat())
    assert code == 2
    assert "active models differ" in err
    assert f"shard 0: {bureau_files.model_id}" in err and "shard 1: other-model" in err


def test_db_and_shards_together_are_refused(three: Path, lucid: Lucid) -> None:
    code, _, err = lucid("publish", "--db", "sqlite:///x.db", "--shards", str(three), "--as-of", "2026-06-30")
    assert code == 2 and "--db and --shards: give one" in err
    code, _, err = lucid("publish", "--as-of", "2026-06-30")
    assert code == 2 and "--db: missing" in err


@pytest.mark.postgres
def test_a_map_of_sqlite_and_postgresql_shards(
    bureau_files: BureauFiles, _bureau_sqlite: Path, postgres_server: object, lucid: Lucid, tmp_path: Path
) -> None:
    pg = [str(postgres_server.create_database()) for _ in range(2)]  # type: ignore[attr-defined]
    path = write_map(tmp_path, ["sqlite:///s0.db", *pg])
    assert lucid("shards", "init", str(path))[0] == 0
    code, _, err = lucid("ingest", str(bureau_files.data), "--shards", str(path), "--jobs", "2")
    assert code == 0, err
    shard_urls = urls(path)
    whole = f"sqlite:///{_bureau_sqlite}"
    assert sorted(c for u in shard_urls for c in consumers(u)) == consumers(whole)
    assert lucid("model", "register", str(bureau_files.model), "--shards", str(path))[0] == 0
    assert lucid("model", "activate", bureau_files.model_id, "--shards", str(path))[0] == 0
    code, out, err = lucid("publish", "--shards", str(path), "--as-of", END.isoformat(), "--jobs", "2")
    assert code == 0, err
    assert "1,000 consumers scored" in out
    code, out, err = lucid("audit", "verify", "--shards", str(path))
    assert code == 0, err


def _bad_directory(data: Path, out: Path) -> Path:
    """The bureau's consumers, accounts and statements as CSV, with faults: a consumer with a bad date, a
    repeated consumer, a statement of an account nobody holds, a negative balance, a cut line."""
    out.mkdir()
    for table in ("consumers", "accounts", "statements"):
        pl.read_parquet(data / f"{table}.parquet").head(3000).write_csv(out / f"{table}.csv")
    with (out / "consumers.csv").open("a") as f:
        f.write("ZZ-1,true,not-a-date,2026-01-01T00:00:00\n")
    first = (out / "consumers.csv").read_text().splitlines()[1]
    with (out / "consumers.csv").open("a") as f:
        f.write(first + "\n")  # a key repeated in the file
    statement = (out / "statements.csv").read_text().splitlines()[1].split(",")
    with (out / "statements.csv").open("a") as f:
        f.write(",".join(["NO-SUCH-ACCOUNT", *statement[1:]]) + "\n")
        f.write(",".join([*statement[:2], "-5", *statement[3:]]) + "\n")
        f.write("A-cut,2026-01\n")
    return out


def test_quarantine_and_counts_are_those_of_an_unsharded_load(
    three: Path, bureau_files: BureauFiles, lucid: Lucid, tmp_path: Path
) -> None:
    from lucidscore.ingest import read_quarantine

    assert (bureau_files.data / "consumers.parquet").is_file()
    folder = _bad_directory(bureau_files.data, tmp_path / "bad")
    code, _, err = lucid("ingest", str(folder), "--db", f"sqlite:///{tmp_path / 'one.db'}")
    assert code == 0, err
    alone = {
        t: read_quarantine(folder / f"{t}.csv.quarantine.csv")
        for t in ("consumers", "accounts", "statements")
    }
    alone_rows = rows(f"sqlite:///{tmp_path / 'one.db'}", "statements").height
    for t in alone:
        (folder / f"{t}.csv.quarantine.csv").unlink()
    assert alone["consumers"].height >= 2 and alone["statements"].height >= 3

    code, _, err = lucid("ingest", str(folder), "--shards", str(three), "--jobs", "2")
    assert code == 0, err
    for t, expected in alone.items():
        found = read_quarantine(folder / f"{t}.csv.quarantine.csv")
        assert found.sort(found.columns).equals(expected.sort(expected.columns)), t
    assert sum(rows(u, "statements").height for u in urls(three)) == alone_rows


def test_a_shard_never_initialised_is_named_with_the_way_out(
    bureau_files: BureauFiles, lucid: Lucid, tmp_path: Path
) -> None:
    path = write_map(tmp_path, ["sqlite:///a.db", "sqlite:///b.db"])
    code, _, err = lucid("publish", "--shards", str(path), "--as-of", END.isoformat())
    assert code == 2 and "shard 0 (sqlite:///" in err and "does not exist" in err
    assert "lucidscore shards init MAP" in err
    code, _, err = lucid("shards", "status", str(path))
    assert code == 2 and "does not exist" in err
    assert lucid("shards", "init", str(path))[0] == 0
    code, out, _ = lucid("shards", "status", str(path))
    assert code == 0 and out.count(" ok ") == 2 and "(none)" in out


def test_a_plain_ingest_into_a_shards_database_is_refused(
    three: Path, bureau_files: BureauFiles, lucid: Lucid
) -> None:
    """``ingest --db`` would load every consumer into one shard: refused before anything is read, naming
    the shard and ``--shards``; the shard stays empty. A database that is no shard loads as before."""
    shard_urls = urls(three)
    code, _, err = lucid("ingest", str(bureau_files.data), "--db", shard_urls[1])
    assert code == 2 and "this database is shard 1 of 3" in err and "--shards MAP" in err
    assert consumers(shard_urls[1]) == []
    [accounts] = bureau_files.data.glob("accounts.*")  # one file, as well as a directory
    code, _, err = lucid("ingest", str(accounts), "--db", shard_urls[0])
    assert code == 2 and "this database is shard 0 of 3" in err
    plain = f"sqlite:///{three.parent / 'plain.db'}"
    assert lucid("ingest", str(bureau_files.data), "--db", plain)[0] == 0
    assert len(consumers(plain)) == 1000


def test_a_lost_shard_of_a_map_in_use_is_not_recreated_empty(
    three: Path, lucid: Lucid, tmp_path: Path
) -> None:
    """A shard's database gone (a volume not mounted, a file moved) while the other shards hold accounts
    or records: ``shards init`` refuses to create it empty (its consumers and their accounts would be gone,
    and every command would then take the empty database as the shard), and the commands that find it
    missing say it may be lost rather than only "initialise the map first"."""
    assert lucid("admin", "create", "merchant", "shop_x", "--shards", str(three))[0] == 0
    lost = tmp_path / "s2.db"
    lost.rename(tmp_path / "elsewhere.db")
    code, _, err = lucid("admin", "list", "--shards", str(three))
    assert code == 2 and "shard 2 (sqlite:///" in err and "does not exist" in err
    assert "moved or lost" in err and "restore it" in err
    code, out, err = lucid("shards", "init", str(three))
    assert code == 2, out
    assert "shard 2 (sqlite:///" in err and "moved or lost" in err and "nothing was created" in err
    assert "shard(s) 0, 1" in err
    assert not lost.exists()
    # restored, the map works again; a map whose shards hold nothing (an init that stopped) is finished
    (tmp_path / "elsewhere.db").rename(lost)
    assert lucid("shards", "status", str(three))[0] == 0
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    path = write_map(fresh, ["sqlite:///a.db", "sqlite:///b.db"])
    assert lucid("shards", "init", str(path))[0] == 0
    (fresh / "b.db").unlink()
    code, out, err = lucid("shards", "init", str(path))
    assert code == 0, err
    assert "already stamped" in out and (fresh / "b.db").exists()


def test_a_month_in_the_future_is_refused_before_any_shard_is_published(three: Path, lucid: Lucid) -> None:
    """As with --db: one line naming --as-of (before: every shard failed with 'parameter as_of: …' and the
    command said 'Run the same command again to finish the failed ones', which could never succeed)."""
    code, out, err = lucid("publish", "--shards", str(three), "--as-of", "9999-12-31")
    assert code == 2, out + err
    assert err.startswith("error: --as-of: 9999-12-31 is in the future; expected a date on or before")
    assert len(err.strip().splitlines()) == 1 and "Run the same command again" not in out + err
