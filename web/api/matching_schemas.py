"""Marshmallow schemas of the matching, proposal, depot and notification API."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from web.api.schemas import PageArgsSchema, StrictSchema
from web.models import Condition, LedgerKind, ProposalStatus, RunStatus

SIDES = ["supplier", "receiver"]


class MatchRunSchema(ma.Schema):
    id = fields.Integer()
    status = fields.Enum(RunStatus, by_value=True)
    started_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    today = fields.Date(allow_none=True)
    solver_status = fields.String(allow_none=True)
    objective_eur = fields.Float(allow_none=True)
    lower_bound_eur = fields.Float(allow_none=True)
    gap = fields.Float(allow_none=True, metadata={"description": "(objective - bound) / |bound|"})
    n_supply = fields.Integer()
    n_demand = fields.Integer()
    n_stock = fields.Integer()
    n_depots = fields.Integer()
    n_proposals = fields.Integer()
    units_proposed = fields.Integer()
    n_superseded = fields.Integer()
    n_expired = fields.Integer()
    solve_seconds = fields.Float(allow_none=True)
    cost_breakdown = fields.Dict(keys=fields.String(), values=fields.Float())
    kpis = fields.Dict(keys=fields.String(), values=fields.Float())
    error = fields.String()


class MatchRunRequestSchema(StrictSchema):
    today = fields.Date(load_default=None, metadata={"description": "Match as of this day."})


class DepotBriefSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    lat = fields.Float()
    lon = fields.Float()


class ProposalSchema(ma.Schema):
    id = fields.Integer()
    run_id = fields.Integer()
    status = fields.Enum(ProposalStatus, by_value=True)
    route = fields.String(metadata={"description": "direct, depot (stored between) or stock"})
    material_code = fields.String()
    supply_id = fields.Integer(allow_none=True)
    source_lot_id = fields.Integer(allow_none=True)
    demand_id = fields.Integer()
    depot = fields.Nested(DepotBriefSchema, allow_none=True)
    quantity = fields.Integer()
    pickup_date = fields.Date()
    delivery_date = fields.Date()
    road_km = fields.Float()
    cost_eur = fields.Float()
    co2_kg = fields.Float()
    supplier_decision = fields.Function(lambda p: p.supplier_decision.value)
    receiver_decision = fields.Function(lambda p: p.receiver_decision.value)
    reject_reason = fields.String()
    expires_at = fields.DateTime()
    accepted_at = fields.DateTime(allow_none=True)
    scheduled_at = fields.DateTime(allow_none=True)
    checked_in_at = fields.DateTime(allow_none=True)
    delivered_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)


class ProposalQueryArgsSchema(PageArgsSchema):
    status = fields.List(fields.Enum(ProposalStatus, by_value=True), load_default=None)
    run_id = fields.Integer(load_default=None)
    depot_id = fields.Integer(load_default=None)
    supply_id = fields.Integer(load_default=None)
    demand_id = fields.Integer(load_default=None)


class AnswerSchema(StrictSchema):
    side = fields.String(load_default=None, validate=validate.OneOf(SIDES), metadata={
        "description": "Needed only when you may answer for both sides (a coordinator)."})


class RejectSchema(AnswerSchema):
    reason = fields.String(load_default="", validate=validate.Length(max=2000))


class NotificationSchema(ma.Schema):
    id = fields.Integer()
    kind = fields.String()
    subject = fields.String()
    body = fields.String()
    proposal_id = fields.Integer(allow_none=True)
    created_at = fields.DateTime()
    read = fields.Boolean()
    emailed = fields.Boolean()


class NotificationQueryArgsSchema(ma.Schema):
    unread = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))


class MarkReadSchema(StrictSchema):
    ids = fields.List(fields.Integer(), load_default=None,
                      metadata={"description": "Leave out to mark all as read."})


class MarkedSchema(ma.Schema):
    marked = fields.Integer()


class ManagerSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()


class DepotSchema(ma.Schema):
    id = fields.Integer()
    name = fields.String()
    address = fields.String()
    place = fields.String()
    postcode = fields.String(allow_none=True)
    lat = fields.Float()
    lon = fields.Float()
    capacity_m3 = fields.Float()
    holding_eur_per_m3_day = fields.Float()
    handling_eur_per_tonne = fields.Float()
    active = fields.Boolean()
    managers = fields.List(fields.Nested(ManagerSchema))


class DepotUpdateSchema(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    address = fields.String(validate=validate.Length(max=300))
    place = fields.String(validate=validate.Length(max=120))
    postcode = fields.String(allow_none=True, validate=validate.Length(max=10))
    location = fields.String(metadata={"description": "A postcode or place, instead of lat/lon"})
    lat = fields.Float(validate=validate.Range(min=-90, max=90))
    lon = fields.Float(validate=validate.Range(min=-180, max=180))
    capacity_m3 = fields.Float(validate=validate.Range(min=0))
    holding_eur_per_m3_day = fields.Float(validate=validate.Range(min=0))
    handling_eur_per_tonne = fields.Float(validate=validate.Range(min=0))
    active = fields.Boolean()


class DepotCreateSchema(DepotUpdateSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    capacity_m3 = fields.Float(required=True, validate=validate.Range(min=0))


class ManagersSchema(StrictSchema):
    user_ids = fields.List(fields.Integer(), required=True)


class LotSchema(ma.Schema):
    id = fields.Integer()
    depot_id = fields.Integer()
    material_code = fields.String()
    condition = fields.Enum(Condition, by_value=True)
    attributes = fields.Dict()
    description = fields.String()
    quantity = fields.Integer()
    reserved_quantity = fields.Integer()
    quantity_free = fields.Integer()
    received_on = fields.Date()
    source_supply_id = fields.Integer(allow_none=True)


class WalkInSchema(StrictSchema):
    material_code = fields.String(required=True)
    quantity = fields.Integer(required=True, validate=validate.Range(min=1))
    condition = fields.Enum(Condition, by_value=True, load_default=Condition.B)
    attributes = fields.Dict(keys=fields.String(), load_default=dict)
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    received_on = fields.Date(load_default=None)


class CorrectionSchema(StrictSchema):
    quantity_delta = fields.Integer(required=True, metadata={
        "description": "Units found (+) or lost (-)."})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class LedgerEntrySchema(ma.Schema):
    id = fields.Integer()
    lot_id = fields.Integer()
    kind = fields.Enum(LedgerKind, by_value=True)
    quantity_delta = fields.Integer()
    balance_after = fields.Integer()
    reserved_after = fields.Integer()
    reason = fields.String()
    proposal_id = fields.Integer(allow_none=True)
    actor_id = fields.Integer(allow_none=True)
    at = fields.DateTime()


class LedgerQueryArgsSchema(ma.Schema):
    lot_id = fields.Integer(load_default=None)


class MaterialStockSchema(ma.Schema):
    material_code = fields.String()
    name = fields.String()
    name_nl = fields.String()
    unit = fields.String()
    quantity = fields.Integer()
    reserved = fields.Integer()
    free = fields.Integer()
    m3 = fields.Float()
    value_eur = fields.Float(metadata={"description": "At the catalogue's new price"})
    by_condition = fields.Dict(keys=fields.String(), values=fields.Integer())
    oldest_days = fields.Integer()
    mean_age_days = fields.Float()


class StockSummarySchema(ma.Schema):
    depot_id = fields.Integer()
    capacity_m3 = fields.Float()
    quantity = fields.Integer()
    reserved = fields.Integer()
    free = fields.Integer()
    m3 = fields.Float()
    value_eur = fields.Float()
    materials = fields.List(fields.Nested(MaterialStockSchema))


class CapacityArgsSchema(ma.Schema):
    start = fields.Date(load_default=None)
    days = fields.Integer(load_default=42, validate=validate.Range(min=1, max=366))


class DayUseSchema(ma.Schema):
    day = fields.Date()
    present_m3 = fields.Float()
    free_stock_m3 = fields.Float()
    promised_m3 = fields.Float()
    arrivals_m3 = fields.Float()
    departures_m3 = fields.Float()
    capacity_m3 = fields.Float()
    room_m3 = fields.Float()
