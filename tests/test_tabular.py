"""read_table: every unusable file gets one line naming the file and what was expected."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lucidscore.errors import InputError
from lucidscore.tabular import read_table, write_table


def test_reads_comma_and_space_separated(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x,y\n1,2\n3,4\n")
    (tmp_path / "b.data").write_text("x y\n1 2\n3 4\n")
    for name in ("a.csv", "b.data"):
        frame = read_table(tmp_path / name)
        assert list(frame.columns) == ["x", "y"]
        assert frame["y"].tolist() == [2, 4]


def test_parquet_round_trip_is_atomic(tmp_path: Path) -> None:
    frame = pd.DataFrame({"a": [1.5, None], "b": ["u", "v"]})
    out = write_table(frame, tmp_path / "sub" / "t.parquet")
    assert not list(out.parent.glob(".*tmp"))
    pd.testing.assert_frame_equal(read_table(out), frame)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the file is empty"),
        (b"x,y\n", "no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not UTF-8|looks binary"),
        (b"x,x\n1,2\n", "appear more than once"),
    ],
)
def test_bad_files_are_named(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "in.csv"
    path.write_bytes(content)
    with pytest.raises(InputError, match=message) as info:
        read_table(path)
    assert str(path) in str(info.value)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_table(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is a directory"):
        read_table(tmp_path)


def test_damaged_parquet(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1 this is not really parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_table(path)
