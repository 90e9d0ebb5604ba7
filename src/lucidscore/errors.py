"""The error type every layer raises for input a person can fix.

A ``LucidError`` carries one line that says what was wrong, where (file, row, column or field), what was
expected and, where useful, what to do. The CLI prints that line and exits non-zero without a traceback;
the HTTP service turns it into a 4xx in the JSON error envelope.
"""

from __future__ import annotations


class LucidError(Exception):
    """Bad input, named precisely enough for a person to act on it."""

    exit_code: int = 2

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class InputError(LucidError):
    """A data file or value cannot be used as given."""


class ModelFileError(LucidError):
    """A model artifact is missing, edited, truncated or of an unknown schema version."""


class PolicyViolation(LucidError):
    """An input is refused by lucidscore's scope rules (SPEC section 2). No flag overrides it."""
