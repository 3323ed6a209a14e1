"""How the site names a proposal's status, route and answers, in the page's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

PROPOSAL_STATUS_LABELS = {
    "proposed": _l("Waiting for answers"),
    "accepted": _l("Accepted by both"),
    "scheduled": _l("Transport planned"),
    "in_depot": _l("In the depot"),
    "delivered": _l("Delivered"),
    "closed": _l("Closed"),
    "rejected": _l("Rejected"),
    "expired": _l("Expired"),
    "superseded": _l("Replaced by a newer run"),
}
DECISION_LABELS = {
    "pending": _l("no answer yet"),
    "accepted": _l("accepted"),
    "rejected": _l("rejected"),
}
SIDE_LABELS = {"supplier": _l("supplier"), "receiver": _l("receiver")}

#: The list's tabs: name -> (label, statuses shown).
TABS = {
    "open": (_l("To answer"), ["proposed"]),
    "running": (_l("Under way"), ["accepted", "scheduled", "in_depot", "delivered"]),
    "done": (_l("Finished"), ["closed", "rejected", "expired"]),
}


def route_label(proposal: object) -> str:
    """"direct", "through depot X" or "from depot X's stock"."""
    route = getattr(proposal, "route", "direct")
    depot = getattr(proposal, "depot", None)
    name = depot.name if depot is not None else ""
    if route == "stock":
        return str(_l("from the stock of depot %(name)s", name=name))
    if route == "depot":
        return str(_l("through depot %(name)s", name=name))
    return str(_l("direct"))
