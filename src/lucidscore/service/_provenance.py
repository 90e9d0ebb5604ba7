"""What made a month's scores, and whether publishing it again could change them.

A publication records the model's content hash and ``code_version()``, the lucidscore code that scored.
``already_published`` finds the finished publication that a new publish of the same month and model
would only repeat: same model content, same code, and no record changed since it read them. A publish
(``publish_month(..., skip_unchanged=True)``, what ``lucidscore publish`` does unless ``--full``) then
scores nobody and writes nothing, so that running an interrupted ``publish --shards`` again costs only the
shards that had not finished.
"""

from __future__ import annotations

import functools
import hashlib
from datetime import date
from importlib import metadata
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from lucidscore.service._changes import marks_from_json, records_changed
from lucidscore.store.service import ModelRecord, Publication

# The libraries whose arithmetic reaches a score (features: polars, pyarrow; scoring: numpy, numba).
_NUMERIC = ("polars", "pyarrow", "numpy", "numba")


@functools.cache
def code_version() -> str:
    """``<release>+<digest>``: the lucidscore release and 16 hex digits of SHA-256 over every Python source
    of the installed package (path and bytes, in path order) and the versions of the numeric libraries.
    Any change to the code, even one that cannot change a score, is a new version: a skip must be
    provable, and a release scores its first month in full once. Computed once per process (~2 MB)."""
    import lucidscore

    root = Path(lucidscore.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    for name in _NUMERIC:
        try:
            found = metadata.version(name)
        except metadata.PackageNotFoundError:
            found = "absent"
        digest.update(f"{name}={found}\0".encode())
    return f"{lucidscore.__version__}+{digest.hexdigest()[:16]}"


def already_published(session: Session, model: ModelRecord, as_of: date) -> Publication | None:
    """The finished publication of ``as_of`` with ``model`` that a new publish would only repeat, or None.

    It is the newest publication of that month and model, and it finished. Every publication of the month
    and model since the newest finished full one (that one included; ``--changed-only`` runs build on it,
    and a failed run wrote rows too) was made with this model content and this code. And no record
    changed since the newest one read them (``records_changed``: what ``--changed-only`` would rescore is
    nobody). Anything else (a run failed or still started last, another code version, a record loaded or
    corrected since, an older publication that recorded no provenance) is None: publish as before.
    """
    runs = list(
        session.scalars(
            select(Publication)
            .where(Publication.model_id == model.model_id, Publication.as_of == as_of)
            .order_by(Publication.id.desc())
        )
    )
    if not runs or runs[0].status != "finished":
        return None
    version = code_version()
    for run in runs:
        if run.model_hash != model.content_hash or run.code_version != version:
            return None
        if run.status == "finished" and not run.changed_only:
            break
    else:
        return None  # no full publish of the month to build on
    newest = runs[0]
    if records_changed(session.connection(), marks_from_json(newest.records_through, newest.pending_batches)):
        return None
    return newest
