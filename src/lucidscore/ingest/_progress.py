"""How a long load reports progress: a small protocol, and a Rich implementation for the terminal."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


class ProgressSink(Protocol):
    """Receives the progress of one file: rows read, then the phase of the database work."""

    def start(self, label: str, total: int | None) -> None: ...

    def advance(self, rows: int) -> None: ...

    def phase(self, text: str) -> None: ...


class NoProgress:
    """Reports nothing."""

    def start(self, label: str, total: int | None) -> None:
        return None

    def advance(self, rows: int) -> None:
        return None

    def phase(self, text: str) -> None:
        return None


class RichProgress:
    """One Rich progress bar per file, on stderr."""

    def __init__(self, console: Console | None = None) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<28}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[phase]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console or Console(stderr=True),
        )
        self._tasks: dict[int, TaskID] = {}  # per thread: files load side by side on PostgreSQL

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def start(self, label: str, total: int | None) -> None:
        self._tasks[threading.get_ident()] = self._progress.add_task(label, total=total, phase="reading")

    def advance(self, rows: int) -> None:
        task = self._tasks.get(threading.get_ident())
        if task is not None:
            self._progress.advance(task, rows)

    def phase(self, text: str) -> None:
        task = self._tasks.get(threading.get_ident())
        if task is not None:
            self._progress.update(task, phase=text)
