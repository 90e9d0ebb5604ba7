"""Where a file is written before it takes its name: every writer of lucidscore writes a temporary file
beside its target and renames it at the end, so a reader never sees half a file."""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def temporary_sibling(path: Path) -> Path:
    """A temporary name beside ``path`` (same directory, so the final rename is atomic), hidden and unique
    to this call: two processes writing the same target at once (a retried job, two shards' runs) each
    write their own file, and the last rename wins whole, where one shared name let them write into one
    file and rename it from under each other ("No such file or directory", or a mixture of both).

    >>> t = temporary_sibling(Path("out/scores.parquet"))
    >>> t.parent == Path("out"), t.name.startswith(".scores.parquet."), t.suffix
    (True, True, '.tmp')
    >>> temporary_sibling(Path("a.json")) != temporary_sibling(Path("a.json"))
    True
    """
    return path.with_name(f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.tmp")
