"""The start page, and the navigation every page of the site shows."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import default_exceptions

from web.main.display import (
    CONDITION_LABELS,
    EVENT_LABELS,
    KIND_LABELS,
    MOUNTING_LABELS,
    STATUS_LABELS,
    material_name,
    unit_label,
)

bp = Blueprint("main", __name__)

# (endpoint, label, who sees it): "all", "user" (logged in), "depot" (depot managers and
# coordinators) or "coordinator".
NAV = (
    ("listings.browse", _l("Find materials"), "all"),
    ("projects.mine", _l("My projects and listings"), "user"),
    ("proposals.mine", _l("My proposals"), "user"),
    ("depots.index", _l("Depots"), "depot"),
    ("runs.index", _l("Match runs"), "coordinator"),
    ("catalogue.index", _l("Catalogue"), "coordinator"),
)

ERROR_TEXT = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Please check what you sent."),
    ),
    401: (_l("Please log in"), _l("You need to log in to see this page.")),
    403: (_l("Not allowed"), _l("You are logged in, but you may not do this.")),
    404: (_l("Page not found"), _l("This page does not exist, or it has been removed.")),
    405: (_l("Not allowed"), _l("This address does not accept that kind of request.")),
    409: (_l("Not possible now"), _l("This cannot be done in the item's current state.")),
    413: (_l("Too large"), _l("What you sent is too large.")),
    422: (_l("Check your input"), _l("Some of what you sent is not valid.")),
    429: (_l("Too many requests"), _l("Please wait a moment and try again.")),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error occurred. It has been logged; please try again later."),
    ),
}


def nav_items() -> list[tuple[str, object]]:
    """The main navigation for the current user; areas not built yet are left out."""
    views = current_app.view_functions
    items = []
    for endpoint, label, who in NAV:
        if endpoint not in views:
            continue
        if who == "user" and not current_user.is_authenticated:
            continue
        if who == "depot" and not (
            current_user.is_authenticated and current_user.role.value != "project_lead"
        ):
            continue
        if who == "coordinator" and not (
            current_user.is_authenticated and current_user.is_coordinator
        ):
            continue
        items.append((endpoint, label))
    return items


def error_text(code: int, message: object | None = None) -> tuple[object, object, object | None]:
    """Heading, explanation and (if it says more than werkzeug's English default) the detail."""
    heading, sentence = ERROR_TEXT.get(code, ERROR_TEXT[500 if code >= 500 else 400])
    default = default_exceptions.get(code)
    detail = message
    if message is None or (default is not None and str(message) == default.description):
        detail = None
    return heading, sentence, detail


@bp.app_context_processor
def site_context() -> dict[str, object]:
    return {
        "nav_items": nav_items,
        "url_rules": current_app.view_functions,
        "error_text": error_text,
        "material_name": material_name,
        "status_labels": STATUS_LABELS,
        "condition_labels": CONDITION_LABELS,
        "mounting_labels": MOUNTING_LABELS,
        "kind_labels": KIND_LABELS,
        "event_labels": EVENT_LABELS,
        "unit_label": unit_label,
    }


@bp.route("/")
def index():  # type: ignore[no-untyped-def]
    """The start page: what MaterialMatch is, and a search box."""
    return render_template("main/index.html")
