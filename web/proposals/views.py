"""The proposal pages: my proposals, one proposal, and the answers and steps after it.

Each view parses a small form, calls :mod:`web.services.matching`, flashes the outcome and goes
back to the proposal.  The service decides who may answer for which side and what the proposal's
state allows; :func:`next_steps` only chooses which buttons to show, so a button never appears
that the service would refuse for this user and state.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from web.extensions import db
from web.models import Decision, Proposal, ProposalStatus
from web.proposals.display import (
    DECISION_LABELS,
    PROPOSAL_STATUS_LABELS,
    SIDE_LABELS,
    TABS,
    route_label,
)
from web.proposals.forms import ActionForm, RejectForm
from web.services import depots as depot_service
from web.services import matching as service
from web.services.errors import Conflict

bp = Blueprint("proposals", __name__, url_prefix="/proposals")

_DEPOT_STEP_STATUSES = (ProposalStatus.ACCEPTED, ProposalStatus.SCHEDULED)


@bp.app_context_processor
def proposal_context() -> dict[str, object]:
    return {
        "proposal_status_labels": PROPOSAL_STATUS_LABELS,
        "decision_labels": DECISION_LABELS,
        "side_labels": SIDE_LABELS,
        "route_label": route_label,
    }


def _visible(proposal_id: int) -> Proposal:
    """The proposal; 404 when it does not exist, 403 when it is someone else's."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        abort(404)
    if not service.can_view(current_user, proposal):
        abort(403)
    return proposal


def next_steps(user: Any, p: Proposal) -> list[dict[str, str]]:
    """The buttons ``user`` gets on ``p``: (action, side, label) in the order they come."""
    sides = service.sides_of(user, p)
    both = len(sides) > 1
    steps: list[dict[str, str]] = []
    if p.status == ProposalStatus.PROPOSED:
        for side in service.SIDES:
            if side in sides and getattr(p, f"{side}_decision") == Decision.PENDING:
                who = f" ({SIDE_LABELS[side]})" if both else ""
                steps.append({"action": "accept", "side": side, "label": _("Accept") + who})
                steps.append({"action": "reject", "side": side, "label": _("Reject") + who})
    if p.status == ProposalStatus.ACCEPTED and service.SUPPLIER in sides:
        steps.append({"action": "schedule", "side": "", "label": _("Transport is planned")})
    if (p.route == "direct" and p.status in _DEPOT_STEP_STATUSES
            and service.RECEIVER in sides):
        steps.append({"action": "deliver", "side": "", "label": _("Confirm delivery")})
    if p.status == ProposalStatus.DELIVERED and service.RECEIVER in sides:
        steps.append({"action": "close", "side": "", "label": _("Close")})
    if p.depot_id is not None and depot_service.can_manage(user, p.depot_id):
        if p.route == "depot" and p.status in _DEPOT_STEP_STATUSES:
            steps.append({"action": "check_in", "side": "", "label": _("Check in at the depot")})
        if (p.route == "depot" and p.status == ProposalStatus.IN_DEPOT) or (
            p.route == "stock" and p.status in _DEPOT_STEP_STATUSES
        ):
            steps.append(
                {"action": "check_out", "side": "", "label": _("Check out to the receiver")}
            )
    return steps


@bp.app_template_global()
def proposal_steps(p: Proposal) -> list[dict[str, str]]:
    return next_steps(current_user, p) if current_user.is_authenticated else []


@bp.route("/")
@login_required
def mine():  # type: ignore[no-untyped-def]
    """Proposals for my listings (and my depots), by tab: to answer, under way, finished."""
    tab = request.args.get("tab", "open")
    if tab not in TABS and tab != "all":
        tab = "open"
    statuses = TABS[tab][1] if tab in TABS else None
    proposals = service.proposals_for(current_user, statuses=statuses)
    return render_template(
        "proposals/mine.html", proposals=proposals, tab=tab, tabs=TABS, form=ActionForm()
    )


@bp.route("/<int:proposal_id>")
@login_required
def view(proposal_id: int):  # type: ignore[no-untyped-def]
    proposal = _visible(proposal_id)
    return render_template(
        "proposals/view.html",
        proposal=proposal,
        sides=service.sides_of(current_user, proposal),
        form=ActionForm(),
    )


def _back(proposal_id: int):  # type: ignore[no-untyped-def]
    return redirect(url_for("proposals.view", proposal_id=proposal_id))


def _run(proposal_id: int, call: Any, done: str):  # type: ignore[no-untyped-def]
    """Call the service; a state that no longer allows it is a flash, not an error page."""
    try:
        call()
    except Conflict as error:
        db.session.rollback()  # nothing of a refused step is kept
        flash(str(error.message), "error")
    else:
        flash(done, "success")
    return _back(proposal_id)


@bp.route("/<int:proposal_id>/accept", methods=["POST"])
@login_required
def accept(proposal_id: int):  # type: ignore[no-untyped-def]
    _visible(proposal_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        p = service.accept_proposal(current_user, proposal_id, form.side.data or None)
    except Conflict as error:
        db.session.rollback()  # nothing of a refused step is kept
        flash(str(error.message), "error")
    else:
        if p.status == ProposalStatus.PROPOSED:
            flash(_("You accepted. We are waiting for the other party."), "success")
        else:
            flash(_("Both parties accepted: the material is reserved."), "success")
    return _back(proposal_id)


@bp.route("/<int:proposal_id>/reject", methods=["GET", "POST"])
@login_required
def reject(proposal_id: int):  # type: ignore[no-untyped-def]
    """GET asks to confirm (with an optional reason); POST rejects for one side."""
    proposal = _visible(proposal_id)
    form = RejectForm()
    if request.method == "GET":
        form.side.data = request.args.get("side", "")
    elif form.validate_on_submit():
        return _run(
            proposal_id,
            lambda: service.reject_proposal(
                current_user, proposal_id, form.side.data or None, form.reason.data or ""
            ),
            _("You rejected the proposal. Both parties have been told."),
        )
    status = 422 if request.method == "POST" else 200
    return render_template("proposals/reject.html", proposal=proposal, form=form), status


def _step(proposal_id: int, call: Any, done: str):  # type: ignore[no-untyped-def]
    _visible(proposal_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _run(proposal_id, lambda: call(current_user, proposal_id), done)


@bp.route("/<int:proposal_id>/schedule", methods=["POST"])
@login_required
def schedule(proposal_id: int):  # type: ignore[no-untyped-def]
    return _step(proposal_id, service.schedule_proposal,
                 _("The transport is marked as planned."))


@bp.route("/<int:proposal_id>/deliver", methods=["POST"])
@login_required
def deliver(proposal_id: int):  # type: ignore[no-untyped-def]
    return _step(proposal_id, service.confirm_delivery, _("The delivery is confirmed."))


@bp.route("/<int:proposal_id>/close", methods=["POST"])
@login_required
def close(proposal_id: int):  # type: ignore[no-untyped-def]
    return _step(proposal_id, service.close_proposal, _("The proposal is closed."))
