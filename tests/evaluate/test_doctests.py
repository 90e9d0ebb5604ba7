"""The examples in the evaluate modules' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "lucidscore.evaluate._fairness",
    "lucidscore.evaluate._lda_search",
    "lucidscore.evaluate._metrics",
    "lucidscore.evaluate._proxies",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
