"""What every page shares: the layout, navigation per role, error pages without tracebacks."""

from __future__ import annotations

import pytest

from tests.web.page_helpers import log_in, text_of


def test_the_start_page_is_dutch_accessible_and_uses_no_cdn(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<html lang="nl">' in html
    assert "Vrijgekomen bouwmaterialen bij jou in de buurt" in html
    assert 'href="#content"' in html  # skip link
    assert '<meta name="viewport"' in html
    assert "http://" not in html.replace("http://localhost", "") and "https://" not in html


@pytest.mark.parametrize(
    ("role", "present", "absent"),
    [
        (None, ["Materialen zoeken", "Inloggen"], ["Catalogus", "Mijn projecten", "Uitloggen"]),
        ("lead", ["Mijn projecten en aanbiedingen", "Uitloggen"], ["Catalogus", "Inloggen"]),
        ("depot", ["Mijn projecten en aanbiedingen"], ["Catalogus"]),
        ("coord", ["Catalogus", "Mijn projecten en aanbiedingen", "Uitloggen"], ["Inloggen"]),
    ],
)
def test_the_navigation_fits_the_role(client, users, role, present, absent):
    if role:
        log_in(client, users[role])
    nav = client.get("/").get_data(as_text=True).split('class="site-nav"')[1].split("</nav>")[0]
    for label in present:
        assert label in nav
    for label in absent:
        assert label not in nav


def test_a_missing_page_is_a_dutch_404(client):
    response = client.get("/bestaat-niet")
    assert response.status_code == 404
    page = text_of(response)
    assert "Pagina niet gevonden" in page and "Foutcode: 404" in page


def test_a_wrong_method_is_a_405_page(client, users):
    response = client.delete("/listings/")
    assert response.status_code == 405
    assert "Niet toegestaan" in text_of(response)
    assert "GET" in response.headers["Allow"]


def test_an_unexpected_error_shows_no_traceback(app, client, monkeypatch):
    from web.services import catalogue

    def explode(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("secret internals: db password hunter2")

    monkeypatch.setattr(catalogue, "families", explode)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    response = client.get("/listings/")
    assert response.status_code == 500
    page = text_of(response)
    assert "Er ging iets mis" in page
    assert "hunter2" not in page and "Traceback" not in page and "RuntimeError" not in page


def test_api_paths_answer_json_errors_not_pages(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert response.is_json


def test_static_css_is_served_locally(client):
    response = client.get("/static/css/site.css")
    assert response.status_code == 200
    assert b"@media (min-width: 40rem)" in response.data
    response.close()
