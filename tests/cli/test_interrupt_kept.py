"""What an interrupted ``synth``, ``demo`` and ``model activate`` say they keep is what they keep
(issue 15, operator surface; ``cli._interrupt.KEPT``). ``tests/cli/test_interrupt.py`` does the same for
``publish`` and ``admin import``.

``synth`` and ``demo`` are interrupted in this process, by a ``KeyboardInterrupt`` raised at a chosen
point of their work (what Ctrl-C raises there); ``model activate`` is a real process paused by the test
hook after its publish's first chunk committed and sent Ctrl-C or SIGTERM."""

from __future__ import annotations

import hashlib
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from typer.testing import CliRunner

from lucidscore.cli._interrupt import KEPT
from lucidscore.cli.main import app
from lucidscore.store import make_engine
from tests.cli.test_interrupt import _interrupt_at
from tests.cli.test_model_registry_cli import renamed
from tests.fixtures.bureau import END, BureauFiles, Lucid


def _digests(folder: Path) -> dict[str, str]:
    """Every file in ``folder`` (hidden ones too) -> sha256 of its bytes; none when there is no folder."""
    if not folder.exists():
        return {}
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _invoke(args: list[str]) -> Any:
    return CliRunner().invoke(app, args, env={"COLUMNS": "250"})


def _interrupt_after(calls: int) -> Callable[..., Any]:
    """A wrapper factory: the wrapped function raises ``KeyboardInterrupt`` on its ``calls``-th call."""
    seen = {"n": 0}

    def wrap(original: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            seen["n"] += 1
            if seen["n"] == calls:
                raise KeyboardInterrupt
            return original(*args, **kwargs)

        return wrapped

    return wrap


@pytest.fixture(scope="module")
def earlier_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding a complete ``synth`` run (seed 3), to be interrupted over."""
    folder = tmp_path_factory.mktemp("synth-earlier")
    result = _invoke(["synth", "--consumers", "240", "--seed", "3", "--out", str(folder / "out")])
    assert result.exit_code == 0, result.output
    return folder / "out"


# Where a synth is interrupted: while a chunk is simulated (1st, 2nd or 3rd of 3), while a table's chunk
# is written, or while a table's file is finished (its footer written; the 1st, 4th or 7th of 7 tables).
POINTS = st.sampled_from(
    [("chunk", 1), ("chunk", 2), ("chunk", 3), ("write", 9), ("finish", 1), ("finish", 4), ("finish", 7)]
)


@settings(max_examples=7, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(point=POINTS, fresh=st.booleans())
def test_an_interrupted_synth_keeps_nothing_and_leaves_the_folder_as_it_was(
    point: tuple[str, int],
    fresh: bool,
    earlier_run: Path,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from lucidscore.synth import _population, _writer

    out = tmp_path_factory.mktemp("synth-interrupted") / "out"
    if not fresh:  # over an earlier, complete run of another seed
        out.mkdir()
        for f in earlier_run.iterdir():
            (out / f.name).write_bytes(f.read_bytes())
    before = _digests(out)
    monkeypatch.setattr(_population, "CHUNK_SIZE", 100)  # 240 consumers: 3 chunks
    where, calls = point
    wrap = _interrupt_after(calls)
    with monkeypatch.context() as m:
        if where == "chunk":
            m.setattr(_population, "simulate", wrap(_population.simulate))
        elif where == "write":
            m.setattr(_writer.TableSink, "write", wrap(_writer.TableSink.write))
        else:
            m.setattr(_writer.TableSink, "finish", wrap(_writer.TableSink.finish))
        result = _invoke(["synth", "--consumers", "240", "--seed", "5", "--out", str(out)])
    assert result.exit_code == 130, result.output
    assert "Traceback" not in result.output
    assert f"kept: {KEPT['synth'].kept}" in result.output
    # What the message says: nothing of this run, no temporary file left, the earlier files untouched.
    assert _digests(out) == before


def test_a_synth_run_again_after_an_interrupt_writes_what_an_uninterrupted_run_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lucidscore.synth import _writer

    args = ["synth", "--consumers", "240", "--seed", "5", "--format", "csv"]
    assert _invoke([*args, "--out", str(tmp_path / "control")]).exit_code == 0
    with monkeypatch.context() as m:
        m.setattr(_writer.TableSink, "finish", _interrupt_after(3)(_writer.TableSink.finish))
        assert _invoke([*args, "--out", str(tmp_path / "again")]).exit_code == 130
    result = _invoke([*args, "--out", str(tmp_path / "again")])
    assert result.exit_code == 0, result.output
    assert _digests(tmp_path / "again") == _digests(tmp_path / "control")


def test_an_interrupted_demo_is_not_taken_for_a_finished_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupted while training: the message says the demo is unfinished, and it is: ``--reuse`` does
    not find a demo to reuse (``existing_demo``), so the same command builds it afresh."""
    from lucidscore.demo import _build, existing_demo

    def interrupted(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(_build, "_train", interrupted)
    directory = tmp_path / "demo"
    result = _invoke(["demo", "--consumers", "200", "--dir", str(directory), "--no-serve", "--reuse"])
    assert result.exit_code == 130, result.output
    assert f"kept: {KEPT['demo'].kept}" in result.output
    assert f"({KEPT['demo'].again})" in result.output
    assert (directory / "data").is_dir() and (directory / _build.DB_NAME).is_file()  # it had started
    assert not (directory / _build.INFO_NAME).exists()
    assert existing_demo(directory) is None


def _count(url: str, sql: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        value = int(conn.execute(text(sql)).scalar_one())
    engine.dispose()
    return value


def _active(url: str) -> list[str]:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = [str(r[0]) for r in conn.execute(text("SELECT model_id FROM models WHERE active"))]
    engine.dispose()
    return found


def test_an_activation_interrupted_in_its_publish_keeps_what_it_says_and_running_again_finishes(
    bureau_url: str, bureau_files: BureauFiles, lucid: Lucid, tmp_path: Path
) -> None:
    """``model activate`` of a model without scores publishes the newest month with it first. Interrupted
    after that publish's first chunk (Ctrl-C on SQLite, SIGTERM on PostgreSQL): the old model is still
    active, the rows written are kept; run again, it writes no second row for them and activates the
    model."""
    signum = signal.SIGINT if bureau_url.startswith("sqlite") else signal.SIGTERM
    first = bureau_files.model_id
    assert lucid("model", "register", str(bureau_files.model), "--db", bureau_url)[0] == 0
    assert lucid("model", "activate", first, "--db", bureau_url)[0] == 0
    assert lucid("publish", "--db", bureau_url, "--as-of", END.isoformat())[0] == 0
    second = renamed(bureau_files, tmp_path, "sc-second")
    assert lucid("model", "register", str(second), "--db", bureau_url)[0] == 0

    args = ["model", "activate", "sc-second", "--db", bureau_url]
    code, _, err = _interrupt_at(args, "step", signum, tmp_path)
    assert code == 128 + signum, err[-3000:]
    assert "Traceback" not in err
    said = err[err.index("interrupted (") :]
    assert f"kept: {KEPT['model activate'].kept}" in said
    assert f"({KEPT['model activate'].again})" in said
    assert _active(bureau_url) == [first]  # what it says: active only where activation finished
    written = _count(bureau_url, "SELECT count(*) FROM score_history WHERE model_id = 'sc-second'")
    assert written > 0  # the chunk committed before the pause is kept

    code, out, err = lucid(*args)
    assert code == 0, err
    assert out.splitlines()[-1] == "model sc-second is active"
    assert _active(bureau_url) == ["sc-second"]
    # Every consumer has exactly one row of the month with the new model: none written twice.
    assert _count(bureau_url, "SELECT count(*) FROM score_history WHERE model_id = 'sc-second'") == 1000
    assert (
        _count(
            bureau_url,
            "SELECT count(*) FROM (SELECT consumer_id FROM score_history WHERE model_id = 'sc-second' "
            "GROUP BY consumer_id HAVING count(*) > 1) AS twice",
        )
        == 0
    )
