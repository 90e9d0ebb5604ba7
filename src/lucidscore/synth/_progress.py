"""A Rich progress bar that is a no-op when progress is off."""

from __future__ import annotations

from types import TracebackType

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


class Ticker:
    """Context manager: ``advance(n)`` moves the bar when shown, does nothing otherwise."""

    def __init__(self, label: str, total: int, unit: str, show: bool) -> None:
        self._progress: Progress | None = None
        if show:
            self._progress = Progress(
                TextColumn(f"[bold]{label}[/]"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn(unit),
                TimeElapsedColumn(),
                transient=False,
            )
            self._task = self._progress.add_task(label, total=total)

    def __enter__(self) -> Ticker:
        if self._progress is not None:
            self._progress.start()
        return self

    def advance(self, n: int) -> None:
        if self._progress is not None:
            self._progress.advance(self._task, n)

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
