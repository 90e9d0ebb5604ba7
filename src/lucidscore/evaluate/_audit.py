"""Line up audit attributes (sex, age, ...) with the evaluated rows, without letting them near the model.

``align_audit`` gives each row's audit group; ``align_columns`` the audit table's values as they are
(the evaluation uses them to recognise the rows a model was trained on, when the audit columns come
from another file).

The audit table is either the evaluated table itself, or a separate file joined by a key column
(``key``), or, with no key, matched by row order when both tables have the same number of rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from lucidscore.errors import InputError, PolicyViolation, row_label
from lucidscore.evaluate._fairness import audit_groups


def _columns_note(frame: pd.DataFrame) -> str:
    cols = [str(c) for c in frame.columns]
    return ", ".join(cols[:12]) + (", ..." if len(cols) > 12 else "")


def align_audit(
    data: pd.DataFrame,
    audit: pd.DataFrame | None,
    columns: Sequence[str],
    *,
    key: str | None = None,
    data_name: str = "data",
    audit_name: str = "audit",
    model_inputs: Sequence[str] = (),
) -> tuple[dict[str, pd.Series], str]:
    """Audit group labels per column, aligned to ``data``'s rows, and a sentence saying how they were joined.

    Raises ``InputError`` for a missing key or column (about the parameter ``key`` or ``columns``),
    duplicate keys, mismatched lengths (about ``key``) or a column that cannot be grouped
    (``audit_groups``; its rows are those of ``data``), and ``PolicyViolation`` when an audit column is
    one of the model's inputs.
    """
    used = sorted(set(columns) & set(model_inputs))
    if used:
        raise PolicyViolation(
            f"audit column(s) {', '.join(used)} are inputs of this model; protected attributes may be "
            "used only by the fairness audit, never by the model (SPEC section 2)"
        )
    if not columns:
        return {}, "no audit columns"
    aligned, how = align_columns(data, audit, columns, key=key, data_name=data_name, audit_name=audit_name)
    source_name = data_name if audit is None else audit_name
    groups: dict[str, pd.Series] = {}
    for c in columns:
        try:
            groups[c] = audit_groups(aligned[c].rename(c))
        except InputError as exc:
            raise InputError(f"{source_name}: {exc.message}") from None
    return groups, how


def align_columns(
    data: pd.DataFrame,
    audit: pd.DataFrame | None,
    columns: Sequence[str],
    *,
    key: str | None = None,
    data_name: str = "data",
    audit_name: str = "audit",
) -> tuple[pd.DataFrame, str]:
    """``columns`` of the audit table (``data`` itself when None) as they are, aligned to ``data``'s rows
    (by ``key``, else by row order), and a sentence saying how. Errors as ``align_audit``'s."""
    source = data if audit is None else audit
    source_name = data_name if audit is None else audit_name
    missing = [c for c in columns if c not in source.columns]
    if missing:
        raise InputError.about(
            "columns",
            f"{source_name} has no audit column(s) {', '.join(missing)}; "
            f"columns are: {_columns_note(source)}",
        )
    if audit is None:
        how = f"audit columns read from {data_name} itself"
        aligned = data[list(columns)]
    elif key is not None:
        for frame, name in ((data, data_name), (audit, audit_name)):
            if key not in frame.columns:
                raise InputError.about(
                    "key", f"{name} has no key column {key!r}; columns are: {_columns_note(frame)}"
                )
        repeated = np.flatnonzero(audit[key].duplicated().to_numpy())
        if repeated.size:
            pos = int(repeated[0])
            raise InputError(  # rows named as ingest, train and score name them (errors.row_label)
                f"{audit_name} {row_label(audit, pos)}: key {key}={audit[key].iloc[pos]} appears more than "
                "once; "
                "expected one audit row per key"
            )
        lookup = audit.set_index(key)[list(columns)]
        aligned = lookup.reindex(data[key].to_numpy())
        aligned.index = data.index
        unmatched = int(aligned.isna().all(axis=1).sum())
        how = f"joined to {audit_name} on {key}" + (
            f" ({unmatched} rows had no audit row and count as missing)" if unmatched else ""
        )
    else:
        if len(audit) != len(data):
            raise InputError.about(
                "key",
                f"{audit_name} has {len(audit)} rows but {data_name} has {len(data)}; without a key column "
                "the audit table is matched by row order and needs the same number of rows",
            )
        aligned = audit[list(columns)].set_axis(data.index)
        how = f"matched to {audit_name} by row order (same number of rows, no key column)"
    return aligned, how
