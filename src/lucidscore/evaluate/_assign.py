"""Place rows in a model's segments and bins, by the scoring rule of ``lucidscore.artifact``.

The evaluation needs each row's bin (for CSI and proxy checks), not just its score. It uses the artifact's
own reference implementation of the rule, which every engine is tested against, so the report can never
place a row differently from the way training and scoring do.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from lucidscore import artifact as rule
from lucidscore.artifact import Characteristic, Interaction, ScorecardArtifact

IntArray = npt.NDArray[np.int64]


def bin_index(characteristic: Characteristic, values: pd.Series) -> IntArray:
    """Position in ``characteristic.bins`` of each value's bin."""
    return rule.bin_index(characteristic, values)


def segment_index(artifact: ScorecardArtifact, frame: pd.DataFrame) -> IntArray:
    """Position in ``artifact.segments`` of each row's segment: the first whose condition matches."""
    return rule.segment_of_rows(artifact.segments, frame)


def reference_scores(artifact: ScorecardArtifact, frame: pd.DataFrame) -> IntArray:
    """Scores by the artifact's rule, computed from the bins: a cross-check on any engine."""
    return rule.reference_scores(artifact.segments, frame)


def _axis(
    char: Characteristic, groups: list[list[int]], values: pd.Series, positions: IntArray | None
) -> tuple[IntArray, list[str]]:
    """The group of each value on one axis of a grid, and each group's label (its bins' labels)."""
    group_of_bin = np.zeros(len(char.bins), dtype=np.int64)
    for g, members in enumerate(groups):
        group_of_bin[members] = g
    labels = [" | ".join(char.bins[i].label for i in group) for group in groups]
    return group_of_bin[rule.bin_index(char, values, positions=positions)], labels


def grid_cells(
    interaction: Interaction,
    first: Characteristic,
    second: Characteristic,
    frame: pd.DataFrame,
    positions: IntArray | None = None,
) -> tuple[IntArray, list[str], list[str]]:
    """The cell of each row of ``frame`` in an interaction grid, numbered row-major (``i * columns + j``
    for the i-th group of ``first``'s bins and the j-th of ``second``'s: each row in exactly one), and
    the labels of the groups down (``first``) and across (``second``), each its bins' labels joined with
    " | " (category labels hold commas). ``positions``: the rows' positions in the table, for errors."""
    a, first_labels = _axis(first, interaction.first_groups, frame[first.name], positions)
    b, second_labels = _axis(second, interaction.second_groups, frame[second.name], positions)
    return a * len(second_labels) + b, first_labels, second_labels
