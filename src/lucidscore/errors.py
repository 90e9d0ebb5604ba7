"""The error type every layer raises for input a person can fix.

A ``LucidError`` carries one line that says what was wrong, where (file, row, column or field), what was
expected and, where useful, what to do. The CLI prints that line and exits non-zero without a traceback;
the HTTP service turns it into a 4xx in the JSON error envelope.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Self


class LucidError(Exception):
    """Bad input, named precisely enough for a person to act on it.

    ``parameter`` names the library parameter the error is about (``test_size``, ``exclude``...): the
    message then starts with ``parameter <name>:``, and the CLI, which knows the parameter as a flag
    (``--test-size``), says the flag instead (``for_flag``).
    """

    exit_code: int = 2

    def __init__(self, message: str, *, parameter: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.parameter = parameter

    @classmethod
    def about(cls, parameter: str, text: str) -> Self:
        """An error about ``parameter``: 'parameter test_size: 1.5 is not a fraction...'."""
        return cls(f"parameter {parameter}: {text}", parameter=parameter)

    def for_flag(self, flag: str) -> str:
        """The message as the CLI says it: 'parameter test_size: ...' -> '--test-size: ...'."""
        prefix = f"parameter {self.parameter}:"
        if self.parameter is not None and prefix in self.message:
            return self.message.replace(prefix, f"{flag}:", 1)
        return self.message

    def __str__(self) -> str:
        return self.message


class InputError(LucidError, ValueError):
    """A data file or value cannot be used as given (a ``ValueError``, as Python and scikit-learn expect)."""


class ModelFileError(LucidError):
    """A model artifact is missing, edited, truncated or of an unknown schema version."""


class PolicyViolation(LucidError):
    """An input is refused by lucidscore's scope rules (SPEC section 2). No flag overrides it."""


# How messages name a row of a table, the same way in ingest, train, score and evaluate: for a CSV file the
# header is row 1 (the first data row is row 2: the line number a text editor or spreadsheet shows); for
# Parquet and tables in memory, the 1-based position. Readers record the number of the first data row in
# the table's ``attrs`` (pandas carries them through selection, copies and joins).
FIRST_ROW = "lucidscore_first_row"


def row_label(data: object, position: int, offset: int = 0) -> str:
    """'row N' for the data row at 0-based ``position`` of ``data`` (a pandas table or column), which
    ``offset`` data rows precede in its file (a chunk)."""
    attrs = getattr(data, "attrs", None) or {}
    return f"row {offset + position + int(attrs.get(FIRST_ROW, 1)):,}"


def absent(path: Path, what: str = "file") -> str:
    """Why ``path``, which is not a regular file, cannot be read as a ``what``: missing, a directory, or
    another kind of file (a device or a pipe).

    >>> absent(Path("/"), "model file")
    'a directory, not a model file'
    """
    if path.is_dir():
        return f"a directory, not a {what}"
    if path.exists():
        return f"not a regular file (a device, pipe or socket), not a {what}"
    return f"no such {what}"


def utf8_text(path: Path, expected: str, *, where: str = "line") -> str:
    """The whole text of a small UTF-8 file (a declarations, catalogue, accounts or shard-map file), or an
    ``InputError`` naming its line and the byte that is not UTF-8 (a leading byte-order mark is dropped).
    ``expected`` says what the file should be ("a TOML shard map"); ``where`` is the word for a line
    ("row" for a CSV, whose header is row 1). A missing file or a directory raises ``OSError``, as
    ``Path.read_text`` does.

    >>> import tempfile
    >>> f = Path(tempfile.mkdtemp()) / "d.toml"
    >>> _ = f.write_bytes(b'[A]\\ndescription = "caf\\xe9"\\n')
    >>> utf8_text(f, "a TOML file")
    Traceback (most recent call last):
    ...
    lucidscore.errors.InputError: ...d.toml line 2: byte 19 of the line (0xe9) is not UTF-8; expected a ...
    """
    raw = Path(path).read_bytes()
    try:
        # A leading byte-order mark (what Windows editors write) is no part of the text.
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        start = raw.rfind(b"\n", 0, exc.start) + 1
        line = raw.count(b"\n", 0, exc.start) + 1
        raise InputError(
            f"{path} {where} {line}: byte {exc.start - start + 1} of the line (0x{raw[exc.start]:02x}) is "
            f"not UTF-8; expected {expected} saved as UTF-8"
        ) from None


# A number written with a comma, which lucidscore does not read: a decimal comma ("0,13", "-1.234,5"), as
# spreadsheets in many languages save numbers, or a thousands separator ("1,234", "12,345.5"). Spotted so
# that a message can say so (Spark's ``rlike`` and polars' ``str.contains`` read the same pattern:
# the trainers, the scorers and ``ingest``).
_DECIMAL_COMMA = re.compile(r"[+-]?[0-9]+(\.[0-9]{3})*,[0-9]+")
_THOUSANDS = re.compile(r"[+-]?[1-9][0-9]{0,2}(,[0-9]{3})+(\.[0-9]+)?")  # no leading 0: "0,176" is 0.176
COMMA_NUMBER_PATTERN = f"({_DECIMAL_COMMA.pattern}|{_THOUSANDS.pattern})"


def comma_readings(value: object) -> list[str]:
    """The plain numbers a cell written with a comma may mean: the comma a decimal one, a thousands
    separator, or either ([] for any other cell).

    >>> comma_readings("0,130"), comma_readings(" 1,234"), comma_readings("1,234,567.5")
    (['0.130'], ['1.234', '1234'], ['1234567.5'])
    """
    text = value.strip() if isinstance(value, str) else ""
    readings = []
    if _DECIMAL_COMMA.fullmatch(text):
        readings.append(text.replace(".", "").replace(",", "."))
    if _THOUSANDS.fullmatch(text):
        readings.append(text.replace(",", ""))
    return readings


def comma_note(value: object) -> str:
    """What to add to a "not a number" message for a cell written with a comma, else "".

    >>> comma_note(" 1.234,5")
    ' (lucidscore reads neither a decimal comma nor a thousands separator: expected 1234.5)'
    """
    readings = comma_readings(value)
    if not readings:
        return ""
    return (
        " (lucidscore reads neither a decimal comma nor a thousands separator: expected "
        f"{' or '.join(readings)})"
    )
