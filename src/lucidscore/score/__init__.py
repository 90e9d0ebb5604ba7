"""Batch scoring engines: local (chunked, numba kernel) and Apache Spark (same kernel per partition)."""

from lucidscore.score.local import ROW_COLUMN, ScoreSummary, score_file

__all__ = ["ROW_COLUMN", "ScoreSummary", "score_file"]
