"""Running ``lucidscore demo`` again reuses the built demo (no TTY, or --reuse) and prints the logins."""

from __future__ import annotations

from typer.testing import CliRunner

from lucidscore.cli.main import app
from lucidscore.demo import DemoBuild


def test_second_run_reuses_without_a_tty(demo_build: DemoBuild) -> None:
    before = (demo_build.directory / "lucidscore.db").stat().st_mtime_ns
    result = CliRunner().invoke(app, ["demo", "--dir", str(demo_build.directory), "--no-serve"])
    assert result.exit_code == 0, result.output
    assert f"Reusing the demo in {demo_build.directory}" in result.output
    for login in demo_build.logins.consumers:
        assert login["username"] in result.output and login["password"] in result.output
    for merchant in demo_build.logins.merchants:
        assert f"API key of {merchant['username']}: {merchant['api_key']}" in result.output
    assert (demo_build.directory / "lucidscore.db").stat().st_mtime_ns == before


def test_demo_logins_cover_every_tier(demo_build: DemoBuild) -> None:
    tiers = [c["tier"] for c in demo_build.logins.consumers]
    assert tiers == ["poor", "fair", "good", "very good", "excellent"]
    assert [m["username"] for m in demo_build.logins.merchants] == ["rentco", "quickcredit"]
    assert all(m["api_key"].startswith("lsk_") for m in demo_build.logins.merchants)
    assert oct((demo_build.directory / "logins.json").stat().st_mode & 0o777) == "0o600"


def test_demo_database_and_model_key_are_readable_by_their_owner_only(demo_build: DemoBuild) -> None:
    for name in ("lucidscore.db", "lucidscore.db-wal", "lucidscore.db-shm", "model_key.pem"):
        path = demo_build.directory / name
        if name.endswith(("-wal", "-shm")) and not path.exists():
            continue  # SQLite removes them when the last connection closes
        assert oct(path.stat().st_mode & 0o777) == "0o600", name


def test_demo_model_is_signed_with_the_demo_key(demo_build: DemoBuild) -> None:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from lucidscore.demo import demo_settings
    from lucidscore.service import load_model_key, model_artifact
    from lucidscore.store import make_engine
    from lucidscore.store.service import ModelRecord

    settings = demo_settings(demo_build)
    assert settings.model_key_path is not None
    key = load_model_key(settings.model_key_path)
    engine = make_engine(demo_build.db_url)
    with Session(engine) as s:
        model = s.scalar(select(ModelRecord).where(ModelRecord.active.is_(True)))
        assert model is not None and model.signature
        assert model_artifact(model, key).model_id == model.model_id
    engine.dispose()
