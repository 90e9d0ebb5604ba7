"""Ingestion that loses nothing: validate every row, quarantine the bad ones with reasons, load each file
in one transaction into the append-only store.
"""

from lucidscore.ingest._correct import correct_record
from lucidscore.ingest._directory import REQUIRED_TABLES, find_table_files, ingest_directory
from lucidscore.ingest._file import ingest_file, ingest_frame
from lucidscore.ingest._progress import NoProgress, ProgressSink, RichProgress
from lucidscore.ingest._quarantine import quarantine_path, read_quarantine, write_quarantine_file
from lucidscore.ingest._report import FileReport, IngestReport
from lucidscore.ingest._sharded import (
    RoutedFile,
    RoutedRun,
    ingest_routed_shard,
    merge_shard_reports,
    route_directory,
)

__all__ = [
    "REQUIRED_TABLES",
    "FileReport",
    "IngestReport",
    "NoProgress",
    "ProgressSink",
    "RichProgress",
    "RoutedFile",
    "RoutedRun",
    "correct_record",
    "find_table_files",
    "ingest_directory",
    "ingest_file",
    "ingest_frame",
    "ingest_routed_shard",
    "merge_shard_reports",
    "quarantine_path",
    "read_quarantine",
    "route_directory",
    "write_quarantine_file",
]
