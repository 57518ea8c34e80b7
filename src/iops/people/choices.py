"""Code lists of the people app that belong to iOPS itself: kinds of name, identifier and link,
roles, and statuses. Code lists from outside (ethnicity, marker kinds) are in ``codelists``."""

from django.db import models


class NameKind(models.TextChoices):
    BIRTH = "birth", "Birth name"
    CURRENT = "current", "Current name"
    ALIAS = "alias", "Alias"
    NICKNAME = "nickname", "Nickname"
    MAIDEN = "maiden", "Maiden or previous family name"


class Gender(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Not known"


class IdentifierKind(models.TextChoices):
    PNC_ID = "pnc_id", "PNC ID"
    CRO = "cro", "CRO number"
    NI_NUMBER = "ni_number", "National Insurance number"
    PASSPORT = "passport", "Passport number"
    DRIVING_LICENCE = "driving_licence", "Driving licence number"
    PHONE = "phone", "Phone number"
    EMAIL = "email", "Email address"


class AddressRole(models.TextChoices):
    """How a person is linked to a location from the gazetteer."""

    RESIDENT = "resident", "Lives here"
    OWNER = "owner", "Owns"
    WORKS = "works", "Works here"
    FREQUENTS = "frequents", "Frequents"
    BAIL = "bail", "Bail address"
    CORRESPONDENCE = "correspondence", "Correspondence address"


class LinkRole(models.TextChoices):
    """How a person is linked to an event or an object."""

    VICTIM = "victim", "Victim"
    SUSPECT = "suspect", "Suspect"
    OFFENDER = "offender", "Offender"
    WITNESS = "witness", "Witness"
    REPORTING_PERSON = "reporting_person", "Reporting person"
    SUBJECT_OF_CONCERN = "subject_of_concern", "Subject of concern"
    OWNER = "owner", "Owner"
    KEEPER = "keeper", "Registered keeper"
    DRIVER = "driver", "Driver"
    USER = "user", "User"
    ASSOCIATE = "associate", "Associate"
    OTHER = "other", "Other"


class WeaponKind(models.TextChoices):
    FIREARM = "firearm", "Firearm"
    IMITATION_FIREARM = "imitation_firearm", "Imitation firearm"
    KNIFE = "knife", "Knife or bladed article"
    BLUNT = "blunt", "Blunt instrument"
    CORROSIVE = "corrosive", "Corrosive substance"
    OTHER = "other", "Other"


class DuplicateStatus(models.TextChoices):
    OPEN = "open", "To review"
    NOT_DUPLICATE = "not_duplicate", "Not the same person"
    MERGED = "merged", "Merged"


class DuplicateSource(models.TextChoices):
    ON_CREATE = "on_create", "Found when the record was created"
    SCAN = "scan", "Found by the duplicate scan"
