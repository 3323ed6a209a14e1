"""Match runs, proposals (answers, transport, check-in/out) and notifications under /api/v1.

Who may do what is decided by the services: parties see and answer their own proposals,
depot managers check in and out at their own depots, coordinators may do everything.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort

from web.api import matching_schemas as ms
from web.api.auth import api_user, token_required
from web.models import Proposal
from web.services import depots as depot_svc
from web.services import matching as svc
from web.services import notifications as notes

blp = Blueprint("api_matching", __name__, url_prefix="/api/v1",
                description="Nightly match runs, proposals and notifications")


def _coordinator() -> None:
    if not api_user().is_coordinator:
        abort(403, message="Only a coordinator can do this.")


@blp.route("/match-runs")
class MatchRuns(MethodView):
    @token_required
    @blp.response(200, ms.MatchRunSchema(many=True))
    @blp.alt_response(403, description="Not a coordinator.")
    def get(self) -> Any:
        """The latest match runs, newest first (coordinators)"""
        _coordinator()
        return svc.list_runs()

    @token_required
    @blp.arguments(ms.MatchRunRequestSchema)
    @blp.response(201, ms.MatchRunSchema)
    @blp.alt_response(403, description="Not a coordinator.")
    @blp.alt_response(409, description="Another run is in progress.")
    def post(self, args: dict[str, Any]) -> Any:
        """Run the matching now (coordinators); answers when it is stored"""
        _coordinator()
        try:
            return svc.run_matching(today=args.get("today"), actor=api_user())
        except svc.RunInProgress:
            raise
        except Exception:
            abort(500, message="The matching run failed; it is recorded as a failed run.")


@blp.route("/match-runs/<int:run_id>")
class MatchRunsById(MethodView):
    @token_required
    @blp.response(200, ms.MatchRunSchema)
    @blp.alt_response(403, description="Not a coordinator.")
    @blp.alt_response(404, description="No such run.")
    def get(self, run_id: int) -> Any:
        """One match run"""
        _coordinator()
        return svc.get_run(run_id)


@blp.route("/proposals")
class Proposals(MethodView):
    @token_required
    @blp.arguments(ms.ProposalQueryArgsSchema, location="query")
    @blp.response(200, ms.ProposalSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Proposals for your listings and depots (coordinators: all), newest first"""
        listing = None
        if args.get("supply_id"):
            listing = ("supply", args["supply_id"])
        elif args.get("demand_id"):
            listing = ("demand", args["demand_id"])
        per_page = args["per_page"]
        return svc.proposals_for(
            api_user(), statuses=args.get("status"), run_id=args.get("run_id"),
            depot_id=args.get("depot_id"), listing=listing, limit=per_page,
            offset=(args["page"] - 1) * per_page,
        )


@blp.route("/proposals/<int:proposal_id>")
class ProposalsById(MethodView):
    @token_required
    @blp.response(200, ms.ProposalSchema)
    @blp.alt_response(404, description="No such proposal, or not yours.")
    def get(self, proposal_id: int) -> Proposal:
        """One proposal: route, dates, distance, cost, CO2 and both answers"""
        return svc.get_proposal(api_user(), proposal_id)


def _action(path: str, summary: str, call: Any, schema: Any = None) -> None:
    """Register POST /proposals/<id>/<path>, answering the proposal (200) or 403/404/409."""

    def post(self: MethodView, *args: Any, **kwargs: Any) -> Proposal:
        data = args[0] if args else {}
        return call(api_user(), kwargs["proposal_id"], data)  # type: ignore[no-any-return]

    post.__doc__ = summary
    view = post
    view = blp.alt_response(409, description="Not possible in the proposal's state.")(view)
    view = blp.alt_response(404, description="No such proposal, or not yours.")(view)
    view = blp.alt_response(403, description="Not your side of the proposal.")(view)
    view = blp.response(200, ms.ProposalSchema)(view)
    if schema is not None:
        view = blp.arguments(schema)(view)
    view = token_required(view)
    name = "Proposal" + "".join(part.capitalize() for part in path.split("-"))
    blp.route(f"/proposals/<int:proposal_id>/{path}")(type(name, (MethodView,), {"post": view}))


_action("accept", "Accept for your side; when both sides accepted, the units are reserved",
        lambda u, pid, d: svc.accept_proposal(u, pid, side=d.get("side")), ms.AnswerSchema)
_action("reject", "Reject for your side; the proposal ends",
        lambda u, pid, d: svc.reject_proposal(u, pid, side=d.get("side"),
                                              reason=d.get("reason", "")), ms.RejectSchema)
_action("schedule", "Confirm the transport as planned (supplier side)",
        lambda u, pid, d: svc.schedule_proposal(u, pid))
_action("deliver", "Confirm a direct delivery (receiver side)",
        lambda u, pid, d: svc.confirm_delivery(u, pid))
_action("close", "Close a delivered proposal (receiver side)",
        lambda u, pid, d: svc.close_proposal(u, pid))
_action("check-in", "Check the units of a depot route in at the depot (its managers)",
        lambda u, pid, d: (depot_svc.check_in(u, pid), svc.get_proposal(u, pid))[1])
_action("check-out", "Check units out of the depot to the receiver (its managers)",
        lambda u, pid, d: (depot_svc.check_out(u, pid), svc.get_proposal(u, pid))[1])


@blp.route("/notifications")
class Notifications(MethodView):
    @token_required
    @blp.arguments(ms.NotificationQueryArgsSchema, location="query")
    @blp.response(200, ms.NotificationSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Your messages, newest first, in your language"""
        return notes.notifications_for(api_user(), unread_only=args["unread"],
                                       limit=args["limit"])


@blp.route("/notifications/read")
class NotificationsRead(MethodView):
    @token_required
    @blp.arguments(ms.MarkReadSchema)
    @blp.response(200, ms.MarkedSchema)
    def post(self, args: dict[str, Any]) -> dict[str, int]:
        """Mark your messages (all, or those in ids) as read"""
        return {"marked": notes.mark_read(api_user(), args.get("ids"))}
