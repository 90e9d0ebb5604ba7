"""Test-wide fixtures: real PostgreSQL, Chromium and a PMML evaluator (JPMML) live in tests/fixtures."""

import pytest

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.databases",
    "tests.fixtures.browser",
    "tests.fixtures.bureau",
    "tests.fixtures.jpmml",
    "tests.fixtures.taiwan",
]

# The longest test files first: under ``pytest -n 2 --dist loadfile`` each file runs whole on one worker, in
# collection order, so the README's end-to-end run (minutes: demo, train, lda, ingest...) collected last
# left one worker alone at the end of the suite. Its two halves (the risk modellers' section and the rest)
# start first, one on each worker, beside everything else.
FIRST = ("tests/test_readme.py", "tests/test_readme_modellers.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::")[0]
        return FIRST.index(path) if path in FIRST else len(FIRST)

    items.sort(key=rank)  # stable: the rest keep their order
