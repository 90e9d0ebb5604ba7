"""The database: SQLite (embedded default) or PostgreSQL, append-only raw records and migrations.

Every raw table of ``lucidscore.records`` is stored append-only: a correction adds a version and marks the
previous one superseded, never overwriting it; ``<table>_current`` views show the current rows.

The service's audit tables (access log, score history, dispute events) are hash chains: every engine from
``make_engine`` links each inserted row to the one before it, and ``verify_audit_chains`` finds the first
row deleted, edited, inserted or reordered behind the service's back.
"""

from lucidscore.store._base import Base
from lucidscore.store._chain import (
    CHAIN_FORMAT,
    ENCODED_JSON,
    GENESIS_HASH,
    AuditChained,
    AuditChainHead,
    UnreadableValue,
    canonical_fields,
    canonical_json,
    canonical_object,
    chained_tables,
    link_hash,
)
from lucidscore.store._chain_verify import (
    ChainAnchor,
    ChainProblem,
    ChainStatus,
    parse_anchor,
    read_anchor_file,
    verify_audit_chains,
    write_anchor_file,
)
from lucidscore.store._chain_writer import AuditChainError, insert_chained, install_audit_chain, lock_chain
from lucidscore.store._engine import (
    DatabaseMissing,
    check_database,
    make_engine,
    open_database,
    session_factory,
)
from lucidscore.store._history import history
from lucidscore.store._lock import (
    DEFAULT_WAIT_SECONDS,
    DatabaseBusy,
    lock_transaction,
    write_transaction,
)
from lucidscore.store._migrate import current_revision, head_revision, migrate
from lucidscore.store._shards import (
    SHARD_HASH,
    Shard,
    ShardIdentity,
    ShardMap,
    ShardMismatch,
    ShardStamp,
    any_shard_stamp,
    check_shard_members,
    check_shard_stamp,
    foreign_consumers,
    read_shard_map,
    read_shard_stamp,
    shard_of,
    shard_of_ids,
    stamp_shard,
)
from lucidscore.store._tables import (
    BATCH_ID,
    BOOKKEEPING_COLUMNS,
    INGESTED_AT,
    RAW_TABLE_NAMES,
    SUPERSEDED_AT,
    VERSION_ID,
    IngestBatch,
    current_view_name,
    ingest_batches_table,
    raw_table,
    sql_type,
    sqlite_batch_check,
)

__all__ = [
    "BATCH_ID",
    "BOOKKEEPING_COLUMNS",
    "CHAIN_FORMAT",
    "DEFAULT_WAIT_SECONDS",
    "ENCODED_JSON",
    "GENESIS_HASH",
    "INGESTED_AT",
    "RAW_TABLE_NAMES",
    "SHARD_HASH",
    "SUPERSEDED_AT",
    "VERSION_ID",
    "AuditChainError",
    "AuditChainHead",
    "AuditChained",
    "Base",
    "ChainAnchor",
    "ChainProblem",
    "ChainStatus",
    "DatabaseBusy",
    "DatabaseMissing",
    "IngestBatch",
    "Shard",
    "ShardIdentity",
    "ShardMap",
    "ShardMismatch",
    "ShardStamp",
    "UnreadableValue",
    "any_shard_stamp",
    "canonical_fields",
    "canonical_json",
    "canonical_object",
    "chained_tables",
    "check_database",
    "check_shard_members",
    "check_shard_stamp",
    "current_revision",
    "current_view_name",
    "foreign_consumers",
    "head_revision",
    "history",
    "ingest_batches_table",
    "insert_chained",
    "install_audit_chain",
    "link_hash",
    "lock_chain",
    "lock_transaction",
    "make_engine",
    "migrate",
    "open_database",
    "parse_anchor",
    "raw_table",
    "read_anchor_file",
    "read_shard_map",
    "read_shard_stamp",
    "session_factory",
    "shard_of",
    "shard_of_ids",
    "sql_type",
    "sqlite_batch_check",
    "stamp_shard",
    "verify_audit_chains",
    "write_anchor_file",
    "write_transaction",
]
