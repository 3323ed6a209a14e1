"""Where things are: Dutch postcodes and places resolved offline, coordinates, distances.

Postcodes (PC4, or PC6 such as "7511 AB", which resolves to its PC4) and place names resolve
through :mod:`matcher.catalogue`'s shipped tables (GeoNames, CC BY 4.0).  Online geocoding through
geopy is an optional extra, used only when ``GEOCODER_ONLINE`` is on and the offline tables do not
know the text.  Distances are the matcher's own great-circle km.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l

from matcher import catalogue
from matcher.geo import great_circle_km
from web.services.errors import ValidationError

_PC = re.compile(r"^\s*(\d{4})\s*([A-Za-z]{2})?\s*$")
_COORDS = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,; ]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")


class ResolvedLocation(NamedTuple):
    lat: float
    lon: float
    label: str


def normalise_postcode(text: str | None) -> str | None:
    """"7511ab" -> "7511 AB", "7511" -> "7511"; None when the text is not a Dutch postcode."""
    if not text:
        return None
    m = _PC.match(text)
    if not m or m.group(1).startswith("0"):
        return None
    return m.group(1) + (" " + m.group(2).upper() if m.group(2) else "")


def lookup_postcode(postcode: str) -> ResolvedLocation | None:
    pc = normalise_postcode(postcode)
    if pc is None:
        return None
    hit = catalogue.lookup_postcode(pc)
    if hit is None:
        return None
    return ResolvedLocation(hit.lat, hit.lon, f"{pc} {hit.place}")


def lookup_place(name: str) -> ResolvedLocation | None:
    place = catalogue.lookup_place(name)
    if place is None:
        return None
    label = place.name if place.municipality in ("", place.name) else (
        f"{place.name} ({place.municipality})"
    )
    return ResolvedLocation(place.lat, place.lon, label)


def check_coordinates(lat: float, lon: float) -> None:
    """Raise :class:`ValidationError` naming ``lat``/``lon`` when they are out of range."""
    errors = {}
    if not -90 <= lat <= 90:
        errors["lat"] = _l("Latitude must be between -90 and 90.")
    if not -180 <= lon <= 180:
        errors["lon"] = _l("Longitude must be between -180 and 180.")
    if errors:
        raise ValidationError(_l("The location is not valid."), errors)


def resolve_location(text: str, field: str = "location") -> ResolvedLocation:
    """A postcode, a place name or "lat, lon" -> (lat, lon, label).

    Raises :class:`ValidationError` naming ``field`` when the text resolves to nothing.
    """
    text = (text or "").strip()
    if not text:
        raise ValidationError(
            _l("The location is not valid."),
            {field: _l("Enter a postcode, a place or coordinates.")},
        )
    coords = _COORDS.match(text)
    if coords:
        lat, lon = float(coords.group(1)), float(coords.group(2))
        if -90 <= lat <= 90 and -180 <= lon <= 180:
            return ResolvedLocation(lat, lon, f"{lat:.5f}, {lon:.5f}")
        raise ValidationError(
            _l("The location is not valid."), {field: _l("These coordinates are out of range.")}
        )
    if _PC.match(text):
        hit = lookup_postcode(text)
        if hit is None:
            raise ValidationError(
                _l("The location is not valid."), {field: _l("Unknown postcode %(pc)s.", pc=text)}
            )
        return hit
    hit = lookup_place(text) or _online(text)
    if hit is None:
        raise ValidationError(
            _l("The location is not valid."),
            {field: _l("Unknown place or postcode: %(text)s.", text=text)},
        )
    return hit


def _online(text: str) -> ResolvedLocation | None:
    """geopy's Nominatim, only when switched on (GEOCODER_ONLINE); off by default."""
    if not has_app_context() or not current_app.config.get("GEOCODER_ONLINE"):
        return None
    try:
        from geopy.geocoders import Nominatim

        agent = current_app.config.get("GEOCODER_USER_AGENT", "materialmatch")
        geocoder = Nominatim(user_agent=agent)
        found = geocoder.geocode(text, country_codes="nl", timeout=5)
    except Exception:  # network trouble must not break a form: say "unknown" instead
        current_app.logger.warning("Online geocoding failed for %r", text, exc_info=True)
        return None
    if found is None:
        return None
    return ResolvedLocation(float(found.latitude), float(found.longitude), str(found.address))


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle km, the matcher's own distance (road km is this times the road factor)."""
    return float(great_circle_km(lat1, lon1, lat2, lon2))


def known_postcodes() -> list[str]:
    """Every PC4 the offline table knows (the benchmark draws its searches from these)."""
    return sorted(catalogue.load_postcodes())
