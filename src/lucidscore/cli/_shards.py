"""Running one piece of work per shard, in its own process, with a progress bar per shard.

``run_shards`` hands each shard's work to a pool of ``jobs`` processes (started fresh with ``spawn``: no
engine, thread or lock of this process is inherited), or runs them one after another in this process when
``jobs`` is 1. Workers report progress as events on a queue; this process draws them. A shard that fails
does not stop the others: its error comes back as a line, and the command names every failed shard.
"""

from __future__ import annotations

import queue as queues
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import date
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
    """One shard's result, or the one line saying why it failed."""

    shard: int
    value: T | None
    error: str | None = None


class Sink:
    """Progress of one shard as events (both ``lucidscore.service.PublishProgress`` and
    ``lucidscore.ingest.ProgressSink``)."""

    def __init__(self, shard: int, emit: Emit) -> None:
        self._shard, self._emit = shard, emit

    def stage(self, description: str, total: int | None = None) -> None:
        self._emit((self._shard, "stage", description, total))

    def start(self, label: str, total: int | None) -> None:
        self._emit((self._shard, "stage", label, total))

    def advance(self, n: int) -> None:
        self._emit((self._shard, "advance", "", n))

    def phase(self, text: str) -> None:
        self._emit((self._shard, "phase", text, None))


_QUEUE: Any = None


def _set_queue(q: Any) -> None:
    global _QUEUE
    _QUEUE = q


def _emit_to_queue(event: Event) -> None:
    _QUEUE.put(event)


def _guarded(work: Callable[..., T], shard: int, emit: Emit, *args: Any) -> Outcome[T]:
    try:
        return Outcome(shard, work(Sink(shard, emit), *args))
    except LucidError as exc:
        return Outcome(shard, None, exc.message)
    except Exception as exc:  # a fault of one shard is reported with the others' results
        last = traceback.format_exception_only(exc)[-1].strip()
        return Outcome(shard, None, last)


def _in_worker(work: Callable[..., T], shard: int, *args: Any) -> Outcome[T]:
    return _guarded(work, shard, _emit_to_queue, *args)


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

    def done(self, shard: int, ok: bool) -> None:
        task = self._tasks[shard]
        total = self._progress.tasks[task].total
        self._progress.update(
            task,
            description=f"shard {shard}: " + ("done" if ok else "FAILED"),
            total=total if total is not None else 1,
            completed=total if total is not None else 1,
        )


def run_shards(
    work: Callable[..., T], tasks: list[tuple[int, tuple[Any, ...]]], jobs: int
) -> list[Outcome[T]]:
    """``work(sink, *args)`` for each (shard, args) of ``tasks``, ``jobs`` shards at once, each in its own
    process when ``jobs`` > 1; the outcomes in shard order."""
    shards = [s for s, _ in tasks]
    out: dict[int, Outcome[T]] = {}
    with ShardBars(shards) as bars:
        if jobs <= 1 or len(tasks) <= 1:
            for shard, args in tasks:
                out[shard] = _guarded(work, shard, bars.apply, *args)
                bars.done(shard, out[shard].error is None)
        else:
            # Here, not at the top: every command (``lucidscore train`` too) imports this module, and
            # multiprocessing with the process pool is about 7 ms of CPU that only --jobs needs.
            import multiprocessing
            from concurrent.futures import ProcessPoolExecutor

            ctx = multiprocessing.get_context("spawn")
            events: Any = ctx.Queue()
            with ProcessPoolExecutor(
                max_workers=min(jobs, len(tasks)), mp_context=ctx, initializer=_set_queue, initargs=(events,)
            ) as pool:
                running: dict[Future[Outcome[T]], int] = {
                    pool.submit(_in_worker, work, shard, *args): shard for shard, args in tasks
                }
                while running:
                    _drain(events, bars, 0.1)
                    for job in [j for j in running if j.done()]:
                        shard = running.pop(job)
                        try:
                            out[shard] = job.result()
                        except Exception as exc:  # the worker process itself died
                            out[shard] = Outcome(shard, None, f"{type(exc).__name__}: {exc}")
                        _drain(events, bars, 0.0)
                        bars.done(shard, out[shard].error is None)
    return [out[s] for s in shards]


def _drain(events: Any, bars: ShardBars, timeout: float) -> None:
    try:
        bars.apply(events.get(timeout=timeout) if timeout else events.get_nowait())
        while True:
            bars.apply(events.get_nowait())
    except queues.Empty:
        return


def fail_if_any(outcomes: list[Outcome[Any]], shards: ShardMap, what: str) -> None:
    """Exit 1 naming each failed shard (the others' work stands)."""
    failed = [o for o in outcomes if o.error is not None]
    if not failed:
        return
    err = Console(stderr=True, emoji=False, highlight=False, soft_wrap=True)
    for o in failed:
        err.print(f"[bold red]error:[/] shard {o.shard} ({shards.shards[o.shard].shown}): ", end="")
        err.print(str(o.error), markup=False)
    err.print(
        f"[bold red]{what}:[/] {len(failed)} of {len(outcomes)} shard(s) failed; the others finished. "
        "Run the same command again to finish the failed ones."
    )
    raise typer.Exit(1)


# Work run per shard (top-level functions: a spawned process imports them by name).


def ingest_one_shard(
    sink: Sink, run: RoutedRun, shard: Shard, stamp: ShardStamp, wait: float
) -> tuple[FileReport, ...]:
    from lucidscore.ingest import ingest_routed_shard

    return ingest_routed_shard(run, shard, stamp, progress=sink, wait=wait)


def publish_one_shard(
    sink: Sink, shard: Shard, stamp: ShardStamp, day: date, chunk: int, model_id: str, changed_only: bool
) -> PublishReport:
    from lucidscore.service import publish_month
    from lucidscore.store import check_shard_members

    engine = open_shard(shard, stamp)
    try:
        sink.stage("checking the shard's consumers")
        check_shard_members(engine, stamp, where(shard))
    finally:
        engine.dispose()
    return publish_month(
        shard.url, day, model_id=model_id, changed_only=changed_only, progress=sink, chunk_consumers=chunk
    )
