"""Incidents as NENA Emergency Incident Data Objects (EIDO, NENA-STA-021, JSON, version 1.0).

``incident_eido`` writes an incident as an EIDO: the incident component (type, status, priority,
beat, disposition), its location as a PIDF-LO document, the calls with their start and answer
times, callers and call-back numbers, the summary and the log as notes, and the qualifiers as
cautions. ``parse_eido`` reads one back into an ``EidoIncident`` that ``services`` can turn into an
incident, or raises ``EidoInvalid`` naming the path of the field at fault
(``incidentComponent.incidentTypeCommonRegistryText``, ``locationComponent[0].locationByValue``).
The category mapping and what EIDO does not carry are in ``docs/howto/eido.md``. Nothing here
touches the database.
"""

from __future__ import annotations

import html
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from iops.incidents import codes
from iops.incidents.choices import Channel, IncidentStatus, LocationSource
from iops.incidents.models import Call, Incident
from iops.platform.api_types import sane_moment
from iops.platform.errors import ValidationFailed

EIDO_VERSION = "1.0"
MAX_TEXT = 20_000
MAX_ITEMS = 2_000

# Our opening categories as the incident types EIDO's Incident Type registry draws on: the APCO
# common incident category codes, as listed in the ``apco`` NIEM namespace that NENA's EIDO
# schema bundles. The internal code and text travel beside them, so iOPS reads its own exactly.
INCIDENT_TYPES: dict[str, str] = {
    "CR-VIOL": "ASSAULT",
    "CR-SEX": "SEXOFFNS",
    "CR-ROB": "ROBBERY",
    "CR-BURG-RES": "BURGLARY",
    "CR-BURG-BUS": "BURGLARY",
    "CR-VEH": "VEHSTLN",
    "CR-THEFT": "LARCENY",
    "CR-DAM": "VANDAL",
    "CR-DRUG": "DRUGS",
    "CR-WEAP": "WEAPON",
    "CR-PUBORD": "DISORD",
    "CR-HARASS": "HARR",
    "CR-FRAUD": "FRAUD",
    "CR-OTHER": "INVEST",
    "ASB-PERS": "HARR",
    "ASB-NUIS": "DISORD",
    "ASB-ENV": "VANDAL",
    "PSW-CONCERN": "WELFARE",
    "PSW-DOMESTIC": "DVNA",
    "PSW-MISSING": "PERMISS",
    "PSW-AWOL": "ESCAPE",
    "PSW-SUDDEN-DEATH": "DEATH",
    "PSW-COLLAPSE": "SICK",
    "PSW-SUSPICIOUS": "SUSP",
    "PSW-INSECURE": "OPEN",
    "PSW-ALARM": "ALRU",
    "PSW-PROPERTY": "PROPFND",
    "PSW-ANIMAL": "ANIMAL",
    "PSW-CIVIL": "CIVIL",
    "PSW-PROTEST": "CIVDIS",
    "PSW-LICENSING": "LIQUOR",
    "PSW-IMMIGRATION": "ALIEN",
    "PSW-HAZARD": "MAJORINC",
    "PSW-INDUSTRIAL": "ACCIND",
    "TRN-RTC-DAMAGE": "MVA",
    "TRN-RTC-INJURY": "MVAINJY",
    "TRN-RTC-SERIOUS": "MVAINJY",
    "TRN-OFFENCE": "RECKDRV",
    "TRN-HIGHWAY": "THAZ",
    "TRN-OTHER": "TRAIN",
    "ADM-ABANDONED": "911H",
    "ADM-DUPLICATE": "INFO",
    "ADM-AGENCY": "ASSIST",
    "ADM-BAIL": "WARRANT",
    "ADM-MESSAGE": "INFO",
    "ADM-PLANNED": "ADMIN",
}
# Reading another agency's EIDO with only a registry type: the first category of ours that maps
# to it, plus a few types we never send but that have an obvious home here.
FROM_INCIDENT_TYPE: dict[str, str] = {
    "DVA": "CR-VIOL",
    "FIGHT": "CR-VIOL",
    "STABBING": "CR-VIOL",
    "HOMICIDE": "CR-VIOL",
    "SHOOT": "CR-WEAP",
    "SHOPLIFT": "CR-THEFT",
    "PROPSTLN": "CR-THEFT",
    "FARSON": "CR-DAM",
    "TRESPASS": "ASB-NUIS",
    "NOISE": "ASB-NUIS",
    "SUICTHRT": "PSW-CONCERN",
    "SUICIDE": "PSW-CONCERN",
    "TROUBLE": "PSW-CONCERN",
    "RUNAWAY": "PSW-MISSING",
    "PROPLOST": "PSW-PROPERTY",
    "MVAUNK": "TRN-RTC-DAMAGE",
    "MVAHR": "TRN-RTC-DAMAGE",
    # Information only is a message, not a duplicate report (both are sent as INFO).
    "INFO": "ADM-MESSAGE",
}
for _code, _type in INCIDENT_TYPES.items():
    FROM_INCIDENT_TYPE.setdefault(_type, _code)

# Qualifiers travel as cautions; these are the ones that raise officers' attention most.
HIGH_CAUTION = {"DOMESTIC", "CHILD", "FIREARMS", "KNIFE", "VULN-ADULT", "MISSING"}
# How a call came in, as EIDO's primary call type; the channel itself travels as the local type.
PRIMARY_CALL_TYPE = {Channel.EMERGENCY: "emergency"}
SOURCE_IDENTIFIER = "iops:location-source="
UPRN_IDENTIFIER = "uprn:"
SUMMARY_SUFFIX = ":summary"

PIDF = "urn:ietf:params:xml:ns:pidf"
GEOPRIV = "urn:ietf:params:xml:ns:pidf:geopriv10"
GML = "http://www.opengis.net/gml"
GS = "http://www.opengis.net/pidflo/1.0"
CIVIC = "urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"
WGS84 = "urn:ogc:def:crs:EPSG::4326"
METRES = "urn:ogc:def:uom:EPSG::9001"
for _prefix, _uri in (("gp", GEOPRIV), ("gml", GML), ("gs", GS), ("ca", CIVIC)):
    ElementTree.register_namespace(_prefix, _uri)


class EidoInvalid(ValidationFailed):
    """An EIDO that cannot be taken in; ``field`` is the JSON path of the first fault."""

    code = "eido_invalid"


def agency_id() -> str:
    """This force's agency identifier in EIDOs (a domain, as NENA-STA-010 asks)."""
    configured = str(getattr(settings, "IOPS_EIDO_AGENCY_ID", ""))
    return configured or f"{settings.IOPS_FORCE_CODE.lower()}.police.uk"


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


# --- writing -----------------------------------------------------------------------------------


def _pidf(
    *,
    entity: str,
    latitude: float | None,
    longitude: float | None,
    radius_m: int | None,
    civic: dict[str, str],
    manual: bool,
) -> str:
    presence = ElementTree.Element(f"{{{PIDF}}}presence", {"entity": entity})
    status = ElementTree.SubElement(
        ElementTree.SubElement(presence, f"{{{PIDF}}}tuple", {"id": "location"}), f"{{{PIDF}}}status"
    )
    geopriv = ElementTree.SubElement(status, f"{{{GEOPRIV}}}geopriv")
    info = ElementTree.SubElement(geopriv, f"{{{GEOPRIV}}}location-info")
    if latitude is not None and longitude is not None:
        shape = ElementTree.SubElement(
            info, f"{{{GS}}}Circle" if radius_m is not None else f"{{{GML}}}Point", {"srsName": WGS84}
        )
        ElementTree.SubElement(shape, f"{{{GML}}}pos").text = f"{latitude!r} {longitude!r}"
        if radius_m is not None:
            ElementTree.SubElement(shape, f"{{{GS}}}radius", {"uom": METRES}).text = str(radius_m)
    if civic:
        address = ElementTree.SubElement(info, f"{{{CIVIC}}}civicAddress")
        for tag, value in civic.items():
            ElementTree.SubElement(address, f"{{{CIVIC}}}{tag}").text = value
    ElementTree.SubElement(geopriv, f"{{{GEOPRIV}}}usage-rules")
    if manual:
        ElementTree.SubElement(geopriv, f"{{{GEOPRIV}}}method").text = "Manual"
    return ElementTree.tostring(presence, encoding="unicode")


def _civic(record: Incident | Call) -> dict[str, str]:
    address = record.address
    if address is None:
        return {}
    parts = {
        "country": "GB",
        "A3": address.town,
        "A6": address.locality,
        "RD": address.street,
        "HNO": address.building_number,
        "NAM": address.building_name,
        "LOC": address.sub_building,
        "PC": address.postcode,
    }
    return {tag: value for tag, value in parts.items() if value}


def _location_component(
    record: Incident | Call, component_id: str, kind: str, prologue: dict[str, Any]
) -> dict[str, Any]:
    identifiers = [f"{SOURCE_IDENTIFIER}{record.location_source}"]
    if record.address is not None:
        identifiers.append(f"{UPRN_IDENTIFIER}{record.address.uprn}")
    component: dict[str, Any] = {
        "$id": component_id,
        **prologue,
        "locationTypeDescriptionRegistryText": kind,
        "locationByValue": _pidf(
            entity=f"pres:{component_id}",
            latitude=record.latitude,
            longitude=record.longitude,
            radius_m=record.radius_m,
            civic=_civic(record),
            manual=record.location_source in {LocationSource.ADDRESS, LocationSource.MAP},
        ),
        "localIdentifier": identifiers,
    }
    if record.location_text:
        component["locationDescriptionText"] = record.location_text
    return component


def _note(note_id: str, text: str, at: datetime, agency: str, agent: str | None) -> dict[str, Any]:
    note: dict[str, Any] = {
        "$id": note_id,
        "lastUpdateTimeStamp": _time(at),
        "updatedByAgencyReference": {"$ref": agency},
        # EIDO notes are HTML5; ours are plain text, so escape rather than let markup through.
        "notesActionComments": html.escape(text, quote=False),
    }
    if agent:
        note["updatedByAgentReference"] = {"$ref": agent}
        note["agentReference"] = {"$ref": agent}
    return note


def incident_eido(incident: Incident, *, agency: str | None = None) -> dict[str, Any]:
    """The incident as an EIDO. Expects calls and log prefetched (``incident_detail_queryset``)."""
    agency = agency or agency_id()
    tracking = f"urn:emergency:uid:incidentid:{incident.reference}:{agency}"
    agents: dict[str, dict[str, Any]] = {}

    def agent_for(user: Any) -> str | None:
        if user is None:
            return None
        agent_id = f"{user.username}@{agency}"
        agents.setdefault(
            agent_id,
            {
                "$id": agent_id,
                "lastUpdateTimeStamp": _time(incident.updated_at),
                "updatedByAgencyReference": {"$ref": agency},
                "agentRoleRegistryText": ["Call Taking"],
                "agencyReference": {"$ref": agency},
            },
        )
        return agent_id

    prologue = {
        "lastUpdateTimeStamp": _time(incident.updated_at),
        "updatedByAgencyReference": {"$ref": agency},
    }
    category = codes.opening_category(incident.opening_category)
    location_id = f"{tracking}:location"
    locations = [_location_component(incident, location_id, "Incident", prologue)]
    notes: list[dict[str, Any]] = []
    if incident.summary:
        notes.append(
            _note(
                f"{tracking}{SUMMARY_SUFFIX}",
                incident.summary,
                incident.opened_at,
                agency,
                agent_for(incident.opened_by),
            )
        )
    for entry in incident.log.all():
        notes.append(
            _note(f"{tracking}:note:{entry.pk}", entry.text, entry.at, agency, agent_for(entry.author))
        )
    incident_notes = [{"$ref": note["$id"]} for note in notes]
    calls: list[dict[str, Any]] = []
    callbacks: list[dict[str, Any]] = []
    people: list[dict[str, Any]] = []
    for call in incident.calls.all():
        call_id = f"urn:emergency:uid:callid:{call.pk}:{agency}"
        component: dict[str, Any] = {
            "$id": call_id,
            **prologue,
            "standardPrimaryCallType": PRIMARY_CALL_TYPE.get(Channel(call.channel), "nonEmergency"),
            "localCallType": call.channel,
            "direction": "incoming",
            "callStartTimestamp": _time(call.connected_at),
            "callStateRegistryText": "callAnswered" if call.answered_at else "callBegin",
        }
        if call.answered_at is not None:
            component["answerDate"] = _time(call.answered_at)
        handler = agent_for(call.handler)
        if handler:
            component["agentReference"] = [{"$ref": handler}]
        if call.has_point or call.address is not None:
            call_location = f"{call_id}:location"
            locations.append(_location_component(call, call_location, "Caller", prologue))
            component["locationReference"] = [{"$ref": call_location}]
        if call.what_was_said:
            said = _note(f"{call_id}:said", call.what_was_said, call.connected_at, agency, handler)
            notes.append(said)
            component["notesReference"] = [{"$ref": said["$id"]}]
        if call.caller_phone:
            callback_id = f"{call_id}:callback"
            callbacks.append(
                {
                    "$id": callback_id,
                    **prologue,
                    "callBackInformationUri": [f"tel:{call.caller_phone.replace(' ', '')}"],
                }
            )
            component["callBackReference"] = {"$ref": callback_id}
        if call.caller_name or call.caller_relationship:
            person_id = f"{call_id}:caller"
            person: dict[str, Any] = {
                "$id": person_id,
                **prologue,
                "personIncidentRoleRegistryText": ["Caller"],
                "callIdentifier": [call_id],
            }
            if call.caller_name:
                person["ncPersonComponent"] = {"name": [{"fullName": call.caller_name}]}
            if call.caller_relationship:
                person["ncPersonComponent"] = {
                    **person.get("ncPersonComponent", {}),
                    "description": [call.caller_relationship],
                }
            people.append(person)
            component["personReference"] = [{"$ref": person_id}]
        calls.append(component)
    incident_component: dict[str, Any] = {
        "$id": tracking,
        **prologue,
        "incidentTypeCommonRegistryText": INCIDENT_TYPES.get(category.code, "INFO"),
        "incidentTypeInternalCode": category.code,
        "incidentTypeInternalText": category.name,
        "incidentStatusInternalText": [incident.status],
        "internalIncidentId": incident.reference,
        "locationReference": [{"$ref": location_id}],
    }
    opener = agent_for(incident.opened_by)
    if opener:
        incident_component["agentReference"] = [{"$ref": opener}]
    if incident.grade:
        incident_component["incidentPriorityInternalText"] = incident.grade
    if incident.beat is not None:
        incident_component["beatOrDispatchGroupText"] = incident.beat.code
    if incident_notes:
        incident_component["notesReference"] = incident_notes
    if incident.status == IncidentStatus.CLOSED:
        result = codes.closing_result(incident.closing_result)
        incident_component["dispositionComponent"] = [
            {
                "$id": f"{tracking}:disposition",
                **prologue,
                "dispositionCommonRegistryCode": result.code,
                "dispositionPrimaryIndicator": True,
                "dispositionCategoryText": incident.closing_category,
                "dispositionDescriptionText": result.name,
            }
        ]
    cautions = []
    for code in incident.qualifiers:
        qualifier = codes.qualifier(code)
        cautions.append(
            {
                "$id": f"{tracking}:caution:{code}",
                **prologue,
                "cautionTypeInternalText": qualifier.code,
                "cautionTypeCommonRegistryText": "Other",
                "cautionTypeCommonSubRegistryText": [qualifier.name],
                "cautionSeverity": "high" if code in HIGH_CAUTION or code.startswith("HATE") else "normal",
                "cautionSource": agency,
            }
        )
    document: dict[str, Any] = {
        "$id": tracking,
        **prologue,
        "eidoVersion": EIDO_VERSION,
        "issuingElementIdentification": f"iops.{agency}",
        "incidentComponent": incident_component,
        "agencyComponent": [
            {
                "$id": agency,
                **prologue,
                "agencyRoleDescriptionRegistryText": ["CallReceiving", "Dispatch"],
                "agencyType": ["police"],
                "incidentOwningAgencyIndicator": True,
            }
        ],
        "agentComponent": list(agents.values()),
        "locationComponent": locations,
        "notesComponent": notes,
    }
    for key, items in (
        ("callComponent", calls),
        ("callbackComponent", callbacks),
        ("personComponent", people),
        ("cautionComponent", cautions),
    ):
        if items:
            document[key] = items
    return document


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EidoLocation:
    """A place read from a location component."""

    latitude: float | None
    longitude: float | None
    radius_m: int | None
    uprn: int | None
    text: str
    source: str


@dataclass(frozen=True)
class EidoCall:
    channel: str
    connected_at: datetime
    answered_at: datetime | None
    caller_name: str
    caller_phone: str
    caller_relationship: str
    what_was_said: str
    location: EidoLocation | None


@dataclass(frozen=True)
class EidoNote:
    at: datetime
    text: str
    agent: str


@dataclass(frozen=True)
class EidoIncident:
    """What iOPS takes from an EIDO to open an incident."""

    tracking_id: str
    sender: str
    opening_category: str
    incident_type: str
    qualifiers: list[str]
    other_cautions: list[str]
    summary: str
    location: EidoLocation
    opened_at: datetime
    priority: str
    disposition: str
    calls: list[EidoCall] = field(default_factory=list)
    notes: list[EidoNote] = field(default_factory=list)


def _fail(path: str, message: str) -> EidoInvalid:
    return EidoInvalid(f"{path}: {message}", field=path)


def _object(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(path, "must be an object")
    return value


def _list(parent: dict[str, Any], key: str, path: str) -> list[Any]:
    value = parent.get(key, [])
    if value is None:
        return []
    if not isinstance(value, list):
        raise _fail(f"{path}{key}", "must be a list")
    if len(value) > MAX_ITEMS:
        raise _fail(f"{path}{key}", f"has more than {MAX_ITEMS} entries")
    return value


def _string(parent: dict[str, Any], key: str, path: str, *, required: bool = False) -> str:
    value = parent.get(key)
    if value is None or value == "":
        if required:
            raise _fail(f"{path}{key}", "is required")
        return ""
    if not isinstance(value, str):
        raise _fail(f"{path}{key}", "must be a string")
    if len(value) > MAX_TEXT:
        raise _fail(f"{path}{key}", f"is longer than {MAX_TEXT} characters")
    return value


def _timestamp(parent: dict[str, Any], key: str, path: str, *, required: bool = False) -> datetime | None:
    text = _string(parent, key, path, required=required)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _fail(f"{path}{key}", f"{text[:40]!r} is not an ISO 8601 date and time") from None
    if moment.tzinfo is None:
        raise _fail(f"{path}{key}", "must give its time zone (e.g. Z or +01:00)")
    try:
        return sane_moment(moment)
    except ValueError:
        raise _fail(
            f"{path}{key}", "must fall between 1900 and 2100, with a time zone within 14 hours of UTC"
        ) from None


def _reference(value: Any, path: str) -> str:
    reference = _object(value, path).get("$ref")
    if not isinstance(reference, str) or not reference:
        raise _fail(f"{path}.$ref", "is required")
    return reference


def _references(parent: dict[str, Any], key: str, path: str) -> list[str]:
    value = parent.get(key)
    if value is None:
        return []
    if isinstance(value, dict):
        return [_reference(value, f"{path}{key}")]
    return [_reference(item, f"{path}{key}[{index}]") for index, item in enumerate(_list(parent, key, path))]


def _by_id(document: dict[str, Any], key: str) -> dict[str, tuple[int, dict[str, Any]]]:
    found: dict[str, tuple[int, dict[str, Any]]] = {}
    for index, item in enumerate(_list(document, key, "")):
        component = _object(item, f"{key}[{index}]")
        component_id = _string(component, "$id", f"{key}[{index}].", required=True)
        found[component_id] = (index, component)
    return found


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _pidf_location(
    text: str, path: str
) -> tuple[float | None, float | None, int | None, dict[str, str], bool]:
    """Point, radius, civic parts and whether the method was manual, from a PIDF-LO document."""
    if re.search(r"<!\s*(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise _fail(path, "must not contain a DOCTYPE or entity declarations")
    try:
        # Safe here: declarations are refused above, so no entity can expand, and ElementTree
        # never fetches anything external (defusedxml would add nothing but a dependency).
        root = ElementTree.fromstring(text.strip())  # noqa: S314
    except ElementTree.ParseError as error:
        raise _fail(path, f"is not well-formed PIDF-LO XML ({error})") from None
    latitude = longitude = None
    radius: int | None = None
    civic: dict[str, str] = {}
    manual = False
    for element in root.iter():
        name = _local(element.tag)
        if name == "pos" and latitude is None:
            parts = (element.text or "").split()
            try:
                latitude, longitude = float(parts[0]), float(parts[1])
            except (IndexError, ValueError):
                raise _fail(path, f"gml:pos {element.text!r} is not 'latitude longitude'") from None
            if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
                raise _fail(path, f"gml:pos {element.text!r} is out of range")
        elif name == "radius":
            try:
                metres = float((element.text or "").strip())
            except ValueError:
                raise _fail(path, f"radius {element.text!r} is not a number of metres") from None
            if metres < 0 or metres > 10_000_000:
                raise _fail(path, f"radius {element.text!r} is out of range")
            # Round up: a larger circle never misleads a search.
            radius = int(-(-metres // 1))
        elif name == "civicAddress":
            civic = {
                _local(child.tag): (child.text or "").strip()
                for child in element
                if (child.text or "").strip()
            }
        elif name == "method":
            manual = (element.text or "").strip().lower() == "manual"
    return latitude, longitude, radius, civic, manual


def _location(component: dict[str, Any], path: str) -> EidoLocation:
    latitude = longitude = None
    radius: int | None = None
    civic: dict[str, str] = {}
    manual = False
    by_value = _string(component, "locationByValue", path)
    if by_value:
        latitude, longitude, radius, civic, manual = _pidf_location(by_value, f"{path}locationByValue")
    uprn: int | None = None
    source = ""
    for index, identifier in enumerate(_list(component, "localIdentifier", path)):
        if not isinstance(identifier, str):
            raise _fail(f"{path}localIdentifier[{index}]", "must be a string")
        if identifier.startswith(UPRN_IDENTIFIER) and identifier[len(UPRN_IDENTIFIER) :].isdigit():
            uprn = int(identifier[len(UPRN_IDENTIFIER) :])
        elif identifier.startswith(SOURCE_IDENTIFIER):
            source = identifier[len(SOURCE_IDENTIFIER) :]
    text = _string(component, "locationDescriptionText", path)
    if not text and civic:
        street = " ".join(part for part in (civic.get("HNO", ""), civic.get("RD", "")) if part)
        text = ", ".join(
            part
            for part in (
                civic.get("LOC"),
                civic.get("NAM"),
                street,
                civic.get("A6"),
                civic.get("A3"),
                civic.get("PC"),
            )
            if part
        )
    if source not in LocationSource.values:
        if uprn is not None:
            source = LocationSource.ADDRESS
        elif latitude is not None:
            source = LocationSource.MAP if manual else LocationSource.AML
        else:
            source = LocationSource.DESCRIBED
    if latitude is None and uprn is None and not text:
        raise _fail(path.rstrip("."), "gives no point, address or description")
    return EidoLocation(latitude, longitude, radius, uprn, text[:400], source)


def _plain(comment: str) -> str:
    """Notes arrive as HTML5: keep the words, drop the markup."""
    without_tags = re.sub(r"<br\s*/?>", "\n", comment, flags=re.IGNORECASE)
    without_tags = re.sub(r"<[^>]+>", "", without_tags)
    return html.unescape(without_tags).strip()


def _category(incident: dict[str, Any], path: str) -> tuple[str, str]:
    incident_type = _string(incident, "incidentTypeCommonRegistryText", path, required=True)
    internal = _string(incident, "incidentTypeInternalCode", path)
    if internal and internal in codes.opening_categories():
        return internal, incident_type
    mapped = FROM_INCIDENT_TYPE.get(incident_type.strip().upper())
    if mapped is None:
        raise _fail(
            f"{path}incidentTypeCommonRegistryText",
            f"incident type {incident_type[:40]!r} has no iOPS category; see docs/howto/eido.md",
        )
    return mapped, incident_type


def _first_text(values: Iterable[Any]) -> str:
    for value in values:
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, dict):
            for inner in ("fullName", "value"):
                if isinstance(value.get(inner), str) and value[inner].strip():
                    return str(value[inner]).strip()
                if isinstance(value.get(inner), list):
                    found = _first_text(value[inner])
                    if found:
                        return found
    return ""


def _caller(person: dict[str, Any]) -> tuple[str, str]:
    nc = person.get("ncPersonComponent")
    if not isinstance(nc, dict):
        return "", ""
    names = nc.get("name")
    description = nc.get("description")
    name = _first_text(names if isinstance(names, list) else [names])
    relationship = _first_text(description if isinstance(description, list) else [description])
    return name[:200], relationship[:120]


def parse_eido(document: Any) -> EidoIncident:
    """Read an EIDO into what iOPS needs to open the incident, or raise ``EidoInvalid``."""
    root = _object(document, "$")
    version = _string(root, "eidoVersion", "", required=True)
    if version != EIDO_VERSION:
        raise _fail("eidoVersion", f"version {version[:20]!r} is not supported; iOPS reads {EIDO_VERSION}")
    raw_incident = root.get("incidentComponent")
    if isinstance(raw_incident, list):
        # Drafts of the standard had a list of one; read that too.
        if len(raw_incident) != 1:
            raise _fail("incidentComponent", "must hold exactly one incident")
        raw_incident = raw_incident[0]
    if raw_incident is None:
        raise _fail("incidentComponent", "is required")
    incident = _object(raw_incident, "incidentComponent")
    path = "incidentComponent."
    tracking = (
        _string(root, "incidentTrackingIdentifier", "")
        or _string(incident, "$id", path)
        or _string(root, "$id", "", required=True)
    )
    category, incident_type = _category(incident, path)
    locations = _by_id(root, "locationComponent")
    notes = _by_id(root, "notesComponent")
    people = _by_id(root, "personComponent")
    callbacks = _by_id(root, "callbackComponent")

    def location(reference: str, where: str) -> EidoLocation:
        if reference not in locations:
            raise _fail(where, f"refers to {reference[:60]!r}, which is not in locationComponent")
        index, component = locations[reference]
        return _location(component, f"locationComponent[{index}].")

    place_refs = _references(incident, "locationReference", path)
    if place_refs:
        place = location(place_refs[0], f"{path}locationReference[0]")
    elif locations:
        first_index, first = next(iter(locations.values()))
        place = _location(first, f"{'locationComponent'}[{first_index}].")
    else:
        raise _fail(f"{path}locationReference", "is required: an incident needs a location")

    used_notes: set[str] = set()
    calls: list[EidoCall] = []
    for index, item in enumerate(_list(root, "callComponent", "")):
        call_path = f"callComponent[{index}]."
        call = _object(item, call_path.rstrip("."))
        started = _timestamp(call, "callStartTimestamp", call_path, required=True)
        assert started is not None
        answered = _timestamp(call, "answerDate", call_path)
        if answered is not None and answered < started:
            raise _fail(f"{call_path}answerDate", "is before callStartTimestamp")
        local_type = _string(call, "localCallType", call_path)
        primary = _string(call, "standardPrimaryCallType", call_path)
        channel = (
            local_type
            if local_type in Channel.values
            else (Channel.EMERGENCY if primary.lower() == "emergency" else Channel.NON_EMERGENCY)
        )
        said = []
        for ref_index, reference in enumerate(_references(call, "notesReference", call_path)):
            if reference not in notes:
                raise _fail(f"{call_path}notesReference[{ref_index}]", "is not in notesComponent")
            used_notes.add(reference)
            said.append(
                _plain(
                    _string(
                        notes[reference][1], "notesActionComments", f"notesComponent[{notes[reference][0]}]."
                    )
                )
            )
        caller_name = relationship = ""
        for ref_index, reference in enumerate(_references(call, "personReference", call_path)):
            if reference not in people:
                raise _fail(f"{call_path}personReference[{ref_index}]", "is not in personComponent")
            name, described = _caller(people[reference][1])
            caller_name, relationship = caller_name or name, relationship or described
        phone = ""
        callback_refs = _references(call, "callBackReference", call_path)
        if callback_refs:
            reference = callback_refs[0]
            if reference not in callbacks:
                raise _fail(f"{call_path}callBackReference", "is not in callbackComponent")
            uris = callbacks[reference][1].get("callBackInformationUri") or []
            for uri in uris if isinstance(uris, list) else []:
                if isinstance(uri, str) and uri.startswith("tel:"):
                    phone = uri[4:][:40]
                    break
        call_refs = _references(call, "locationReference", call_path)
        call_place = location(call_refs[0], f"{call_path}locationReference[0]") if call_refs else None
        calls.append(
            EidoCall(
                channel=channel,
                connected_at=started,
                answered_at=answered,
                caller_name=caller_name,
                caller_phone=phone,
                caller_relationship=relationship,
                what_was_said="\n".join(said),
                location=call_place,
            )
        )

    summary = ""
    log: list[EidoNote] = []
    for note_id, (index, note) in notes.items():
        if note_id in used_notes:
            continue
        note_path = f"notesComponent[{index}]."
        text = _plain(_string(note, "notesActionComments", note_path, required=True))
        at = _timestamp(note, "lastUpdateTimeStamp", note_path, required=True)
        assert at is not None
        agent = note.get("agentReference") or note.get("updatedByAgentReference")
        agent_id = agent.get("$ref", "") if isinstance(agent, dict) else ""
        if note_id.endswith(SUMMARY_SUFFIX) and not summary:
            summary = text
            continue
        if text:
            log.append(EidoNote(at=at, text=text, agent=str(agent_id)[:120]))
    log.sort(key=lambda note: note.at)

    qualifiers: list[str] = []
    other_cautions: list[str] = []
    for index, item in enumerate(_list(root, "cautionComponent", "")):
        caution = _object(item, f"cautionComponent[{index}]")
        internal = _string(caution, "cautionTypeInternalText", f"cautionComponent[{index}].")
        if internal in codes.qualifiers():
            qualifiers.append(codes.qualifier(internal).code)
        else:
            described = internal or _string(
                caution, "cautionTypeCommonRegistryText", f"cautionComponent[{index}]."
            )
            if described:
                other_cautions.append(described)

    dispositions = incident.get("dispositionComponent") or []
    disposition = ""
    if isinstance(dispositions, list) and dispositions and isinstance(dispositions[0], dict):
        first_disposition = dispositions[0]
        disposition = " ".join(
            str(first_disposition.get(key, ""))
            for key in ("dispositionCommonRegistryCode", "dispositionDescriptionText")
            if first_disposition.get(key)
        )

    moments = [call.connected_at for call in calls] or [note.at for note in log]
    if not moments:
        updated = _timestamp(incident, "lastUpdateTimeStamp", path) or _timestamp(
            root, "lastUpdateTimeStamp", ""
        )
        if updated is None:
            raise _fail("callComponent", "no call start, note or update time says when the incident began")
        moments = [updated]
    sender = root.get("updatedByAgencyReference")
    return EidoIncident(
        tracking_id=tracking[:255],
        sender=(sender.get("$ref", "") if isinstance(sender, dict) else "")[:255],
        opening_category=category,
        incident_type=incident_type,
        qualifiers=list(dict.fromkeys(qualifiers)),
        other_cautions=other_cautions,
        summary=summary,
        location=place,
        opened_at=min(moments),
        priority=_string(incident, "incidentPriorityInternalText", path)[:60],
        disposition=disposition[:200],
        calls=calls,
        notes=log,
    )
