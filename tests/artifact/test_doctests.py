"""The examples in the artifact modules' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "lucidscore.artifact._values",
    "lucidscore.artifact._fingerprint",
    "lucidscore.artifact._units",
    "lucidscore.artifact._declarations",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
