"""Indexes for the backlog dashboards, built without locking the table (CREATE INDEX CONCURRENTLY).

Two partial indexes on open duties carry every column the dashboard figures read, so they are
answered by index-only scans of the open duties (about 8 MB for 70,000 open among 1,000,000) and
never touch the closed history; the second holds only the domestic-abuse duties, which lead every
backlog. A third lets a team's trend read its own snapshot rows. Non-atomic: CONCURRENTLY cannot run
inside a transaction. If a build fails, PostgreSQL leaves the index INVALID: drop it with
DROP INDEX CONCURRENTLY and migrate again.
"""

from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("duties", "0002_duties_cannot_be_deleted")]

    operations = [
        AddIndexConcurrently(
            model_name="duty",
            index=models.Index(
                condition=models.Q(("status", "open")),
                fields=["force", "owner_team"],
                include=(
                    "id", "owner_user", "kind", "risk", "risk_rank", "opened_at", "due_at",
                    "escalation_level", "tags",
                ),
                name="duty_open_backlog_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="duty",
            index=models.Index(
                condition=models.Q(("status", "open"), ("tags__contains", ["domestic_abuse"])),
                fields=["force", "risk_rank", "due_at"],
                include=("id", "owner_team", "owner_user", "kind", "risk", "opened_at", "escalation_level"),
                name="duty_open_da_idx",
            ),
        ),
        AddIndexConcurrently(
            model_name="dutysnapshot",
            index=models.Index(fields=["team", "day"], name="duty_snapshot_team_day_idx"),
        ),
    ]
