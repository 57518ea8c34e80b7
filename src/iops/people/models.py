"""The nominal index: people (nominals) with their names, dates of birth, identifiers, addresses and
warning markers; objects (vehicles, phones, weapons, property); links from people to events and
objects; merges and likely duplicates; and the search index.

Every spelling of a name is stored as entered, with its normalised form and phonetic codes beside
it in indexed columns (DESIGN section 5). Nothing about a person is deleted: a merge moves rows to
the surviving record and remembers which, so it can be reversed; a marker or address ends with a
date. ``SearchEntry`` is derived data, one row per person, rebuilt by the services in the same
transaction as every change (see ``iops.people.search`` and docs/adr/0004-name-matching.md).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import Q

from iops.geo.models import Address
from iops.people.choices import (
    AddressRole,
    DuplicateSource,
    DuplicateStatus,
    Gender,
    IdentifierKind,
    LinkRole,
    NameKind,
    WeaponKind,
)
from iops.people.codelists import ethnicity_choices, marker_choices
from iops.platform.models import Force, ForceOwned, Restrictable, default_force_id


class Nominal(ForceOwned, Restrictable):
    """A person known to the force. Names, dates of birth and the rest hang off it; a person merged
    into another keeps this row (``merged_into``) so the merge can be undone."""

    gender = models.CharField(max_length=16, choices=Gender.choices, default=Gender.UNKNOWN)
    ethnicity = models.CharField(
        "Self-defined ethnicity", max_length=2, choices=ethnicity_choices, blank=True
    )
    description = models.TextField(blank=True, help_text="Physical description, distinguishing marks")
    merged_into = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="merged_records"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | ~Q(merged_into=models.F("id")),
                name="nominal_not_merged_into_itself",
            )
        ]
        permissions = [
            ("search_nominal", "Search the nominal index"),
            ("merge_nominal", "Merge and unmerge duplicate people"),
            ("add_marker", "Set and end warning markers on people"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"P{self.pk:07d}" if self.pk else "new person"


class NominalName(models.Model):
    """One name of a person, spelt as entered, with its search keys precomputed beside it."""

    nominal = models.ForeignKey(Nominal, on_delete=models.PROTECT, related_name="names")
    kind = models.CharField(max_length=16, choices=NameKind.choices, default=NameKind.BIRTH)
    title = models.CharField(max_length=32, blank=True)
    given_names = models.CharField(max_length=200, blank=True)
    family_name = models.CharField(max_length=200, blank=True)
    # Normalised forms and Double Metaphone codes (iops.people.matching); written by the services.
    given_norm = models.CharField(max_length=200, blank=True)
    family_norm = models.CharField(max_length=200, blank=True)
    full_norm = models.CharField(max_length=400, blank=True)
    given_metaphone = models.CharField(max_length=8, blank=True)
    given_metaphone_alt = models.CharField(max_length=8, blank=True)
    family_metaphone = models.CharField(max_length=8, blank=True)
    family_metaphone_alt = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(given_names="") | ~Q(family_name=""), name="name_has_given_or_family"
            )
        ]
        indexes = [
            models.Index(fields=["family_norm", "given_norm"], name="name_norm_idx"),
            models.Index(fields=["family_metaphone", "given_metaphone"], name="name_metaphone_idx"),
            GinIndex(fields=["full_norm"], name="name_trgm_idx", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        return " ".join(part for part in (self.given_names, self.family_name.upper()) if part)


class NominalDateOfBirth(models.Model):
    """A date of birth claimed by or for the person; a person may have more than one."""

    nominal = models.ForeignKey(Nominal, on_delete=models.PROTECT, related_name="dates_of_birth")
    value = models.DateField()
    source = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["nominal", "value"], name="date_of_birth_unique")]
        indexes = [models.Index(fields=["value"], name="date_of_birth_idx")]

    def __str__(self) -> str:
        return f"{self.value:%d/%m/%Y}"


class NominalIdentifier(models.Model):
    """A reference that identifies the person: PNC ID, CRO number, NI number, passport, licence, phone."""

    nominal = models.ForeignKey(Nominal, on_delete=models.PROTECT, related_name="identifiers")
    kind = models.CharField(max_length=20, choices=IdentifierKind.choices)
    value = models.CharField(max_length=100)
    # Upper-case letters and digits only, as searched (iops.people.matching.keys.identifier_text).
    value_norm = models.CharField(max_length=100, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["nominal", "kind", "value_norm"], name="identifier_unique")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"


class NominalAddress(models.Model):
    """A person's link to a gazetteer address, with its role and the dates it held."""

    nominal = models.ForeignKey(Nominal, on_delete=models.PROTECT, related_name="addresses")
    address = models.ForeignKey(Address, on_delete=models.PROTECT, related_name="nominal_links")
    role = models.CharField(max_length=16, choices=AddressRole.choices, default=AddressRole.RESIDENT)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True)
                | Q(valid_from__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="nominal_address_dates_in_order",
            )
        ]
        indexes = [models.Index(fields=["address", "valid_to"], name="nominal_address_idx")]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.address}"

    @property
    def is_current(self) -> bool:
        from django.utils import timezone

        return self.valid_to is None or self.valid_to >= timezone.localdate()


class WarningMarker(models.Model):
    """A warning marker: a risk shown first wherever the person appears, with dates, source and setter."""

    nominal = models.ForeignKey(Nominal, on_delete=models.PROTECT, related_name="markers")
    kind = models.CharField(max_length=32, choices=marker_choices)
    details = models.TextField(blank=True)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=200, help_text="Where the information comes from")
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    set_at = models.DateTimeField(auto_now_add=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["valid_to", "-valid_from", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=models.F("valid_from")),
                name="marker_dates_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.nominal})"

    @property
    def is_active(self) -> bool:
        from django.utils import timezone

        today = timezone.localdate()
        return self.valid_from <= today and (self.valid_to is None or self.valid_to >= today)


class Vehicle(ForceOwned):
    """A vehicle by its registration mark (VRM), as seen or recorded."""

    vrm = models.CharField("Registration mark", max_length=16)
    # Upper-case letters and digits only, so "AB12 CDE", "ab12cde" and partial "12CD" all meet.
    vrm_norm = models.CharField(max_length=16)
    make = models.CharField(max_length=60, blank=True)
    model = models.CharField(max_length=60, blank=True)
    colour = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["vrm_norm"]
        indexes = [
            models.Index(fields=["vrm_norm"], name="vehicle_vrm_idx"),
            GinIndex(fields=["vrm_norm"], name="vehicle_vrm_trgm_idx", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        described = " ".join(part for part in (self.colour, self.make, self.model) if part)
        return f"{self.vrm} {described}".strip()


class Phone(ForceOwned):
    """A phone, by number and, where known, handset identity (IMEI)."""

    number = models.CharField(max_length=32, blank=True)
    number_norm = models.CharField(max_length=32, blank=True, db_index=True)
    imei = models.CharField("IMEI", max_length=20, blank=True)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["number_norm"]

    def __str__(self) -> str:
        return self.number or self.imei or self.description or f"Phone {self.pk}"


class Weapon(ForceOwned):
    """A weapon seen, used or seized."""

    kind = models.CharField(max_length=20, choices=WeaponKind.choices)
    description = models.CharField(max_length=400, blank=True)
    serial_number = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["kind", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.description}".strip()


class PropertyItem(ForceOwned):
    """Any other object: stolen, found, seized or owned property."""

    description = models.CharField(max_length=400)
    serial_number = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "property items"

    def __str__(self) -> str:
        return self.description


class NominalLink(models.Model):
    """A person's link, with a role, to an event (incident, crime...) or an object, by content type and
    id, so apps built later (incidents, crimes) attach people without this app knowing them."""

    nominal = models.ForeignKey(Nominal, on_delete=models.PROTECT, related_name="links")
    role = models.CharField(max_length=24, choices=LinkRole.choices)
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    target_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("target_type", "target_id")
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="nominal_link_target_idx")]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.target_type.model} {self.target_id}"


class NominalMerge(models.Model):
    """Two records found to be one person: every row of ``merged`` moved to ``survivor``. ``moved``
    lists the rows by table so the merge can be reversed exactly; ``copied`` the fields the survivor
    took from the merged record because its own were empty."""

    survivor = models.ForeignKey(Nominal, on_delete=models.PROTECT, related_name="merges_survived")
    merged = models.ForeignKey(Nominal, on_delete=models.PROTECT, related_name="merges_absorbed")
    reason = models.TextField()
    moved = models.JSONField(default=dict)
    copied = models.JSONField(default=dict)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    merged_at = models.DateTimeField(auto_now_add=True)
    reversed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reversed_at = models.DateTimeField(null=True, blank=True)
    reverse_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-merged_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(survivor=models.F("merged")), name="merge_of_two_records"),
            # A record can be absorbed by one live merge at a time.
            models.UniqueConstraint(
                fields=["merged"], condition=Q(reversed_at__isnull=True), name="merge_absorbs_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merged} merged into {self.survivor}"

    @property
    def is_reversed(self) -> bool:
        return self.reversed_at is not None


class DuplicateCandidate(models.Model):
    """Two records that may be the same person, found on create or by the scan, awaiting review."""

    first = models.ForeignKey(Nominal, on_delete=models.PROTECT, related_name="+")
    second = models.ForeignKey(Nominal, on_delete=models.PROTECT, related_name="+")
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=DuplicateStatus.choices, default=DuplicateStatus.OPEN)
    source = models.CharField(max_length=16, choices=DuplicateSource.choices)
    found_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-score", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(first__lt=models.F("second")), name="duplicate_pair_ordered"),
            models.UniqueConstraint(fields=["first", "second"], name="duplicate_pair_unique"),
        ]
        indexes = [models.Index(fields=["status", "-score"], name="duplicate_status_idx")]

    def __str__(self) -> str:
        return f"{self.first} / {self.second} ({self.score:.2f})"


class SearchEntry(models.Model):
    """One person's entry in the search index: the keys a query looks for (GIN-indexed) and what the
    ranking and a result line need, so a search is one indexed query. Derived from the tables above
    by ``iops.people.search.index_nominals``; never edited by hand."""

    nominal = models.OneToOneField(Nominal, on_delete=models.CASCADE, primary_key=True, related_name="+")
    # Not indexed: a search filters by force alongside the keys, and an index on force alone would
    # tempt the planner away from the GIN index on keys.
    force = models.ForeignKey(
        Force, on_delete=models.PROTECT, default=default_force_id, related_name="+", db_index=False
    )
    keys = ArrayField(models.BigIntegerField(), default=list)
    # Blocking keys of the duplicate scan (matching.keys.block_keys); not indexed, scanned whole.
    blocks = ArrayField(models.BigIntegerField(), default=list)
    # "kind:given words|family words", normalised (matching.normalise.NameForm.encode).
    names = ArrayField(models.TextField(), default=list)
    # Names as entered, for display, in the same order; the first is the person's main name.
    display_names = ArrayField(models.TextField(), default=list)
    dates_of_birth = ArrayField(models.DateField(), default=list)
    identifiers = ArrayField(models.TextField(), default=list)
    markers = ArrayField(models.TextField(), default=list)
    restricted = models.BooleanField(default=False)
    restriction_contact = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [GinIndex(fields=["keys"], name="search_entry_keys_idx")]
        verbose_name_plural = "search entries"

    def __str__(self) -> str:
        return f"search entry of {self.nominal_id}"
