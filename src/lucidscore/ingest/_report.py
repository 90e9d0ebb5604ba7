"""What an ingest did, per file and in total."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class FileReport:
    """Counts of one file load.

    ``read`` = ``accepted`` + ``quarantined``; ``accepted`` = ``inserted`` (new keys) + ``superseded``
    (corrections: a new version replacing the current one) + ``unchanged`` (already stored as given).
    """

    path: Path
    table: str
    sha256: str
    batch_id: int
    read: int
    accepted: int
    quarantined: int
    inserted: int
    superseded: int
    unchanged: int
    quarantine_path: Path | None
    problems: tuple[str, ...] = ()  # the first few quarantine reasons, one line each
    seconds: float = 0.0


@dataclass(frozen=True)
class IngestReport:
    """Every file of one ``ingest_directory`` run, in load order."""

    files: tuple[FileReport, ...] = field(default_factory=tuple)
    ignored: tuple[Path, ...] = ()  # files in the directory that are not a table file

    def total(self, count: str) -> int:
        """Sum of one count (``"read"``, ``"inserted"``, ...) over all files."""
        return sum(int(getattr(f, count)) for f in self.files)

    @property
    def quarantine_paths(self) -> tuple[Path, ...]:
        return tuple(f.quarantine_path for f in self.files if f.quarantine_path is not None)
