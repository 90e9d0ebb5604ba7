"""``lucidscore serve``: bad options give one clear line; on a migrated database it serves the app."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from lucidscore.cli.main import main

LUCIDSCORE = [sys.executable, "-m", "lucidscore.cli.main"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_bad_as_of_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        sys, "argv", ["lucidscore", "serve", "--db", f"sqlite:///{tmp_path / 's.db'}", "--as-of", "June"]
    )
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    assert capsys.readouterr().err.strip() == "error: --as-of 'June': expected a date YYYY-MM-DD"


def test_serve_answers_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [*LUCIDSCORE, "serve", "--db", f"sqlite:///{tmp_path / 's.db'}", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"LUCIDSCORE_SECRET_KEY": "test"},
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.communicate()[1]
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        assert r.json() == {"ok": True}
        r = httpx.get(f"http://127.0.0.1:{port}/v1/me", timeout=5)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthenticated"
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "Serving on http://127.0.0.1:" in out and "Stopped." in out
    assert "Traceback" not in err
