"""Tamper-evident audit trails: access_log, score_history and dispute_events become hash chains, and the
database refuses every way of rewriting them that issue 11 found.

- Columns ``chain_seq`` (unique), ``prev_hash`` and ``row_hash`` on each table, filled for the rows
  already there (in id order), and the table ``audit_chain_heads`` (each chain's last link). The format is
  ``lucidscore.store._chain`` (v1).
- Guards, besides refusing UPDATE and DELETE as revision 0002 did:
  SQLite: an INSERT whose id is not above every existing id, or whose unique key exists, is refused — so
  ``INSERT OR REPLACE`` can no longer delete a row to put a forged one in its place (its implicit delete
  fires no DELETE trigger unless ``PRAGMA recursive_triggers`` is on, which ``make_engine`` also sets);
  PostgreSQL: ``TRUNCATE`` is refused (it fires no row triggers), and UPDATE, DELETE and TRUNCATE are
  revoked from PUBLIC.
  Both: a row must be the next link of its chain (right ``chain_seq`` and ``prev_hash``, ids rising along
  the chain), and the head follows (SQLite: with each row; PostgreSQL: once, at commit); a head only moves
  forward, to a link of its chain, and is never deleted.

Revision ID: 0003_audit_chain
Revises: 0002_service
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from lucidscore.store._chain import GENESIS_HASH, Kind, UnreadableValue, canonical_value, link_hash

revision = "0003_audit_chain"
down_revision = "0002_service"
branch_labels = None
depends_on = None

HEADS = "audit_chain_heads"
# The columns each row hash covers at this revision (a later nullable column leaves old hashes valid:
# NULLs are left out of the canonical form).
COVERED: dict[str, tuple[tuple[str, Kind], ...]] = {
    "access_log": (
        ("id", "integer"),
        ("consumer_id", "string"),
        ("merchant_id", "integer"),
        ("purpose", "string"),
        ("at", "datetime_tz"),
        ("result", "string"),
        ("score", "integer"),
        ("model_id", "string"),
        ("chain_seq", "integer"),
    ),
    "score_history": (
        ("id", "integer"),
        ("consumer_id", "string"),
        ("model_id", "string"),
        ("as_of", "date"),
        ("score", "integer"),
        ("tier", "string"),
        ("probability", "float"),
        ("segment", "string"),
        ("reasons", "json"),
        ("explanation", "json"),
        ("scored_at", "datetime_tz"),
        ("chain_seq", "integer"),
    ),
    "dispute_events": (
        ("id", "integer"),
        ("dispute_id", "integer"),
        ("seq", "integer"),
        ("at", "datetime_tz"),
        ("actor_id", "integer"),
        ("action", "string"),
        ("detail", "json"),
        ("chain_seq", "integer"),
    ),
}
TABLES = tuple(COVERED)
# Unique keys besides id and chain_seq that an INSERT OR REPLACE could collide with.
OTHER_UNIQUE_KEYS: dict[str, tuple[str, ...]] = {"dispute_events": ("dispute_id", "seq")}
_BATCH = 5_000


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_guards(dialect)
    for table in TABLES:
        op.add_column(table, sa.Column("chain_seq", sa.BigInteger(), nullable=True))
        op.add_column(table, sa.Column("prev_hash", sa.String(64), nullable=True))
        op.add_column(table, sa.Column("row_hash", sa.String(64), nullable=True))
    op.create_table(
        HEADS,
        sa.Column("table_name", sa.String(64), primary_key=True),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
    )
    for table in TABLES:
        last_seq, last_hash = _chain_existing_rows(table)
        op.execute(
            sa.text(f"INSERT INTO {HEADS} (table_name, last_seq, last_hash) VALUES (:t, :s, :h)").bindparams(
                t=table, s=last_seq, h=last_hash
            )
        )
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("chain_seq", existing_type=sa.BigInteger(), nullable=False)
            batch.alter_column("prev_hash", existing_type=sa.String(64), nullable=False)
            batch.alter_column("row_hash", existing_type=sa.String(64), nullable=False)
        op.create_index(f"ix_{table}_chain_seq", table, ["chain_seq"], unique=True)
    if dialect == "sqlite":
        _install_sqlite_guards()
    else:
        _install_postgresql_guards()


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_guards(dialect)
    for table in TABLES:
        op.drop_index(f"ix_{table}_chain_seq", table_name=table)
        with op.batch_alter_table(table) as batch:
            batch.drop_column("row_hash")
            batch.drop_column("prev_hash")
            batch.drop_column("chain_seq")
    op.drop_table(HEADS)
    _install_append_only(dialect)


def _chain_existing_rows(table: str) -> tuple[int, str]:
    """Chain the rows already in ``table``, oldest id first; return the last link and its hash."""
    bind = op.get_bind()
    columns = [name for name, _ in COVERED[table] if name != "chain_seq"]
    kinds = dict(COVERED[table])
    json_text = "::text" if bind.dialect.name == "postgresql" else ""
    select = ", ".join(f"{c}{json_text if kinds[c] == 'json' else ''}" for c in columns)
    update = sa.text(f"UPDATE {table} SET chain_seq = :s, prev_hash = :p, row_hash = :h WHERE id = :i")
    seq, prev, after = 0, GENESIS_HASH, None
    while True:
        query = f"SELECT {select} FROM {table}{'' if after is None else ' WHERE id > :after'} ORDER BY id"
        rows = bind.execute(sa.text(f"{query} LIMIT {_BATCH}"), {} if after is None else {"after": after})
        links: list[dict[str, Any]] = []
        for row in rows.mappings():
            seq += 1
            fields = {"chain_seq": seq}
            for name in columns:
                try:
                    value = canonical_value(kinds[name], row[name])
                except UnreadableValue as exc:
                    raise RuntimeError(
                        f"{table} row id {row['id']}: column {name}: {exc}; correct it before migrating"
                    ) from None
                if value is not None:
                    fields[name] = value
            h = link_hash(table, prev, fields)
            links.append({"s": seq, "p": prev, "h": h, "i": row["id"]})
            prev, after = h, row["id"]
        if not links:
            return seq, prev
        bind.execute(update, links)


def _install_append_only(dialect: str) -> None:
    """Revision 0002's guards: UPDATE and DELETE refused (re-created after SQLite rebuilds a table)."""
    if dialect == "postgresql":
        op.execute(
            "CREATE OR REPLACE FUNCTION lucidscore_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP; END; "
            "$$ LANGUAGE plpgsql"
        )
    for table in TABLES:
        for action in ("UPDATE", "DELETE"):
            name = f"{table}_no_{action.lower()}"
            if dialect == "sqlite":
                op.execute(
                    f"CREATE TRIGGER {name} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {action} refused'); END"
                )
            else:
                op.execute(
                    f"CREATE TRIGGER {name} BEFORE {action} ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION lucidscore_append_only()"
                )


# A new row continues the chain from its head (audit_chain_heads), or from the table's last link when that
# is further on (rows of this transaction, whose head moves at commit on PostgreSQL, or rows appended
# behind the chain's back). The writer (lucidscore.store._chain_writer) starts from the same place, so a
# chain whose last rows were deleted goes on from its head: the gap stays visible.
_REFUSED = (
    "audit chain: INSERT refused: the row is not the next link of the chain (insert through make_engine)"
)


def _install_sqlite_guards() -> None:
    _install_append_only("sqlite")
    for table in TABLES:
        key = OTHER_UNIQUE_KEYS.get(table, ())
        same_key = (
            f" OR EXISTS (SELECT 1 FROM {table} WHERE " + " AND ".join(f"{c} = NEW.{c}" for c in key) + ")"
            if key
            else ""
        )
        tail = f"(SELECT coalesce(max(chain_seq), 0) FROM {table})"
        head = f"(SELECT last_seq FROM {HEADS} WHERE table_name = '{table}')"
        op.execute(
            f"CREATE TRIGGER {table}_chain_insert BEFORE INSERT ON {table} BEGIN "
            f"SELECT RAISE(ABORT, '{table} is append-only: INSERT refused: it would replace an existing row, "
            "or its id is not above every existing id') "
            f"WHERE NEW.id IS NULL OR NEW.id <= (SELECT coalesce(max(id), 0) FROM {table}){same_key}; "
            f"SELECT RAISE(ABORT, '{table} {_REFUSED}') "
            "WHERE NOT ("
            f"EXISTS (SELECT 1 FROM {HEADS} WHERE table_name = '{table}' AND last_seq >= {tail} "
            "AND last_seq + 1 = NEW.chain_seq AND last_hash = NEW.prev_hash) "
            f"OR EXISTS (SELECT 1 FROM {table} WHERE chain_seq = {tail} AND chain_seq > {head} "
            "AND chain_seq + 1 = NEW.chain_seq AND row_hash = NEW.prev_hash)) "
            "OR NEW.row_hash IS NULL OR length(NEW.row_hash) <> 64; "
            "END"
        )
        op.execute(
            f"CREATE TRIGGER {table}_chain_head AFTER INSERT ON {table} BEGIN "
            f"UPDATE {HEADS} SET last_seq = NEW.chain_seq, last_hash = NEW.row_hash "
            f"WHERE table_name = '{table}' AND last_seq < NEW.chain_seq; "
            "END"
        )
        op.execute(
            f"CREATE TRIGGER {HEADS}_forward_{table} BEFORE UPDATE ON {HEADS} "
            f"WHEN OLD.table_name = '{table}' AND NOT (NEW.table_name = OLD.table_name AND ("
            "(NEW.last_seq = OLD.last_seq AND NEW.last_hash = OLD.last_hash) OR (NEW.last_seq > OLD.last_seq "
            f"AND EXISTS (SELECT 1 FROM {table} WHERE chain_seq = NEW.last_seq "
            "AND row_hash = NEW.last_hash)))) "
            f"BEGIN SELECT RAISE(ABORT, '{HEADS}: a chain head only moves forward, to a link of its chain'); "
            "END"
        )
    op.execute(
        f"CREATE TRIGGER {HEADS}_no_delete BEFORE DELETE ON {HEADS} "
        f"BEGIN SELECT RAISE(ABORT, '{HEADS} keeps every chain''s head: DELETE refused'); END"
    )
    op.execute(
        f"CREATE TRIGGER {HEADS}_no_replace BEFORE INSERT ON {HEADS} "
        f"WHEN EXISTS (SELECT 1 FROM {HEADS} WHERE table_name = NEW.table_name) "
        f"BEGIN SELECT RAISE(ABORT, '{HEADS} keeps every chain''s head: INSERT refused: "
        "it would replace one'); END"
    )


def _install_postgresql_guards() -> None:
    _install_append_only("postgresql")
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    # Security definer: the service's role needs no right to write the heads (see docs/service.md);
    # a fixed search path keeps the function from resolving names in a schema someone else can write.
    definer = f'SECURITY DEFINER SET search_path = "{schema}", pg_temp'
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION lucidscore_append_only()"
        )
        op.execute(
            f"CREATE FUNCTION lucidscore_chain_{table}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "DECLARE base_seq bigint; base_hash text; tail_seq bigint; tail_hash text; "
            "BEGIN "
            f"IF NEW.id IS NULL OR NEW.id <= (SELECT coalesce(max(id), 0) FROM {table}) THEN "
            f"RAISE EXCEPTION '{table} is append-only: INSERT refused: "
            "its id is not above every existing id'; "
            "END IF; "
            f"SELECT last_seq, last_hash INTO base_seq, base_hash FROM {HEADS} WHERE table_name = '{table}'; "
            f"IF NOT FOUND THEN RAISE EXCEPTION '{table} audit chain: no head in {HEADS}'; END IF; "
            f"SELECT chain_seq, row_hash INTO tail_seq, tail_hash FROM {table} "
            "ORDER BY chain_seq DESC LIMIT 1; "
            "IF tail_seq > base_seq THEN base_seq := tail_seq; base_hash := tail_hash; END IF; "
            "IF NEW.chain_seq IS DISTINCT FROM base_seq + 1 OR NEW.prev_hash IS DISTINCT FROM base_hash "
            "OR NEW.row_hash IS NULL OR NEW.row_hash !~ '^[0-9a-f]{64}$' THEN "
            f"RAISE EXCEPTION '{table} {_REFUSED}'; "
            "END IF; "
            "RETURN NEW; "
            "END $$"
        )
        op.execute(
            f"CREATE TRIGGER {table}_chain_insert BEFORE INSERT ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION lucidscore_chain_{table}()"
        )
        # The head moves once per transaction, at commit: a row updated once per inserted row would keep
        # every version until the transaction ends (10x slower bulk inserts at 120,000 rows).
        op.execute(
            f"CREATE FUNCTION lucidscore_chain_head_{table}() RETURNS trigger LANGUAGE plpgsql {definer} "
            "AS $$ "
            "BEGIN "
            f"IF NEW.chain_seq = (SELECT max(chain_seq) FROM {table}) THEN "
            f"UPDATE {HEADS} SET last_seq = NEW.chain_seq, last_hash = NEW.row_hash "
            f"WHERE table_name = '{table}' AND last_seq < NEW.chain_seq; "
            "END IF; "
            "RETURN NULL; "
            "END $$"
        )
        op.execute(
            f"CREATE CONSTRAINT TRIGGER {table}_chain_head AFTER INSERT ON {table} "
            f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lucidscore_chain_head_{table}()"
        )
    op.execute(
        "CREATE FUNCTION lucidscore_chain_head_forward() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "DECLARE h text; "
        "BEGIN "
        "IF NEW.table_name <> OLD.table_name OR NEW.last_seq < OLD.last_seq "
        "OR (NEW.last_seq = OLD.last_seq AND NEW.last_hash <> OLD.last_hash) THEN "
        f"RAISE EXCEPTION '{HEADS}: a chain head only moves forward, to a link of its chain'; END IF; "
        "IF NEW.last_seq > OLD.last_seq THEN "
        "EXECUTE format('SELECT row_hash FROM %I WHERE chain_seq = $1', NEW.table_name) INTO h "
        "USING NEW.last_seq; "
        "IF h IS DISTINCT FROM NEW.last_hash THEN "
        f"RAISE EXCEPTION '{HEADS}: a chain head only moves forward, to a link of its chain'; END IF; "
        "END IF; "
        "RETURN NEW; "
        "END $$"
    )
    op.execute(
        f"CREATE TRIGGER {HEADS}_forward BEFORE UPDATE ON {HEADS} "
        "FOR EACH ROW EXECUTE FUNCTION lucidscore_chain_head_forward()"
    )
    for action, level in (("DELETE", "ROW"), ("TRUNCATE", "STATEMENT")):
        op.execute(
            f"CREATE TRIGGER {HEADS}_no_{action.lower()} BEFORE {action} ON {HEADS} "
            f"FOR EACH {level} EXECUTE FUNCTION lucidscore_append_only()"
        )
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {', '.join(TABLES)} FROM PUBLIC")
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {HEADS} FROM PUBLIC")


def _drop_guards(dialect: str) -> None:
    """Drop every guard of revisions 0002 and 0003 (the tables are about to be rewritten)."""
    triggers = [(f"{t}_no_{a}", t) for t in TABLES for a in ("update", "delete", "truncate")]
    triggers += [(f"{t}_chain_{what}", t) for t in TABLES for what in ("insert", "head")]
    triggers += [(f"{HEADS}_forward_{t}", HEADS) for t in TABLES]
    triggers += [
        (f"{HEADS}_{suffix}", HEADS) for suffix in ("no_delete", "no_truncate", "no_replace", "forward")
    ]
    has_heads = sa.inspect(op.get_bind()).has_table(HEADS)
    for name, table in triggers:
        if table == HEADS and not has_heads:
            continue
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if dialect == "sqlite" else f" ON {table}"))
    if dialect == "postgresql":
        for table in TABLES:
            op.execute(f"DROP FUNCTION IF EXISTS lucidscore_chain_{table}()")
            op.execute(f"DROP FUNCTION IF EXISTS lucidscore_chain_head_{table}()")
        op.execute("DROP FUNCTION IF EXISTS lucidscore_chain_head_forward()")
