"""Property-based run over the OpenAPI schema: no 5xx, and every response matches its documented schema
(including the error envelope) — anonymous, as a consumer holding a merchant key, and as an analyst, on
SQLite and on PostgreSQL.

Driven through schemathesis' Python API (one Hypothesis run per operation) rather than its pytest plugin,
whose lazy fixture loader does not work with the pinned pytest.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.api._world import World, build_world

pytestmark = pytest.mark.slow

CHECKS = [not_a_server_error, response_schema_conformance]
MAX_EXAMPLES = 20


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def fuzz_world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> World:
    """The service on SQLite and on a real PostgreSQL server the tests start: the fuzzed ids, amounts
    and texts reach both databases (PostgreSQL refuses what SQLite lets through, e.g. integer overflow)."""
    if request.param == "sqlite":
        return build_world(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'service.db'}")
    url: str = request.getfixturevalue("postgres_url")
    return build_world(url)


def _headers(world: World, who: str) -> dict[str, str]:
    if who == "anonymous":
        return {}
    if who == "analyst":
        return {"Authorization": str(world.signed_in("ann").headers["Authorization"])}
    return {
        "Authorization": str(world.signed_in("alice").headers["Authorization"]),
        "X-API-Key": world.api_keys["shop_x"],
    }


@pytest.mark.parametrize("who", ["anonymous", "consumer+merchant", "analyst"])
def test_no_server_errors_and_responses_match_the_schema(fuzz_world: World, who: str) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_world.app)
    auth = _headers(fuzz_world, who)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 18
    for operation in operations:
        headers = dict(auth)
        if operation.method.upper() == "DELETE" and operation.path == "/v1/session":
            headers.pop("Authorization", None)  # signing out would end the session the other cases use
        _fuzz(operation, headers)()


def _fuzz(operation: Any, headers: dict[str, str]) -> Any:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers or None, checks=CHECKS)

    return run
