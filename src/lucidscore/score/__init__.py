"""The only code that evaluates a model artifact.

- ``CompiledScorecard``: an artifact compiled to flat arrays for the numba kernels; ``score_frame`` gives
  score, tier, probability of bad, segment and ranked reasons for a table;
- ``explain_frame``: family points, reasons and recourse to the next tier per row;
- ``to_sql``: the model as one SELECT that scores identically inside SQLite, PostgreSQL or Spark SQL;
- ``to_pmml``: the model as a PMML 4.4 ``Scorecard`` with reason codes (``reason_code``) for any evaluator;
- ``score_file``: the local batch engine (CSV or Parquet in, Parquet out, chunked); ``lucidscore.score.spark``
  runs the same kernel on Apache Spark;
- ``score_consumers``: the scores, reasons and explanations the service stores for consumers.

Every engine is tested against the reference rule in ``lucidscore.artifact``.
"""

from lucidscore.score._compiled import CompiledScorecard, PreparedBatch, ReasonCodes
from lucidscore.score._explain import explain_frame
from lucidscore.score._frame import compiled_score_frame, score_frame
from lucidscore.score._pmml import reason_code, to_pmml
from lucidscore.score._sql import DIALECTS, Dialect, to_sql
from lucidscore.score._stored import score_consumers
from lucidscore.score.local import ROW_COLUMN, ScoreSummary, score_file

__all__ = [
    "DIALECTS",
    "ROW_COLUMN",
    "CompiledScorecard",
    "Dialect",
    "PreparedBatch",
    "ReasonCodes",
    "ScoreSummary",
    "compiled_score_frame",
    "explain_frame",
    "reason_code",
    "score_consumers",
    "score_file",
    "score_frame",
    "to_pmml",
    "to_sql",
]
