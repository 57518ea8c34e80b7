"""Code lists for geography."""

from django.db import models


class AreaKind(models.TextChoices):
    DISTRICT = "district", "District"
    NEIGHBOURHOOD = "neighbourhood", "Neighbourhood"
    BEAT = "beat", "Beat"
    LSOA = "lsoa", "Statistical area (LSOA)"


class Setting(models.TextChoices):
    """Urban or rural: sets the emergency attendance target (15 or 20 minutes)."""

    URBAN = "urban", "Urban"
    RURAL = "rural", "Rural"
