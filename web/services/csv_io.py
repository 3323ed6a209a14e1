"""CSV import of a project's inventory (all rows or none) and CSV export of listings.

The import reads a demolition inventory spreadsheet saved as CSV (comma or semicolon separated,
UTF-8, Dutch or English column names), checks every row with the same rules as the forms and the
API, and either creates every listing in one transaction or nothing at all, reporting one error
per bad row and column.  The export writes the same columns, so an export can be imported again.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from web.extensions import db
from web.models import CsvImport, DemandListing, ListingKind, SupplyListing, User
from web.services import listings as svc
from web.services.errors import ValidationError
from web.services.projects import can_edit_project, get_project

#: Canonical column names, in export order; the first block is shared by both kinds.
COLUMNS = (
    "kind", "title", "material_code", "quantity", "description", "specification", "location",
    "condition", "mounting", "available_from", "available_until",
    "min_condition", "needed_from", "needed_until", "max_distance_km", "status",
)
#: Dutch (and a few common English) headers accepted for each column.
ALIASES = {
    "soort": "kind", "type": "kind",
    "titel": "title", "naam": "title",
    "materiaal": "material_code", "materiaalcode": "material_code", "material": "material_code",
    "aantal": "quantity", "hoeveelheid": "quantity",
    "omschrijving": "description", "beschrijving": "description",
    "specificatie": "specification", "afmetingen": "specification",
    "locatie": "location", "postcode": "location",
    "conditie": "condition", "staat": "condition",
    "bevestiging": "mounting", "montage": "mounting",
    "beschikbaar_vanaf": "available_from", "beschikbaar_tot": "available_until",
    "minimale_conditie": "min_condition",
    "nodig_vanaf": "needed_from", "nodig_tot": "needed_until",
    "max_afstand_km": "max_distance_km",
}
KIND_WORDS = {"supply": ListingKind.SUPPLY, "aanbod": ListingKind.SUPPLY,
              "demand": ListingKind.DEMAND, "vraag": ListingKind.DEMAND}
#: Columns an export writes that an import reads past (they are the database's, not the user's).
EXPORT_ONLY = frozenset({"id", "project_id", "reserved_quantity", "lat", "lon", "distance_km"})
ATTRIBUTE_PREFIX = "attr:"  # "attr:length_m" -> attributes["length_m"]


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return str(_l("row %(row)d, column %(column)s: %(message)s",
                      row=self.row, column=self.column, message=self.message))

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message, "text": str(self)}


class CsvImportError(ValidationError):
    """The file was refused as a whole; ``rows`` holds one :class:`RowError` per problem."""

    def __init__(self, rows: list[RowError]) -> None:
        super().__init__(
            _l("The file was not imported: %(n)d problem(s). Nothing was saved.", n=len(rows)),
            {"file": [str(r) for r in rows]},
        )
        self.rows = rows


@dataclass(frozen=True)
class ImportResult:
    supply: list[SupplyListing]
    demand: list[DemandListing]

    @property
    def created(self) -> int:
        return len(self.supply) + len(self.demand)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        message = str(_l("The file is not UTF-8 text."))
        raise CsvImportError([RowError(0, "file", message)]) from None


def _canonical(header: str) -> str:
    key = header.strip().lower().replace(" ", "_").replace("-", "_")
    if key.startswith(ATTRIBUTE_PREFIX):
        return ATTRIBUTE_PREFIX + header.strip()[len(ATTRIBUTE_PREFIX):].strip()
    return ALIASES.get(key, key)


def _number(text: str) -> float | str:
    """A measured value: Dutch "6,2" and "6.2" are numbers, anything else stays text."""
    candidate = text.strip().replace(",", ".")
    try:
        return float(candidate)
    except ValueError:
        return text.strip()


def _row_data(kind: ListingKind, record: Mapping[str, str], project_id: int) -> dict[str, Any]:
    data: dict[str, Any] = {"project_id": project_id}
    attributes: dict[str, Any] = {}
    for column, value in record.items():
        value = (value or "").strip()
        if column.startswith(ATTRIBUTE_PREFIX):
            if value:
                attributes[column[len(ATTRIBUTE_PREFIX):]] = _number(value)
            continue
        if column == "kind" or column in EXPORT_ONLY or not value:
            continue
        if column == "max_distance_km":
            data[column] = value.replace(",", ".")
        else:
            data[column] = value
    if attributes and kind == ListingKind.SUPPLY:
        data["attributes"] = attributes
    keep = svc.SUPPLY_FIELDS if kind == ListingKind.SUPPLY else svc.DEMAND_FIELDS
    return {k: v for k, v in data.items() if k in keep}


def read_rows(raw: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header (canonical names) and (line number, record) pairs; structural problems raise."""
    text = _decode(raw)
    if not text.strip():
        raise CsvImportError([RowError(1, "file", str(_l("The file is empty.")))])
    first = text.splitlines()[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [_canonical(h) for h in next(reader)]
    problems = []
    known = set(COLUMNS) | EXPORT_ONLY
    for name in header:
        if name not in known and not name.startswith(ATTRIBUTE_PREFIX):
            problems.append(RowError(1, name or "?", str(_l("Unknown column."))))
    duplicates = {h for h in header if header.count(h) > 1}
    for name in sorted(duplicates):
        problems.append(RowError(1, name, str(_l("This column appears twice."))))
    for required in ("title", "material_code", "quantity"):
        if required not in header:
            problems.append(RowError(1, required, str(_l("This column is missing."))))
    if problems:
        raise CsvImportError(problems)
    rows = []
    max_rows = int(current_app.config.get("CSV_MAX_ROWS", 5000))
    for record in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # spreadsheets end with blank lines
        if len(record) != len(header):
            problems.append(RowError(line, "file", str(_l(
                "Expected %(n)d cells, found %(m)d.", n=len(header), m=len(record)))))
            continue
        rows.append((line, dict(zip(header, record, strict=True))))
        if len(rows) > max_rows:
            raise CsvImportError([RowError(line, "file", str(_l(
                "At most %(n)d rows per file.", n=max_rows)))])
    if problems:
        raise CsvImportError(problems)
    if not rows:
        raise CsvImportError([RowError(2, "file", str(_l("The file has no rows.")))])
    return header, rows


def import_inventory(actor: User, project_id: int, raw: bytes, filename: str = "") -> ImportResult:
    """Create a listing per row for the project, all in one transaction, or raise and write nothing.

    Each row's ``kind`` is supply (aanbod, the default) or demand (vraag).  Every error is
    reported with its line in the file and its column.
    """
    from web.services.errors import PermissionDenied

    project = get_project(project_id)
    if not can_edit_project(actor, project):
        raise PermissionDenied(_l("Only the project's lead or a coordinator can import into it."))
    digest = hashlib.sha256(raw).hexdigest()
    if db.session.scalar(select(CsvImport.id).where(
            CsvImport.project_id == project.id, CsvImport.sha256 == digest)):
        raise CsvImportError([RowError(0, "file", str(_l(
            "This file was already imported into this project.")))])
    _, rows = read_rows(raw)
    problems: list[RowError] = []
    made: dict[ListingKind, list[Any]] = {ListingKind.SUPPLY: [], ListingKind.DEMAND: []}
    try:
        for line, record in rows:
            word = (record.get("kind") or "supply").strip().lower()
            kind = KIND_WORDS.get(word)
            if kind is None:
                problems.append(RowError(line, "kind", str(_l("Use supply or demand."))))
                continue
            try:
                made[kind].append(svc.create_listing(
                    actor, kind, _row_data(kind, record, project.id), commit=False))
            except ValidationError as exc:
                for column, message in exc.field_errors.items():
                    problems.append(RowError(line, column, str(message)))
        if problems:
            raise CsvImportError(problems)
        db.session.add(CsvImport(project_id=project.id, actor_id=actor.id,
                                 filename=(filename or "")[:255], rows=len(rows), sha256=digest))
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return ImportResult(made[ListingKind.SUPPLY], made[ListingKind.DEMAND])


def export_listings(kind: ListingKind | str, viewer: User | None = None, **filters: Any) -> str:
    """Every listing the search finds (all pages), as CSV with the import's columns."""
    kind = svc.listing_kind(kind)
    out = io.StringIO()
    columns = ["id", "kind", "status", "project_id", "title", "material_code", "quantity",
               "reserved_quantity", "description", "specification", "location", "lat", "lon"]
    if kind == ListingKind.SUPPLY:
        columns += ["condition", "mounting", "available_from", "available_until"]
    else:
        columns += ["min_condition", "needed_from", "needed_until", "max_distance_km"]
    columns.append("distance_km")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    page_no = 1
    while True:
        page = svc.search_listings(kind, page=page_no, per_page=100, viewer=viewer, **filters)
        for hit in page.items:
            listing = hit.listing
            values = {
                "kind": kind.value, "location": f"{listing.lat:.5f}, {listing.lon:.5f}",
                "distance_km": "" if hit.distance_km is None else f"{hit.distance_km:.3f}",
            }
            row = []
            for column in columns:
                value = values.get(column, getattr(listing, column, ""))
                row.append("" if value is None else getattr(value, "value", value))
            writer.writerow(row)
        if not page.has_next:
            break
        page_no += 1
    return out.getvalue()
