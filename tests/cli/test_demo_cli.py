"""``lucidscore demo`` input errors, through the real entry point (``lucidscore.cli.main.main``)."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from lucidscore.cli.main import main


def run(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["lucidscore", *args])
    monkeypatch.setenv("COLUMNS", "200")  # keep click's usage message on one line
    with pytest.raises(SystemExit) as exc:
        main()
    code = exc.value.code
    return (code if isinstance(code, int) else 1), capsys.readouterr().err


def test_too_few_consumers_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, err = run(
        ["demo", "--consumers", "50", "--dir", str(tmp_path / "d"), "--no-serve"], capsys, monkeypatch
    )
    assert code == 2
    assert "Invalid value for '--consumers': Input should be greater than or equal to 200" in err
    assert not (tmp_path / "d").exists()


def test_port_in_use_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        code, err = run(["demo", "--dir", str(tmp_path / "d"), "--port", str(port)], capsys, monkeypatch)
    assert code == 2
    assert (
        err.strip() == f"error: --port {port}: 127.0.0.1:{port} is already in use; choose another with --port"
    )
    assert not (tmp_path / "d").exists()


def test_refuses_to_delete_a_directory_that_is_not_a_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "mine"
    target.mkdir()
    (target / "thesis.tex").write_text("years of work")
    code, err = run(
        ["demo", "--dir", str(target), "--no-serve", "--rebuild", "--consumers", "300"], capsys, monkeypatch
    )
    assert code == 2
    assert err.strip() == (
        f"error: --dir: {target} holds thesis.tex, which a demo does not write; "
        "choose an empty or new directory"
    )
    assert (target / "thesis.tex").read_text() == "years of work"
