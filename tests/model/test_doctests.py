"""The examples in the fitting modules' docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "lucidscore.model._binning",
    "lucidscore.model._card",
    "lucidscore.model._interactions",
    "lucidscore.model._meta",
    "lucidscore.model._metrics",
    "lucidscore.model._newton",
    "lucidscore.model._scorecard",
    "lucidscore.model._search",
    "lucidscore.model._selection",
    "lucidscore.policy.guard",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
