"""``lucidscore catalogue show|set`` through the real entry point, on SQLite and PostgreSQL: versions kept in
the database, policy rules at the door, a running service that decides with a new version at once and
records the version with every decision (in the hash-chained access log, which still verifies)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from lucidscore.store import make_engine, migrate
from tests.fixtures.bureau import END, BureauFiles, Lucid

BIKES = {"benefits": [{"product": "bike_rental", "label": "Bike rental", "kind": "rental", "min_score": 350}]}
STRICT = {
    "benefits": [{"product": "bike_rental", "label": "Bike rental", "kind": "rental", "min_score": 950}]
}


def write(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(content), encoding="utf-8")
    return path


def test_set_show_and_versions(bureau_url: str, lucid: Lucid, tmp_path: Path) -> None:
    code, out, _ = lucid("catalogue", "show", "--db", bureau_url)
    assert code == 0 and out.startswith("no catalogue version is stored yet")
    assert "instant_credit_line" in out  # the default, which the service would store

    code, out, err = lucid("catalogue", "set", str(write(tmp_path, "b.json", BIKES)), "--db", bureau_url)
    assert (code, out.strip()) == (
        0,
        "benefit catalogue version 1 set (1 products); the service uses it from now on",
    ), err
    code, out, _ = lucid("catalogue", "set", str(tmp_path / "b.json"), "--db", bureau_url)
    assert out.strip() == f"unchanged: {tmp_path / 'b.json'} is the current version 1 already"
    strict = write(tmp_path, "s.json", STRICT)
    code, out, _ = lucid("catalogue", "set", str(strict), "--db", bureau_url, "--note", "stricter")
    assert out.startswith("benefit catalogue version 2 set")

    code, out, _ = lucid("catalogue", "show", "--db", bureau_url)
    assert "benefit catalogue version 2 (current)" in out and "950" in out
    assert "version 2: set " in out and f"from {strict} - stricter" in out
    code, out, _ = lucid("catalogue", "show", "--db", bureau_url, "--version", "1")
    assert "benefit catalogue version 1 (not current; the current version is 2)" in out and "350" in out
    code, out, _ = lucid("catalogue", "show", "--db", bureau_url, "--json")
    assert json.loads(out) == STRICT  # what catalogue set reads back
    code, _, err = lucid("catalogue", "show", "--db", bureau_url, "--version", "7")
    assert (code, err.strip()) == (2, "error: no benefit catalogue version 7 is stored")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            {
                "benefits": [
                    {"product": "tenant_check", "label": "Tenant check", "kind": "rental", "min_score": 600}
                ]
            },
            "field benefits.0: benefit 'tenant_check' is for housing eligibility; "
            "SPEC section 2, no sanctions",
        ),
        (
            {"benefits": [{"product": "bikes", "label": "Bikes", "kind": "bicycle", "min_score": 600}]},
            "field benefits.0.kind: Input should be 'credit_line', ",
        ),
        (
            {"benefits": []},
            "field benefits: Tuple should have at least 1 item after validation, not 0; "
            "expected a benefit catalogue",
        ),
    ],
)
def test_a_catalogue_the_rules_refuse_is_not_set(
    bureau_url: str, lucid: Lucid, tmp_path: Path, content: object, message: str
) -> None:
    path = write(tmp_path, "c.json", content)
    code, _, err = lucid("catalogue", "set", str(path), "--db", bureau_url)
    assert code == 2 and err.startswith(f"error: {path}: {message}") and len(err.strip().splitlines()) == 1
    engine = make_engine(bureau_url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM benefit_catalogues")).scalar_one() == 0
    engine.dispose()


def _decide(client: TestClient, key: str, token: str) -> dict[str, object]:
    r = client.post(
        "/v1/decisions",
        headers={"X-API-Key": key},
        json={"consent_token": token, "product": "bike_rental"},
    )
    assert r.status_code == 200, r.text
    body: dict[str, object] = r.json()
    return body


def test_the_service_decides_with_a_new_version_at_once(
    bureau_url: str, bureau_files: BureauFiles, lucid: Lucid, tmp_path: Path
) -> None:
    from lucidscore.api import Settings, create_app

    assert lucid("catalogue", "set", str(write(tmp_path, "b.json", BIKES)), "--db", bureau_url)[0] == 0
    assert lucid("model", "register", str(bureau_files.model), "--db", bureau_url)[0] == 0
    assert lucid("model", "activate", bureau_files.model_id, "--db", bureau_url)[0] == 0
    assert lucid("publish", "--db", bureau_url, "--as-of", END.isoformat())[0] == 0
    _, out, _ = lucid("admin", "create", "merchant", "bikeshop", "--db", bureau_url)
    key = out.strip().rsplit(" ", 1)[-1]
    _, out, _ = lucid("admin", "create", "consumer", "pat", "--consumer-id", "C00000007", "--db", bureau_url)
    password = out.strip().rsplit(" ", 1)[-1]

    # A file named by the setting only seeds an empty database: this one has version 1 already.
    seed = write(tmp_path, "seed.json", STRICT)
    client = TestClient(create_app(Settings(db_url=bureau_url, secret_key="t", benefit_catalogue_path=seed)))
    token = client.post("/v1/session", json={"username": "pat", "password": password}).json()["token"]
    client.cookies.clear()  # the consumer calls with the bearer token, the merchant with its key
    consent = client.post(
        "/v1/me/consents",
        headers={"Authorization": f"Bearer {token}"},
        json={"merchant": "bikeshop", "purpose": "bike_rental", "days": 30},
    ).json()["token"]
    first = _decide(client, key, consent)
    assert (first["approved"], first["min_score"], first["catalogue_version"]) == (True, 350, 1)

    assert lucid("catalogue", "set", str(seed), "--db", bureau_url)[0] == 0  # no restart
    second = _decide(client, key, consent)
    assert (second["approved"], second["min_score"], second["catalogue_version"]) == (False, 950, 2)
    assert second["reasons"]

    engine = make_engine(bureau_url)
    with engine.connect() as conn:
        logged = conn.execute(text("SELECT result, catalogue_version FROM access_log ORDER BY id")).all()
    engine.dispose()
    assert [tuple(r) for r in logged] == [("approved", 1), ("declined", 2)]
    code, out, _ = lucid("audit", "verify", "--db", bureau_url)
    assert code == 0 and "access_log       ok              2 links" in out


def test_an_empty_database_is_seeded_from_the_setting(tmp_path: Path, lucid: Lucid) -> None:
    from lucidscore.api import Settings, create_app

    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = make_engine(url)
    migrate(engine)  # as lucidscore serve does before it builds the app
    seed = write(tmp_path, "seed.json", BIKES)
    create_app(Settings(db_url=url, secret_key="t", benefit_catalogue_path=seed), engine=engine)
    engine.dispose()
    code, out, _ = lucid("catalogue", "show", "--db", url)
    assert code == 0 and "benefit catalogue version 1 (current)" in out and f"from {seed}" in out
