"""The shard runner (``cli._shards.run_shards``) with ``--jobs 2``: every shard's outcome comes back and is
said, whatever stops a worker or the command (the CI of 5f0aebc once said "not started" of a shard whose
two files were committed: an outcome lost on the way back)."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from lucidscore.cli._interrupt import Ledger
from lucidscore.cli._shards import Says, Sink, run_shards
from lucidscore.store import ShardMap
from lucidscore.store._shards import Shard

SAYS = Says(done=lambda value: f"value {value}", cut="stopped midway", again="run it again")


def _map(n: int) -> ShardMap:
    shards = tuple(Shard(i, f"sqlite:///s{i}.db", f"sqlite:///s{i}.db") for i in range(n))
    return ShardMap(Path("shards.toml"), shards, "0" * 64)


# Work run in the spawned workers (top-level: a worker imports it by name).


def returns_its_shard(sink: Sink, shard: int, folder: str) -> int:
    sink.stage("working", 2)
    sink.advance(2)
    (Path(folder) / f"{shard}.done").touch()  # before its outcome is on the way back
    return shard


def raises_a_bare_interrupt(sink: Sink, shard: int, folder: str) -> int:
    """A library in the worker raising KeyboardInterrupt of its own, the run not interrupted."""
    sink.stage("working", None)
    raise KeyboardInterrupt("raised by a library")


def interrupts_the_command_then_works_on(sink: Sink, shard: int, folder: str) -> int:
    """Once shard 1 has done its work, sends the command Ctrl-C, then works in steps until the runner stops
    it (at most 60 s)."""
    sink.stage("working", None)
    deadline = time.monotonic() + 120  # a bound against a hang, not a speed goal
    while not (Path(folder) / "1.done").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(os.getppid(), signal.SIGINT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        sink.advance(1)
        time.sleep(0.01)
    return -1  # never stopped: the test fails on this value


def _main_thread() -> None:
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach only the main thread; this test runner runs tests in another")


def test_a_bare_interrupt_in_a_worker_is_that_shards_failure_and_the_others_finish(tmp_path: Path) -> None:
    works = {0: returns_its_shard, 1: raises_a_bare_interrupt, 2: returns_its_shard}
    tasks: list[tuple[int, tuple[Any, ...]]] = [(s, (works[s].__name__, s, str(tmp_path))) for s in works]

    outcomes = run_shards(_dispatch, tasks, 2, _map(3), SAYS)

    assert [o.shard for o in outcomes] == [0, 1, 2]
    assert [o.value for o in outcomes] == [0, None, 2]
    assert not any(o.interrupted for o in outcomes)
    assert outcomes[1].error == "KeyboardInterrupt in the shard's worker, the run not interrupted"
    assert outcomes[0].error is None and outcomes[2].error is None


def test_ctrl_c_during_a_parallel_run_says_every_shards_state(tmp_path: Path) -> None:
    """Ctrl-C reaches the command while shard 0 works and shard 1 has finished: shard 0 is said
    interrupted, shard 1 finished with its value, shard 2 (queued behind them) not started or, if a worker
    took it first, said as what it did; none is missing."""
    _main_thread()
    works = {0: interrupts_the_command_then_works_on, 1: returns_its_shard, 2: returns_its_shard}
    tasks: list[tuple[int, tuple[Any, ...]]] = [(s, (works[s].__name__, s, str(tmp_path))) for s in works]

    with pytest.raises(KeyboardInterrupt) as caught:
        run_shards(_dispatch, tasks, 2, _map(3), SAYS)

    ledger = getattr(caught.value, "lucidscore_ledger", None)
    assert isinstance(ledger, Ledger)
    assert ledger.again == "run it again"
    assert ledger.lines[0] == "shard 0 (sqlite:///s0.db): interrupted: stopped midway"
    assert ledger.lines[1] == "shard 1 (sqlite:///s1.db): finished: value 1"
    assert ledger.lines[2].split(": ", 1)[1] in {
        "not started",
        "interrupted: stopped midway",
        "finished: value 2",
    }
    assert len(ledger.lines) == 3


def _dispatch(sink: Sink, name: str, shard: int, folder: str) -> int:
    return int(globals()[name](sink, shard, folder))
