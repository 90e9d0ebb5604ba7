"""``lucidscore train --test-size``'s split (``model/_split.py``) holds the rows scikit-learn's stratified
``train_test_split`` holds, and refuses what it refuses with its message, without importing it."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.model_selection import train_test_split

from lucidscore.model._split import stratified_split


def sklearn_split(y: np.ndarray, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray] | str:
    """What ``train`` did before: scikit-learn's split, sorted, or its error message."""
    try:
        train, test = train_test_split(np.arange(y.size), test_size=test_size, random_state=seed, stratify=y)
    except ValueError as exc:
        return str(exc)
    return np.sort(train), np.sort(test)


def own_split(y: np.ndarray, test_size: float, seed: int) -> tuple[np.ndarray, np.ndarray] | str:
    try:
        return stratified_split(y, test_size, seed)
    except ValueError as exc:
        return str(exc)


@settings(max_examples=300)
@given(
    n=st.integers(1, 400),
    bad_share=st.floats(0.0, 1.0),
    shuffle_seed=st.integers(0, 2**16),
    test_size=st.floats(0.001, 0.999),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_same_split_as_scikit_learn(
    n: int, bad_share: float, shuffle_seed: int, test_size: float, seed: int
) -> None:
    y = (np.random.default_rng(shuffle_seed).random(n) < bad_share).astype(np.int8)
    want, got = sklearn_split(y, test_size, seed), own_split(y, test_size, seed)
    if isinstance(want, str) or isinstance(got, str):
        assert got == want
        return
    assert got[0].tolist() == want[0].tolist()
    assert got[1].tolist() == want[1].tolist()


@pytest.mark.parametrize(("y", "test_size"), [([0, 1, 1, 1], 0.5), ([0, 0, 1, 1], 0.25), ([0, 1], 0.9)])
def test_refuses_what_scikit_learn_refuses(y: list[int], test_size: float) -> None:
    labels = np.array(y, dtype=np.int8)
    message = sklearn_split(labels, test_size, 0)
    assert isinstance(message, str)
    with pytest.raises(ValueError) as refused:
        stratified_split(labels, test_size, 0)
    assert str(refused.value) == message


def test_a_split_train_does_not_import_scikit_learn() -> None:
    code = (
        "import sys, numpy as np, pandas as pd\n"
        "from lucidscore.model import train_scorecard\n"
        "rng = np.random.default_rng(0)\n"
        "x = rng.normal(size=300)\n"
        "frame = pd.DataFrame({'x': x, 'bad': (x + rng.normal(size=300) > 1).astype(int)})\n"
        "train_scorecard(frame, 'bad', test_size=0.3, refine=False)\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'sklearn'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
