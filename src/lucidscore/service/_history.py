"""Writing scores into the append-only score history without duplicates.

A consumer's *current* score for a model and month is the newest row (largest id) with that consumer,
model and ``as_of``. Writing a score compares it with that row by ``content_digest`` (SHA-256 of what the
consumer is shown: score, tier, probability, segment, reasons, explanation): an equal score writes nothing,
a different one is a new row naming the row it supersedes, which stays as the trail. So publishing a month
again, or rescoring a consumer whose records did not change, adds no row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Table, bindparam, literal, select
from sqlalchemy.engine import Connection

from lucidscore.store import ENCODED_JSON, canonical_json, canonical_object, insert_chained, lock_chain
from lucidscore.store.service import ScoreRecord

SCORE_FIELDS = ("score", "tier", "probability", "segment", "reasons", "explanation")
_LOOKUP = 2_000  # consumer ids per lookup of current rows (well under every database's parameter limit)


def score_digest(row: Mapping[Any, Any]) -> str:
    """SHA-256 of the fields a consumer is shown, in one canonical JSON form (keys sorted, floats by their
    shortest exact repr), so a score read back from either database digests as it did when written.

    >>> score_digest({"score": 600, "tier": "good", "probability": 0.1, "segment": "all",
    ...               "reasons": [], "explanation": None})[:12]
    'cf2da135eb2e'
    """
    return _digest(row)[0]


def _digest(row: Mapping[Any, Any]) -> tuple[str, dict[str, str]]:
    """``score_digest(row)`` and the canonical JSON of the row's reasons and explanation as given (lists
    and dicts), encoded once here and handed to the chain writer, whose canonical form is the same."""
    body = {name: _plain(row.get(name)) for name in SCORE_FIELDS}
    encoded: dict[str, str] = {}
    reasons: Any = row.get("reasons")
    explanation: Any = row.get("explanation")
    if type(reasons) is list:  # (text read back from SQLite is parsed by _plain: not the value given)
        encoded["reasons"] = canonical_json(reasons, allow_nan=False)
    if type(explanation) is dict:
        # score_consumers shares the reasons list with the explanation: encode it once
        shared = "reasons" in encoded and explanation.get("reasons") is reasons
        inner = {"reasons": encoded["reasons"]} if shared else {}
        encoded["explanation"] = canonical_object(explanation, inner, allow_nan=False)
    text = canonical_object(body, encoded, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest(), encoded


def _plain(value: Any) -> Any:
    """JSON read back as text (SQLite) is parsed; numbers become plain Python numbers."""
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, float):
        return value + 0.0
    return value


@dataclass
class Recorded:
    """What writing a batch of scores did: rows new for their month, rows superseding a different
    current score, scores equal to the current one (nothing written), and each consumer's current row."""

    new: int = 0
    superseded: int = 0
    unchanged: int = 0
    current_ids: dict[str, int] = field(default_factory=dict)
    kept: int = 0  # different scores not written: the current row is newer than the caller's records

    @property
    def written(self) -> int:
        return self.new + self.superseded

    def add(self, other: Recorded) -> None:
        self.new += other.new
        self.superseded += other.superseded
        self.unchanged += other.unchanged
        self.kept += other.kept
        self.current_ids.update(other.current_ids)


def _current_statement(dialect: str) -> Any:
    # Model and month are compared outside the indexes (``model_id || ''``; PostgreSQL: ``as_of + 0``), so
    # that each consumer is looked up in ``ix_score_history_consumer_model``. Compared as they are, a
    # publish's later chunks were looked up through ``ix_score_history_model_month`` on PostgreSQL, reading
    # every row of the month that its earlier chunks had just written (the statistics do not know them yet).
    # (SQLite keeps dates as text, so its month stays as it is; it has no index on the month alone.)
    as_of: Any = ScoreRecord.as_of + literal(0) if dialect == "postgresql" else ScoreRecord.as_of
    return select(ScoreRecord.consumer_id, ScoreRecord.id, ScoreRecord.content_digest).where(
        ScoreRecord.consumer_id.in_(bindparam("ids", expanding=True)),
        ScoreRecord.model_id.concat("") == bindparam("model_id"),
        as_of == bindparam("as_of"),
    )


def current_rows(
    conn: Connection, model_id: str, as_of: date, consumer_ids: Iterable[str]
) -> dict[str, tuple[int, str]]:
    """consumer_id -> (id, digest) of each consumer's current row for ``model_id`` and ``as_of``.

    Rows written before revision 0006 have no stored digest: theirs is computed from their content.
    """
    ids = list(dict.fromkeys(consumer_ids))
    newest: dict[str, tuple[int, str | None]] = {}
    statement = _current_statement(conn.dialect.name)
    for start in range(0, len(ids), _LOOKUP):
        chunk = ids[start : start + _LOOKUP]
        for cid, row_id, digest in conn.execute(
            statement, {"model_id": model_id, "as_of": as_of, "ids": chunk}
        ):
            if cid not in newest or row_id > newest[cid][0]:
                newest[cid] = (row_id, digest)
    missing = [row_id for row_id, digest in newest.values() if digest is None]
    digests: dict[int, str] = {}
    columns = [ScoreRecord.id, *(getattr(ScoreRecord, n) for n in SCORE_FIELDS)]
    for start in range(0, len(missing), _LOOKUP):
        legacy = missing[start : start + _LOOKUP]
        for row in conn.execute(select(*columns).where(ScoreRecord.id.in_(legacy))).mappings():
            digests[row["id"]] = score_digest(row)
    return {cid: (row_id, digest or digests[row_id]) for cid, (row_id, digest) in newest.items()}


def record_scores(
    conn: Connection,
    rows: Sequence[Mapping[str, Any]],
    *,
    publication_id: int | None = None,
    want_ids: bool = False,
    newer_than: int | None = None,
) -> Recorded:
    """Append the scores of ``rows`` (``score_history`` columns, as ``lucidscore.score.score_consumers``
    gives them; one per consumer, model and month) that differ from each consumer's current score for the
    row's model and month. ``want_ids``: also report each consumer's current row id. ``newer_than``: the
    newest row id when the caller read the records its scores come from (a publish, at its start); a
    current row after it was written since from newer records (a dispute's rescoring), so it stays
    current and the different score is counted as ``kept``, not written over it.

    Runs inside the caller's transaction on ``conn`` (an engine from ``lucidscore.store.make_engine``, so
    the rows are chained); the caller commits. Holds the score history's chain lock from its first read to
    the commit, so two writers of the same rows at once (two publishes, a publish and a dispute's
    rescoring) append them once.
    """
    out = Recorded()
    groups: dict[tuple[str, date], list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["model_id"], row["as_of"]), []).append(row)
    table = ScoreRecord.__table__
    assert isinstance(table, Table)
    if groups:  # before reading the current rows: a concurrent writer of the same rows waits, then sees ours
        lock_chain(conn, table)
    for (model_id, as_of), group in groups.items():
        if len({r["consumer_id"] for r in group}) != len(group):
            raise ValueError(f"scores of {model_id} as of {as_of}: a consumer appears twice in one batch")
        current = current_rows(conn, model_id, as_of, (r["consumer_id"] for r in group))
        fresh: list[dict[str, Any]] = []
        for row in group:
            digest, encoded = _digest(row)
            cid = row["consumer_id"]
            found = current.get(cid)
            if found is not None and found[1] == digest:
                out.unchanged += 1
                out.current_ids[cid] = found[0]
                continue
            if found is not None and newer_than is not None and found[0] > newer_than:
                out.kept += 1
                out.current_ids[cid] = found[0]
                continue
            fresh.append(
                {name: row.get(name) for name in ("consumer_id", "model_id", "as_of", *SCORE_FIELDS)}
                | {
                    "content_digest": digest,
                    "publication_id": publication_id,
                    "supersedes_id": None if found is None else found[0],
                    ENCODED_JSON: encoded,  # the chain writer hashes these texts, not a new encoding
                }
            )
            if found is None:
                out.new += 1
            else:
                out.superseded += 1
        if fresh:  # PostgreSQL: one COPY (the database checks the links once per statement)
            stored = insert_chained(conn, table, fresh)
            if want_ids:  # the chain writer allocated the ids
                out.current_ids.update({r["consumer_id"]: r["id"] for r in stored})
    if not want_ids:
        out.current_ids.clear()
    return out
