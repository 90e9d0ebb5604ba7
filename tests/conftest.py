"""Test-wide fixtures: real PostgreSQL, Chromium and a PMML evaluator (JPMML) live in tests/fixtures."""

import pytest

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.databases",
    "tests.fixtures.browser",
    "tests.fixtures.bureau",
    "tests.fixtures.jpmml",
]

# The longest test file first: under ``pytest -n 2 --dist loadfile`` each file runs whole on one worker, in
# collection order, so the README's end-to-end run (minutes: demo, train, lda, ingest...) collected last
# left one worker alone at the end of the suite. Started first, it runs beside everything else.
FIRST = ("tests/test_readme.py",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not item.nodeid.startswith(FIRST))  # stable: the rest keep their order
