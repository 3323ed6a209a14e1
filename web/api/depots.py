"""Depots, their managers, stock, ledger, capacity over time and CSV exports under /api/v1.

Everyone logged in sees a depot's location and rates; its stock, ledger and capacity are for
its managers and coordinators; creating and changing depots is for coordinators.
"""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint, abort

from web.api import matching_schemas as ms
from web.api.auth import api_user, token_required
from web.models import Depot
from web.services import depots as svc

blp = Blueprint("api_depots", __name__, url_prefix="/api/v1/depots",
                description="Depots: stock, ledger, capacity and CSV exports")


def _managed(depot_id: int) -> Depot:
    depot = svc.get_depot(depot_id)
    if not svc.can_manage(api_user(), depot_id):
        abort(403, message="Only this depot's managers or a coordinator can see this.")
    return depot


@blp.route("")
class Depots(MethodView):
    @token_required
    @blp.response(200, ms.DepotSchema(many=True))
    def get(self) -> Any:
        """All depots with their location, capacity, rates and managers"""
        return svc.list_depots()

    @token_required
    @blp.arguments(ms.DepotCreateSchema)
    @blp.response(201, ms.DepotSchema)
    @blp.alt_response(403, description="Not a coordinator.")
    def post(self, data: dict[str, Any]) -> Depot:
        """Register a depot (coordinators)"""
        return svc.create_depot(api_user(), data)


@blp.route("/<int:depot_id>")
class DepotsById(MethodView):
    @token_required
    @blp.response(200, ms.DepotSchema)
    @blp.alt_response(404, description="No such depot.")
    def get(self, depot_id: int) -> Depot:
        """One depot"""
        return svc.get_depot(depot_id)

    @token_required
    @blp.arguments(ms.DepotUpdateSchema)
    @blp.response(200, ms.DepotSchema)
    @blp.alt_response(403, description="Not a coordinator.")
    @blp.alt_response(404, description="No such depot.")
    def patch(self, data: dict[str, Any], depot_id: int) -> Depot:
        """Change a depot's fields (coordinators)"""
        return svc.update_depot(api_user(), depot_id, data)


@blp.route("/<int:depot_id>/managers")
class DepotManagers(MethodView):
    @token_required
    @blp.arguments(ms.ManagersSchema)
    @blp.response(200, ms.DepotSchema)
    @blp.alt_response(403, description="Not a coordinator.")
    def put(self, data: dict[str, Any], depot_id: int) -> Depot:
        """Name the depot's managers (coordinators)"""
        return svc.set_managers(api_user(), depot_id, data["user_ids"])


@blp.route("/<int:depot_id>/stock")
class DepotStock(MethodView):
    @token_required
    @blp.response(200, ms.StockSummarySchema)
    @blp.alt_response(403, description="Not this depot's manager.")
    def get(self, depot_id: int) -> Any:
        """Stock per material: quantity, reserved vs free, m3, value, condition, age"""
        _managed(depot_id)
        return svc.stock_summary(depot_id)


@blp.route("/<int:depot_id>/lots")
class DepotLots(MethodView):
    @token_required
    @blp.response(200, ms.LotSchema(many=True))
    @blp.alt_response(403, description="Not this depot's manager.")
    def get(self, depot_id: int) -> Any:
        """The lots in stock"""
        _managed(depot_id)
        return svc.lots(depot_id)

    @token_required
    @blp.arguments(ms.WalkInSchema)
    @blp.response(201, ms.LotSchema)
    @blp.alt_response(403, description="Not this depot's manager.")
    @blp.alt_response(409, description="No room in the depot.")
    def post(self, data: dict[str, Any], depot_id: int) -> Any:
        """Add walk-in stock by hand (a new lot, checked in)"""
        return svc.add_walk_in(api_user(), depot_id, data)


@blp.route("/<int:depot_id>/lots/<int:lot_id>/corrections")
class LotCorrections(MethodView):
    @token_required
    @blp.arguments(ms.CorrectionSchema)
    @blp.response(201, ms.LedgerEntrySchema)
    @blp.alt_response(403, description="Not this depot's manager.")
    @blp.alt_response(409, description="It would take away promised or absent units.")
    def post(self, data: dict[str, Any], depot_id: int, lot_id: int) -> Any:
        """Correct a lot's count, with a reason"""
        if svc.get_lot(lot_id).depot_id != depot_id:
            abort(404, message="No such lot in this depot.")
        return svc.correct_stock(api_user(), lot_id, data["quantity_delta"], data["reason"])


@blp.route("/<int:depot_id>/ledger")
class DepotLedger(MethodView):
    @token_required
    @blp.arguments(ms.LedgerQueryArgsSchema, location="query")
    @blp.response(200, ms.LedgerEntrySchema(many=True))
    @blp.alt_response(403, description="Not this depot's manager.")
    def get(self, args: dict[str, Any], depot_id: int) -> Any:
        """The append-only stock ledger, oldest line first"""
        _managed(depot_id)
        return svc.ledger(depot_id, args.get("lot_id"))


@blp.route("/<int:depot_id>/capacity")
class DepotCapacity(MethodView):
    @token_required
    @blp.arguments(ms.CapacityArgsSchema, location="query")
    @blp.response(200, ms.DayUseSchema(many=True))
    @blp.alt_response(403, description="Not this depot's manager.")
    def get(self, args: dict[str, Any], depot_id: int) -> Any:
        """Volume per day: present, promised, planned arrivals and departures, capacity"""
        _managed(depot_id)
        return svc.capacity_use(depot_id, start=args.get("start"), days=args["days"])


def _csv(text: str, name: str) -> Response:
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/<int:depot_id>/stock.csv")
class DepotStockCsv(MethodView):
    @token_required
    @blp.response(200, content_type="text/csv", description="One line per lot.")
    @blp.alt_response(403, description="Not this depot's manager.")
    def get(self, depot_id: int) -> Response:
        """The depot's stock as CSV"""
        _managed(depot_id)
        return _csv(svc.stock_csv(depot_id), f"depot-{depot_id}-stock.csv")


@blp.route("/<int:depot_id>/ledger.csv")
class DepotLedgerCsv(MethodView):
    @token_required
    @blp.response(200, content_type="text/csv", description="One line per ledger entry.")
    @blp.alt_response(403, description="Not this depot's manager.")
    def get(self, depot_id: int) -> Response:
        """The depot's ledger as CSV"""
        _managed(depot_id)
        return _csv(svc.ledger_csv(depot_id), f"depot-{depot_id}-ledger.csv")
