"""A Spark read that fails says why: Py4J's "An error occurred while calling ..." line alone names no cause,
so the Java exception that follows it is kept in the message."""

from __future__ import annotations

from lucidscore.features.spark import _first_line


def test_the_java_cause_follows_the_py4j_line() -> None:
    exc = Exception(
        "An error occurred while calling o1570.jdbc.\n"
        ": org.postgresql.util.PSQLException: FATAL: sorry, too many clients already\n"
        "\tat org.postgresql.core.v3.ConnectionFactoryImpl.doAuthentication(ConnectionFactoryImpl.java:693)\n"
    )
    assert _first_line(exc) == (
        "An error occurred while calling o1570.jdbc. : org.postgresql.util.PSQLException: FATAL: sorry, "
        "too many clients already"
    )


def test_a_plain_error_is_its_first_line() -> None:
    assert _first_line(ValueError("no such view\nmore")) == "no such view"
    assert _first_line(ValueError("")) == "ValueError"
