"""Print the s.62 log's chain heads as JSON, to keep somewhere the database's owner cannot edit.

Someone able to rewrite the audit tables could rewrite a whole chain so it verifies again; heads
saved outside the database (a daily email to the data protection officer, a write-once store)
catch that: ``iops manage audit_verify --anchors FILE`` checks each saved head is still on its chain.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from iops.audit.verify import chain_heads


class Command(BaseCommand):
    help = "Print each audit chain's last position and hash (JSON), to anchor the log outside the database."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(chain_heads(), indent=2))
