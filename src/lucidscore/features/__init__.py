"""Point-in-time characteristics per consumer, each in one factor family, computed with polars."""

from lucidscore.features._catalogue import FEATURE_CATALOGUE, FEATURE_NAMES, render_feature_table
from lucidscore.features._features import (
    DEFAULT_CHUNK_CONSUMERS,
    FeaturesWritten,
    compute_features,
    compute_features_counted,
    features_to_parquet,
    write_features,
)
from lucidscore.features._sources import REQUIRED_TABLES

__all__ = [
    "DEFAULT_CHUNK_CONSUMERS",
    "FEATURE_CATALOGUE",
    "FEATURE_NAMES",
    "REQUIRED_TABLES",
    "FeaturesWritten",
    "compute_features",
    "compute_features_counted",
    "features_to_parquet",
    "render_feature_table",
    "write_features",
]
