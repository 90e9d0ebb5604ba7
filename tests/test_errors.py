"""``utf8_text``: a small text file with a byte that is not UTF-8 anywhere gives one error naming its line
and the byte's place in that line, found the way an editor counts them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lucidscore.errors import InputError, utf8_text

# Bytes that can never start a UTF-8 character: a lone continuation byte, or one of the bytes UTF-8
# never uses. Planted between two characters, each is an error wherever it lands.
NEVER_FIRST = st.sampled_from([*range(0x80, 0xC0), 0xC0, 0xC1, *range(0xF5, 0x100)])
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=200)


@settings(max_examples=200, deadline=None)
@given(text=TEXT, data=st.data(), byte=NEVER_FIRST, where=st.sampled_from(["line", "row"]))
def test_the_line_and_byte_of_a_planted_byte_are_named(
    tmp_path_factory: pytest.TempPathFactory, text: str, data: st.DataObject, byte: int, where: str
) -> None:
    at = data.draw(st.integers(0, len(text)), label="character before which the byte goes")
    head = text[:at].encode("utf-8")
    path = tmp_path_factory.mktemp("u") / "f.toml"
    path.write_bytes(head + bytes([byte]) + text[at:].encode("utf-8"))
    line = head.count(b"\n") + 1
    column = len(head) - (head.rfind(b"\n") + 1) + 1
    with pytest.raises(InputError) as caught:
        utf8_text(path, "a TOML file", where=where)
    assert str(caught.value) == (
        f"{path} {where} {line}: byte {column} of the line (0x{byte:02x}) is not UTF-8; "
        "expected a TOML file saved as UTF-8"
    )


@settings(max_examples=100, deadline=None)
@given(text=TEXT)
def test_utf8_text_is_returned_whole(tmp_path_factory: pytest.TempPathFactory, text: str) -> None:
    path = tmp_path_factory.mktemp("u") / "f.json"
    path.write_bytes(text.encode("utf-8"))
    assert utf8_text(path, "a JSON file") == text


def test_a_missing_file_is_left_to_the_caller(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path / "nope.toml"))):
        utf8_text(tmp_path / "nope.toml", "a TOML file")


@pytest.mark.parametrize(
    ("name", "body", "read"),
    [
        ("map.toml", '[[shard]]\nurl = "sqlite:///a.db"\n', "shard map"),
        (
            "benefits.json",
            '{"benefits": [{"product": "bike", "label": "B", "kind": "rental", "min_score": 600}]}',
            "catalogue",
        ),
        ("declarations.toml", '[income_avg_6m]\ndescription = "income"\n', "declarations"),
    ],
)
def test_a_file_saved_with_a_byte_order_mark_reads_as_without_one(
    tmp_path: Path, name: str, body: str, read: str
) -> None:
    """Windows editors (Notepad, Excel) start UTF-8 files with a byte-order mark: every small file an
    operator writes reads the same with or without one (before, a shard map was 'not a TOML file (Invalid
    statement (at line 1, column 1))' and a catalogue 'Unexpected UTF-8 BOM')."""
    from lucidscore.artifact._declarations import _read
    from lucidscore.policy import load_catalogue
    from lucidscore.store import read_shard_map

    readers = {"shard map": read_shard_map, "catalogue": load_catalogue, "declarations": _read}
    plain, marked = tmp_path / "plain" / name, tmp_path / "marked" / name
    plain.parent.mkdir()
    marked.parent.mkdir()
    plain.write_text(body, "utf-8")
    marked.write_bytes(b"\xef\xbb\xbf" + body.encode("utf-8"))
    got, want = readers[read](marked), readers[read](plain)
    if read == "shard map":  # the same URLs, each made absolute against its own map's folder
        assert got.fingerprint == want.fingerprint  # type: ignore[attr-defined]
    else:
        assert got == want
