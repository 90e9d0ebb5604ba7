"""Test-wide fixtures: real PostgreSQL, Chromium and a PMML evaluator (JPMML) live in tests/fixtures."""

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.databases",
    "tests.fixtures.browser",
    "tests.fixtures.bureau",
    "tests.fixtures.jpmml",
]
