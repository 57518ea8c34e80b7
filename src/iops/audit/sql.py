"""SQL for the audit log's database-side guarantees: append-only triggers and the hash chain.

Kept in one module so the migrations that install it and ``audit verify`` that checks it agree on
the canonical form of a row (``verify.canonical_text`` is its Python twin). Changing
``CANONICAL_FUNCTION`` needs a new migration, a new version tag and the same change in the twin,
never an edit of an applied one. See docs/adr/0003-audit-log.md for why the chain is built this way.
"""

CHAINS = 8

CANONICAL_FUNCTION = r"""
CREATE OR REPLACE FUNCTION audit_entry_canonical(e audit_auditentry) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
  SELECT concat_ws(E'\x1f',
    'v1',
    e.id::text,
    e.chain::text,
    e.chain_seq::text,
    e.prev_hash,
    to_char(e.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    coalesce(e.actor_id::text, '-'),
    e.actor_username,
    e.action,
    e.operation,
    e.record_type,
    e.record_id,
    e.purpose,
    e.recipient,
    e.detail::text,
    e.break_glass::text,
    e.request_id,
    e.client_address)
$$;
"""

# A transaction's place on its chain, kept in a transaction-local setting as
# "txid:chain:position:hash". Savepoints roll it back with the entries they roll back.
CHAIN_STATE = r"^[0-9]{1,20}:[0-9]{1,4}:[0-9]{1,19}:[0-9a-f]{64}$"

CHAIN_TRIGGER = rf"""
CREATE OR REPLACE FUNCTION audit_entry_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  state text := current_setting('iops.audit_chain', true);
  picked smallint;
  head_seq bigint;
  head_hash text;
BEGIN
  IF state ~ '{CHAIN_STATE}' AND split_part(state, ':', 1)::bigint = txid_current()
     AND split_part(state, ':', 2)::int < {CHAINS} THEN
    -- This transaction already holds a chain head (locked below, on its first entry): carry on
    -- from its own last entry without touching the head row, which is written once a statement.
    picked := split_part(state, ':', 2)::smallint;
    head_seq := split_part(state, ':', 3)::bigint;
    head_hash := split_part(state, ':', 4);
  ELSE
    -- Take the first head no other transaction holds, starting at a place that differs by
    -- transaction so the chains grow evenly. A writer waits only when every chain is busy.
    -- READ COMMITTED returns the head as last committed, whoever held it before.
    SELECT chain, last_seq, last_hash INTO picked, head_seq, head_hash FROM audit_auditchainhead
      WHERE chain < {CHAINS}
      ORDER BY (chain - txid_current() % {CHAINS} + {CHAINS}) % {CHAINS}
      LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF picked IS NULL AND (SELECT count(*) FROM audit_auditchainhead) < {CHAINS} THEN
      -- Seeded by migration (and after a test TRUNCATE); this covers a head added later.
      INSERT INTO audit_auditchainhead (chain, last_seq, last_hash)
        SELECT g, 0, '' FROM generate_series(0, {CHAINS} - 1) g ON CONFLICT (chain) DO NOTHING;
      SELECT chain, last_seq, last_hash INTO picked, head_seq, head_hash FROM audit_auditchainhead
        WHERE chain < {CHAINS}
        ORDER BY (chain - txid_current() % {CHAINS} + {CHAINS}) % {CHAINS}
        LIMIT 1 FOR UPDATE SKIP LOCKED;
    END IF;
    IF picked IS NULL THEN
      -- Every chain is held by a transaction still running: queue for one of them.
      picked := (txid_current() % {CHAINS})::smallint;
      SELECT last_seq, last_hash INTO head_seq, head_hash
        FROM audit_auditchainhead WHERE chain = picked FOR UPDATE;
    END IF;
  END IF;
  NEW.chain := picked;
  NEW.chain_seq := head_seq + 1;
  NEW.prev_hash := head_hash;
  NEW.entry_hash := encode(sha256(convert_to(audit_entry_canonical(NEW), 'UTF8')), 'hex');
  PERFORM set_config(
    'iops.audit_chain', concat_ws(':', txid_current(), picked, NEW.chain_seq, NEW.entry_hash), true);
  RETURN NEW;
END
$$;

-- The head row moves once per statement, not once per entry: a row updated many times in one
-- transaction leaves a version per update that every later read must step through.
CREATE OR REPLACE FUNCTION audit_chain_head_save() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  state text := current_setting('iops.audit_chain', true);
BEGIN
  IF state ~ '{CHAIN_STATE}' AND split_part(state, ':', 1)::bigint = txid_current() THEN
    UPDATE audit_auditchainhead
      SET last_seq = split_part(state, ':', 3)::bigint, last_hash = split_part(state, ':', 4)
      WHERE chain = split_part(state, ':', 2)::smallint
        AND last_seq <> split_part(state, ':', 3)::bigint;
  END IF;
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS audit_entry_chain ON audit_auditentry;
CREATE TRIGGER audit_entry_chain BEFORE INSERT ON audit_auditentry
  FOR EACH ROW EXECUTE FUNCTION audit_entry_chain();
DROP TRIGGER IF EXISTS audit_entry_head ON audit_auditentry;
CREATE TRIGGER audit_entry_head AFTER INSERT ON audit_auditentry
  FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_head_save();
"""

APPEND_ONLY_TRIGGERS = r"""
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Test databases are emptied between tests by TRUNCATE. Any session may set a placeholder,
  -- so the database's name must say it is a test database too: a production log cannot be
  -- emptied by an application that sets the placeholder.
  IF TG_OP = 'TRUNCATE' AND current_setting('iops.audit_truncate', true) = 'allow'
     AND current_database() LIKE 'test\_%' THEN
    RETURN NULL;
  END IF;
  -- The chain trigger moves a head forward from inside an audit insert; nothing else may.
  IF TG_TABLE_NAME = 'audit_auditchainhead' AND TG_OP = 'UPDATE' AND pg_trigger_depth() > 1 THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'the s.62 audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;

DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;
CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_auditentry
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry;
CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_auditentry
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
DROP TRIGGER IF EXISTS audit_head_guard ON audit_auditchainhead;
CREATE TRIGGER audit_head_guard BEFORE UPDATE OR DELETE ON audit_auditchainhead
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_auditchainhead;
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_auditchainhead
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
"""

HEAD_RESEED_TRIGGER = rf"""
CREATE OR REPLACE FUNCTION audit_seed_heads() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Only a test database is ever emptied (see audit_refuse_change). Put every head back at once,
  -- as the migration seeded them: otherwise the first writer afterwards inserts them, and every
  -- other writer waits for its transaction to end.
  INSERT INTO audit_auditchainhead (chain, last_seq, last_hash)
    SELECT g, 0, '' FROM generate_series(0, {CHAINS} - 1) g ON CONFLICT (chain) DO NOTHING;
  RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS audit_head_reseed ON audit_auditchainhead;
CREATE TRIGGER audit_head_reseed AFTER TRUNCATE ON audit_auditchainhead
  FOR EACH STATEMENT EXECUTE FUNCTION audit_seed_heads();
"""

# The guards ``audit verify`` expects to find switched on: (table, trigger name).
GUARD_TRIGGERS = [
    ("audit_auditentry", "audit_entry_chain"),
    ("audit_auditentry", "audit_entry_head"),
    ("audit_auditentry", "audit_entry_append_only"),
    ("audit_auditentry", "audit_entry_no_truncate"),
    ("audit_auditchainhead", "audit_head_guard"),
    ("audit_auditchainhead", "audit_head_no_truncate"),
]

# Raw columns, in chain order; ``audit verify`` recomputes each hash from them in Python, so a
# database function quietly replaced cannot vouch for rows it was changed to accept.
VERIFY_QUERY = """
SELECT id, chain, chain_seq, prev_hash, occurred_at, actor_id, actor_username, action, operation,
       record_type, record_id, purpose, recipient, detail::text, break_glass, request_id,
       client_address, entry_hash
FROM audit_auditentry
ORDER BY chain, chain_seq
"""
