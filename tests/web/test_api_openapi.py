"""The served OpenAPI document validates, and every documented operation answers as documented.

Each operation is called twice: without a token (it must answer a documented 401, except the one
that hands out tokens) and with valid input (it must answer its documented success status with a
body that validates against the documented schema).  A test fails when an operation is added to
the marketplace's resources without a case here.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from tests.web.conftest import PASSWORD, auth, demand_data, future, supply_data

INVENTORY = (
    "title,material_code,quantity,available_from,available_until\n"
    f"Tegels,tile-30x30,10,{future(5).isoformat()},{future(9).isoformat()}\n"
)


def _cases(ids: dict[str, int]) -> dict[tuple[str, str], dict[str, Any]]:
    """(method, path) -> the request that exercises it with valid input."""
    s, d, p = ids["supply"], ids["demand"], ids["project"]
    material = {"code": "tile-50x50", "name": "Tile 50x50", "name_nl": "Tegel 50x50",
                "family": "paving", "eural_code": "17 01 01", "unit": "pcs", "kg_per_unit": 25,
                "m3_per_unit": 0.0125, "new_price_eur_per_unit": 3, "disposal_eur_per_unit": 0.3,
                "embodied_kgco2e_per_kg": 0.12}
    return {
        ("post", "/api/v1/tokens"): {"json": {"email": "coord@example.nl", "password": PASSWORD}},
        ("delete", "/api/v1/tokens/current"): {},
        ("get", "/api/v1/me"): {},
        ("get", "/api/v1/projects"): {"query": "?mine=true"},
        ("post", "/api/v1/projects"): {"json": {"name": "Nieuw", "place": "Almelo"}},
        ("get", "/api/v1/projects/{project_id}"): {"path": {"project_id": p}},
        ("patch", "/api/v1/projects/{project_id}"): {"path": {"project_id": p},
                                                     "json": {"description": "Fase 2"}},
        ("post", "/api/v1/projects/{project_id}/inventory"): {
            "path": {"project_id": p}, "files": INVENTORY},
        ("get", "/api/v1/materials"): {"query": "?family=paving"},
        ("post", "/api/v1/materials"): {"json": material},
        ("get", "/api/v1/materials/{code}"): {"path": {"code": "tile-30x30"}},
        ("patch", "/api/v1/materials/{code}"): {"path": {"code": "tile-30x30"},
                                                "json": {"new_price_eur_per_unit": 1.1}},
        **{
            (method, f"/api/v1/{kind}{suffix}"): case
            for kind, lid, data in (("supply", s, supply_data(p)), ("demand", d, demand_data(p)))
            for method, suffix, case in (
                ("get", "", {"query": "?near=7511&radius_km=30"}),
                ("post", "", {"json": data}),
                ("get", "/{listing_id}", {"path": {"listing_id": lid}}),
                ("patch", "/{listing_id}", {"path": {"listing_id": lid}, "json": {"quantity": 7}}),
                ("post", "/{listing_id}/withdraw", {"path": {"listing_id": lid}, "json": {}}),
                ("post", "/{listing_id}/publish", {"path": {"listing_id": lid}}),
                ("get", "/{listing_id}/events", {"path": {"listing_id": lid}}),
                ("get", "/export.csv", {"query": "?material=tile-30x30"}),
            )
        },
    }


def _resolve(node: Any, spec: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        if "$ref" in node:
            target: Any = spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return _resolve(target, spec)
        return {k: _resolve(v, spec) for k, v in node.items()}
    if isinstance(node, list):
        return [_resolve(v, spec) for v in node]
    return node


def _call(client, method, path, case, headers):  # type: ignore[no-untyped-def]
    url = path.format(**case.get("path", {})) + case.get("query", "")
    kwargs: dict[str, Any] = {"headers": headers}
    if "json" in case:
        kwargs["json"] = case["json"]
    if "files" in case:
        kwargs["data"] = {"file": (io.BytesIO(case["files"].encode()), "inventaris.csv")}
        kwargs["content_type"] = "multipart/form-data"
    return getattr(client, method)(url, **kwargs)


@pytest.fixture
def spec(client):  # type: ignore[no-untyped-def]
    r = client.get("/api/openapi.json")
    assert r.status_code == 200
    return r.json


def test_the_served_document_is_valid_openapi_3(spec):
    validate(spec)
    assert spec["openapi"].startswith("3.")
    assert "bearerAuth" in spec["components"]["securitySchemes"]


def test_the_documentation_page_lists_every_path(client, spec):
    page = client.get("/api/docs")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    for path in spec["paths"]:
        assert path in text
    assert "<script src=\"http" not in text  # no external CDN


#: The marketplace's resources (issue 3); the matching resources have their own test module.
MARKETPLACE_TAGS = {"api_auth", "api_projects", "api_materials", "api_supply", "api_demand"}


def _operations(spec):  # type: ignore[no-untyped-def]
    return {
        (m, p) for p, ops in spec["paths"].items() for m, op in ops.items()
        if m != "parameters" and set(op.get("tags", [])) & MARKETPLACE_TAGS
    }


def test_every_operation_has_a_case(spec, users, project):
    assert _operations(spec) == set(_cases({"supply": 1, "demand": 1, "project": 1}))


def test_every_operation_refuses_a_missing_token_with_a_documented_401(client, spec, users,
                                                                       project):
    for method, path in sorted(_operations(spec)):
        if (method, path) == ("post", "/api/v1/tokens"):
            continue
        case = _cases({"supply": 1, "demand": 1, "project": project.id})[(method, path)]
        r = _call(client, method, path, case, {})
        assert r.status_code == 401, (method, path)
        assert "401" in spec["paths"][path][method]["responses"], (method, path)


def test_every_operation_answers_its_documented_success(client, spec, users, tokens, project):
    coord = auth(tokens["coord"])
    ids = {
        "project": project.id,
        "supply": client.post("/api/v1/supply", json=supply_data(project.id, status="draft"),
                              headers=coord).json["id"],
        "demand": client.post("/api/v1/demand", json=demand_data(project.id, status="draft"),
                              headers=coord).json["id"],
    }
    cases = _cases(ids)
    # publish before withdraw, and revoke the token last
    order = sorted(_operations(spec), key=lambda op: (
        op == ("delete", "/api/v1/tokens/current"), op[1].endswith("/withdraw"), op))
    for method, path in order:
        documented = spec["paths"][path][method]["responses"]
        success = [code for code in documented if code.startswith("2")]
        assert len(success) == 1, (method, path, documented)
        r = _call(client, method, path, cases[(method, path)], coord)
        assert str(r.status_code) == success[0], (method, path, r.status_code, r.get_data())
        content = documented[success[0]].get("content", {})
        if "application/json" in content:
            schema = _resolve(content["application/json"]["schema"], spec)
            errors = list(OAS30Validator(schema).iter_errors(r.json))
            assert not errors, (method, path, errors[:3])
        elif content:
            assert r.mimetype in content, (method, path, r.mimetype)


def test_error_answers_have_the_documented_error_shape(client, spec, tokens):
    schema = _resolve(spec["components"]["schemas"]["Error"], spec)
    for r in (client.get("/api/v1/supply/99999999", headers=auth(tokens["lead"])),
              client.get("/api/v1/me"),
              client.post("/api/v1/supply", json={}, headers=auth(tokens["lead"]))):
        assert r.status_code in (401, 404, 422)
        assert not list(OAS30Validator(schema).iter_errors(r.json))
