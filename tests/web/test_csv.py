"""CSV import of an inventory (all rows or none, an error per row and column) and CSV export."""

from __future__ import annotations

import csv
import io

import pytest

from tests.web.conftest import auth, count, future
from web.models import CsvImport, DemandListing, ListingEvent, SupplyListing
from web.services import csv_io
from web.services.errors import PermissionDenied

F, U = future(10).isoformat(), future(40).isoformat()

GOOD = (
    "kind,title,material_code,quantity,condition,mounting,available_from,available_until,"
    "needed_from,needed_until,attr:length_m\n"
    f"supply,Tegels plein,tile-30x30,1200,B,loose,{F},{U},,,\n"
    f"aanbod,HEA 200 liggers,steel-hea200,8,B,bolted,{F},{U},,,\"6,2\"\n"
    f"vraag,Tegels nodig,tile-30x30,300,,,,,{F},{U},\n"
)
DUTCH_SEMICOLON = (
    "soort;titel;materiaal;aantal;conditie;bevestiging;beschikbaar_vanaf;beschikbaar_tot\n"
    f"aanbod;Bakstenen;brick-wf;5000;C;gemetseld;{F};{U}\n"
)


def upload(client, token, project_id, text, name="inventaris.csv"):  # type: ignore[no-untyped-def]
    data = {"file": (io.BytesIO(text.encode("utf-8") if isinstance(text, str) else text), name)}
    return client.post(f"/api/v1/projects/{project_id}/inventory", data=data,
                       content_type="multipart/form-data", headers=auth(token))


def test_a_good_inventory_becomes_listings_with_history(client, tokens, project):
    r = upload(client, tokens["lead"], project.id, GOOD)
    assert r.status_code == 201, r.json
    assert r.json["created"] == 3 and len(r.json["supply_ids"]) == 2
    beam = SupplyListing.query.filter_by(material_code="steel-hea200").one()
    assert beam.attributes == {"length_m": 6.2} and beam.mounting.value == "bolted"
    assert count(DemandListing) == 1 and count(ListingEvent) == 3 and count(CsvImport) == 1


def test_dutch_headers_and_semicolons_are_read(app, users, project):
    # "gemetseld" is not a mounting code: the error names row 2 and the column
    with pytest.raises(csv_io.CsvImportError) as caught:
        csv_io.import_inventory(users["lead"], project.id, DUTCH_SEMICOLON.encode())
    assert [(e.row, e.column) for e in caught.value.rows] == [(2, "mounting")]
    fixed = DUTCH_SEMICOLON.replace("gemetseld", "mortared").encode()
    result = csv_io.import_inventory(users["lead"], project.id, fixed)
    assert result.created == 1 and result.supply[0].quantity == 5000


def test_one_bad_row_refuses_the_whole_file_with_every_error_located(client, tokens, project):
    bad = GOOD + (
        f"supply,,tile-30x30,veel,Q,loose,{F},{U},,,\n"
        f"supply,Onbekend,unobtainium,5,B,loose,{U},{F},,,\n"
        f"ruil,Iets,tile-30x30,5,B,loose,{F},{U},,,\n"
    )
    r = upload(client, tokens["lead"], project.id, bad)
    assert r.status_code == 422
    errors = r.json["errors"]["json"]["file"]
    expected = [
        ("5", "title"), ("5", "quantity"), ("5", "condition"),
        ("6", "material_code"), ("6", "available_until"),
        ("7", "kind"),
    ]
    assert len(errors) == len(expected)
    for (row, column), text in zip(expected, errors, strict=True):
        assert f"rij {row}, kolom {column}" in text or f"row {row}, column {column}" in text
    assert count(SupplyListing) == 0 and count(DemandListing) == 0
    assert count(ListingEvent) == 0 and count(CsvImport) == 0


@pytest.mark.parametrize(("content", "column"), [
    ("", "file"),
    ("title,material_code,quantity\n", "file"),
    ("title,material_code\nTegels,tile-30x30\n", "quantity"),
    ("title,material_code,quantity,kleur\nT,tile-30x30,4,rood\n", "kleur"),
    ("title,title,material_code,quantity\nT,T,tile-30x30,4\n", "title"),
    ("title,material_code,quantity\nT,tile-30x30\n", "file"),
    (b"title,material_code,quantity\n\xff\xfe,tile-30x30,4\n", "file"),
])
def test_broken_files_are_refused_naming_where(client, tokens, project, content, column):
    r = upload(client, tokens["lead"], project.id, content)
    assert r.status_code == 422, r.json
    assert any(column in e for e in r.json["errors"]["json"]["file"]), r.json
    assert count(SupplyListing) == 0


def test_the_same_file_is_not_imported_twice(client, tokens, project):
    assert upload(client, tokens["lead"], project.id, GOOD).status_code == 201
    again = upload(client, tokens["lead"], project.id, GOOD)
    assert again.status_code == 422 and count(SupplyListing) == 2


def test_too_many_rows_are_refused(app, client, tokens, project, monkeypatch):
    monkeypatch.setitem(app.config, "CSV_MAX_ROWS", 2)
    assert upload(client, tokens["lead"], project.id, GOOD).status_code == 422
    assert count(SupplyListing) == 0


@pytest.mark.parametrize(("role", "status"), [("other_lead", 403), ("depot", 403),
                                              ("coord", 201)])
def test_only_the_lead_and_coordinators_import(client, tokens, project, role, status):
    assert upload(client, tokens[role], project.id, GOOD).status_code == status


def test_import_into_an_unknown_project_is_404_and_without_file_422(client, tokens, project):
    assert upload(client, tokens["coord"], 99999999, GOOD).status_code == 404
    r = client.post(f"/api/v1/projects/{project.id}/inventory", data={},
                    content_type="multipart/form-data", headers=auth(tokens["lead"]))
    assert r.status_code == 422 and "file" in r.json["errors"]["files"]


def test_the_service_refuses_strangers_before_reading(app, users, project):
    with pytest.raises(PermissionDenied):
        csv_io.import_inventory(users["other_lead"], project.id, b"garbage")


def test_an_export_lists_what_the_search_finds_and_imports_again(client, tokens, project,
                                                                 other_project):
    upload(client, tokens["lead"], project.id, GOOD)
    r = client.get("/api/v1/supply/export.csv?near=7523&radius_km=30",
                   headers=auth(tokens["depot"]))
    assert r.status_code == 200 and r.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    assert sorted(row["material_code"] for row in rows) == ["steel-hea200", "tile-30x30"]
    assert all(float(row["distance_km"]) < 30 for row in rows)
    # the export reads back in as an inventory for another project
    again = upload(client, tokens["other_lead"], other_project.id, r.get_data())
    assert again.status_code == 201, again.json
    assert again.json["created"] == 2
