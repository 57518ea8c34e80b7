"""Make the s.62 log append-only and hash-chained in the database (see audit/sql.py)."""

from django.db import migrations

from iops.audit.sql import APPEND_ONLY_TRIGGERS, CANONICAL_FUNCTION, CHAIN_TRIGGER, CHAINS

SEED_HEADS = "INSERT INTO audit_auditchainhead (chain, last_seq, last_hash) SELECT g, 0, '' FROM generate_series(0, {last}) g ON CONFLICT DO NOTHING;"


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunSQL(CANONICAL_FUNCTION, reverse_sql="DROP FUNCTION IF EXISTS audit_entry_canonical(audit_auditentry);"),
        migrations.RunSQL(SEED_HEADS.format(last=CHAINS - 1), reverse_sql=migrations.RunSQL.noop),
        migrations.RunSQL(
            CHAIN_TRIGGER,
            reverse_sql="DROP TRIGGER IF EXISTS audit_entry_chain ON audit_auditentry; DROP FUNCTION IF EXISTS audit_entry_chain();",
        ),
        migrations.RunSQL(
            APPEND_ONLY_TRIGGERS,
            reverse_sql=(
                "DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_auditentry;"
                "DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_auditentry;"
                "DROP TRIGGER IF EXISTS audit_head_guard ON audit_auditchainhead;"
                "DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_auditchainhead;"
                "DROP FUNCTION IF EXISTS audit_refuse_change();"
            ),
        ),
    ]
