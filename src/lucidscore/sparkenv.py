"""What this machine offers Spark, shared by every engine that starts a local session (features, score,
and through score the model and service engines): where the PostgreSQL JDBC driver is, and how an input
error a Python worker raised is read back from the failure Spark reports (``input_error_of``).

The driver joins the driver JVM's classpath only when the JVM starts, so every lucidscore session must
ask for it, whichever starts first in a process."""

from __future__ import annotations

import os
from pathlib import Path

from lucidscore.errors import InputError

# How a worker's ``InputError`` shows in the text of the job's failure: a message a worker passed on with
# this prefix (``ERROR_PREFIX``), or the last line of the worker's traceback.
ERROR_PREFIX = "LucidInputError: "
_RAISED = f"{InputError.__module__}.{InputError.__qualname__}: "

JDBC_JARS = ("/usr/share/java/postgresql.jar",)  # Debian's libpostgresql-jdbc-java


def jdbc_jar() -> Path | None:
    """The PostgreSQL JDBC driver (``LUCIDSCORE_JDBC_JAR``, else Debian's), if this machine has one."""
    candidates = [os.environ.get("LUCIDSCORE_JDBC_JAR", ""), *JDBC_JARS]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


_GLOB = str.maketrans({c: "\\" + c for c in "\\[]{}*?"})


def literal_path(path: str | os.PathLike[str]) -> str:
    """``path`` for Spark's readers, which expand Hadoop glob patterns: each of ``\\ [ ] { } * ?`` escaped
    with a backslash, so a directory named ``month [2026-06]`` is that directory, not a pattern.

    >>> literal_path("/data/month [2026-06]/x*.parquet")
    '/data/month \\\\[2026-06\\\\]/x\\\\*.parquet'
    """
    return os.fspath(path).translate(_GLOB)


def input_error_of(exc: BaseException) -> InputError | None:
    """The ``InputError`` a Python worker raised, from the exception with which Spark reports the failed
    job (its text ends with the worker's traceback), or None for any other failure."""
    text = str(exc)
    for marker in (ERROR_PREFIX, _RAISED):
        if marker in text:
            return InputError(text.split(marker, 1)[1].splitlines()[0])
    return None
