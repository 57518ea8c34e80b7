"""Force areas and the gazetteer of addresses.

Areas are polygons held as GeoJSON (``geometry``) with a bounding box in indexed columns; a point
is placed in an area by a bounding-box query and an exact point-in-polygon test (``geo.geometry``).
PostGIS is not assumed: the embedded PostgreSQL has no PostGIS, and the areas of one force are a
few thousand polygons at most. Addresses follow the shape of a UPRN address file: one row per
unique property reference number with coordinates.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.db import models

from iops.accounts.models import District
from iops.geo.choices import AreaKind, Setting
from iops.platform.models import Force, ForceOwned, default_force_id


class Area(ForceOwned):
    """A district, neighbourhood, beat or statistical area (LSOA-like), as a polygon."""

    kind = models.CharField(max_length=16, choices=AreaKind.choices)
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=160)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    # The organisational district this area belongs to (for districts: the district itself).
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, null=True, blank=True, related_name="areas"
    )
    setting = models.CharField(max_length=8, choices=Setting.choices, default=Setting.URBAN)
    geometry = models.JSONField(help_text="GeoJSON Polygon or MultiPolygon, WGS84 longitude/latitude")
    min_lon = models.FloatField()
    min_lat = models.FloatField()
    max_lon = models.FloatField()
    max_lat = models.FloatField()
    source = models.CharField(max_length=200, blank=True, help_text="Where the boundary came from")

    class Meta:
        ordering = ["kind", "code"]
        constraints = [models.UniqueConstraint(fields=["force", "kind", "code"], name="area_code_unique")]
        indexes = [
            models.Index(fields=["kind", "min_lon", "max_lon", "min_lat", "max_lat"], name="area_bbox_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


class Address(ForceOwned):
    """One addressable property from the gazetteer, keyed by its unique property reference (UPRN)."""

    uprn = models.BigIntegerField(help_text="Unique property reference number")
    sub_building = models.CharField(max_length=120, blank=True, help_text="Flat or unit (SAO)")
    building_name = models.CharField(max_length=120, blank=True)
    building_number = models.CharField(max_length=16, blank=True, help_text="PAO number")
    street = models.CharField(max_length=160, blank=True)
    locality = models.CharField(max_length=120, blank=True)
    town = models.CharField(max_length=120, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    classification = models.CharField(
        max_length=8, blank=True, help_text="AddressBase-style class, e.g. RD04"
    )
    latitude = models.FloatField()
    longitude = models.FloatField()
    # One line for display, built from the parts by the services (``geo.addressing``).
    full_address = models.CharField(max_length=400)
    # The parts folded for type-ahead search (``addressing.search_text``): lower case, no
    # punctuation, street words in one form, a space at each end so words match as ``'% word%'``.
    search_text = models.CharField(max_length=600, default="", editable=False)
    # The postcode in capitals without spaces, so "AB1 2CD", "ab12cd" and "AB1 2" are one lookup.
    postcode_key = models.CharField(max_length=8, blank=True, default="", editable=False)
    beat = models.ForeignKey(
        Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="beat_addresses"
    )
    lsoa = models.ForeignKey(
        Area, on_delete=models.SET_NULL, null=True, blank=True, related_name="lsoa_addresses"
    )

    class Meta:
        ordering = ["street", "building_number", "sub_building"]
        verbose_name_plural = "addresses"
        constraints = [models.UniqueConstraint(fields=["force", "uprn"], name="address_uprn_unique")]
        indexes = [
            # Type-ahead: every word of a query is a LIKE on the folded text, answered by trigrams.
            GinIndex(fields=["search_text"], name="address_trgm_idx", opclasses=["gin_trgm_ops"]),
            # Postcode lookups are prefix matches on the key ("AB12" -> "AB12CD"...).
            models.Index(
                fields=["postcode_key"], name="address_postcode_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["latitude", "longitude"], name="address_point_idx"),
        ]

    def __str__(self) -> str:
        return self.full_address


class SearchWord(models.Model):
    """A word that occurs in the force's gazetteer (as folded for search), for correcting typing.

    When what was typed matches nothing word for word, each word that is in no address is
    replaced by the nearest word that is ("Marowcliffe" -> "marrowcliffe", "hihg" -> "high").
    Filled by the gazetteer writer; a word whose addresses have all gone stays, harmlessly.
    """

    force = models.ForeignKey(Force, on_delete=models.PROTECT, default=default_force_id, related_name="+")
    word = models.CharField(max_length=60)

    class Meta:
        ordering = ["word"]
        constraints = [models.UniqueConstraint(fields=["force", "word"], name="search_word_unique")]
        indexes = [
            models.Index(fields=["word"], name="search_word_prefix_idx", opclasses=["varchar_pattern_ops"])
        ]

    def __str__(self) -> str:
        return self.word
