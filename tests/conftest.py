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
# whole run of 2026-12-07 01:15 UTC (`--durations=0`, two workers); files cut later that day are given
# as that figure scaled by the cut measured on their own (loaded), marked "~".
FIRST = (
    "tests/test_readme.py",  # 139
    "tests/test_readme_modellers.py",  # 107
    # Then by duration, longest first:
    "tests/model/test_spark_train.py",  # ~150
    "tests/score/test_pmml.py",  # 97
    "tests/cli/test_shards_cli.py",  # ~88
    "tests/cli/test_lda_cli.py",  # ~75
    "tests/service/test_changed_only.py",  # ~55
    "tests/api/test_schemathesis.py",  # 55
    "tests/cli/test_interrupt.py",  # ~50 (new)
    "tests/api/test_pages_browser.py",  # 41
    "tests/features/test_spark.py",  # ~40
    "tests/model/test_bag.py",  # 39
    "tests/model/test_sklearn.py",  # 39
    "tests/ingest/test_kill.py",  # 34
    "tests/score/test_recourse.py",  # 28
    "tests/evaluate/test_report_browser.py",  # 28
    "tests/demo/test_browser.py",  # 26
    "tests/cli/test_features_cli.py",  # ~25
    "tests/store/test_account_directory.py",  # 23
    "tests/features/test_database_read.py",  # 22
    "tests/score/test_population.py",  # 20
)


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config.option, "loadscopereorder"):  # pytest-xdist is installed
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::")[0]
        return FIRST.index(path) if path in FIRST else len(FIRST)

    items.sort(key=rank)  # stable: the rest keep their order
