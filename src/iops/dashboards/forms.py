"""The backlog dashboard's filter form (GET), rendered with GOV.UK markup.

The form only offers choices; ``backlog_filters`` checks them, so the page, the API and the
drill-down links refuse the same values with the same messages.
"""

from __future__ import annotations

from typing import Any

from django import forms

from iops.accounts.models import Team
from iops.dashboards.choices import DutyTag
from iops.dashboards.filters import TEAM_ALL, TEAM_MINE, TEAM_NONE, BacklogFilters, backlog_filters
from iops.duties.choices import Risk
from iops.duties.kinds import all_kinds, kind_for
from iops.platform.errors import ValidationFailed


class BacklogFilterForm(forms.Form):
    team = forms.CharField(label="Team", required=False, widget=forms.Select)
    kind = forms.CharField(label="Kind of duty", required=False, widget=forms.Select)
    risk = forms.CharField(label="Risk", required=False, widget=forms.Select)
    tag = forms.CharField(label="Tag", required=False, widget=forms.Select)

    def __init__(self, data: Any, *, user: Any, force_id: int) -> None:
        super().__init__(data)
        self.user = user
        self.filters: BacklogFilters | None = None
        teams = Team.objects.filter(force_id=force_id).order_by("name").values_list("pk", "name")
        self.fields["team"].widget.choices = [  # type: ignore[attr-defined]
            (TEAM_MINE, "Your teams"),
            (TEAM_ALL, "Whole force"),
            *((str(pk), name) for pk, name in teams),
            (TEAM_NONE, "No team"),
        ]
        self.fields["risk"].widget.choices = [("", "Any risk"), *Risk.choices]  # type: ignore[attr-defined]
        self.fields["tag"].widget.choices = [("", "Any"), *DutyTag.choices]  # type: ignore[attr-defined]
        self.offer_kinds([])

    def offer_kinds(self, codes: list[str]) -> None:
        """Offer the declared kinds plus any others the backlog holds (a kind no longer declared)."""
        known = {kind.code: kind.label for kind in all_kinds()}
        current = str(self.data.get("kind", "") or "") if self.is_bound else ""
        for code in [*codes, current]:
            if code and code not in known:
                known[code] = kind_for(code).label
        ordered = sorted(known.items(), key=lambda item: item[1])
        self.fields["kind"].widget.choices = [("", "Any kind"), *ordered]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        try:
            self.filters = backlog_filters(self.user, **{name: cleaned.get(name, "") for name in self.fields})
        except ValidationFailed as error:
            self.add_error(error.field if error.field in self.fields else None, error.message)
            return cleaned
        # Show the scope actually used (a supervisor's teams, or the force) when none was asked for.
        self.data = self.data.copy()
        self.data["team"] = self.filters.team
        return cleaned
