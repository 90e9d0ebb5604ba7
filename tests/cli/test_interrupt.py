"""An interrupted command tells the operator what happened and what to run next (issue 15, operator
surface): real ``lucidscore`` processes, paused at a known point by the test hook
``LUCIDSCORE_TEST_PAUSE`` (a publish's chunk committed), are sent Ctrl-C or SIGTERM. Each exits 130 or 143
with no traceback, says on stderr what it kept (for ``publish --shards``: each shard's state and counts)
and the command that finishes it; that command gives exactly the scores of a run never interrupted."""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from lucidscore.cli._interrupt import PAUSE_VARIABLE, command_line
from lucidscore.cli.main import app
from lucidscore.store import make_engine, read_shard_map, shard_of
from tests.cli.test_publish_cli import _late_consumer, current
from tests.cli.test_shards_cli import write_map
from tests.fixtures.bureau import END, BureauFiles, Lucid, ok, run_cli
from tests.fixtures.databases import migrated

LUCIDSCORE = Path(sys.executable).with_name("lucidscore")
CHUNK = 100  # consumers per transaction: a shard of ~333 consumers is written in 4 chunks
MAP = "shards.toml"


@dataclass(frozen=True)
class Prepared:
    """Three SQLite shards (next to their map) holding the bureau with its model active, no month
    published; and the scores of ``END`` as a publish never interrupted writes them."""

    folder: Path
    expected: dict[str, tuple[int, str]]


def _run(*args: str) -> None:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def prepared(bureau_files: BureauFiles, tmp_path_factory: pytest.TempPathFactory) -> Prepared:
    folder = tmp_path_factory.mktemp("interrupt-shards")
    (folder / MAP).write_text("".join(f'[[shard]]\nurl = "sqlite:///s{i}.db"\n\n' for i in range(3)))
    smap = str(folder / MAP)
    _run("shards", "init", smap)
    _run("ingest", str(bureau_files.data), "--shards", smap, "--no-progress")
    _run("model", "register", str(bureau_files.model), "--shards", smap)
    _run("model", "activate", bureau_files.model_id, "--shards", smap)
    control = _copy(folder, tmp_path_factory.mktemp("interrupt-control"))
    _run("publish", "--shards", str(control / MAP), "--as-of", END.isoformat())
    expected = _scores(control)
    assert len(expected) == 1000
    return Prepared(folder, expected)


def new_shards(kind: str, folder: Path, request: pytest.FixtureRequest) -> Path:
    """The map (``folder/shards.toml``) of three initialised, empty shards of ``kind`` (``sqlite``: files
    beside the map; ``postgresql``: databases on the tests' server), each a copy of the migrated database
    stamped by ``shards init``."""
    if kind == "sqlite":
        for i in range(3):
            migrated(f"sqlite:///{folder / f's{i}.db'}")
        urls = [f"sqlite:///s{i}.db" for i in range(3)]
    else:
        server = request.getfixturevalue("postgres_server")
        urls = [migrated(str(server.create_database())) for _ in range(3)]
    path = write_map(folder, urls)
    assert path.name == MAP
    _run("shards", "init", str(path))
    return path


def _copy(prepared: Path, to: Path) -> Path:
    for name in (MAP, "s0.db", "s1.db", "s2.db"):
        shutil.copy(prepared / name, to / name)
    return to


def _urls(folder: Path) -> list[str]:
    return [s.url for s in read_shard_map(folder / MAP).shards]


def _shown(folder: Path) -> list[str]:
    return [s.shown for s in read_shard_map(folder / MAP).shards]


def _scores(folder: Path) -> dict[str, tuple[int, str]]:
    """consumer -> (score, digest) of ``END`` over every shard."""
    return {c: v for url in _urls(folder) for c, v in current(url, END).items()}


def _scalar(url: str, sql: str) -> Any:
    """The one value ``sql`` reads from the database at ``url``."""
    engine = make_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar_one()
    engine.dispose()
    return value


def _publications(url: str) -> list[tuple[int, str, str]]:
    """Every publish run of the database: (id, status, when it finished, as the summary shows it)."""
    engine = make_engine(url)
    with engine.connect() as conn:
        found = conn.execute(text("SELECT id, status, finished_at FROM publications ORDER BY id")).all()
    engine.dispose()
    return [(int(i), str(s), "" if at is None else _when(at)) for i, s, at in found]


def _when(at: Any) -> str:
    moment = at if isinstance(at, datetime) else datetime.fromisoformat(str(at))
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _rows(url: str) -> int:
    return int(_scalar(url, "SELECT count(*) FROM score_history"))


def _interrupt_at(
    args: list[str], point: str, signum: int, cwd: Path, *, whole_group: bool = False
) -> tuple[int, str, str]:
    """Run ``lucidscore ARGS`` with the test hook pausing it at ``point``; once it says it paused, send
    ``signum`` (to its whole process group, as a terminal sends Ctrl-C, with ``whole_group``). The exit
    code, stdout and stderr."""
    proc = subprocess.Popen(
        [str(LUCIDSCORE), *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {PAUSE_VARIABLE: point, "COLUMNS": "250"},
        start_new_session=whole_group,
    )
    assert proc.stdout is not None and proc.stderr is not None
    lines: list[str] = []
    paused = threading.Event()

    def read(stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            lines.append(line)
            if line.startswith(f"{PAUSE_VARIABLE}: paused at {point}"):
                paused.set()
        paused.set()  # the process ended (the assertion below says so)

    reader = threading.Thread(target=read, args=(proc.stderr,), daemon=True)
    reader.start()
    try:
        # a wait for the marker, not a speed goal: the work before it takes seconds on a loaded machine
        assert paused.wait(timeout=300), "never paused"
        assert proc.poll() is None, f"ended before the signal: {''.join(lines)[-3000:]}"
        if whole_group:
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
        out = proc.stdout.read()
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
        reader.join(timeout=60)
    return proc.returncode, out, "".join(lines)


def _again(folder: Path, args: list[str], monkeypatch: pytest.MonkeyPatch) -> str:
    """Run the command again, to the end (in this process: the modules are loaded); its stdout."""
    monkeypatch.chdir(folder)
    result = CliRunner().invoke(app, args, env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    return result.output


def _first_consumer(url: str) -> str:
    return str(_scalar(url, "SELECT min(consumer_id) FROM consumers_current"))


def _said(err: str) -> str:
    """stderr from the interrupt's report on, lines joined (Rich wraps nothing: soft wrap)."""
    return err[err.index("interrupted (") :]


def test_a_sharded_publish_interrupted_names_each_shard_and_running_again_finishes(
    prepared: Prepared, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One shard after another: Ctrl-C while shard 1 has written its first chunk. Shard 0 is named
    finished with its counts, shard 1 interrupted (its first chunk kept), shard 2 not started; the
    command printed runs again to the scores of a publish never interrupted, one row per consumer."""
    folder = _copy(prepared.folder, tmp_path)
    urls, shown = _urls(folder), _shown(folder)
    args = ["publish", "--shards", MAP, "--as-of", END.isoformat(), "--chunk-consumers", str(CHUNK)]
    code, _out, err = _interrupt_at(args, "shard 1", signal.SIGINT, folder)

    assert code == 130, err
    assert "Traceback" not in err
    said = _said(err)
    in_shard_0 = len(current(urls[0], END))
    assert in_shard_0 > CHUNK  # shard 0 finished: all its consumers
    assert f"interrupted (Ctrl-C): lucidscore {shlex.join(args)}\n" in said
    assert (
        f"  shard 0 ({shown[0]}): finished: {in_shard_0:,} consumers scored; {in_shard_0:,} new, "
        "0 superseded, 0 unchanged\n" in said
    )
    assert f"  shard 1 ({shown[1]}): interrupted: the consumers written before it are kept" in said
    assert f"  shard 2 ({shown[2]}): not started\n" in said
    assert f"To finish, run the same command again: lucidscore {shlex.join(args)} (" in said
    assert [_rows(u) for u in urls] == [in_shard_0, CHUNK, 0]  # what it said it kept, and nothing more

    assert "a shard finished here is not scored again (its month is published, nothing changed since)" in said
    before = [_publications(u) for u in urls]
    assert [[status for _, status, _ in p] for p in before] == [["finished"], ["failed"], []]

    printed = shlex.split(said.split("To finish, run the same command again: ")[1].split(" (")[0])
    assert printed[0] == "lucidscore"
    again = _again(folder, printed[1:], monkeypatch)
    rest = 1000 - in_shard_0
    assert (
        f"over 3 shard(s): {rest:,} consumers scored; {rest - CHUNK:,} new, 0 superseded, {CHUNK:,} "
        "unchanged; 1 shard(s) already published with nothing changed since, not scored again" in again
    )
    assert (
        f"already published {before[0][0][2]} (publication {before[0][0][0]}); nothing changed since" in again
    )
    assert _scores(folder) == prepared.expected
    assert sum(_rows(u) for u in urls) == 1000  # no consumer written twice
    after = [_publications(u) for u in urls]
    assert after[0] == before[0]  # shard 0 was not scored again: no run of it is recorded
    assert [status for _, status, _ in after[1]] == ["failed", "finished"]
    assert [status for _, status, _ in after[2]] == ["finished"]


def test_ctrl_c_to_the_process_group_stops_the_workers_without_a_traceback(
    prepared: Prepared, tmp_path: Path
) -> None:
    """Two shards at once, each in its own process, Ctrl-C to the whole process group (as a terminal
    sends it) while shard 1 has written its first chunk: the workers stop at their next step and print
    nothing of their own, and each shard is named once with the state its database is in (the others'
    progress by then is the scheduler's: any state is right, as long as it is said)."""
    folder = _copy(prepared.folder, tmp_path)
    args = ["publish", "--shards", MAP, "--as-of", END.isoformat(), "--chunk-consumers", str(CHUNK)]
    code, _out, err = _interrupt_at(
        [*args, "--jobs", "2"], "shard 1", signal.SIGINT, folder, whole_group=True
    )

    assert code == 130, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    said, shown, urls = _said(err), _shown(folder), _urls(folder)
    assert f"  shard 1 ({shown[1]}): interrupted: " in said
    for shard in range(3):
        lines = [x for x in said.splitlines() if x.startswith(f"  shard {shard} ({shown[shard]}): ")]
        assert len(lines) == 1, said
        state = lines[0].split("): ")[1]
        mine = sum(shard_of(c, 3) == shard for c in prepared.expected)
        rows = _rows(urls[shard])
        if state.startswith("finished"):
            assert rows == mine and f"finished: {mine:,} consumers scored; {mine:,} new" in state, said
        elif state.startswith("interrupted"):  # at a stage (nothing written yet) or after a chunk
            assert rows <= mine and (rows % CHUNK == 0 or rows == mine), said
        else:
            assert state == "not started" and rows == 0, said
    assert "To finish, run the same command again: lucidscore publish --shards" in said


def test_sigterm_during_a_publish_says_what_is_kept_and_running_again_finishes(
    prepared: Prepared, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM (a service manager stopping the command) after the first chunk of a publish of one database
    (shard 2's, by --db): exit 143, the chunks written are said to be kept and are; the command printed
    finishes the month to the scores of a publish never interrupted, one row per consumer."""
    folder = _copy(prepared.folder, tmp_path)
    db = _urls(folder)[2]
    expected = {c: v for c, v in prepared.expected.items() if shard_of(c, 3) == 2}
    args = ["publish", "--db", db, "--as-of", END.isoformat(), "--chunk-consumers", str(CHUNK)]
    code, _out, err = _interrupt_at(args, "step", signal.SIGTERM, folder)

    assert code == 143, err
    assert "Traceback" not in err
    said = _said(err)
    assert said.startswith(f"interrupted (SIGTERM): lucidscore {shlex.join(args)}\n")
    assert "  kept: the consumers written before the interrupt (each chunk of --chunk-consumers" in said
    assert f"To finish, run the same command again: lucidscore {shlex.join(args)} (" in said
    assert _rows(db) == CHUNK
    engine = make_engine(db)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT status FROM publications")).scalars().all() == ["failed"]
    engine.dispose()

    assert "0 superseded" in _again(folder, args, monkeypatch)
    assert current(db, END) == expected
    assert _rows(db) == len(expected)


@settings(max_examples=40)
@given(st.lists(st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\0"), max_size=12)))
def test_the_command_printed_is_the_command_typed(args: list[str]) -> None:
    """A shell splits the printed command back into the arguments typed (URLs aside)."""
    args = [a for a in args if "://" not in a]
    assert shlex.split(command_line(args)) == ["lucidscore", *args]


@pytest.mark.parametrize("arg", ["postgresql://me:s3cret@db/x", "--db=postgresql://me:s3cret@db/x"])
def test_the_command_printed_hides_a_database_password(arg: str) -> None:
    printed = command_line(["publish", arg])
    assert "s3cret" not in printed and "me:***@db/x" in printed


def test_a_sharded_import_interrupted_between_commits_keeps_only_the_secrets_of_accounts_made(
    prepared: Prepared, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lucid: Lucid
) -> None:
    """Ctrl-C as shard 2 commits, after shards 0 and 1 did (in-process: the interrupt raised at that
    commit): exit 130, --secrets-out holds the secrets of the accounts made and only those, and the
    command said finishes the import with a new file."""
    folder = _copy(prepared.folder, tmp_path)
    monkeypatch.chdir(folder)
    _, s1, s2 = _urls(folder)
    one, two = _first_consumer(s1), _first_consumer(s2)
    accounts = tmp_path / "accounts.csv"
    accounts.write_text(f"role,username,consumer_id\nanalyst,ivy,\nconsumer,una,{one}\nconsumer,dos,{two}\n")
    real = Session.commit

    def commit(self: Session) -> None:
        if str(self.get_bind().url).endswith("s2.db"):
            raise KeyboardInterrupt
        real(self)

    monkeypatch.setattr(Session, "commit", commit)
    first = tmp_path / "first.csv"
    code, _, err = lucid("admin", "import", str(accounts), "--shards", MAP, "--secrets-out", str(first))
    monkeypatch.setattr(Session, "commit", real)

    assert code == 130 and "Traceback" not in err
    assert (
        f"interrupted (Ctrl-C): lucidscore admin import {accounts} --shards {MAP} --secrets-out {first}"
        in err
    )
    assert (
        "--secrets-out keeps their secrets, and only theirs" in err and "give --secrets-out a new file" in err
    )
    assert [line.split(",")[0] for line in first.read_text().splitlines()] == ["username", "ivy", "una"]
    second = tmp_path / "second.csv"
    code, _, err = lucid("admin", "import", str(accounts), "--shards", MAP, "--secrets-out", str(second))
    assert code == 0, err
    assert [line.split(",")[0] for line in second.read_text().splitlines()] == ["username", "dos"]


def _children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (Linux: /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    """Whether ``pid`` is a process that has not ended (a zombie has ended, unreaped)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux) for the workers")
def test_workers_of_a_killed_command_end_and_leave_whole_chunks(prepared: Prepared, tmp_path: Path) -> None:
    """SIGKILL (no handler runs) to ``publish --shards --jobs 2`` while shard 1 has written its first
    chunk: every process it started ends by itself, the shard each worker was on stops at its next step,
    and every shard holds whole chunks (or all its consumers), nothing half-written. Before, the workers
    published the shards they had been handed, then sat idle on the pool's queue until killed."""
    folder = _copy(prepared.folder, tmp_path)
    args = ["publish", "--shards", MAP, "--as-of", END.isoformat(), "--chunk-consumers", str(CHUNK)]
    proc = subprocess.Popen(
        [str(LUCIDSCORE), *args, "--jobs", "2"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {PAUSE_VARIABLE: "shard 1", "COLUMNS": "250"},
    )
    assert proc.stderr is not None
    paused = threading.Event()

    def read() -> None:
        for line in proc.stderr:  # type: ignore[union-attr]
            if line.startswith(f"{PAUSE_VARIABLE}: paused at shard 1"):
                paused.set()
        paused.set()

    threading.Thread(target=read, daemon=True).start()
    workers: list[int] = []
    try:
        assert paused.wait(timeout=300), "never paused"  # a wait for the marker, not a speed goal
        workers = _children(proc.pid)
        assert workers, "no worker processes"
        proc.kill()
        proc.wait(timeout=60)
        deadline = threading.Event()
        for _ in range(600):  # a bound for a stuck worker, not a speed goal: each checks twice a second
            if not any(_running(w) for w in workers):
                break
            deadline.wait(0.2)
        left = [w for w in workers if _running(w)]
        assert not left, f"workers still running after their command was killed: {left}"
    finally:
        for w in workers:
            if _running(w):
                os.kill(w, signal.SIGKILL)
    urls = _urls(folder)
    for shard in range(3):
        mine = sum(shard_of(c, 3) == shard for c in prepared.expected)
        rows = _rows(urls[shard])
        assert rows % CHUNK == 0 or rows == mine, (shard, rows, mine)
    assert _rows(urls[1]) >= CHUNK  # shard 1's first chunk, committed before the kill, is kept


def _shard_sizes(prepared: Prepared) -> list[int]:
    return [sum(shard_of(c, 3) == i for c in prepared.expected) for i in range(3)]


def _history_is_the_uninterrupted_one(folder: Path, prepared: Prepared) -> None:
    """The score history of END over the shards is the one a publish never interrupted writes: the same
    score and digest per consumer, one row each, none superseding another."""
    urls = _urls(folder)
    assert _scores(folder) == prepared.expected
    assert [_rows(u) for u in urls] == _shard_sizes(prepared)
    assert all(
        _scalar(u, "SELECT count(*) FROM score_history WHERE supersedes_id IS NOT NULL") == 0 for u in urls
    )


def _scored(url: str, publication: int) -> int:
    """How many consumers publication ``publication`` scored."""
    return int(_scalar(url, f"SELECT consumers FROM publications WHERE id = {publication}"))


def _publish(folder: Path, *extra: str) -> tuple[int, str, str]:
    """``publish --shards`` of END in this process, CHUNK consumers a transaction."""
    args = ["--as-of", END.isoformat(), "--chunk-consumers", str(CHUNK), *extra]
    return run_cli("publish", "--shards", str(folder / MAP), *args)


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=12))
def test_a_publish_interrupted_after_any_chunk_then_run_again_is_the_uninterrupted_publish(
    prepared: Prepared, tmp_path: Path, cut: int
) -> None:
    """Ctrl-C as the ``cut``-th chunk of a three-shard publish is about to be written (in this process; 12
    or more: never), then the same command again: the score history is that of a publish never
    interrupted, and the recorded runs show that each shard whose publish had finished was not scored
    again (no run of it recorded) while every other shard was scored in full by one finished run."""
    from lucidscore.service import _publish as publish_module

    folder = _copy(prepared.folder, Path(tempfile.mkdtemp(dir=tmp_path)))
    urls, sizes = _urls(folder), _shard_sizes(prepared)
    real = publish_module.record_scores
    written: list[int] = []

    def record(conn: Any, rows: Any, **kwargs: Any) -> Any:
        if len(written) == cut:
            raise KeyboardInterrupt
        written.append(len(rows))
        return real(conn, rows, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(publish_module, "record_scores", record)
        code, _, err = _publish(folder)
    chunks = sum(-(-n // CHUNK) for n in sizes)
    assert code == (130 if cut < chunks else 0), err
    assert sum(_rows(u) for u in urls) == sum(written)  # the chunks committed before the interrupt, kept
    first = [_publications(u) for u in urls]

    code, out, err = _publish(folder)
    assert code == 0, err
    _history_is_the_uninterrupted_one(folder, prepared)
    skipped = 0
    for url, size, before in zip(urls, sizes, first, strict=True):
        after = _publications(url)
        if before and before[-1][1] == "finished":
            assert after == before  # not scored again
            skipped += 1
        else:
            assert after[: len(before)] == before and [s for _, s, _ in after[len(before) :]] == ["finished"]
            assert _scored(url, after[-1][0]) == size  # every consumer of the shard
    assert (f"; {skipped} shard(s) already published with nothing changed since" in out) == (skipped > 0), out


def test_a_finished_shard_is_published_again_when_a_record_the_code_or_the_model_differs(
    prepared: Prepared, bureau_files: BureauFiles, tmp_path: Path
) -> None:
    """A shard's month stands only while its last publication finished with this model and code and no
    record of it changed: a correction in shard 0, a publication recorded by other code in shard 1, one
    recorded with another model content in shard 2, and another model altogether each score that shard
    again, in full, and only that one."""
    from sqlalchemy.orm import Session

    from lucidscore.artifact import load_artifact
    from lucidscore.ingest import ingest_frame
    from lucidscore.service import publish_month, register_model

    folder = _copy(prepared.folder, tmp_path)
    urls, sizes = _urls(folder), _shard_sizes(prepared)
    assert _publish(folder)[0] == 0
    code, out, err = _publish(folder)
    assert code == 0 and "over 3 shard(s): 0 consumers scored; " in out and "; 3 shard(s) already " in out, (
        err
    )

    def runs() -> list[int]:
        return [len(_publications(u)) for u in urls]

    def again(shard: int, scored: str) -> None:
        before = runs()
        code, out, err = _publish(folder)
        assert code == 0, err
        assert f"over 3 shard(s): {scored}; 2 shard(s) already published" in out, out
        assert runs() == [n + (i == shard) for i, n in enumerate(before)]
        assert _scored(urls[shard], _publications(urls[shard])[-1][0]) == sizes[shard]

    _consumer, corrected = _late_consumer(urls[0])
    engine = make_engine(urls[0])
    ingest_frame(corrected, "statements", engine, source="test correction")
    engine.dispose()
    again(0, f"{sizes[0]:,} consumers scored; 0 new, 1 superseded, {sizes[0] - 1:,} unchanged")
    for shard, column, value in ((1, "code_version", "0.0.0+another"), (2, "model_hash", "sha256:another")):
        engine = make_engine(urls[shard])
        with engine.begin() as conn:
            conn.execute(text(f"UPDATE publications SET {column} = :v"), {"v": value})
        engine.dispose()
        again(shard, f"{sizes[shard]:,} consumers scored; 0 new, 0 superseded, {sizes[shard]:,} unchanged")

    other = load_artifact(bureau_files.model)
    other = other.model_copy(update={"model_id": f"{other.model_id}-b"}).with_hash()
    engine = make_engine(urls[0])
    with Session(engine) as session:
        register_model(session, other)
        session.commit()
    engine.dispose()
    first = publish_month(urls[0], END, model_id=other.model_id, skip_unchanged=True)
    assert (first.already, first.consumers, first.new) == (None, sizes[0], sizes[0])
    second = publish_month(urls[0], END, model_id=other.model_id, skip_unchanged=True)
    assert second.already is not None and second.publication_id == first.publication_id
    assert second.consumers == 0


@pytest.mark.postgres
def test_a_publish_of_postgresql_shards_stopped_by_sigterm_finishes_without_rescoring_the_finished_shard(
    prepared: Prepared,
    bureau_files: BureauFiles,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three PostgreSQL shards holding the bureau, SIGTERM while shard 1 has written its first chunk: exit
    143, shard 0 said finished and shard 1's first chunk kept, as said; the command printed gives the
    scores of a publish never interrupted, without a new run of shard 0."""
    path = new_shards("postgresql", tmp_path, request)
    ok("ingest", str(bureau_files.data), "--shards", str(path), "--no-progress")
    ok("model", "register", str(bureau_files.model), "--shards", str(path))
    ok("model", "activate", bureau_files.model_id, "--shards", str(path))
    urls, shown, sizes = _urls(tmp_path), _shown(tmp_path), _shard_sizes(prepared)
    args = ["publish", "--shards", MAP, "--as-of", END.isoformat(), "--chunk-consumers", str(CHUNK)]
    code, _out, err = _interrupt_at(args, "shard 1", signal.SIGTERM, tmp_path)

    assert code == 143, err
    assert "Traceback" not in err
    said = _said(err)
    assert said.startswith(f"interrupted (SIGTERM): lucidscore {shlex.join(args)}\n")
    assert f"  shard 0 ({shown[0]}): finished: {sizes[0]:,} consumers scored; {sizes[0]:,} new" in said
    assert f"  shard 1 ({shown[1]}): interrupted: the consumers written before it are kept" in said
    assert f"  shard 2 ({shown[2]}): not started\n" in said
    assert [_rows(u) for u in urls] == [sizes[0], CHUNK, 0]
    before = _publications(urls[0])

    _again(tmp_path, args, monkeypatch)
    _history_is_the_uninterrupted_one(tmp_path, prepared)
    assert _publications(urls[0]) == before
