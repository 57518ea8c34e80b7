"""A duty is never deleted, only discharged or cancelled: the database refuses DELETE and TRUNCATE
on duties and their history (TRUNCATE only in a test_* database whose session sets iops.audit_truncate=allow)."""

from django.db import migrations

REFUSE = r"""
CREATE OR REPLACE FUNCTION duties_refuse_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  -- Test databases (and only they) are emptied between tests by TRUNCATE.
  IF TG_OP = 'TRUNCATE' AND current_setting('iops.audit_truncate', true) = 'allow'
     AND current_database() LIKE 'test\_%' THEN
    RETURN NULL;
  END IF;
  RAISE EXCEPTION 'a duty cannot be deleted: discharge it or cancel it with a reason (% on % refused)',
    TG_OP, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER duties_duty_no_delete BEFORE DELETE ON duties_duty
  FOR EACH ROW EXECUTE FUNCTION duties_refuse_delete();
CREATE TRIGGER duties_duty_no_truncate BEFORE TRUNCATE ON duties_duty
  FOR EACH STATEMENT EXECUTE FUNCTION duties_refuse_delete();
CREATE TRIGGER duties_event_no_delete BEFORE DELETE ON duties_dutyevent
  FOR EACH ROW EXECUTE FUNCTION duties_refuse_delete();
CREATE TRIGGER duties_event_no_truncate BEFORE TRUNCATE ON duties_dutyevent
  FOR EACH STATEMENT EXECUTE FUNCTION duties_refuse_delete();
"""

ALLOW = r"""
DROP TRIGGER IF EXISTS duties_duty_no_delete ON duties_duty;
DROP TRIGGER IF EXISTS duties_duty_no_truncate ON duties_duty;
DROP TRIGGER IF EXISTS duties_event_no_delete ON duties_dutyevent;
DROP TRIGGER IF EXISTS duties_event_no_truncate ON duties_dutyevent;
DROP FUNCTION IF EXISTS duties_refuse_delete();
"""


class Migration(migrations.Migration):
    dependencies = [("duties", "0001_initial")]

    operations = [migrations.RunSQL(REFUSE, reverse_sql=ALLOW)]
