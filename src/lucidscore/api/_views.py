"""Build response models from stored rows, field by field (nothing internal can slip through)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy.orm import Session

from lucidscore import service
from lucidscore.api import _format
from lucidscore.api._shards import public_id
from lucidscore.api.schemas import (
    AnalystDisputeOut,
    CharacteristicUseOut,
    ConsentOut,
    DecisionOut,
    DecisionRecordOut,
    DisputeEventOut,
    DisputeOut,
    FamilyOut,
    HistoryPointOut,
    InteractionOut,
    ModelOut,
    NoticeOut,
    ReasonCodeOut,
    ReasonOut,
    RecourseStepOut,
    ScoreOut,
)
from lucidscore.artifact import MAX_SCORE, MIN_SCORE, Change, Recourse
from lucidscore.errors import LucidError
from lucidscore.policy import ALL_FAMILIES, FAMILY_LABELS, UNUSED_FAMILY, BenefitCatalogue
from lucidscore.records import TABLES_BY_NAME
from lucidscore.store.service import Consent, Dispute, ModelRecord, ScoreRecord


def _change_text(change: Change) -> str:
    # A change of a plan that moves both characteristics of an interaction grid may gain nothing alone
    # (the pair gains together): never "+-3 points".
    n = change.points_gained
    gained = f"+{n} points" if n > 0 else f"{n:+d} points alone, more with the other change"
    if change.from_text and change.to_text:  # explanations from issue 10 on: values in words
        return f"{change.description}: from {change.from_text} to {change.to_text} ({gained})"
    return f"{change.description}: from {change.from_label} to {change.to_label} ({gained})"


def _recourse_note(recourse: Recourse) -> str | None:
    if recourse.changes and recourse.target_tier and recourse.new_score is not None:
        together = "Together these changes" if len(recourse.changes) > 1 else "This change"
        return (
            f"{together} would reach {recourse.target_tier} "
            f"(score {recourse.new_score}, needs {recourse.target_score})."
        )
    return recourse.note or None


def score_out(record: ScoreRecord) -> ScoreOut:
    explanation = service.stored_explanation(record)
    family_points = explanation.families if explanation is not None else {}
    families = [
        FamilyOut(
            family=f,
            label=FAMILY_LABELS[f],
            points=None if f == UNUSED_FAMILY else family_points.get(f),
            used=f != UNUSED_FAMILY,
        )
        for f in ALL_FAMILIES
    ]
    reasons = [
        ReasonOut(
            text=r.text,
            code=r.reason_code,
            characteristic=r.characteristic,
            family=r.family,
            points_lost=r.points_lost,
        )
        for r in service.stored_reasons(record)
    ]
    if explanation is None:
        recourse: list[RecourseStepOut] = []
        note: str | None = "a detailed breakdown is computed when your score is next refreshed"
    else:
        recourse = [
            RecourseStepOut(
                text=_change_text(c),
                characteristic=c.characteristic,
                direction=c.direction,
                from_value=c.from_text or c.from_label,
                to_range=c.to_text or c.to_label,
                points_gained=c.points_gained,
            )
            for c in explanation.recourse.changes
        ]
        note = _recourse_note(explanation.recourse)
    return ScoreOut(
        score=record.score,
        tier=record.tier,
        probability=record.probability,
        model_id=record.model_id,
        segment=record.segment,
        as_of=record.as_of,
        scored_at=service.aware(record.scored_at),
        base_points=explanation.base_points if explanation is not None else None,
        unclipped_points=explanation.unclipped if explanation is not None else None,
        families=families,
        interactions=[
            InteractionOut(label=g.label, first=g.first, second=g.second, points=g.points)
            for g in (explanation.interactions if explanation is not None else [])
        ],
        reasons=reasons,
        recourse=recourse,
        recourse_note=note,
    )


def uses_out(session: Session, record: ScoreRecord) -> list[CharacteristicUseOut] | None:
    """Every characteristic of the model segment that scored ``record``, with its family and what it
    means, families in their order (nothing scored is hidden from the person scored); None when the model
    cannot be read (the page then says so)."""
    try:
        artifact = service.model_artifact(service.model_by_id(session, record.model_id))
    except LucidError:
        return None
    segment = next((s for s in artifact.segments if s.name == record.segment), None)
    segments = [segment] if segment is not None else artifact.segments
    chars = {c.name: c for s in segments for c in s.characteristics}
    order = {f: i for i, f in enumerate(ALL_FAMILIES)}
    return [
        CharacteristicUseOut(
            name=c.name, family=c.family, family_label=FAMILY_LABELS[c.family], description=c.description
        )
        for c in sorted(chars.values(), key=lambda c: order[c.family])
    ]


@dataclass(frozen=True)
class Step:
    """One bar of the score's waterfall: where it starts and ends, and what it adds."""

    label: str
    points: int
    start: int
    end: int
    kind: str  # base, family, interaction, clip or total


MOVES = ("family", "interaction", "clip")  # the kinds of step that move the total up or down


def waterfall_steps(score: ScoreOut) -> list[Step]:
    """Base points, then each used family's points (negative ones too), then each interaction grid's
    points, then the clip to 350-950 if it moved the total, ending at the score: the bars add up to it."""
    if score.base_points is None or score.unclipped_points is None:
        return []
    steps = [Step("Base points", score.base_points, 0, score.base_points, "base")]
    running = score.base_points
    for f in score.families:
        if f.used and f.points is not None:
            steps.append(Step(f.label, f.points, running, running + f.points, "family"))
            running += f.points
    for g in score.interactions:
        steps.append(Step(g.label, g.points, running, running + g.points, "interaction"))
        running += g.points
    if running != score.score:
        steps.append(
            Step(f"Kept within {MIN_SCORE}-{MAX_SCORE}", score.score - running, running, score.score, "clip")
        )
    steps.append(Step("Your score", score.score, 0, score.score, "total"))
    return steps


def notice_out(notice: service.AdverseActionNotice) -> NoticeOut:
    """The notice as the API gives it (a schema of its own: a field added to the domain type fails here)."""
    return NoticeOut.model_validate(notice.model_dump())


def decision_out(result: dict[str, Any]) -> DecisionOut:
    notice = result["notice"]
    reasons = [ReasonCodeOut(code=r.code, statement=r.statement) for r in result["reasons"]]
    fields = {k: v for k, v in result.items() if k not in ("notice", "reasons")}
    return DecisionOut(**fields, reasons=reasons, notice=notice_out(notice) if notice is not None else None)


def decisions_out(
    session: Session,
    consumer_id: str,
    catalogue: BenefitCatalogue,
    contact: service.NoticeContact,
    *,
    limit: int | None = None,
    offset: int = 0,
) -> list[DecisionRecordOut]:
    """The consumer's decisions, newest first, each decline with its adverse-action notice."""
    out = []
    for row in service.decisions_of(session, consumer_id, catalogue, limit=limit, offset=offset):
        notice = None
        if not row["approved"]:
            notice = notice_out(service.decision_notice(session, consumer_id, row["id"], catalogue, contact))
        out.append(DecisionRecordOut(**row, notice=notice))
    return out


def history_out(records: Sequence[ScoreRecord]) -> list[HistoryPointOut]:
    return [
        HistoryPointOut(
            as_of=r.as_of,
            score=r.score,
            tier=r.tier,
            model_id=r.model_id,
            scored_at=service.aware(r.scored_at),
        )
        for r in records
    ]


def consent_out(session: Session, consents: Sequence[Consent]) -> list[ConsentOut]:
    names = service.user_names(session, {c.merchant_id for c in consents})
    return [
        ConsentOut(
            id=c.id,
            merchant=names.get(c.merchant_id, "?"),
            purpose=c.purpose,
            created_at=service.aware(c.created_at),
            expires_at=service.aware(c.expires_at),
            revoked_at=service.aware(c.revoked_at) if c.revoked_at else None,
            status=service.consent_status(c),
        )
        for c in consents
    ]


def dispute_out(session: Session, dispute: Dispute, *, analyst: bool = False) -> DisputeOut:
    events = [
        DisputeEventOut(at=service.aware(e.at).astimezone(UTC), action=e.action, detail=e.detail)
        for e in service.events_of(session, dispute)
    ]
    fields = {
        "id": public_id(session, dispute.id),  # unique across shards (api._shards)
        "record_table": dispute.record_table,
        "record_key": dispute.record_key,
        "reason": dispute.reason,
        "status": dispute.status,
        "resolution": dispute.resolution,
        "created_at": service.aware(dispute.created_at),
        "resolved_at": service.aware(dispute.resolved_at) if dispute.resolved_at else None,
        "events": events,
    }
    if analyst:
        accepting = service.accept_in_progress(session, dispute)
        return AnalystDisputeOut(
            consumer_id=dispute.consumer_id,
            accepting_since=None if accepting is None else accepting.since.astimezone(UTC),
            accepting_by=None if accepting is None else accepting.by,
            **fields,
        )
    return DisputeOut(**fields)


def model_out(model: ModelRecord, key: service.ModelKey | None) -> ModelOut:
    """A registered model as analysts see it, from its validated artifact (or why it is refused)."""
    fields = {
        "model_id": model.model_id,
        "content_hash": model.content_hash,
        "description": model.description,
        "active": model.active,
        "created_at": service.aware(model.created_at),
        "retired_at": None if model.retired_at is None else service.aware(model.retired_at),
    }
    try:
        artifact = service.model_artifact(model, key)
    except LucidError as exc:
        return ModelOut(**fields, segments=[], problem=exc.message)
    auc = artifact.training.get("metrics", {}).get("test_auc")
    return ModelOut(
        **fields,
        segments=[s.name for s in artifact.segments],
        test_auc=float(auc) if isinstance(auc, int | float) else None,
    )


def bar_widths(steps: Sequence[Step]) -> list[int]:
    """Each step's bar as a percentage of the largest move (base and total against the total): a
    negative family gets a bar as long as a positive one of the same size, never an empty one."""
    moves = [abs(s.points) for s in steps if s.kind in MOVES] or [1]
    largest_move = max(moves) or 1
    total = max((abs(s.points) for s in steps if s.kind in ("base", "total")), default=1) or 1
    out = []
    for s in steps:
        scale = largest_move if s.kind in MOVES else total
        width = round(100 * abs(s.points) / scale)
        out.append(max(width, 1) if s.points else 0)
    return out


# --- Plain language for records and disputes (issue 12) ---------------------------------------------

_HIDDEN = {"consumer_id"}  # the person's own identifier: shown once, on their details


@dataclass(frozen=True)
class RecordTable:
    """One group of records as the person reads it: labelled columns, values in words."""

    name: str
    label: str
    columns: list[tuple[str, str]]  # (label, what it means)
    rows: list[list[str]]
    total: int


def account_title(row: dict[str, Any]) -> str:
    """``Credit card or revolving credit A1, opened 1 January 2018``."""
    opened = _format.day(row.get("opened"))
    return f"{_format.code_label(row.get('kind'))} {row.get('account_id')}" + (
        f", opened {opened}" if opened else ""
    )


def _columns(name: str, rows: list[dict[str, Any]]) -> list[str]:
    if not rows:
        return []
    return [c for c in rows[0] if name == "consumer" or c not in _HIDDEN]


def record_tables(
    records: dict[str, list[dict[str, Any]]], currency: str, *, limit: int = 200
) -> list[RecordTable]:
    accounts = {  # short: the kind and the identifier (the accounts table has the rest)
        str(a["account_id"]): f"{_format.code_label(a.get('kind'))} {a['account_id']}"
        for a in records.get("accounts", [])
    }
    out = []
    for name, rows in records.items():
        columns = _columns(name, rows)
        table = "consumers" if name == "consumer" else name
        texts = [
            [
                accounts.get(str(row[c]), str(row[c]))
                if c == "account_id" and name == "statements"
                else _format.value_text(table, c, row[c], currency)
                for c in columns
            ]
            for row in rows[:limit]
        ]
        labels = [(_format.field_label(c), _format.field_help(table, c)) for c in columns]
        out.append(RecordTable(name, _format.table_label(name), labels, texts, len(rows)))
    return out


def record_key(table: str, row: dict[str, Any]) -> str:
    """The key a dispute names a record by (parts joined by '|', as ``service.record_exists`` reads it)."""
    return "|".join(str(row.get(c)) for c in service.RECORD_KEYS[table])


def record_summary(table: str, row: dict[str, Any], currency: str) -> str:
    """One record in a line, for choosing it."""
    if table == "statements":
        bits = [
            f"balance {_format.value_text(table, 'balance', row.get('balance'), currency)}",
            f"paid {_format.value_text(table, 'amount_paid', row.get('amount_paid'), currency)}",
            f"{_format.value_text(table, 'days_past_due', row.get('days_past_due'), currency)} late",
        ]
        return f"{_format.month(row.get('period'))}: " + ", ".join(bits)
    if table == "accounts":
        return f"The account itself ({account_title(row)})"
    if table == "inquiries":
        who = _format.value_text(table, "merchant_id", row.get("merchant_id"), currency)
        return f"{_format.when(row.get('at'))}: {who}, {_format.code_label(row.get('purpose'))}"
    if table == "public_records":
        amount = _format.value_text(table, "amount", row.get("amount"), currency)
        return f"{_format.code_label(row.get('kind'))} filed {_format.day(row.get('filed'))}, {amount}"
    if table == "income":
        amount = _format.value_text(table, "amount", row.get("amount"), currency)
        return f"{_format.month(row.get('period'))}: {amount}"
    return "Your details"


def disputable_fields(table: str) -> list[tuple[str, str]]:
    """(column, label) of the fields a person can say are wrong in a record of ``table``."""
    spec = TABLES_BY_NAME[table]
    return [
        (c.name, _format.field_label(c.name))
        for c in spec.columns
        if c.name not in ("consumer_id", "reported_at")
    ]


def record_title(table: str, key: str, accounts: dict[str, str] | None = None) -> str:
    """A disputed record named in words: ``Monthly statements: A1, June 2026``."""
    parts = key.split("|")
    if table == "statements" and len(parts) == 2:
        return f"Statement of {_format.month(parts[1])} for {(accounts or {}).get(parts[0], parts[0])}"
    if table == "accounts":
        return (accounts or {}).get(key, f"Account {key}")
    if table == "consumers":
        return "Your details"
    if table == "income" and len(parts) == 2:
        return f"Income of {_format.month(parts[1])}"
    if table == "inquiries" and len(parts) == 3:
        return f"Application of {_format.when(parts[1])} by {parts[2]}"
    return f"{_format.table_label(table)}: {key.replace('|', ', ')}"


@dataclass(frozen=True)
class HistoryStep:
    """One step of a dispute's history, in words."""

    step: str  # filed, under review, corrected, rescored, closed
    label: str
    at: str
    text: str


def _corrections_text(table: str, corrections: Any, currency: str) -> str:
    if not isinstance(corrections, dict) or not corrections:
        return ""
    bits = []
    for column, value in corrections.items():
        shown: Any = value
        try:
            spec = TABLES_BY_NAME[table].column(column)
            if spec.type in ("float", "integer") and isinstance(value, str):
                shown = float(value) if spec.type == "float" else int(value)
        except (KeyError, ValueError):
            shown = value
        bits.append(
            f"{_format.field_label(column)} set to {_format.value_text(table, column, shown, currency)}"
        )
    return "; ".join(bits)


def dispute_history(dispute: DisputeOut, currency: str) -> list[HistoryStep]:
    """The dispute's history from its events: filed, under review (from when an analyst took it up;
    "waiting for review" until then), corrected, rescored, closed — each with what happened, in words
    (never the stored dictionaries)."""
    steps: list[HistoryStep] = []
    reviewed = any(e.action == service.REVIEW_STARTED for e in dispute.events)
    for e in dispute.events:
        at = _format.when(e.at)
        detail = e.detail if isinstance(e.detail, dict) else {}
        if e.action == "opened":
            steps.append(HistoryStep("filed", "Filed", at, str(detail.get("reason", ""))))
            if not reviewed and dispute.status == "open":
                waiting = "Received; an analyst will check the record."
                steps.append(HistoryStep("waiting", "Waiting for review", "", waiting))
        elif e.action == service.REVIEW_STARTED:
            checking = "An analyst is checking the record."
            steps.append(HistoryStep("under review", "Under review", at, checking))
        elif e.action == "corrected":
            text = _corrections_text(dispute.record_table, detail.get("corrections"), currency)
            steps.append(HistoryStep("corrected", "Corrected", at, text or "The record was corrected."))
        elif e.action == "rescored":
            score, tier = detail.get("score"), detail.get("tier")
            as_of = _format.day(detail.get("as_of"))
            text = f"New score {score} ({tier})" + (f" as of {as_of}" if as_of else "")
            steps.append(HistoryStep("rescored", "Rescored", at, text))
        elif e.action in ("accepted", "rejected"):
            outcome = "record corrected" if e.action == "accepted" else "record not changed"
            note = str(detail.get("resolution") or "")
            label = f"Closed: {outcome}"
            steps.append(HistoryStep("closed", label, at, note))
        else:
            steps.append(HistoryStep(e.action, e.action.replace("_", " ").capitalize(), at, ""))
    return steps


STATUS_LABELS = {"open": "Under review", "accepted": "Closed: corrected", "rejected": "Closed: not changed"}


def status_label(dispute: DisputeOut) -> str:
    """The dispute's status in words: an open dispute no analyst has taken up yet is waiting for review."""
    if dispute.status == "open" and not any(e.action == service.REVIEW_STARTED for e in dispute.events):
        return "Waiting for review"
    return STATUS_LABELS.get(dispute.status, dispute.status)
