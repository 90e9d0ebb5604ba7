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
from lucidscore.artifact import Characteristic, ScorecardArtifact

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
