"""How the suite is spread over pytest-xdist's workers (tests/conftest.py), checked on the tests this very
run collected (under ``scripts/test``, the whole suite)."""

from __future__ import annotations

import pytest

from tests import conftest
from tests.fixtures import spark as spark_fixtures


@pytest.fixture
def items(request: pytest.FixtureRequest) -> list[pytest.Item]:
    return list(request.session.items)


def test_spark_files_names_every_file_that_uses_the_shared_session(items: list[pytest.Item]) -> None:
    """A Spark file missing from SPARK_FILES would start a JVM of its own on whichever worker took it; a
    file named there that no longer uses Spark would only sit in the Spark unit."""
    using = conftest.spark_files(items)
    assert using <= set(conftest.SPARK_FILES)
    collected = {item.nodeid.split("::")[0] for item in items}
    assert set(conftest.SPARK_FILES) & collected <= using


def test_each_file_is_one_unit_but_the_spark_files_share_one(items: list[pytest.Item]) -> None:
    for item in items:
        path = item.nodeid.split("::")[0]
        expected = conftest.SPARK_GROUP if path in conftest.SPARK_FILES else path
        assert conftest.work_unit(item.nodeid) == expected
    assert conftest.work_unit("tests/model/test_spark.py::test_x[0-3000-30]") == conftest.SPARK_GROUP
    assert conftest.work_unit("tests/model/test_sparkling.py::test_x") == "tests/model/test_sparkling.py"


def test_spark_unit_first_and_each_file_contiguous(items: list[pytest.Item]) -> None:
    """A unit's place in the queue is its first test's: the Spark unit, the longest, starts first. A
    file's tests in a row keep its module fixtures set up once."""
    units = [conftest.work_unit(item.nodeid) for item in items]
    in_spark = [u == conftest.SPARK_GROUP for u in units]
    assert in_spark == sorted(in_spark, reverse=True)
    files = [item.nodeid.split("::")[0] for item in items]
    runs = [f for i, f in enumerate(files) if i == 0 or files[i - 1] != f]
    assert len(runs) == len(set(files))


def test_every_spark_test_gets_the_shared_session(items: list[pytest.Item]) -> None:
    """A file defining a ``spark`` fixture of its own would start (and stop) another session."""
    for item in items:
        defs = item._fixtureinfo.name2fixturedefs.get("spark")  # type: ignore[attr-defined]
        if defs:
            assert defs[-1].func is spark_fixtures.spark.__wrapped__, item.nodeid  # type: ignore[attr-defined]
