"""The coordinator's match runs page: who sees it, starting a run, a failed run, one run."""

from __future__ import annotations

import pytest

from tests.web.conftest import count
from tests.web.matching_builders import day, make_demand, make_supply
from tests.web.page_helpers import log_in, text_of


@pytest.fixture
def listings(users, project, other_project):  # type: ignore[no-untyped-def]
    make_supply(users["lead"], project, quantity=400,
                available_from=day(10).isoformat(), available_until=day(50).isoformat())
    make_demand(users["other_lead"], other_project, quantity=250,
                needed_from=day(20).isoformat(), needed_until=day(60).isoformat())


def _runs() -> int:
    from web.models import MatchRun

    return count(MatchRun)


@pytest.mark.parametrize("path", ["/runs/", "/runs/1"])
def test_anonymous_visitors_are_sent_to_the_login_page(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_anonymous_cannot_start_a_run(client, listings):
    response = client.post("/runs/start")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _runs() == 0


@pytest.mark.parametrize("role", ["lead", "depot"])
def test_other_roles_are_refused(client, users, listings, role):
    from web.services import matching

    run = matching.run_matching()
    log_in(client, users[role])
    assert client.get("/runs/").status_code == 403
    assert client.get(f"/runs/{run.id}").status_code == 403
    assert client.post("/runs/start").status_code == 403
    assert _runs() == 1
    assert 'href="/runs/"' not in client.get("/").get_data(as_text=True)


def test_the_coordinator_starts_a_run_and_sees_it_listed(client, users, listings):
    log_in(client, users["coord"])
    page = text_of(client.get("/runs/"))
    assert "Matchingrondes" in page and "Nog geen matchingronde." in page
    assert "flask --app web matching run" in page
    response = client.post("/runs/start", follow_redirects=True)
    assert _runs() == 1
    from web.extensions import db
    from web.models import MatchRun

    run = db.session.scalars(db.select(MatchRun)).one()
    assert run.triggered_by_id == users["coord"].id and run.n_proposals == 1
    page = text_of(response)
    assert f"Matchingronde {run.id} is klaar: 1 voorstel." in page
    assert "gelukt" in page
    assert "1 / 1 / 0" in page  # supply / demand / stock
    assert "1 (250)" in page  # proposals (units)
    assert f"{run.objective_eur:,.2f}".replace(",", "X").replace(".", ",").replace(
        "X", ".") in page  # the objective in euros, Dutch notation


def test_a_run_while_another_holds_the_lock_says_so(client, users, listings, monkeypatch):
    from web.services import matching

    def busy(**_kwargs):  # type: ignore[no-untyped-def]
        raise matching.RunInProgress("busy")

    monkeypatch.setattr(matching, "run_matching", busy)
    log_in(client, users["coord"])
    response = client.post("/runs/start", follow_redirects=True)
    assert "Er loopt al een matchingronde." in text_of(response)
    assert _runs() == 0


def test_a_failed_run_is_listed_with_its_error(client, users, listings, monkeypatch):
    import matcher.solve

    def broken(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(matcher.solve, "match", broken)
    log_in(client, users["coord"])
    response = client.post("/runs/start", follow_redirects=True)
    page = text_of(response)
    assert "De matchingronde is mislukt" in page
    assert "mislukt" in page and "solver exploded" in page
    assert _runs() == 1


def test_one_run_shows_its_figures_and_proposals(client, users, listings):
    from web.services import matching

    run = matching.run_matching()
    log_in(client, users["coord"])
    response = client.get(f"/runs/{run.id}")
    assert response.status_code == 200
    page = text_of(response)
    assert f"Matchingronde {run.id}" in page
    assert "1 aanbod, 1 vraag, 0 voorraadpartijen, 0 depots" in page
    assert f"Voorstel {run.proposals[0].id}" in page and "rechtstreeks" in page
    assert client.get("/runs/999999").status_code == 404


def test_starting_a_run_needs_a_csrf_token(app, client, users, listings):
    log_in(client, users["coord"])
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/runs/start")
    app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 400 and _runs() == 0
