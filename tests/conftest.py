"""Test-wide fixtures: real PostgreSQL, Chromium, a PMML evaluator (JPMML) and a shared local Spark session
live in tests/fixtures."""

import pytest

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
# A file missing from this list only runs later; no test depends on the order. Taken off the list after the
# 2026-12-07 cuts (their files measured alone or beside the other `engine` files, load average 7-13):
# tests/cli/test_train.py (87 -> 26 s), tests/features/test_selection.py (248 -> 24 s),
# tests/store/test_chain_verify.py (230 -> 56 s), tests/ingest/test_bad_input.py (148 -> 30 s),
# tests/store/test_chain_writer.py (50 -> 33 s). The other files asking for `engine` stay where they were
# (each test there now copies a migrated database instead of migrating one) until the next whole run.
FIRST = (
    "tests/test_readme_modellers.py",
    "tests/test_readme.py",
    # Then by duration, longest first (seconds on a loaded run, 2026-12-06, load average 9-11):
    "tests/model/test_spark_train.py",  # 384
    "tests/cli/test_lda_cli.py",  # 250
    "tests/cli/test_shards_cli.py",  # 247
    "tests/score/test_pmml.py",  # 214
    "tests/cli/test_features_cli.py",  # 144
    "tests/features/test_spark.py",  # 140
    "tests/service/test_changed_only.py",  # 124
    "tests/cli/test_serve_cli.py",  # 118
    "tests/model/test_sklearn.py",  # 97
    "tests/features/test_database_read.py",  # 90
    "tests/api/test_schemathesis.py",  # 87
    "tests/cli/test_evaluate_cli.py",  # 84
    "tests/cli/test_publish_cli.py",  # 84
    "tests/api/test_sharded_service.py",  # 82
    "tests/ingest/test_kill.py",  # 79
    "tests/store/test_account_directory.py",  # 76
    "tests/cli/test_catalogue_cli.py",  # 71
    "tests/ingest/test_concurrency.py",  # 70
    "tests/model/test_bag.py",  # 67
    "tests/store/test_chain_copy.py",  # 66
    "tests/evaluate/test_lda.py",  # 65
)


def pytest_configure(config: pytest.Config) -> None:
    if hasattr(config.option, "loadscopereorder"):  # pytest-xdist is installed
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::")[0]
        return FIRST.index(path) if path in FIRST else len(FIRST)

    items.sort(key=rank)  # stable: the rest keep their order
