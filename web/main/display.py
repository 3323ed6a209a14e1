"""How the site names things: materials in the page's language, statuses, conditions."""

from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

CONDITION_LABELS = {
    "A": _l("A: as new"),
    "B": _l("B: used, good"),
    "C": _l("C: usable"),
}
MOUNTING_LABELS = {
    "loose": _l("Loose"),
    "bolted": _l("Bolted or screwed"),
    "mortared": _l("Mortared"),
    "glued": _l("Glued"),
}
STATUS_LABELS = {
    "draft": _l("Draft"),
    "open": _l("Open"),
    "partly_matched": _l("Partly matched"),
    "reserved": _l("Reserved"),
    "closed": _l("Closed"),
    "withdrawn": _l("Withdrawn"),
}
KIND_LABELS = {"supply": _l("Offered"), "demand": _l("Wanted")}
EVENT_LABELS = {
    "created": _l("posted"),
    "updated": _l("changed"),
    "published": _l("published"),
    "unpublished": _l("back to draft"),
    "withdrawn": _l("withdrawn"),
    "reserved": _l("partly reserved"),
    "released": _l("reservation released"),
    "closed": _l("closed"),
    "delivered": _l("delivered"),
}

UNIT_LABELS = {"pcs": _l("pcs"), "m": "m", "m2": "m²", "m3": "m³", "t": "t"}


def unit_label(unit: str) -> str:
    """A catalogue unit as people write it: "m2" -> "m²", "pcs" -> "stuks" in Dutch."""
    return str(UNIT_LABELS.get(unit, unit))


def material_name(material: object) -> str:
    """A catalogue material's name in the page's language (Dutch, else English)."""
    locale = get_locale()
    if locale is not None and locale.language == "nl":
        return str(getattr(material, "name_nl", "") or getattr(material, "name", ""))
    return str(getattr(material, "name", "") or getattr(material, "name_nl", ""))
