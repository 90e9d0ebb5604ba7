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


@pytest.mark.parametrize(
    ("db", "message"),
    [
        (
            "sqlite:///{tmp}/new.db",
            "error: database sqlite:///{tmp}/new.db: the file {tmp}/new.db does not exist; "
            "pass --create to start a new, empty database there",
        ),
        (
            "sqlite:///{tmp}/no/such/folder/x.db",
            "error: database sqlite:///{tmp}/no/such/folder/x.db: the folder {tmp}/no/such/folder does not "
            "exist; create it first",
        ),
        (
            "postgresql://lucid:secret@127.0.0.1:1/none",
            "error: database postgresql://lucid:***@127.0.0.1:1/none: cannot connect to the database (",
        ),
    ],
    ids=["missing file", "missing folder", "unreachable server"],
)
def test_a_database_serve_cannot_open_is_one_clear_line(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    db: str,
    message: str,
) -> None:
    url = db.format(tmp=tmp_path)
    monkeypatch.setattr(sys, "argv", ["lucidscore", "serve", "--db", url])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(message.format(tmp=tmp_path)), err
    assert len(err.splitlines()) == 1 and "Traceback" not in err and "secret" not in err
    assert not (tmp_path / "new.db").exists()  # nothing was created


def test_features_on_a_missing_database_is_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/gone.db"
    argv = [
        "lucidscore",
        "features",
        "--db",
        url,
        "--as-of",
        "2025-06-30",
        "--out",
        str(tmp_path / "f.parquet"),
    ]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code == 2
    assert (
        capsys.readouterr().err.strip()
        == f"error: database {url}: the file {tmp_path}/gone.db does not exist"
    )


def _wait_until_up(proc: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 180  # a wait, not a speed goal: the server starts slowly on a busy machine
    while True:
        try:
            httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except httpx.TransportError:
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)


@pytest.mark.parametrize("trusted", [False, True], ids=["default", "--forwarded-allow-ips 127.0.0.1"])
def test_x_forwarded_for_counts_only_from_a_trusted_proxy(tmp_path: Path, trusted: bool) -> None:
    """Through the real server: uvicorn trusts X-Forwarded-For from 127.0.0.1 by default, so rotating it
    used to give every wrong password a fresh budget (issue 11)."""
    from tests.api._world import build_world

    db = f"sqlite:///{tmp_path / 's.db'}"
    build_world(db)  # users on disk
    port = _free_port()
    extra = ["--forwarded-allow-ips", "127.0.0.1"] if trusted else []
    proc = subprocess.Popen(
        [*LUCIDSCORE, "serve", "--db", db, "--port", str(port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"LUCIDSCORE_SECRET_KEY": "test", "LUCIDSCORE_SIGNIN_MAX_FAILURES": "2"},
    )
    try:
        _wait_until_up(proc, port)
        statuses = [
            httpx.post(
                f"http://127.0.0.1:{port}/v1/session",
                json={"username": "alice", "password": "wrong"},
                headers={"X-Forwarded-For": f"192.0.2.{i}"},
                timeout=30,
            ).status_code
            for i in range(4)
        ]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    assert statuses == ([401] * 4 if trusted else [401, 401, 429, 429])


def _serve_then_stop(db: str) -> tuple[str, str]:
    """Start ``lucidscore serve --db db``, check it answers, stop it with Ctrl-C; its stdout and stderr."""
    port = _free_port()
    proc = subprocess.Popen(
        [*LUCIDSCORE, "serve", "--db", db, "--create", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"LUCIDSCORE_SECRET_KEY": "test"},
    )
    try:
        deadline = (
            time.monotonic() + 180
        )  # a wait, not a speed goal: two workers start slowly on a busy machine
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
    return out, err


def test_serve_answers_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    _, err = _serve_then_stop(f"sqlite:///{tmp_path / 's.db'}")
    assert "shard" not in err  # a database that is no shard: no note


def test_serving_one_shards_database_says_it_answers_for_that_shard_only(tmp_path: Path) -> None:
    from tests.fixtures.bureau import run_cli

    (tmp_path / "shards.toml").write_text(
        '[[shard]]\nurl = "sqlite:///s0.db"\n\n[[shard]]\nurl = "sqlite:///s1.db"\n', "utf-8"
    )
    code, _, err = run_cli("shards", "init", str(tmp_path / "shards.toml"))  # in-process: serve is tested
    assert code == 0, err
    _, err = _serve_then_stop(f"sqlite:///{tmp_path / 's1.db'}")
    assert "Note: this database is shard 1 of 2" in err and "that shard's consumers only" in err


def test_connections_get_tcp_nodelay_even_from_a_shared_socket() -> None:
    # uvicorn's --workers supervisor binds its socket with proto 0, so asyncio leaves Nagle on for the
    # accepted connections and keep-alive responses wait ~40 ms for a delayed ACK. Our protocol sets
    # TCP_NODELAY itself: build the same kind of socket pair and hand it to the protocol.
    import uvicorn
    from uvicorn.server import ServerState

    from lucidscore.api._serving import NoDelayH11Protocol

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)  # proto 0, as uvicorn binds it
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    client = socket.create_connection(listener.getsockname())
    accepted, _ = listener.accept()
    try:
        assert accepted.proto == 0
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0

        class Transport:  # what connection_made reads from an asyncio transport
            def get_extra_info(self, name: str, default: object = None) -> object:
                return {"socket": accepted, "sockname": accepted.getsockname()}.get(name, default)

        async def ok(scope: object, receive: object, send: object) -> None:  # pragma: no cover
            return None

        config = uvicorn.Config(ok, http=NoDelayH11Protocol, log_level="warning")
        config.load()
        protocol = NoDelayH11Protocol(config=config, server_state=ServerState(), app_state={})
        protocol.connection_made(Transport())  # type: ignore[arg-type]
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert protocol.server == accepted.getsockname()
    finally:
        for s in (client, accepted, listener):
            s.close()


def test_serve_with_two_workers_answers(tmp_path: Path) -> None:
    port = _free_port()
    db = f"sqlite:///{tmp_path / 's.db'}"
    proc = subprocess.Popen(
        [*LUCIDSCORE, "serve", "--db", db, "--create", "--port", str(port), "--workers", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"LUCIDSCORE_SECRET_KEY": "test"},
    )
    try:
        deadline = (
            time.monotonic() + 180
        )  # a wait, not a speed goal: two workers start slowly on a busy machine
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as http:
            while True:
                try:
                    r = http.get("/healthz")
                    break
                except httpx.TransportError:
                    assert proc.poll() is None, proc.communicate()[1]
                    assert time.monotonic() < deadline, "the server did not start"
                    time.sleep(0.2)
            assert r.json() == {"ok": True}
            # One keep-alive connection, several requests: each answered in full.
            assert all(http.post("/v1/ping").json() == {"ok": True} for _ in range(5))
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert "with 2 workers" in out and "Traceback" not in err
