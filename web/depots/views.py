"""The depot pages: my depots, one depot's stock and capacity, its ledger, and the stock forms.

Depot managers see the depots they manage, coordinators every depot; everyone else gets a 403.
Each view parses a form, calls :mod:`web.services.depots`, and renders; the service checks the
depot's room, what a correction may take away and who may do it.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from web.depots.chart import capacity_chart
from web.depots.forms import ConfirmForm, CorrectionForm, WalkInForm
from web.extensions import db
from web.main.display import material_name, unit_label
from web.main.forms import apply_service_errors
from web.models import HOLDING_STATUSES, Depot, Proposal, Role
from web.services import catalogue, matching
from web.services import depots as service
from web.services.errors import Conflict, ValidationError

bp = Blueprint("depots", __name__, url_prefix="/depots")

CHART_DAYS = 42  # six weeks ahead
LEDGER_ON_PAGE = 20
DEPOT_ROLES = (Role.DEPOT_MANAGER, Role.COORDINATOR)

LEDGER_KIND_LABELS = {
    "check_in": _l("check-in"),
    "check_out": _l("check-out"),
    "correction": _l("correction"),
    "reserve": _l("reserved"),
    "release": _l("released"),
}


@bp.app_context_processor
def depot_context() -> dict[str, object]:
    return {"ledger_kind_labels": LEDGER_KIND_LABELS}


def _role_required() -> None:
    if current_user.role not in DEPOT_ROLES:
        abort(403)


def _managed(depot_id: int) -> Depot:
    """The depot if this user runs it: 404 when there is none, 403 when it is someone else's."""
    _role_required()
    depot = service.get_depot(depot_id)
    if not service.can_manage(current_user, depot_id):
        abort(403)
    return depot


@bp.route("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    _role_required()
    depots = service.depots_of(current_user)
    summaries = {d.id: service.stock_summary(d.id) for d in depots}
    return render_template("depots/index.html", depots=depots, summaries=summaries)


def _movements(depot_id: int) -> list[Proposal]:
    """Accepted proposals that pass through or leave from this depot, by date."""
    holding = [s.value for s in HOLDING_STATUSES]
    found = matching.proposals_for(current_user, statuses=holding, depot_id=depot_id)
    return sorted(found, key=lambda p: (p.pickup_date, p.delivery_date, p.id))


@bp.route("/<int:depot_id>")
@login_required
def stock(depot_id: int):  # type: ignore[no-untyped-def]
    """Totals per material, capacity over six weeks as a chart, movements, lots, the ledger."""
    depot = _managed(depot_id)
    today = date.today()
    use = service.capacity_use(depot_id, start=today, days=CHART_DAYS, today=today)
    entries = service.ledger(depot_id)
    return render_template(
        "depots/stock.html",
        depot=depot,
        summary=service.stock_summary(depot_id, today=today),
        chart=capacity_chart(use, depot.capacity_m3),
        use=use,
        movements=_movements(depot_id),
        lots=service.lots(depot_id),
        ledger=list(reversed(entries))[:LEDGER_ON_PAGE],
        ledger_total=len(entries),
        form=ConfirmForm(),
        today=today,
    )


@bp.route("/<int:depot_id>/ledger")
@login_required
def ledger(depot_id: int):  # type: ignore[no-untyped-def]
    """The whole ledger, newest first (it is append-only: lines are never changed)."""
    depot = _managed(depot_id)
    return render_template(
        "depots/ledger.html", depot=depot, ledger=list(reversed(service.ledger(depot_id)))
    )


def _csv(text: str, name: str) -> Response:
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/<int:depot_id>/stock.csv")
@login_required
def stock_csv(depot_id: int):  # type: ignore[no-untyped-def]
    _managed(depot_id)
    return _csv(service.stock_csv(depot_id), f"depot-{depot_id}-stock.csv")


@bp.route("/<int:depot_id>/ledger.csv")
@login_required
def ledger_csv(depot_id: int):  # type: ignore[no-untyped-def]
    _managed(depot_id)
    return _csv(service.ledger_csv(depot_id), f"depot-{depot_id}-ledger.csv")


# ----------------------------------------------------------------------------- forms


def _material_choices() -> list[tuple[str, str]]:
    return [("", _("Choose a material"))] + [
        (m.code, f"{material_name(m)}") for m in catalogue.list_materials()
    ]


@bp.route("/<int:depot_id>/walk-in", methods=["GET", "POST"])
@login_required
def walk_in(depot_id: int):  # type: ignore[no-untyped-def]
    """Stock brought in by hand: a new lot and its check-in line; errors keep what was typed."""
    depot = _managed(depot_id)
    form = WalkInForm()
    form.material_code.choices = _material_choices()
    if form.validate_on_submit():
        try:
            lot = service.add_walk_in(current_user, depot_id, form.service_data())
        except (ValidationError, Conflict) as error:
            db.session.rollback()
            apply_service_errors(form, error)
        else:
            flash(_("%(n)d %(unit)s %(material)s checked in.", n=lot.quantity,
                    unit=unit_label(lot.material.unit), material=material_name(lot.material)),
                  "success")
            return redirect(url_for("depots.stock", depot_id=depot_id))
    status = 422 if request.method == "POST" else 200
    return render_template("depots/walk_in.html", depot=depot, form=form), status


@bp.route("/<int:depot_id>/lots/<int:lot_id>/correct", methods=["GET", "POST"])
@login_required
def correct(depot_id: int, lot_id: int):  # type: ignore[no-untyped-def]
    """A counted difference on one lot, with a mandatory reason."""
    depot = _managed(depot_id)
    lot = service.get_lot(lot_id)
    if lot.depot_id != depot_id:
        abort(404)
    form = CorrectionForm()
    if form.validate_on_submit():
        try:
            service.correct_stock(current_user, lot_id, form.quantity_delta.data,
                                  form.reason.data)
        except (ValidationError, Conflict) as error:
            db.session.rollback()
            apply_service_errors(form, error)
        else:
            flash(_("The correction was added to the ledger."), "success")
            return redirect(url_for("depots.stock", depot_id=depot_id))
    status = 422 if request.method == "POST" else 200
    return render_template("depots/correct.html", depot=depot, lot=lot, form=form), status


def _depot_proposal(depot_id: int, proposal_id: int) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.depot_id != depot_id:
        abort(404)
    return proposal


def _movement(depot_id: int, proposal_id: int, action: str):  # type: ignore[no-untyped-def]
    """GET asks to confirm; POST checks the proposal's units in or out."""
    depot = _managed(depot_id)
    proposal = _depot_proposal(depot_id, proposal_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            if action == "check_in":
                service.check_in(current_user, proposal_id)
                flash(_("Checked in: proposal %(id)s is in the depot.", id=proposal_id),
                      "success")
            else:
                service.check_out(current_user, proposal_id)
                flash(_("Checked out: proposal %(id)s is delivered to its receiver.",
                        id=proposal_id), "success")
        except Conflict as error:
            db.session.rollback()
            flash(str(error.message), "error")
        return redirect(url_for("depots.stock", depot_id=depot_id))
    status = 400 if request.method == "POST" else 200
    return render_template("depots/movement.html", depot=depot, proposal=proposal, form=form,
                           action=action), status


@bp.route("/<int:depot_id>/proposals/<int:proposal_id>/check-in", methods=["GET", "POST"])
@login_required
def check_in(depot_id: int, proposal_id: int):  # type: ignore[no-untyped-def]
    return _movement(depot_id, proposal_id, "check_in")


@bp.route("/<int:depot_id>/proposals/<int:proposal_id>/check-out", methods=["GET", "POST"])
@login_required
def check_out(depot_id: int, proposal_id: int):  # type: ignore[no-untyped-def]
    return _movement(depot_id, proposal_id, "check_out")
