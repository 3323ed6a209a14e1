"""Tokens: issue, use, revoke; 401 for every missing, wrong, expired or revoked token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.web.conftest import PASSWORD, auth, count
from web.models import ApiToken


def test_a_token_for_email_and_password_opens_the_api(client, users):
    r = client.post("/api/v1/tokens", json={"email": "LEAD@example.nl", "password": PASSWORD})
    assert r.status_code == 201
    token = r.json["token"]
    me = client.get("/api/v1/me", headers=auth(token))
    assert me.status_code == 200
    assert (me.json["email"], me.json["role"]) == ("lead@example.nl", "project_lead")
    assert me.json["organisation"] == "Gemeente Enschede"


def test_only_the_tokens_hash_is_stored(client, users):
    token = client.post("/api/v1/tokens", json={"email": "lead@example.nl",
                                                "password": PASSWORD}).json["token"]
    stored = ApiToken.query.one()
    assert stored.token_hash != token and stored.token_hash == ApiToken.hash(token)


@pytest.mark.parametrize("body", [
    {"email": "lead@example.nl", "password": "wrong password"},
    {"email": "nobody@example.nl", "password": PASSWORD},
])
def test_wrong_credentials_get_401_and_no_token(client, users, body):
    r = client.post("/api/v1/tokens", json=body)
    assert r.status_code == 401
    assert "token" not in r.json and count(ApiToken) == 0


@pytest.mark.parametrize("body", [{}, {"email": "lead@example.nl"}, {"email": "geen-adres",
                                  "password": "x"}, {"email": "a@b.nl", "password": "x", "x": 1}])
def test_malformed_token_requests_get_422_naming_the_field(client, users, body):
    r = client.post("/api/v1/tokens", json=body)
    assert r.status_code == 422
    assert r.json["errors"]["json"]
    assert count(ApiToken) == 0


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer nonsense", "Basic dXNlcjpwdw=="])
def test_requests_without_a_valid_token_get_401(client, users, header):
    headers = {"Authorization": header} if header else {}
    r = client.get("/api/v1/supply", headers=headers)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")
    assert r.json["code"] == 401 and "Traceback" not in r.get_data(as_text=True)


def test_a_revoked_token_stops_working(client, tokens):
    assert client.delete("/api/v1/tokens/current", headers=auth(tokens["lead"])).status_code == 204
    assert client.get("/api/v1/me", headers=auth(tokens["lead"])).status_code == 401


def test_an_expired_token_stops_working(client, tokens, db):
    for token in ApiToken.query.all():
        token.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.session.commit()
    assert client.get("/api/v1/me", headers=auth(tokens["lead"])).status_code == 401


def test_a_deactivated_users_token_stops_working(client, users, tokens, db):
    users["lead"].active = False
    db.session.commit()
    assert client.get("/api/v1/me", headers=auth(tokens["lead"])).status_code == 401
