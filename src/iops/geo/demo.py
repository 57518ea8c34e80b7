"""Demo data for geography: the invented county of Demoshire, its areas and its gazetteer.

The step runs first (order 100) because everything else stands on it: accounts makes teams per
``accounts.District``, and later steps put people at addresses and incidents in beats. The plan
is worked out in ``demo_plan`` and written here in a few bulk inserts; addresses go through the
same ``COPY`` writer as a real gazetteer. If the force already has districts (from an earlier run
or from the force's own boundary files) the step writes nothing and hands on what is there.
"""

from __future__ import annotations

from iops.accounts.models import District
from iops.audit.choices import Action
from iops.audit.services import audit_record
from iops.geo.choices import AreaKind
from iops.geo.demo_plan import COUNTY, DemoGeography, PlannedArea, plan_force
from iops.geo.geometry import bbox_of
from iops.geo.models import Address, Area
from iops.geo.services import PURPOSE, addresses_write
from iops.platform.demo import DemoContext, demo_step
from iops.platform.models import Force, default_force

SOURCE = f"iops demo-data ({COUNTY}, synthetic)"


def _area(force: Force, planned: PlannedArea, parent: Area | None, district: District | None) -> Area:
    box = bbox_of(planned.geometry)
    return Area(
        force=force,
        kind=planned.kind,
        code=planned.code,
        name=planned.name,
        parent=parent,
        district=district,
        setting=planned.setting,
        geometry=planned.geometry,
        min_lon=box.min_lon,
        min_lat=box.min_lat,
        max_lon=box.max_lon,
        max_lat=box.max_lat,
        source=SOURCE,
    )


def write_geography(force: Force, plan: DemoGeography) -> tuple[int, int]:
    """Write the planned areas and addresses; returns (areas, addresses) written."""
    existing = {district.code: district for district in District.objects.filter(force=force)}
    District.objects.bulk_create(
        [
            District(force=force, code=planned.code, name=planned.name)
            for planned in plan.districts
            if planned.code not in existing
        ]
    )
    districts = {district.code: district for district in District.objects.filter(force=force)}
    by_code: dict[str, Area] = {}
    for layer in (plan.districts, plan.neighbourhoods, plan.beats, plan.lsoas):
        made = Area.objects.bulk_create(
            [
                _area(
                    force,
                    planned,
                    by_code.get(planned.parent_code),
                    districts[planned.code if planned.kind == AreaKind.DISTRICT else planned.district_code],
                )
                for planned in layer
            ],
            batch_size=500,
        )
        by_code.update((area.code, area) for area in made if area.kind != AreaKind.LSOA)
    created, _, _, _ = addresses_write(plan.addresses, force=force)
    return len(plan.areas), created


@demo_step("geo", order=100)
def geography(context: DemoContext) -> None:
    force = default_force()
    size = context.size
    if not Area.objects.filter(force=force, kind=AreaKind.DISTRICT).exists():
        plan = plan_force(
            context.seed,
            districts=size.districts,
            neighbourhoods=size.neighbourhoods_per_district,
            beats=size.beats_per_neighbourhood,
            addresses=size.addresses,
        )
        areas, addresses = write_geography(force, plan)
        context.count("areas", areas)
        context.count("addresses", addresses)
        audit_record(
            actor=None,
            action=Action.COLLECTION,
            operation="geo.demo_data",
            record_type="geo.area",
            purpose=PURPOSE,
            detail={
                "source": SOURCE,
                "seed": context.seed,
                "size": size.name,
                "areas": areas,
                "addresses": addresses,
            },
        )
        context.made["towns"] = [
            {
                "name": town.name,
                "district_code": town.district_code,
                "latitude": town.latitude,
                "longitude": town.longitude,
                "radius_m": round(town.radius_km * 1000),
                "market_town": town.market_town,
            }
            for town in plan.towns
        ]
    areas_of = Area.objects.filter(force=force).order_by("code")
    context.made["districts"] = list(areas_of.filter(kind=AreaKind.DISTRICT).values_list("pk", flat=True))
    context.made["neighbourhoods"] = list(
        areas_of.filter(kind=AreaKind.NEIGHBOURHOOD).values_list("pk", flat=True)
    )
    context.made["beats"] = list(areas_of.filter(kind=AreaKind.BEAT).values_list("pk", flat=True))
    context.made["lsoas"] = list(areas_of.filter(kind=AreaKind.LSOA).values_list("pk", flat=True))
    context.made["addresses"] = list(
        Address.objects.filter(force=force).order_by("uprn").values_list("pk", flat=True)
    )
    context.made.setdefault("towns", [])
