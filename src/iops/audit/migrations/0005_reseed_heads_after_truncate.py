"""Put the chain heads back straight after a test database's TRUNCATE (see HEAD_RESEED_TRIGGER in
audit/sql.py), so writers after a flush spread over the chains from the first entry."""

from django.db import migrations

from iops.audit.sql import HEAD_RESEED_TRIGGER


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_chain_trigger_seeds_heads")]

    operations = [
        migrations.RunSQL(
            HEAD_RESEED_TRIGGER,
            reverse_sql=(
                "DROP TRIGGER IF EXISTS audit_head_reseed ON audit_auditchainhead;"
                "DROP FUNCTION IF EXISTS audit_seed_heads();"
            ),
        ),
    ]
