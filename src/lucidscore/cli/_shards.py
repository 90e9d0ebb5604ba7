"""Running one piece of work per shard, in its own process, with a progress bar per shard.

``run_shards`` hands each shard's work to a pool of ``jobs`` processes (started fresh with ``spawn``: no
engine, thread or lock of this process is inherited), or runs them one after another in this process when
``jobs`` is 1. Workers report progress as events on a queue; this process draws them. A shard that fails
does not stop the others: its error comes back as a line, and the command names every failed shard.
"""

from __future__ import annotations

import os
import queue as queues
import signal
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date
from types import FrameType
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from lucidscore.cli._interrupt import Ledger, Terminated, attach, pause_for_a_test
from lucidscore.errors import InputError, LucidError

if TYPE_CHECKING:
    from lucidscore.ingest import FileReport, RoutedRun
    from lucidscore.service import PublishReport
    from lucidscore.store import Shard, ShardMap, ShardStamp

T = TypeVar("T")
Event = tuple[int, str, str, int | None]  # (shard, kind: stage|advance, text, number)
Emit = Callable[[Event], None]


def refuse_both(ctx: typer.Context, db_param: str = "db") -> None:
    """Refuse ``--db`` typed together with ``--shards`` (its environment variable or default is ignored
    when a map is given)."""
    source = ctx.get_parameter_source(db_param)
    if source is not None and source.name == "COMMANDLINE":
        raise InputError("--db and --shards: give one; --shards MAP names every database of the deployment")


def require_db(db: str | None) -> str:
    """The ``--db`` of a command that may also take ``--shards``: one of them is needed."""
    if db is None:
        raise InputError(
            "--db: missing; give the database URL with --db (or LUCIDSCORE_DB_URL), or --shards MAP for a "
            "deployment split by consumer"
        )
    return db


def load_map(path: str) -> ShardMap:
    from lucidscore.store import read_shard_map

    with _flag("--shards"):
        return read_shard_map(path)


class _flag:
    """Inside, an ``InputError`` is prefixed with the flag it came from."""

    def __init__(self, flag: str) -> None:
        self._flag = flag

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: object) -> None:
        if isinstance(exc, LucidError) and not exc.message.startswith(self._flag):
            raise type(exc)(f"{self._flag} {exc.message}") from None


# What to do about a shard database that does not exist: a map never initialised, or a shard lost.
MISSING_WAY_OUT = (
    "if the map was never initialised, run lucidscore shards init MAP; if it was, this database was moved "
    "or lost: restore it (shards init does not create a shard of a map whose other shards are in use)"
)


def where(shard: Shard) -> str:
    return f"shard {shard.index} ({shard.shown})"


def open_shard(shard: Shard, stamp: ShardStamp, *, create: bool = False) -> Any:
    """A migrated engine on a shard whose stamp is ``stamp`` (``ShardMismatch`` otherwise)."""
    from lucidscore.store import DatabaseMissing, check_shard_stamp, migrate, open_database

    try:
        engine = open_database(shard.url, create=create)
    except DatabaseMissing as exc:
        raise InputError(f"{where(shard)}: {exc.message}; {MISSING_WAY_OUT}") from None
    try:
        migrate(engine)
        check_shard_stamp(engine, stamp, where(shard))
    except BaseException:
        engine.dispose()
        raise
    return engine


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """One shard's result, or the one line saying why it failed, or that it was interrupted."""

    shard: int
    value: T | None
    error: str | None = None
    interrupted: bool = False


@dataclass(frozen=True)
class Says:
    """What an interrupted run says of its shards: a finished shard's result (``done``), a shard stopped
    midway (``cut``) and what running the command again does (``again``)."""

    done: Callable[[Any], str]
    cut: str
    again: str


class Sink:
    """Progress of one shard as events (both ``lucidscore.service.PublishProgress`` and
    ``lucidscore.ingest.ProgressSink``)."""

    def __init__(self, shard: int, emit: Emit) -> None:
        self._shard, self._emit = shard, emit

    def stage(self, description: str, total: int | None = None) -> None:
        self._emit((self._shard, "stage", description, total))
        pause_for_a_test(f"shard {self._shard}: {description}", _stop_if_asked)

    def start(self, label: str, total: int | None) -> None:
        self._emit((self._shard, "stage", label, total))
        pause_for_a_test(f"shard {self._shard}: {label}", _stop_if_asked)

    def advance(self, n: int) -> None:
        self._emit((self._shard, "advance", "", n))
        pause_for_a_test(f"shard {self._shard}", _stop_if_asked)

    def phase(self, text: str) -> None:
        self._emit((self._shard, "phase", text, None))


class _Stopped(KeyboardInterrupt):
    """Raised in a worker at its shard's next step once the run is interrupted: its transaction rolls
    back as it does for Ctrl-C."""


# A worker process's state, set by ``_start_worker``: the queue its events go to, the event the parent
# sets when the run is interrupted, the parent's process id, and whether a shard's work is running.
_QUEUE: Any = None
_ABORT: Any = None
_PARENT: int | None = None
_BUSY = False


def _start_worker(events: Any, abort: Any) -> None:
    """A worker leaves Ctrl-C and SIGTERM to the parent (a terminal sends Ctrl-C to the whole process
    group), which stops the worker's shard at its next step through ``abort``."""
    global _QUEUE, _ABORT, _PARENT
    _QUEUE, _ABORT, _PARENT = events, abort, os.getppid()
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    threading.Thread(target=_end_when_orphaned, name="lucidscore-parent-watch", daemon=True).start()


def _end_when_orphaned(every: float = 0.5) -> None:
    """A worker whose command was killed (SIGKILL) ends once idle: the shard it was on stops at its next
    step (``_stop_if_asked``) and rolls back what it had not committed; no other shard can reach it, and
    nothing would wait for it (before, it sat idle on the pool's queue until someone killed it)."""
    while True:
        time.sleep(every)
        if _orphaned() and not _BUSY:
            os._exit(128 + signal.SIGKILL)


def _orphaned() -> bool:
    return _PARENT is not None and os.getppid() != _PARENT


def _on_signal(signum: int, frame: FrameType | None) -> None:
    """Ignored while the parent lives (it decides); a worker whose parent was killed (SIGKILL) stops: its
    shard's work rolled back, or, idle, the process ends."""
    if not _orphaned():
        return
    if _BUSY:
        raise _Stopped("the command that started this worker is gone")
    raise SystemExit(128 + signum)


def _stop_if_asked() -> None:
    if (_ABORT is not None and _ABORT.is_set()) or _orphaned():
        raise _Stopped("the run was interrupted")


def _emit_to_queue(event: Event) -> None:
    _stop_if_asked()
    _QUEUE.put(event)


def _guarded(work: Callable[..., T], shard: int, emit: Emit, *args: Any) -> Outcome[T]:
    try:
        return Outcome(shard, work(Sink(shard, emit), *args))
    except LucidError as exc:
        return Outcome(shard, None, exc.message)
    except Exception as exc:  # a fault of one shard is reported with the others' results
        last = traceback.format_exception_only(exc)[-1].strip()
        return Outcome(shard, None, last)


def _in_worker(work: Callable[..., T], shard: int, *args: Any) -> Outcome[T] | None:
    """A shard's outcome in a worker; None when the run was interrupted before it started."""
    global _BUSY
    if _ABORT.is_set() or _orphaned():
        return None
    _BUSY = True
    try:
        return _guarded(work, shard, _emit_to_queue, *args)
    except KeyboardInterrupt as exc:  # ``_Stopped``, or an interrupt a library raised in its place
        if _ABORT.is_set() or _orphaned():
            return Outcome(shard, None, interrupted=True)
        return Outcome(shard, None, f"{type(exc).__name__} in the shard's worker, the run not interrupted")
    finally:
        _BUSY = False


class ShardBars:
    """A progress bar per shard."""

    def __init__(self, shards: list[int]) -> None:
        self._progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(stderr=True),
        )
        self._tasks: dict[int, TaskID] = {
            s: self._progress.add_task(f"shard {s}: waiting", total=None) for s in shards
        }
        self._labels: dict[int, str] = {}

    def __enter__(self) -> ShardBars:
        self._progress.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._progress.stop()

    def apply(self, event: Event) -> None:
        shard, kind, text, number = event
        task = self._tasks[shard]
        if kind == "stage":
            self._labels[shard] = text
            self._progress.reset(task, total=number, description=f"shard {shard}: {text}")
        elif kind == "advance":
            self._progress.advance(task, number or 0)
        else:
            self._progress.update(task, description=f"shard {shard}: {self._labels.get(shard, '')} ({text})")

    def done(self, outcome: Outcome[Any]) -> None:
        task = self._tasks[outcome.shard]
        said = "interrupted" if outcome.interrupted else "done" if outcome.error is None else "FAILED"
        self._progress.update(task, description=f"shard {outcome.shard}: {said}")
        if not outcome.interrupted:
            total = self._progress.tasks[task].total
            self._progress.update(task, total=total or 1, completed=total or 1)


def run_shards(
    work: Callable[..., T], tasks: list[tuple[int, tuple[Any, ...]]], jobs: int, smap: ShardMap, says: Says
) -> list[Outcome[T]]:
    """``work(sink, *args)`` for each (shard, args) of ``tasks``, ``jobs`` shards at once, each in its own
    process when ``jobs`` > 1; the outcomes in shard order. Interrupted (Ctrl-C, SIGTERM): the shards in
    progress stop at their next step (what they committed before stays), the others do not start, and the
    interrupt goes on carrying each shard's state (``cli._interrupt.attach``)."""
    shards = [s for s, _ in tasks]
    out: dict[int, Outcome[T]] = {}
    one_by_one = jobs <= 1 or len(tasks) <= 1
    try:
        with ShardBars(shards) as bars:
            if one_by_one:
                for shard, args in tasks:
                    out[shard] = _guarded(work, shard, bars.apply, *args)
                    bars.done(out[shard])
            else:
                _in_processes(work, tasks, jobs, bars, out)
    except KeyboardInterrupt as exc:
        if one_by_one:  # the shard in progress is the first not done
            cut = next((s for s in shards if s not in out), None)
            if cut is not None:
                out[cut] = Outcome(cut, None, interrupted=True)
        attach(exc, _account(out, shards, smap, says))
        raise
    return [out[s] for s in shards]


def _in_processes(
    work: Callable[..., T],
    tasks: list[tuple[int, tuple[Any, ...]]],
    jobs: int,
    bars: ShardBars,
    out: dict[int, Outcome[T]],
) -> None:
    # Here, not at the top: every command (``lucidscore train`` too) imports this module, and
    # multiprocessing with the process pool is about 7 ms of CPU that only --jobs needs.
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")
    events: Any = ctx.Queue()
    abort = ctx.Event()
    with ProcessPoolExecutor(
        max_workers=min(jobs, len(tasks)), mp_context=ctx, initializer=_start_worker, initargs=(events, abort)
    ) as pool:
        running: dict[Future[Outcome[T] | None], int] = {
            pool.submit(_in_worker, work, shard, *args): shard for shard, args in tasks
        }
        try:
            with _Deferred(abort) as interrupt:
                _collect(running, events, bars, out)
        except KeyboardInterrupt:  # a second Ctrl-C: raised where it came, the outcomes still collected
            abort.set()
            for job in running:
                job.cancel()
            _collect(running, events, bars, out)
            raise
        if interrupt.caught is not None:  # every shard's outcome is in: the interrupt goes on from here
            raise interrupt.caught


class _Deferred:
    """Inside (in the main thread), the first Ctrl-C or SIGTERM is not raised where it lands: it sets
    ``abort`` (the shards in progress stop at their next step, the others do not start) and is kept in
    ``caught``, to be raised once every shard's outcome is collected. Raised at any point of the pool's
    and the queue's own code, an interrupt could lose a finished shard's outcome (the CI of 5f0aebc said a
    shard "not started" whose two files were committed) or leave a lock held. A second signal is raised
    where it lands, as before, for an operator who will not wait."""

    def __init__(self, abort: Any) -> None:
        self._abort = abort
        self.caught: KeyboardInterrupt | None = None
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _Deferred:
        if threading.current_thread() is threading.main_thread():  # only there can signals be handled
            self._previous = {s: signal.signal(s, self._on) for s in (signal.SIGINT, signal.SIGTERM)}
        return self

    def __exit__(self, *exc: object) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)

    def _on(self, signum: int, frame: FrameType | None) -> None:
        again = self.caught is not None
        caught = Terminated("terminated (SIGTERM)") if signum == signal.SIGTERM else KeyboardInterrupt()
        self.caught = self.caught or caught
        self._abort.set()
        if again:
            raise caught


def _collect(
    running: dict[Future[Outcome[T] | None], int], events: Any, bars: ShardBars, out: dict[int, Outcome[T]]
) -> None:
    """Draw the workers' events until every job of ``running`` has ended; the outcomes into ``out`` (none
    for a shard that did not start)."""
    while running:
        _drain(events, bars, 0.1)
        for job in [j for j in running if j.done()]:
            shard = running[job]  # left in ``running`` until its outcome is in ``out``
            outcome: Outcome[T] | None = None
            if not job.cancelled():
                try:
                    outcome = job.result()
                except KeyboardInterrupt as exc:  # escaped the worker's own handling: said, not lost
                    outcome = Outcome(shard, None, f"{type(exc).__name__} in the shard's worker: {exc}")
                except Exception as exc:  # the worker process itself died
                    outcome = Outcome(shard, None, f"{type(exc).__name__}: {exc}")
            if outcome is not None:
                out[shard] = outcome
            del running[job]
            if outcome is not None:
                _drain(events, bars, 0.0)
                bars.done(outcome)


def _account(out: dict[int, Outcome[Any]], shards: list[int], smap: ShardMap, says: Says) -> Ledger:
    """Each shard's state, for what the interrupted command prints (``cli._interrupt``)."""
    book = Ledger()
    for shard in shards:
        o, name = out.get(shard), where(smap.shards[shard])
        if o is None:
            book.lines.append(f"{name}: not started")
        elif o.interrupted:
            book.lines.append(f"{name}: interrupted: {says.cut}")
        elif o.error is not None:
            book.lines.append(f"{name}: failed: {o.error}")
        else:
            book.lines.append(f"{name}: finished: {says.done(o.value)}")
    book.again = says.again
    return book


def _drain(events: Any, bars: ShardBars, timeout: float) -> None:
    try:
        bars.apply(events.get(timeout=timeout) if timeout else events.get_nowait())
        while True:
            bars.apply(events.get_nowait())
    except queues.Empty:
        return


def fail_if_any(
    outcomes: list[Outcome[Any]],
    shards: ShardMap,
    what: str,
    finished: str = "the finished ones are done again and change nothing",
) -> None:
    """Exit 1 naming each failed shard (the others' work stands); ``finished`` says what running the
    command again does to the shards that finished."""
    failed = [o for o in outcomes if o.error is not None]
    if not failed:
        return
    err = Console(stderr=True, emoji=False, highlight=False, soft_wrap=True)
    for o in failed:
        err.print(f"[bold red]error:[/] shard {o.shard} ({shards.shards[o.shard].shown}): ", end="")
        err.print(str(o.error), markup=False)
    err.print(
        f"[bold red]{what}:[/] {len(failed)} of {len(outcomes)} shard(s) failed; the others finished. "
        f"Run the same command again to finish the failed ones ({finished})."
    )
    raise typer.Exit(1)


# Work run per shard (top-level functions: a spawned process imports them by name).


def ingest_one_shard(
    sink: Sink, run: RoutedRun, shard: Shard, stamp: ShardStamp, wait: float
) -> tuple[FileReport, ...]:
    from lucidscore.ingest import ingest_routed_shard

    return ingest_routed_shard(run, shard, stamp, progress=sink, wait=wait)


def publish_one_shard(
    sink: Sink,
    shard: Shard,
    stamp: ShardStamp,
    day: date,
    chunk: int,
    model_id: str,
    changed_only: bool,
    skip_unchanged: bool,
) -> PublishReport:
    from lucidscore.service import publish_month, standing_month
    from lucidscore.store import check_shard_members

    engine = open_shard(shard, stamp)
    try:
        if skip_unchanged:  # a month that stands is not scored, nor its consumers read again
            sink.stage("changes since the month was last published")
            standing = standing_month(shard.url, day, model_id=model_id, changed_only=changed_only)
            if standing is not None:
                return standing
        sink.stage("checking the shard's consumers")
        check_shard_members(engine, stamp, where(shard))
    finally:
        engine.dispose()
    return publish_month(
        shard.url,
        day,
        model_id=model_id,
        changed_only=changed_only,
        progress=sink,
        chunk_consumers=chunk,  # (whether the month stands was asked above)
    )
