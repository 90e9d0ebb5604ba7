"""Point-in-time characteristics per consumer, each in one factor family, computed with polars."""

from lucidscore.features._catalogue import FEATURE_CATALOGUE, FEATURE_NAMES, render_feature_table
from lucidscore.features._features import compute_features, compute_features_counted, write_features
from lucidscore.features._sources import REQUIRED_TABLES

__all__ = [
    "FEATURE_CATALOGUE",
    "FEATURE_NAMES",
    "REQUIRED_TABLES",
    "compute_features",
    "compute_features_counted",
    "render_feature_table",
    "write_features",
]
