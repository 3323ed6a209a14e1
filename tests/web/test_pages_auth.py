"""Login and logout: Dutch messages, no hint which accounts exist, only local `next` targets."""

from __future__ import annotations

import pytest

from tests.web.conftest import PASSWORD
from tests.web.page_helpers import field_error, field_value, log_in, text_of


def test_the_login_page_has_labelled_fields(client):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<label for="email">E-mailadres</label>' in html
    assert '<label for="password">Wachtwoord</label>' in html
    assert 'autocomplete="current-password"' in html


def test_a_user_logs_in_and_lands_on_my_projects(client, users):
    response = client.post("/login", data={"email": "LEAD@example.nl ", "password": PASSWORD})
    assert response.status_code == 302
    assert response.headers["Location"] == "/projects/"
    page = text_of(client.get("/projects/"))
    assert "Welkom, Lotte Lead. Je bent ingelogd." in page


@pytest.mark.parametrize(
    ("email", "password"),
    [("lead@example.nl", "wrong-password"), ("nobody@example.nl", PASSWORD)],
)
def test_a_wrong_address_or_password_gets_one_message(client, users, email, password):
    response = client.post("/login", data={"email": email, "password": password})
    assert response.status_code == 400
    assert field_error(response, "password") == "Het e-mailadres of het wachtwoord klopt niet."
    assert field_value(response, "email") == email  # kept
    assert field_value(response, "password") == ""  # never echoed back
    assert client.get("/projects/").status_code == 302  # still not logged in


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": "", "password": "x"}, "email", "Vul je e-mailadres in."),
        ({"email": "geen-adres", "password": "x"}, "email", "Vul een geldig e-mailadres in"),
        ({"email": "lead@example.nl", "password": ""}, "password", "Vul je wachtwoord in."),
    ],
)
def test_missing_login_fields_are_named(client, users, data, field, message):
    response = client.post("/login", data=data)
    assert response.status_code == 400
    assert message in field_error(response, field)


def test_an_inactive_user_cannot_log_in(client, users, db):
    users["lead"].active = False
    db.session.commit()
    response = client.post("/login", data={"email": "lead@example.nl", "password": PASSWORD})
    assert response.status_code == 400


@pytest.mark.parametrize("target", ["/listings/?kind=demand", "/catalogue/"])
def test_login_returns_to_a_local_next_page(client, users, target):
    client.get(f"/login?next={target}")
    response = client.post(
        "/login", data={"email": "coord@example.nl", "password": PASSWORD, "next": target}
    )
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "javascript:alert(1)",
        "http:/evil.example",
        "/ok\r\nSet-Cookie: x=1",
    ],
)
def test_login_never_redirects_off_site(client, users, target):
    response = client.post(
        "/login", data={"email": "lead@example.nl", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/projects/"


def test_a_protected_page_sends_you_to_login_and_back(client, users):
    response = client.get("/projects/new")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    assert login_url.startswith("/login?next=")
    assert field_value(client.get(login_url), "next") == "/projects/new"


def test_a_logged_in_user_visiting_login_is_sent_on(client, users):
    log_in(client, users["lead"])
    response = client.get("/login")
    assert response.status_code == 302


def test_logout_asks_on_get_and_logs_out_on_post(client, users):
    log_in(client, users["lead"])
    confirm = client.get("/logout")
    assert confirm.status_code == 200
    assert "Je bent ingelogd als lead@example.nl." in text_of(confirm)
    assert client.get("/projects/").status_code == 200  # a GET did not log out
    response = client.post("/logout")
    assert response.status_code == 302
    assert "Je bent uitgelogd." in text_of(client.get(response.headers["Location"]))
    assert client.get("/projects/").status_code == 302


def test_logout_and_login_need_the_csrf_token_when_protection_is_on(client, app, users):
    app.config["WTF_CSRF_ENABLED"] = True  # the app fixture turns it off again afterwards
    response = client.post("/login", data={"email": "lead@example.nl", "password": PASSWORD})
    assert response.status_code == 400
    assert "Ongeldig verzoek" in text_of(response)
    assert client.get("/projects/").status_code == 302  # not logged in


def test_the_session_cookie_is_httponly_and_samesite(client, users):
    response = client.post("/login", data={"email": "lead@example.nl", "password": PASSWORD})
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
