"""Code lists for dashboards: the duty tags a backlog can be filtered by, and list orderings.

Tags come from the NSIR incident qualifiers (DESIGN section 9: domestic abuse, child protection,
mental health); incident services copy an incident's qualifiers onto the duties it opens. A tag not
listed here can still be stored on a duty; add it here to make it a dashboard filter.
"""

from django.db import models


class DutyTag(models.TextChoices):
    DOMESTIC_ABUSE = "domestic_abuse", "Domestic abuse"
    CHILD_PROTECTION = "child_protection", "Child protection"
    MENTAL_HEALTH = "mental_health", "Mental health"


# The slice shown first on every backlog: in 2019 about 700 domestic-abuse incidents sat unactioned
# while senior officers could not see them. The partial index duty_open_da_idx (duties migration
# 0003) is built for this tag; change both together.
PRIORITY_TAG = DutyTag.DOMESTIC_ABUSE


class ListOrder(models.TextChoices):
    URGENT = "urgent", "Most urgent first"
    OLDEST = "oldest", "Oldest first"
