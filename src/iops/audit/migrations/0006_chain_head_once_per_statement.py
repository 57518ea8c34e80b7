"""Chain trigger v3: a transaction keeps its place on its chain in a transaction-local setting and
writes the head row once per statement (AFTER INSERT FOR EACH STATEMENT), instead of updating the
head once per entry. Updating one row many times in a transaction made each later entry step
through every earlier version of it: a 500,000-entry import slowed to a few hundred entries a
second. See audit/sql.py and docs/adr/0003-audit-log.md. The reverse restores 0004's trigger."""

from django.db import migrations

from iops.audit.sql import CHAIN_TRIGGER

CHAIN_TRIGGER_0004 = r"""
CREATE OR REPLACE FUNCTION audit_entry_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  held text := current_setting('iops.audit_chain', true);
  picked smallint;
  head_seq bigint;
  head_hash text;
BEGIN
  IF held ~ '^[0-9]{1,4}$' AND held::int < 8 THEN
    -- Every entry of a transaction goes on the chain it took first: it then holds one head
    -- lock only, so two writers can never each hold a chain the other wants.
    picked := held::smallint;
  ELSE
    -- Take the first head no other transaction holds, starting at a place that differs by
    -- transaction so the chains grow evenly. A writer waits only when every chain is busy.
    SELECT chain INTO picked FROM audit_auditchainhead
      WHERE chain < 8
      ORDER BY (chain - txid_current() % 8 + 8) % 8
      LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF picked IS NULL AND (SELECT count(*) FROM audit_auditchainhead) < 8 THEN
      -- The heads are seeded by migration; a test database emptied by TRUNCATE has none.
      INSERT INTO audit_auditchainhead (chain, last_seq, last_hash)
        SELECT g, 0, '' FROM generate_series(0, 8 - 1) g ON CONFLICT (chain) DO NOTHING;
      SELECT chain INTO picked FROM audit_auditchainhead
        WHERE chain < 8
        ORDER BY (chain - txid_current() % 8 + 8) % 8
        LIMIT 1 FOR UPDATE SKIP LOCKED;
    END IF;
    IF picked IS NULL THEN
      -- Every chain is held by a transaction still running: queue for one of them.
      picked := (txid_current() % 8)::smallint;
    END IF;
    -- Transaction-local, so a rolled-back savepoint forgets the chain with its lock.
    PERFORM set_config('iops.audit_chain', picked::text, true);
  END IF;
  -- Blocks only in the every-chain-busy case; READ COMMITTED returns the head as last committed.
  SELECT last_seq, last_hash INTO head_seq, head_hash
    FROM audit_auditchainhead WHERE chain = picked FOR UPDATE;
  NEW.chain := picked;
  NEW.chain_seq := head_seq + 1;
  NEW.prev_hash := head_hash;
  NEW.entry_hash := encode(sha256(convert_to(audit_entry_canonical(NEW), 'UTF8')), 'hex');
  UPDATE audit_auditchainhead SET last_seq = NEW.chain_seq, last_hash = NEW.entry_hash
    WHERE chain = picked;
  RETURN NEW;
END
$$;

DROP TRIGGER IF EXISTS audit_entry_chain ON audit_auditentry;
CREATE TRIGGER audit_entry_chain BEFORE INSERT ON audit_auditentry
  FOR EACH ROW EXECUTE FUNCTION audit_entry_chain();
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_reseed_heads_after_truncate")]

    operations = [
        migrations.RunSQL(
            CHAIN_TRIGGER,
            reverse_sql=(
                "DROP TRIGGER IF EXISTS audit_entry_head ON audit_auditentry;"
                "DROP FUNCTION IF EXISTS audit_chain_head_save();" + CHAIN_TRIGGER_0004
            ),
        ),
    ]
