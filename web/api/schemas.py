"""Marshmallow schemas of the JSON API: what each operation reads and answers."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

from web.models import Condition, ListingStatus, Mounting, Role

CONDITIONS = [c.value for c in Condition]
MOUNTINGS = [m.value for m in Mounting]
STATUSES = [s.value for s in ListingStatus]


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE
        ordered = True


# ----------------------------------------------------------------------------- tokens, users


class TokenRequestSchema(StrictSchema):
    email = fields.Email(required=True)
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name = fields.String(load_default="api", validate=validate.Length(max=100))


class TokenSchema(ma.Schema):
    token = fields.String(metadata={"description": "Send as 'Authorization: Bearer <token>'."})
    expires_at = fields.DateTime()


class UserSchema(ma.Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.Enum(Role, by_value=True)
    organisation = fields.Function(lambda u: u.organisation.name if u.organisation else None)
    locale = fields.String()


# ----------------------------------------------------------------------------- pagination


class PageArgsSchema(ma.Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class PageMetaSchema(ma.Schema):
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()
    pages = fields.Integer()


# ----------------------------------------------------------------------------- catalogue


class SubstituteSchema(ma.Schema):
    code = fields.String(attribute="substitute_code")
    penalty_eur_per_unit = fields.Float()


class MaterialSchema(ma.Schema):
    code = fields.String()
    name = fields.String()
    name_nl = fields.String()
    family = fields.String()
    eural_code = fields.String()
    unit = fields.String()
    kg_per_unit = fields.Float()
    m3_per_unit = fields.Float()
    new_price_eur_per_unit = fields.Float()
    disposal_eur_per_unit = fields.Float()
    embodied_kgco2e_per_kg = fields.Float()
    active = fields.Boolean()
    substitutes = fields.List(fields.Nested(SubstituteSchema))


class MaterialQueryArgsSchema(ma.Schema):
    q = fields.String(metadata={"description": "Part of the code or the Dutch/English name."})
    family = fields.String()


class MaterialUpdateSchema(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    name_nl = fields.String(validate=validate.Length(min=1, max=200))
    family = fields.String(validate=validate.Length(min=1, max=64))
    eural_code = fields.String(validate=validate.Length(min=1, max=12))
    unit = fields.String(validate=validate.Length(min=1, max=16))
    kg_per_unit = fields.Float(allow_nan=False)
    m3_per_unit = fields.Float(allow_nan=False)
    new_price_eur_per_unit = fields.Float(allow_nan=False)
    disposal_eur_per_unit = fields.Float(allow_nan=False)
    embodied_kgco2e_per_kg = fields.Float(allow_nan=False)
    active = fields.Boolean()
    substitutes = fields.Dict(
        keys=fields.String(), values=fields.Float(allow_nan=False),
        metadata={"description": "code -> penalty_eur_per_unit; replaces all substitutes."},
    )


class MaterialCreateSchema(MaterialUpdateSchema):
    code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    name_nl = fields.String(required=True, validate=validate.Length(min=1, max=200))
    family = fields.String(required=True, validate=validate.Length(min=1, max=64))
    eural_code = fields.String(required=True, validate=validate.Length(min=1, max=12))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=16))
    kg_per_unit = fields.Float(required=True, allow_nan=False)
    m3_per_unit = fields.Float(required=True, allow_nan=False)
    new_price_eur_per_unit = fields.Float(required=True, allow_nan=False)
    disposal_eur_per_unit = fields.Float(required=True, allow_nan=False)
    embodied_kgco2e_per_kg = fields.Float(required=True, allow_nan=False)


# ----------------------------------------------------------------------------- projects


class ProjectSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    description = fields.String()
    address = fields.String()
    postcode = fields.String(allow_none=True)
    place = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    lead_id = fields.Integer()
    lead_name = fields.Function(lambda p: p.lead.name)
    created_at = fields.DateTime()


class ProjectUpdateSchema(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=5000))
    address = fields.String(validate=validate.Length(max=300))
    postcode = fields.String(validate=validate.Length(max=10),
                             metadata={"description": "Dutch postcode; sets lat/lon."})
    place = fields.String(validate=validate.Length(max=120))
    lat = fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False)
    lon = fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False)


class ProjectCreateSchema(ProjectUpdateSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    lead_id = fields.Integer(metadata={"description": "Coordinators only: the project's lead."})


class ProjectQueryArgsSchema(PageArgsSchema):
    mine = fields.Boolean(load_default=False)


class ProjectPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ProjectSchema))
    meta = fields.Nested(PageMetaSchema)


# ----------------------------------------------------------------------------- listings


class MaterialBriefSchema(ma.Schema):
    code = fields.String()
    name = fields.String()
    name_nl = fields.String()
    family = fields.String()
    unit = fields.String()


class ListingSchema(ma.Schema):
    id = fields.Integer()
    kind = fields.Function(lambda o: o.kind.value)
    title = fields.String()
    description = fields.String()
    specification = fields.String()
    material_code = fields.String()
    material = fields.Nested(MaterialBriefSchema)
    quantity = fields.Integer()
    reserved_quantity = fields.Integer()
    quantity_free = fields.Integer()
    status = fields.Enum(ListingStatus, by_value=True)
    project_id = fields.Integer()
    created_by_id = fields.Integer()
    lat = fields.Float()
    lon = fields.Float()
    location_label = fields.String()
    postcode = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class SupplySchema(ListingSchema):
    condition = fields.Enum(Condition, by_value=True)
    mounting = fields.Enum(Mounting, by_value=True)
    available_from = fields.Date()
    available_until = fields.Date()
    attributes = fields.Dict(keys=fields.String())


class DemandSchema(ListingSchema):
    min_condition = fields.Enum(Condition, by_value=True)
    accepted_mountings = fields.List(fields.String())
    needed_from = fields.Date()
    needed_until = fields.Date()
    max_distance_km = fields.Float(allow_none=True)
    requirements = fields.Dict(keys=fields.String())


class _ListingUpdate(StrictSchema):
    title = fields.String(validate=validate.Length(min=1, max=200))
    description = fields.String(validate=validate.Length(max=5000))
    specification = fields.String(validate=validate.Length(max=5000))
    material_code = fields.String(validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(strict=True, validate=validate.Range(min=1, max=10_000_000),
                              metadata={"description": "Whole units of the material's unit."})
    project_id = fields.Integer(strict=True)
    status = fields.String(validate=validate.OneOf(["draft", "open"]))
    location = fields.String(validate=validate.Length(max=200), metadata={
        "description": "Postcode, place or 'lat, lon'; default: the project's location."})
    lat = fields.Float(validate=validate.Range(min=-90, max=90), allow_nan=False)
    lon = fields.Float(validate=validate.Range(min=-180, max=180), allow_nan=False)


class SupplyUpdateSchema(_ListingUpdate):
    condition = fields.String(validate=validate.OneOf(CONDITIONS))
    mounting = fields.String(validate=validate.OneOf(MOUNTINGS))
    available_from = fields.Date()
    available_until = fields.Date()
    attributes = fields.Dict(keys=fields.String(), metadata={
        "description": "Measured properties, each a number or a text: {\"length_m\": 6.2}."})


class SupplyCreateSchema(SupplyUpdateSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    material_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True,
                              validate=validate.Range(min=1, max=10_000_000))
    project_id = fields.Integer(required=True, strict=True)
    available_from = fields.Date(required=True)
    available_until = fields.Date(required=True)


class DemandUpdateSchema(_ListingUpdate):
    min_condition = fields.String(validate=validate.OneOf(CONDITIONS))
    accepted_mountings = fields.List(fields.String(validate=validate.OneOf(MOUNTINGS)))
    needed_from = fields.Date()
    needed_until = fields.Date()
    max_distance_km = fields.Float(allow_none=True, allow_nan=False,
                                   validate=validate.Range(min=0, min_inclusive=False, max=1000))
    requirements = fields.Dict(keys=fields.String(), metadata={
        "description": "Per attribute {\"min\": x}, {\"max\": x} or {\"in\": [values]}."})


class DemandCreateSchema(DemandUpdateSchema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    material_code = fields.String(required=True, validate=validate.Length(min=1, max=64))
    quantity = fields.Integer(required=True, strict=True,
                              validate=validate.Range(min=1, max=10_000_000))
    project_id = fields.Integer(required=True, strict=True)
    needed_from = fields.Date(required=True)
    needed_until = fields.Date(required=True)


class ListingQueryArgsSchema(PageArgsSchema):
    material = fields.String(metadata={"description": "A catalogue code."})
    family = fields.String()
    condition = fields.String(validate=validate.OneOf(CONDITIONS), metadata={
        "description": "Supply: at least this good. Demand: accepts an item this good."})
    near = fields.String(metadata={"description": "Postcode, place or 'lat, lon'."})
    radius_km = fields.Float(validate=validate.Range(min=0, min_inclusive=False, max=500),
                             allow_nan=False)
    date_from = fields.Date(data_key="from")
    date_until = fields.Date(data_key="until")
    q = fields.String(metadata={"description": "Words in the title or description."})
    project_id = fields.Integer()
    status = fields.List(fields.String(validate=validate.OneOf(STATUSES)), metadata={
        "description": "Default: open and partly_matched; others only among your own."})
    mine = fields.Boolean(load_default=False)

    @ma.validates_schema
    def _window(self, data: dict[str, Any], **_: Any) -> None:
        start, end = data.get("date_from"), data.get("date_until")
        if start and end and start > end:
            raise ma.ValidationError("'from' must not be after 'until'.", "until")
        if data.get("radius_km") is not None and not data.get("near"):
            raise ma.ValidationError("A radius needs 'near'.", "near")


class SupplyHitSchema(SupplySchema):
    distance_km = fields.Float(allow_none=True)


class DemandHitSchema(DemandSchema):
    distance_km = fields.Float(allow_none=True)


class SupplyPageSchema(ma.Schema):
    items = fields.List(fields.Nested(SupplyHitSchema))
    meta = fields.Nested(PageMetaSchema)


class DemandPageSchema(ma.Schema):
    items = fields.List(fields.Nested(DemandHitSchema))
    meta = fields.Nested(PageMetaSchema)


class WithdrawSchema(StrictSchema):
    note = fields.String(load_default="", validate=validate.Length(max=2000))


class EventSchema(ma.Schema):
    id = fields.Integer()
    at = fields.DateTime()
    action = fields.String()
    actor_id = fields.Integer(allow_none=True)
    old_status = fields.String(allow_none=True)
    new_status = fields.String(allow_none=True)
    old_quantity = fields.Integer(allow_none=True)
    new_quantity = fields.Integer(allow_none=True)
    old_reserved = fields.Integer(allow_none=True)
    new_reserved = fields.Integer(allow_none=True)
    changes = fields.Dict()
    note = fields.String()
    ref_type = fields.String(allow_none=True)
    ref_id = fields.Integer(allow_none=True)


# ----------------------------------------------------------------------------- CSV


class CsvUploadSchema(ma.Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class CsvImportResultSchema(ma.Schema):
    created = fields.Integer()
    supply_ids = fields.List(fields.Integer())
    demand_ids = fields.List(fields.Integer())


class CsvExportArgsSchema(ma.Schema):
    project_id = fields.Integer()
    mine = fields.Boolean(load_default=False)
