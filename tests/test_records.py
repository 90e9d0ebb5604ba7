"""The raw record schema: keys are columns, references point backwards in load order."""

from __future__ import annotations

from lucidscore.records import LOAD_ORDER, TABLES


def test_keys_are_columns_and_references_point_backwards() -> None:
    seen: set[str] = set()
    for name in LOAD_ORDER:
        table = next(t for t in TABLES if t.name == name)
        assert set(table.key) <= set(table.column_names), name
        for column in table.columns:
            if column.references:
                ref_table, ref_col = column.references.split(".")
                assert ref_table in seen, f"{name}.{column.name} references a later table"
                assert ref_col in next(t for t in TABLES if t.name == ref_table).column_names
        seen.add(name)


def test_no_protected_attribute_in_raw_schema() -> None:
    from lucidscore.policy import guard

    for table in TABLES:
        guard.check_model_inputs([c for c in table.column_names if c != "bad"])
