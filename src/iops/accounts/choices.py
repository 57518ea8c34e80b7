"""Code lists for accounts: ranks and the roles of DESIGN section 6."""

from django.db import models


class Rank(models.TextChoices):
    POLICE_STAFF = "staff", "Police staff"
    PCSO = "pcso", "Police community support officer"
    CONSTABLE = "pc", "Constable"
    DETECTIVE_CONSTABLE = "dc", "Detective constable"
    SERGEANT = "ps", "Sergeant"
    DETECTIVE_SERGEANT = "ds", "Detective sergeant"
    INSPECTOR = "insp", "Inspector"
    DETECTIVE_INSPECTOR = "di", "Detective inspector"
    CHIEF_INSPECTOR = "ci", "Chief inspector"
    SUPERINTENDENT = "supt", "Superintendent"
    CHIEF_SUPERINTENDENT = "csupt", "Chief superintendent"
    ASSISTANT_CHIEF_CONSTABLE = "acc", "Assistant chief constable"
    DEPUTY_CHIEF_CONSTABLE = "dcc", "Deputy chief constable"
    CHIEF_CONSTABLE = "cc", "Chief constable"


class Role(models.TextChoices):
    """Roles are Django groups named by the label; the value is the stable code used in code and CLI."""

    CALL_HANDLER = "call_handler", "Call handler"
    DISPATCHER = "dispatcher", "Dispatcher"
    RESPONSE_OFFICER = "response_officer", "Response officer"
    INVESTIGATOR = "investigator", "Investigator"
    CUSTODY_OFFICER = "custody_officer", "Custody officer"
    INTELLIGENCE_OFFICER = "intelligence_officer", "Intelligence officer"
    SAFEGUARDING_OFFICER = "safeguarding_officer", "Safeguarding officer"
    SUPERVISOR = "supervisor", "Supervisor"
    COMMAND = "command", "Inspector or command"
    CRIME_REGISTRAR = "crime_registrar", "Force crime registrar"
    DATA_PROTECTION_OFFICER = "data_protection_officer", "Data protection officer"
    ADMINISTRATOR = "administrator", "Administrator"


class TeamKind(models.TextChoices):
    CONTROL_ROOM = "control_room", "Control room"
    RESPONSE = "response", "Response"
    NEIGHBOURHOOD = "neighbourhood", "Neighbourhood"
    ROADS = "roads", "Roads policing"
    CID = "cid", "CID"
    PUBLIC_PROTECTION = "public_protection", "Public protection"
    CUSTODY = "custody", "Custody"
    INTELLIGENCE = "intelligence", "Intelligence"
    CRIME_REGISTRY = "crime_registry", "Crime registry"
    INFORMATION_MANAGEMENT = "information_management", "Information management"
    COMMAND = "command", "Command"
