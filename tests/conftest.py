"""Test-wide fixtures: real PostgreSQL, Chromium, a PMML evaluator (JPMML) and a shared local Spark session
live in tests/fixtures."""

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
]

# The longest test files first. Under ``pytest -n 2 --dist loadfile`` each file runs whole on one worker,
# and the workers take files from a queue. pytest-xdist orders that queue by the number of tests in each file,
# most first (its ``--loadscope-reorder``, on by default), whatever the collection order: the README's
# end-to-end runs (one test each, minutes long: demo, train, lda, ingest...) went last, and one worker ran
# the risk modellers' section alone for minutes at the end of the suite. Here the queue keeps the collection
# order (``pytest_configure``), and the collection puts the longest files first, longest first (a file's
# setup, calls and teardown summed, measured on the whole suite), so the short files fill in at the end.
# A file missing from this list only runs later; no test depends on the order. The seconds are the quiet
# fresh-clone run of 2026-12-07 06:59 UTC (`--durations=0`, two workers, code 3d5168f).
FIRST = (
    "tests/test_readme.py",  # 120
    "tests/test_readme_modellers.py",  # 90
    # Then by duration, longest first:
    "tests/model/test_spark_train.py",  # 121
    "tests/score/test_pmml.py",  # 71
    "tests/cli/test_shards_cli.py",  # 60
    "tests/features/test_spark.py",  # 58
    "tests/api/test_pages_browser.py",  # 54
    "tests/api/test_schemathesis.py",  # 53
    "tests/service/test_changed_only.py",  # 45
    "tests/model/test_sklearn.py",  # 35
    "tests/ingest/test_concurrency.py",  # 33
    "tests/cli/test_interrupt.py",  # 32
    "tests/cli/test_features_cli.py",  # 31
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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::")[0]
        return FIRST.index(path) if path in FIRST else len(FIRST)

    items.sort(key=rank)  # stable: the rest keep their order
