"""The incident log, THRIVE assessments and grade decisions are history: the database refuses to
change or remove them (TRUNCATE only in a test_* database whose session allows it)."""

from django.db import migrations

TABLES = ["incidents_incidentlogentry", "incidents_thriveassessment", "incidents_gradedecision"]

FUNCTION = r"""
CREATE OR REPLACE FUNCTION incidents_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' AND current_setting('iops.audit_truncate', true) = 'allow'
     AND current_database() LIKE 'test\_%' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'incident history is append-only: % on % refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

TRIGGERS = "\n".join(
    f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION incidents_refuse_change();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
  FOR EACH STATEMENT EXECUTE FUNCTION incidents_refuse_change();
"""
    for table in TABLES
)

REVERSE = "\n".join(
    f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}; DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};"
    for table in TABLES
) + "\nDROP FUNCTION IF EXISTS incidents_refuse_change();"


class Migration(migrations.Migration):
    dependencies = [("incidents", "0001_initial")]

    operations = [migrations.RunSQL(FUNCTION + TRIGGERS, reverse_sql=REVERSE)]
