"""Test-wide fixtures: real PostgreSQL, Chromium, a PMML evaluator (JPMML) and a shared local Spark session
live in tests/fixtures."""

from typing import Any

import pytest
from hypothesis import settings

# No deadline on any Hypothesis example: a deadline is a timing assertion, and speed goals live in
# benchmarks/ (DEVELOPERS.md). With two pytest workers and their subprocesses on two cores, an example's
# wall time says how busy the machine was, not whether the code is right (a 300-score example of
# tests/evaluate/test_lda.py went over the default 200 ms on a loaded machine).
settings.register_profile("lucidscore", deadline=None)
settings.load_profile("lucidscore")

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.databases",
    "tests.fixtures.browser",
    "tests.fixtures.bureau",
    "tests.fixtures.jpmml",
    "tests.fixtures.spark",
    "tests.fixtures.taiwan",
    "tests.fixtures.passwords",
]

# How the suite is spread over two workers (``pytest -n 2 --dist loadfile``, scripts/test): in work units,
# each run whole on one worker, which takes units from a queue. Every test file is one unit (its
# module-scoped fixtures are set up once), except the Spark files: every file in SPARK_FILES (those with a
# test that uses the shared ``spark`` fixture, tests/fixtures/spark.py) is in one unit, "spark", so the
# suite starts one JVM for them, whose JIT warms up once, instead of one on each worker that took a Spark
# file (``pytest_xdist_make_scheduler``: loadfile's scheduling with that one change). A CLI run in a
# subprocess still starts a JVM of its own. tests/test_scheduling.py checks that SPARK_FILES names every
# such file. (``--dist loadgroup`` with an ``xdist_group`` mark per test would do the same, but
# pytest-xdist 3.8 groups by rewriting a test's ``_nodeid``, which pytest 9 no longer reads: every test
# became a unit of its own.)
#
# The queue keeps the collection order (``pytest_configure``: pytest-xdist would otherwise order it by the
# number of tests in each unit, most first, whatever the collection order: the README's end-to-end runs,
# one test each, minutes long, went last, and one worker ran the risk modellers' section alone for minutes
# at the end of the suite), and a unit's place is its first test's. The collection puts the Spark files
# first (together the longest unit), then the longest files, longest first (a file's setup, calls and
# teardown summed, measured on the whole suite), so the short files fill in at the end. A file missing
# from FIRST only runs later; no test depends on the order. The seconds are the quiet fresh-clone run of
# 2026-12-07 06:59 UTC (`--durations=0`, two workers, code 3d5168f).
SPARK_GROUP = "spark"
SPARK_FILES = (
    "tests/model/test_spark_train.py",
    "tests/features/test_spark.py",
    "tests/score/test_spark.py",
    "tests/service/test_publish_spark.py",
    "tests/cli/test_features_cli.py",
    "tests/cli/test_train_spark.py",
    "tests/model/test_spark.py",
)
FIRST = (
    "tests/test_readme.py",  # 120
    "tests/test_readme_modellers.py",  # 90
    # Then by duration, longest first:
    "tests/score/test_pmml.py",  # 71
    "tests/cli/test_shards_cli.py",  # 60
    "tests/api/test_pages_browser.py",  # 54
    "tests/api/test_schemathesis.py",  # 53
    "tests/service/test_changed_only.py",  # 45
    "tests/model/test_sklearn.py",  # 35
    "tests/ingest/test_concurrency.py",  # 33
    "tests/cli/test_interrupt.py",  # 32
    "tests/cli/test_lda_cli.py",  # 31
    "tests/ingest/test_kill.py",  # 30
    "tests/evaluate/test_report_browser.py",  # 30
    "tests/model/test_bag.py",  # 29
    "tests/features/test_database_read.py",  # 26
    "tests/demo/test_browser.py",  # 25
    "tests/api/test_sharded_service.py",  # 25
    "tests/score/test_population.py",  # 25
    "tests/evaluate/test_lda.py",  # 24
    "tests/cli/test_serve_cli.py",  # 22
    "tests/cli/test_shard_directory_cli.py",  # 22
    "tests/service/test_publish_chunks.py",  # 21
)


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config.option, "loadscopereorder"):  # pytest-xdist is installed
        config.option.loadscopereorder = False


def _file(nodeid: str) -> str:
    return nodeid.split("::")[0]


def work_unit(nodeid: str) -> str:
    """The work unit of a test: its file, or ``SPARK_GROUP`` for a file in ``SPARK_FILES``."""
    path = _file(nodeid)
    return SPARK_GROUP if path in SPARK_FILES else path


def spark_files(items: list[pytest.Item]) -> set[str]:
    """The files with a test that uses the shared Spark session (the ``spark`` fixture)."""
    return {_file(item.nodeid) for item in items if "spark" in getattr(item, "fixturenames", ())}


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadfile`` with the Spark files in one unit (``work_unit``); other modes as xdist has them."""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SparkTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return work_unit(nodeid)

    return SparkTogether(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = _file(item.nodeid)
        if path in SPARK_FILES:
            return -1
        return FIRST.index(path) if path in FIRST else len(FIRST)

    items.sort(key=rank)  # stable: the rest keep their order
