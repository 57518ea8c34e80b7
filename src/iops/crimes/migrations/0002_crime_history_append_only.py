"""Crime history is evidence: the database refuses to change or remove decisions and history rows,
and refuses to delete a crime at all (a crime ends by transfer or cancellation, with its grounds).
TRUNCATE only in a test_* database whose session sets iops.audit_truncate=allow."""

from django.db import migrations

HISTORY = [
    "crimes_classificationchange",
    "crimes_outcomechange",
    "crimes_supervisorreview",
    "crimes_victimcontact",
    "crimes_noncrimerationale",
    "crimes_n100record",
]
NO_DELETE = ["crimes_crime", "crimes_crimeincidentlink", "crimes_crimeparty"]

FUNCTION = r"""
CREATE OR REPLACE FUNCTION crimes_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' AND current_setting('iops.audit_truncate', true) = 'allow'
     AND current_database() LIKE 'test\_%' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'crime records are never removed and their history never changed: % on % refused',
    TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

TRIGGERS = "\n".join(
    [
        f"""
CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION crimes_refuse_change();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
  FOR EACH STATEMENT EXECUTE FUNCTION crimes_refuse_change();
"""
        for table in HISTORY
    ]
    + [
        f"""
CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
  FOR EACH ROW EXECUTE FUNCTION crimes_refuse_change();
CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
  FOR EACH STATEMENT EXECUTE FUNCTION crimes_refuse_change();
"""
        for table in NO_DELETE
    ]
)

REVERSE = "\n".join(
    [
        f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}; DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};"
        for table in HISTORY
    ]
    + [
        f"DROP TRIGGER IF EXISTS {table}_no_delete ON {table}; DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};"
        for table in NO_DELETE
    ]
) + "\nDROP FUNCTION IF EXISTS crimes_refuse_change();"


class Migration(migrations.Migration):
    dependencies = [("crimes", "0001_initial")]

    operations = [migrations.RunSQL(FUNCTION + TRIGGERS, reverse_sql=REVERSE)]
