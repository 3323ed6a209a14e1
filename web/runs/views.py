"""Match runs: when they ran, how they ended, what they found; and starting one by hand.

The run is synchronous (:func:`web.services.matching.run_matching`): on the marketplace's sizes it
takes seconds.  It takes the run lock without waiting, so the button never blocks behind the
nightly run; it says so instead.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm

from web.auth.roles import coordinator_required
from web.models import ProposalStatus
from web.services import matching as service

bp = Blueprint("runs", __name__, url_prefix="/runs")

RUN_STATUS_LABELS = {"succeeded": _l("succeeded"), "failed": _l("failed")}


class StartRunForm(FlaskForm):
    """The start button: only its CSRF token."""


@bp.route("/")
@coordinator_required
def index():  # type: ignore[no-untyped-def]
    return render_template("runs/index.html", runs=service.list_runs(), form=StartRunForm(),
                           run_status_labels=RUN_STATUS_LABELS)


@bp.route("/<int:run_id>")
@coordinator_required
def view(run_id: int):  # type: ignore[no-untyped-def]
    run = service.get_run(run_id)
    every_status = [s.value for s in ProposalStatus]  # superseded ones too: it is history
    proposals = service.proposals_for(current_user, run_id=run_id, statuses=every_status)
    return render_template("runs/view.html", run=run, proposals=proposals,
                           run_status_labels=RUN_STATUS_LABELS)


@bp.route("/start", methods=["POST"])
@coordinator_required
def start():  # type: ignore[no-untyped-def]
    if not StartRunForm().validate_on_submit():
        abort(400)
    try:
        run = service.run_matching(actor=current_user)
    except service.RunInProgress:
        flash(_("A matching run is already going on. Try again when it has finished."),
              "warning")
    except Exception:  # recorded as a failed run by the service, with its error
        current_app.logger.exception("matching run started from the site failed")
        flash(_("The matching run failed; see the error in the list below."), "error")
    else:
        flash(ngettext("Matching run %(id)s finished: %(num)d proposal.",
                       "Matching run %(id)s finished: %(num)d proposals.",
                       run.n_proposals, id=run.id), "success")
    return redirect(url_for("runs.index"))
