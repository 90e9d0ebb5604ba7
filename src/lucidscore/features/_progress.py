"""A Rich progress bar over the chunks of a computation; a no-op when progress is off."""

from __future__ import annotations

from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class Steps:
    """``plan(n)`` sets the number of steps, ``step(label)`` completes one, ``note(label)`` only says what
    is being done now."""

    def __init__(self, show: bool) -> None:
        self._progress: Progress | None = None
        if show:
            self._progress = Progress(
                TextColumn("[bold]features[/] {task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
            )
            self._task = self._progress.add_task("", total=None)

    def __enter__(self) -> Steps:
        if self._progress is not None:
            self._progress.start()
        return self

    def plan(self, total: int) -> None:
        if self._progress is not None:
            self._progress.update(self._task, total=total)

    def note(self, label: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=label)

    def step(self, label: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=label, advance=1)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            if kind is None:
                task = self._progress.tasks[0]
                self._progress.update(self._task, completed=task.total or task.completed)
            self._progress.stop()
