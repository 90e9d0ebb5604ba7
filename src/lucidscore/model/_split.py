"""The stratified train/test split of ``lucidscore train --test-size``, without importing scikit-learn.

``stratified_split`` gives the rows scikit-learn 1.9's ``train_test_split(np.arange(n),
test_size=test_size, random_state=seed, stratify=y)`` gives (``StratifiedShuffleSplit``: the same draws
from the same ``RandomState`` in the same order, and the same errors), sorted. Importing
``sklearn.model_selection`` costs about 1.4 s of CPU (it loads ``scipy.stats``), more than the rest of a
small ``train``; a test holds this split to scikit-learn's on generated targets, sizes and seeds.
"""

from __future__ import annotations

from math import ceil

import numpy as np
import numpy.typing as npt


def _approximate_mode(
    class_counts: npt.NDArray[np.int64], n_draws: int, rng: np.random.RandomState
) -> npt.NDArray[np.int64]:
    """How many rows of each class are drawn (scikit-learn's ``utils.extmath._approximate_mode``): the
    floored shares, then one more for the largest remainders, ties broken by ``rng``."""
    continuous = class_counts / class_counts.sum() * n_draws
    floored = np.floor(continuous)
    need_to_add = int(n_draws - floored.sum())
    if need_to_add > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (inds,) = np.where(remainder == value)
            add_now = min(len(inds), need_to_add)
            inds = rng.choice(inds, size=add_now, replace=False)
            floored[inds] += 1
            need_to_add -= add_now
            if need_to_add == 0:
                break
    return floored.astype(int)


def stratified_split(
    y: npt.NDArray[np.integer], test_size: float, seed: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The training and the held-out positions (each sorted) of a stratified split of the rows whose
    classes are ``y``: ``ceil(test_size * n)`` held out (``test_size`` strictly between 0 and 1). A
    ``ValueError`` with scikit-learn's message where it refuses the split (too few rows of a class).

    >>> train, test = stratified_split(np.array([0, 1] * 5), 0.3, 0)
    >>> test.size, int(np.bincount(np.array([0, 1] * 5)[test]).min())
    (3, 1)
    """
    n_samples = int(y.shape[0])
    n_test = ceil(test_size * n_samples)
    n_train = n_samples - n_test
    if n_train == 0:
        raise ValueError(
            f"With n_samples={n_samples}, test_size={test_size} and train_size=None, the resulting "
            "train set will be empty. Adjust any of the aforementioned parameters."
        )
    classes, y_indices, class_counts = np.unique(y, return_inverse=True, return_counts=True)
    n_classes = classes.shape[0]
    if np.min(class_counts) < 2:
        too_few_classes = classes[class_counts < 2].tolist()
        raise ValueError(
            "The least populated classes in y have only 1 member, which is too few. The minimum number "
            "of groups for any class cannot be less than 2. Classes with too few members are: "
            f"{too_few_classes}"
        )
    if n_train < n_classes:
        raise ValueError(
            f"The train_size = {n_train} should be greater or equal to the number of classes = {n_classes}"
        )
    if n_test < n_classes:
        raise ValueError(
            f"The test_size = {n_test} should be greater or equal to the number of classes = {n_classes}"
        )
    rng = np.random.RandomState(seed)
    class_indices = np.split(np.argsort(y_indices, kind="stable"), np.cumsum(class_counts)[:-1])
    n_i = _approximate_mode(class_counts, n_train, rng)
    t_i = _approximate_mode(class_counts - n_i, n_test, rng)
    train: list[npt.NDArray[np.int64]] = []
    test: list[npt.NDArray[np.int64]] = []
    for i in range(n_classes):
        permuted = class_indices[i].take(rng.permutation(class_counts[i]), mode="clip")
        train.append(permuted[: n_i[i]])
        test.append(permuted[n_i[i] : n_i[i] + t_i[i]])
    # scikit-learn then shuffles each part (more draws from ``rng``); sorted, the order does not matter.
    return np.sort(np.concatenate(train)).astype(np.int64), np.sort(np.concatenate(test)).astype(np.int64)
