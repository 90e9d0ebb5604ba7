"""A model people are scored with declares every characteristic (issue 13).

Training a flat file without declarations still works for analysis: the model file marks each such
characteristic undeclared (its family and description were guessed from the column name). The service
refuses such a model at every door that leads to scoring people with it: registering, activating,
rescoring and publishing scores all read the stored model through ``model_artifact``, which calls
``check_declared``.
"""

from __future__ import annotations

from lucidscore.artifact import ScorecardArtifact
from lucidscore.service._errors import Refused


def check_declared(artifact: ScorecardArtifact, source: str = "model") -> None:
    """Refuse a model with undeclared characteristics, listing every one of them."""
    undeclared = artifact.undeclared
    if undeclared:
        raise Refused(
            f"{source} (model {artifact.model_id}): {len(undeclared)} characteristic(s) are undeclared "
            f"(family and description guessed from the column name): {', '.join(undeclared)}; people may "
            "be scored only with a model that declares every characteristic it uses. Declare each one "
            "(its family and a plain-language description) and train the model again",
            field="model_id",
        )
