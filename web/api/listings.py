"""Supply and demand listings: one blueprint per kind, built by the same factory."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from web.api import schemas as s
from web.api.auth import api_user, token_required
from web.models import ListingKind
from web.services import csv_io
from web.services import listings as svc

KINDS: dict[ListingKind, dict[str, Any]] = {
    ListingKind.SUPPLY: {
        "description": "Supply listings: material that comes free at a site",
        "out": s.SupplySchema, "hit": s.SupplyPageSchema,
        "create": s.SupplyCreateSchema, "update": s.SupplyUpdateSchema,
    },
    ListingKind.DEMAND: {
        "description": "Demand listings: material a project needs",
        "out": s.DemandSchema, "hit": s.DemandPageSchema,
        "create": s.DemandCreateSchema, "update": s.DemandUpdateSchema,
    },
}


def page_payload(page: svc.SearchPage) -> dict[str, Any]:
    items = []
    for hit in page.items:
        hit.listing.distance_km = hit.distance_km  # type: ignore[union-attr]
        items.append(hit.listing)
    return {
        "items": items,
        "meta": {"page": page.page, "per_page": page.per_page, "total": page.total,
                 "pages": page.pages},
    }


def search_args(kind: ListingKind, args: dict[str, Any]) -> dict[str, Any]:
    window = None
    if args.get("date_from") or args.get("date_until"):
        window = (args.get("date_from"), args.get("date_until"))
    return dict(
        material=args.get("material"), family=args.get("family"),
        condition=args.get("condition"), near=args.get("near"), radius_km=args.get("radius_km"),
        window=window, q=args.get("q"), project_id=args.get("project_id"),
        statuses=args.get("status"), mine=args.get("mine", False),
    )


def make_blueprint(kind: ListingKind) -> Blueprint:
    conf = KINDS[kind]
    name = kind.value
    blp = Blueprint(
        f"api_{name}", __name__, url_prefix=f"/api/v1/{name}", description=conf["description"]
    )

    @blp.route("")
    class Listings(MethodView):
        @token_required
        @blp.arguments(s.ListingQueryArgsSchema, location="query")
        @blp.response(200, conf["hit"])
        def get(self, args: dict[str, Any]) -> dict[str, Any]:
            """Search listings by material, family, condition, distance and date window"""
            page = svc.search_listings(kind, page=args["page"], per_page=args["per_page"],
                                       viewer=api_user(), **search_args(kind, args))
            return page_payload(page)

        @token_required
        @blp.arguments(conf["create"])
        @blp.response(201, conf["out"])
        def post(self, data: dict[str, Any]) -> Any:
            """Post a listing for one of your projects"""
            return svc.create_listing(api_user(), kind, data)

    @blp.route("/<int:listing_id>")
    class ListingsById(MethodView):
        @token_required
        @blp.response(200, conf["out"])
        @blp.alt_response(404, description="No such listing (or a draft that is not yours).")
        def get(self, listing_id: int) -> Any:
            """One listing"""
            return svc.get_listing(kind, listing_id, api_user())

        @token_required
        @blp.arguments(conf["update"])
        @blp.response(200, conf["out"])
        @blp.alt_response(403, description="Not the owner nor a coordinator.")
        @blp.alt_response(404, description="No such listing.")
        @blp.alt_response(409, description="The listing is closed or withdrawn.")
        def patch(self, data: dict[str, Any], listing_id: int) -> Any:
            """Change some fields of a listing"""
            return svc.update_listing(api_user(), kind, listing_id, data)

    @blp.route("/<int:listing_id>/withdraw")
    class Withdraw(MethodView):
        @token_required
        @blp.arguments(s.WithdrawSchema)
        @blp.response(200, conf["out"])
        @blp.alt_response(403, description="Not the owner nor a coordinator.")
        @blp.alt_response(404, description="No such listing.")
        @blp.alt_response(409, description="Already withdrawn or closed, or partly reserved.")
        def post(self, data: dict[str, Any], listing_id: int) -> Any:
            """Withdraw a listing"""
            return svc.withdraw_listing(api_user(), kind, listing_id, data.get("note", ""))

    @blp.route("/<int:listing_id>/publish")
    class Publish(MethodView):
        @token_required
        @blp.response(200, conf["out"])
        @blp.alt_response(403, description="Not the owner nor a coordinator.")
        @blp.alt_response(404, description="No such listing.")
        @blp.alt_response(409, description="The listing is closed or withdrawn.")
        def post(self, listing_id: int) -> Any:
            """Publish a draft listing (status open)"""
            return svc.publish_listing(api_user(), kind, listing_id)

    @blp.route("/<int:listing_id>/events")
    class Events(MethodView):
        @token_required
        @blp.response(200, s.EventSchema(many=True))
        @blp.alt_response(404, description="No such listing.")
        def get(self, listing_id: int) -> Any:
            """The listing's history: every change of status or quantity, oldest first"""
            return svc.history(kind, listing_id, api_user())

    @blp.route("/export.csv")
    class Export(MethodView):
        @token_required
        @blp.arguments(s.ListingQueryArgsSchema, location="query")
        @blp.response(200, content_type="text/csv",
                      description="The listings matching the filters, every page, as CSV.")
        def get(self, args: dict[str, Any]) -> Response:
            """Export listings as CSV (same filters as the search)"""
            text = csv_io.export_listings(kind, viewer=api_user(), **search_args(kind, args))
            return Response(text, mimetype="text/csv", headers={
                "Content-Disposition": f'attachment; filename="{name}.csv"'})

    return blp


supply_blp = make_blueprint(ListingKind.SUPPLY)
demand_blp = make_blueprint(ListingKind.DEMAND)
