"""docs/data.md is generated from lucidscore.records: the committed file must equal the generated text."""

from __future__ import annotations

from pathlib import Path

from lucidscore.records import TABLES
from lucidscore.synth import render_data_doc

DOC = Path(__file__).resolve().parents[2] / "docs" / "data.md"


def test_committed_data_doc_is_the_generated_text() -> None:
    assert DOC.read_text(encoding="utf-8") == render_data_doc(), (
        "docs/data.md is stale; regenerate: "
        "python -c \"import lucidscore.synth as s; print(s.render_data_doc(), end='')\" > docs/data.md"
    )


def test_every_column_of_every_table_is_documented() -> None:
    text = render_data_doc()
    for table in TABLES:
        assert f"## {table.name}\n" in text
        for column in table.columns:
            assert f"| {column.name} | {column.type} |" in text
