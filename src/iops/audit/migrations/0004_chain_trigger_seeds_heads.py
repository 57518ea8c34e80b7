"""Chain trigger v2.1: a database whose heads were emptied (tests, by TRUNCATE) seeds all of them at
once, so parallel writers spread over the chains instead of queueing on the one their transaction
id maps to. Re-applies the current SQL from audit/sql.py; the reverse re-applies 0003's."""

from django.db import migrations

from iops.audit.sql import CHAIN_TRIGGER

CHAIN_TRIGGER_0003 = r"""
CREATE OR REPLACE FUNCTION audit_entry_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  held text := current_setting('iops.audit_chain', true);
  picked smallint;
  head_seq bigint;
  head_hash text;
BEGIN
  IF held ~ '^[0-9]{1,4}$' AND held::int < 8 THEN
    picked := held::smallint;
  ELSE
    SELECT chain INTO picked FROM audit_auditchainhead
      WHERE chain < 8
      ORDER BY (chain - txid_current() % 8 + 8) % 8
      LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF picked IS NULL THEN
      picked := (txid_current() % 8)::smallint;
      INSERT INTO audit_auditchainhead (chain, last_seq, last_hash) VALUES (picked, 0, '')
        ON CONFLICT (chain) DO NOTHING;
    END IF;
    PERFORM set_config('iops.audit_chain', picked::text, true);
  END IF;
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
"""


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_search_indexes_and_guards")]

    operations = [migrations.RunSQL(CHAIN_TRIGGER, reverse_sql=CHAIN_TRIGGER_0003)]
