"""Library errors name parameters (``InputError.about("columns", ...)``); the CLI says its flags.

``main`` turns ``parameter test_size:`` into ``--test-size:`` by itself. Where a command's flag is not
``--`` plus the parameter's name (``align_audit(columns=...)`` is ``--audit-columns``), the command wraps
the call in ``flags(columns="--audit-columns")``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from lucidscore.errors import LucidError


@contextmanager
def flags(**names: str) -> Iterator[None]:
    """Inside, an error about one of these parameters is said with the given flag instead."""
    try:
        yield
    except LucidError as exc:
        flag = names.get(exc.parameter or "")
        if flag is None:
            raise
        raise type(exc)(exc.for_flag(flag)) from None
