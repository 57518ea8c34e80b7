"""Code lists for units and assignments: what a unit is, what it can do, and where it is up to."""

from django.db import models


class UnitType(models.TextChoices):
    RESPONSE = "response", "Response"
    NEIGHBOURHOOD = "neighbourhood", "Neighbourhood"
    ROADS = "roads", "Roads policing"
    DOG = "dog", "Dog"
    ARMED_RESPONSE = "armed_response", "Armed response"
    CID = "cid", "CID"
    PUBLIC_ORDER = "public_order", "Public order"


class Skill(models.TextChoices):
    """What a unit's crew can do, beyond what every officer can."""

    FIREARMS = "firearms", "Authorised firearms officers"
    TASER = "taser", "Taser trained"
    DOG = "dog", "Police dog"
    ADVANCED_DRIVER = "advanced_driver", "Advanced driver (pursuits)"
    COLLISION = "collision", "Collision investigation"
    PUBLIC_ORDER = "public_order", "Public order"
    MENTAL_HEALTH = "mental_health", "Mental health trained"
    SEARCH = "search", "Search trained"
    FIRST_AID = "first_aid", "Advanced first aid"
    DETECTIVE = "detective", "Detectives"


class UnitStatus(models.TextChoices):
    AVAILABLE = "available", "Available"
    ASSIGNED = "assigned", "Assigned"
    EN_ROUTE = "en_route", "En route"
    AT_SCENE = "at_scene", "At scene"
    COMMITTED = "committed", "Committed"
    REFRESHMENT = "refreshment", "Refreshment"
    OFF_DUTY = "off_duty", "Off duty"


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", "Assigned"
    EN_ROUTE = "en_route", "En route"
    AT_SCENE = "at_scene", "At scene"
    CLEARED = "cleared", "Cleared"


class Attendance(models.TextChoices):
    """How an incident's attendance compares with its grade's target."""

    MET = "met", "Within target"
    MISSED = "missed", "Target missed"
    PENDING = "pending", "Awaiting attendance"
    NO_TARGET = "no_target", "No target"
