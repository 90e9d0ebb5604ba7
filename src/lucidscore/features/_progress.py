"""A Rich progress bar over the named steps of a computation; a no-op when progress is off."""

from __future__ import annotations

from types import TracebackType

from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

_STEPS = 11  # reading, up to seven tables read from a database, computing, counting, done


class Steps:
    """``step(label)`` completes the previous step and shows the next one."""

    def __init__(self, show: bool) -> None:
        self._progress: Progress | None = None
        self._started = False
        if show:
            self._progress = Progress(
                TextColumn("[bold]features[/] {task.description}"), BarColumn(), TimeElapsedColumn()
            )
            self._task = self._progress.add_task("", total=_STEPS)

    def __enter__(self) -> Steps:
        if self._progress is not None:
            self._progress.start()
        return self

    def step(self, label: str) -> None:
        if self._progress is not None:
            self._progress.update(self._task, description=label, advance=1 if self._started else 0)
            self._started = True

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            if kind is None:
                self._progress.update(self._task, completed=_STEPS)
            self._progress.stop()
