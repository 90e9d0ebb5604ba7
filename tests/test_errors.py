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
