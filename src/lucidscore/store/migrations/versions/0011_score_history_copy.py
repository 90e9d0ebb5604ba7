"""PostgreSQL checks the links of new ``score_history`` rows once per statement, so that a publish writes a
month by ``COPY`` (issue 15).

Until this revision every row inserted into ``score_history`` fired two row triggers of revision
``0003_audit_chain``: ``BEFORE INSERT`` checking that it is the next link, and a deferred one that moved the
chain's head at commit. Fed by ``COPY``, they were most of the server's time (the deferred one also reads
each row's JSON back; BENCHMARKS.md, "Chained score_history writes"). In their place:

- ``score_history_chain_rows``, an ``AFTER INSERT ... REFERENCING NEW TABLE ... FOR EACH STATEMENT`` trigger
  that checks a statement's rows together (one ``COPY`` of a batch, or one INSERT) by the rules of the row
  trigger: they continue the chain from its last link (its head, or the table's last link when that is
  further on) in one run without gaps, each ``prev_hash`` is the ``row_hash`` of the link before (compared
  with ``lag()`` over ``chain_seq`` in one pass; a self-join plans as a nested loop), every ``row_hash`` is
  64 hexadecimal digits, and ids rise along the chain above every id already stored. Otherwise the whole
  statement is refused.
- The head still moves once per transaction, at commit: the statement check leaves a mark in
  ``audit_chain_pending`` (table, transaction; ``INSERT ... ON CONFLICT DO NOTHING``, so once per
  transaction), and a deferred constraint trigger on that mark moves the head to the chain's last link and
  removes the mark. Nobody but the owner may write the marks (the functions are security definers).
- ``reasons`` and ``explanation`` are compressed with LZ4 instead of pglz where the server has it (a row's
  3-4 KB of JSON: pglz was a quarter of the server's time in a ``COPY``); the stored values are the same.

SQLite has no statement-level triggers and keeps its row triggers: this revision changes nothing there.
The downgrade puts revision 0003's two row triggers back (and pglz for the values written after it).

Revision ID: 0011_score_history_copy
Revises: 0010_dispute_accept_claim
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_score_history_copy"
down_revision = "0010_dispute_accept_claim"
branch_labels = None
depends_on = None

TABLE = "score_history"
HEADS = "audit_chain_heads"
PENDING = "audit_chain_pending"
JSON_COLUMNS = ("reasons", "explanation")
_REFUSED = (
    f"{TABLE} audit chain: INSERT refused: the row is not the next link of the chain "
    "(insert through make_engine)"
)
_ID_REFUSED = f"{TABLE} is append-only: INSERT refused: its id is not above every existing id"

# The statement's rows (``new_rows``) are checked together. The unique index on chain_seq and the NOT NULL
# columns are checked by PostgreSQL before this runs, so chain_seq values are distinct and present.
STATEMENT_CHECK = f"""
CREATE FUNCTION lucidscore_chain_rows_{TABLE}() RETURNS trigger LANGUAGE plpgsql {{definer}} AS $$
DECLARE
    n bigint; lo bigint; hi bigint; first_id bigint; first_prev text; bad_seq bigint; bad_id bigint;
    base_seq bigint; base_hash text; tail_seq bigint; tail_hash text;
BEGIN
    -- One pass over the statement's rows, in chain order.
    SELECT count(*), min(chain_seq), max(chain_seq),
           min(id) FILTER (WHERE before_hash IS NULL), min(prev_hash) FILTER (WHERE before_hash IS NULL),
           min(chain_seq) FILTER (WHERE prev_hash IS DISTINCT FROM before_hash AND before_hash IS NOT NULL
                                  OR row_hash !~ '^[0-9a-f]{{64}}$'),
           min(chain_seq) FILTER (WHERE id <= before_id)
      INTO n, lo, hi, first_id, first_prev, bad_seq, bad_id
      FROM (SELECT chain_seq, id, prev_hash, row_hash,
                   lag(row_hash) OVER w AS before_hash, lag(id) OVER w AS before_id
              FROM new_rows WINDOW w AS (ORDER BY chain_seq)) AS r;
    IF n = 0 THEN
        RETURN NULL;
    END IF;
    SELECT last_seq, last_hash INTO base_seq, base_hash FROM {HEADS} WHERE table_name = '{TABLE}';
    IF NOT FOUND THEN
        RAISE EXCEPTION '{TABLE} audit chain: no head in {HEADS}';
    END IF;
    -- The link before the statement's rows: the head, or the table's last link when further on.
    SELECT chain_seq, row_hash INTO tail_seq, tail_hash FROM {TABLE} WHERE chain_seq < lo
        ORDER BY chain_seq DESC LIMIT 1;
    IF tail_seq > base_seq THEN
        base_seq := tail_seq;
        base_hash := tail_hash;
    END IF;
    IF bad_id IS NOT NULL OR EXISTS (SELECT 1 FROM {TABLE} WHERE id >= first_id AND chain_seq < lo) THEN
        RAISE EXCEPTION '{_ID_REFUSED} (link %)', coalesce(bad_id, lo);
    END IF;
    IF lo <> base_seq + 1 OR first_prev IS DISTINCT FROM base_hash THEN
        RAISE EXCEPTION '{_REFUSED} (link %: the chain is at link %)', lo, base_seq;
    END IF;
    IF bad_seq IS NOT NULL OR hi - lo + 1 <> n OR EXISTS (SELECT 1 FROM {TABLE} WHERE chain_seq > hi) THEN
        RAISE EXCEPTION '{_REFUSED} (link %)', coalesce(bad_seq, hi);
    END IF;
    -- The head moves at commit, once per transaction (lucidscore_chain_pending_head).
    INSERT INTO {PENDING} (table_name, xact) VALUES ('{TABLE}', pg_current_xact_id()::text::bigint)
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END $$
"""

PENDING_HEAD = f"""
CREATE FUNCTION lucidscore_chain_pending_head() RETURNS trigger LANGUAGE plpgsql {{definer}} AS $$
DECLARE
    s bigint; h text;
BEGIN
    EXECUTE format('SELECT chain_seq, row_hash FROM %I ORDER BY chain_seq DESC LIMIT 1', NEW.table_name)
        INTO s, h;
    IF s IS NOT NULL THEN
        UPDATE {HEADS} SET last_seq = s, last_hash = h WHERE table_name = NEW.table_name AND last_seq < s;
    END IF;
    DELETE FROM {PENDING} WHERE table_name = NEW.table_name AND xact = NEW.xact;
    RETURN NULL;
END $$
"""

# Revision 0003's deferred head trigger, as it created it (for the downgrade).
ROW_HEAD = (
    f"CREATE FUNCTION lucidscore_chain_head_{TABLE}() RETURNS trigger LANGUAGE plpgsql {{definer}} "
    "AS $$ "
    "BEGIN "
    f"IF NEW.chain_seq = (SELECT max(chain_seq) FROM {TABLE}) THEN "
    f"UPDATE {HEADS} SET last_seq = NEW.chain_seq, last_hash = NEW.row_hash "
    f"WHERE table_name = '{TABLE}' AND last_seq < NEW.chain_seq; "
    "END IF; "
    "RETURN NULL; "
    "END $$"
)

# Revision 0003's row check, as it created it.
ROW_CHECK = (
    f"CREATE FUNCTION lucidscore_chain_{TABLE}() RETURNS trigger LANGUAGE plpgsql AS $$ "
    "DECLARE base_seq bigint; base_hash text; tail_seq bigint; tail_hash text; "
    "BEGIN "
    f"IF NEW.id IS NULL OR NEW.id <= (SELECT coalesce(max(id), 0) FROM {TABLE}) THEN "
    f"RAISE EXCEPTION '{TABLE} is append-only: INSERT refused: "
    "its id is not above every existing id'; "
    "END IF; "
    f"SELECT last_seq, last_hash INTO base_seq, base_hash FROM {HEADS} WHERE table_name = '{TABLE}'; "
    f"IF NOT FOUND THEN RAISE EXCEPTION '{TABLE} audit chain: no head in {HEADS}'; END IF; "
    f"SELECT chain_seq, row_hash INTO tail_seq, tail_hash FROM {TABLE} "
    "ORDER BY chain_seq DESC LIMIT 1; "
    "IF tail_seq > base_seq THEN base_seq := tail_seq; base_hash := tail_hash; END IF; "
    "IF NEW.chain_seq IS DISTINCT FROM base_seq + 1 OR NEW.prev_hash IS DISTINCT FROM base_hash "
    "OR NEW.row_hash IS NULL OR NEW.row_hash !~ '^[0-9a-f]{64}$' THEN "
    f"RAISE EXCEPTION '{_REFUSED}'; "
    "END IF; "
    "RETURN NEW; "
    "END $$"
)


def _definer() -> str:
    """Security definer (the service's role needs no right to write the heads, see docs/service.md), with
    a fixed search path so that the function resolves no name in a schema someone else can write."""
    schema = op.get_bind().execute(sa.text("SELECT current_schema()")).scalar_one()
    return f'SECURITY DEFINER SET search_path = "{schema}", pg_temp'


def _lz4() -> bool:
    """Whether this server can compress with LZ4 (built --with-lz4)."""
    values = (
        op.get_bind()
        .execute(sa.text("SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'"))
        .scalar()
    )
    return "lz4" in (values or [])


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    definer = _definer()
    op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_chain_insert ON {TABLE}")
    op.execute(f"DROP FUNCTION IF EXISTS lucidscore_chain_{TABLE}()")
    op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_chain_head ON {TABLE}")
    op.execute(f"DROP FUNCTION IF EXISTS lucidscore_chain_head_{TABLE}()")
    op.execute(
        f"CREATE TABLE {PENDING} (table_name varchar(64) NOT NULL, xact bigint NOT NULL, "
        "PRIMARY KEY (table_name, xact))"
    )
    op.execute(f"REVOKE ALL ON {PENDING} FROM PUBLIC")
    op.execute(PENDING_HEAD.replace("{definer}", definer))
    op.execute(
        f"CREATE CONSTRAINT TRIGGER {PENDING}_head AFTER INSERT ON {PENDING} DEFERRABLE INITIALLY DEFERRED "
        "FOR EACH ROW EXECUTE FUNCTION lucidscore_chain_pending_head()"
    )
    op.execute(STATEMENT_CHECK.replace("{definer}", definer))
    op.execute(
        f"CREATE TRIGGER {TABLE}_chain_rows AFTER INSERT ON {TABLE} REFERENCING NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT EXECUTE FUNCTION lucidscore_chain_rows_{TABLE}()"
    )
    if _lz4():  # JSON a row: a third of the server's time compressing it with pglz (BENCHMARKS.md)
        for column in JSON_COLUMNS:
            op.execute(f"ALTER TABLE {TABLE} ALTER COLUMN {column} SET COMPRESSION lz4")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    definer = _definer()
    for column in JSON_COLUMNS:
        op.execute(f"ALTER TABLE {TABLE} ALTER COLUMN {column} SET COMPRESSION default")
    op.execute(f"DROP TRIGGER IF EXISTS {TABLE}_chain_rows ON {TABLE}")
    op.execute(f"DROP FUNCTION IF EXISTS lucidscore_chain_rows_{TABLE}()")
    op.execute(f"DROP TABLE {PENDING}")  # (its trigger with it)
    op.execute("DROP FUNCTION IF EXISTS lucidscore_chain_pending_head()")
    op.execute(ROW_CHECK)
    op.execute(
        f"CREATE TRIGGER {TABLE}_chain_insert BEFORE INSERT ON {TABLE} "
        f"FOR EACH ROW EXECUTE FUNCTION lucidscore_chain_{TABLE}()"
    )
    op.execute(ROW_HEAD.replace("{definer}", definer))
    op.execute(
        f"CREATE CONSTRAINT TRIGGER {TABLE}_chain_head AFTER INSERT ON {TABLE} "
        f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION lucidscore_chain_head_{TABLE}()"
    )
