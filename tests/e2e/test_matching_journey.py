"""Issue 4 in a real headless Chromium: the coordinator runs the matching, supplier and receiver
each accept in their own browser (the receiver on a phone), the depot manager checks the units in
and out, and the receiver closes the proposal.

Screenshots (desktop 1280 px and phone 390 px) land in ``$E2E_SCREENSHOT_DIR`` (default
/tmp/materialmatch-e2e), named ``journey-*``, for a human to look at.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from werkzeug.serving import make_server

from tests.e2e.conftest import DESKTOP, PHONE, LiveServer, _page, log_in, screenshot

pytestmark = pytest.mark.e2e

PASSWORD = "journey-password-123"
SUPPLIER, RECEIVER = "sloop@example.nl", "bouw@example.nl"
MANAGER, COORDINATOR = "depot@example.nl", "coord@example.nl"


def _seed(app) -> None:  # type: ignore[no-untyped-def]
    """Supply free on days 10-20 in Enschede, demand on days 40-60 in Hengelo: only the depot
    between them bridges the gap."""
    from flask_migrate import upgrade

    from web.models import Role
    from web.services import depots
    from web.services.accounts import create_user
    from web.services.catalogue import seed_catalogue
    from web.services.listings import create_listing
    from web.services.projects import create_project

    def day(n: int) -> date:
        return date.today() + timedelta(days=n)

    with app.app_context():
        upgrade()
        seed_catalogue()
        supplier = create_user(SUPPLIER, "Sanne Sloop", PASSWORD, Role.PROJECT_LEAD)
        receiver = create_user(RECEIVER, "Bram Bouw", PASSWORD, Role.PROJECT_LEAD)
        manager = create_user(MANAGER, "Dirk Depot", PASSWORD, Role.DEPOT_MANAGER)
        coord = create_user(COORDINATOR, "Cora Coördinator", PASSWORD, Role.COORDINATOR)
        depot = depots.create_depot(coord, {
            "name": "Depot Twentekanaal", "place": "Enschede", "lat": 52.23, "lon": 6.86,
            "capacity_m3": 40.0})
        depots.set_managers(coord, depot.id, [manager.id])
        depots.add_walk_in(manager, depot.id, {"material_code": "door-interior", "quantity": 30})
        roombeek = create_project(supplier, {"name": "Sloop Roombeek", "postcode": "7523"})
        hengelo = create_project(receiver, {"name": "Nieuwbouw Hengelo", "place": "Hengelo"})
        create_listing(supplier, "supply", {
            "title": "Betontegels schoolplein", "material_code": "tile-30x30", "quantity": 400,
            "project_id": roombeek.id, "condition": "B", "mounting": "loose",
            "available_from": day(10), "available_until": day(20)})
        create_listing(receiver, "demand", {
            "title": "Tegels voor het nieuwe plein", "material_code": "tile-30x30",
            "quantity": 250, "project_id": hengelo.id, "min_condition": "B",
            "needed_from": day(40), "needed_until": day(60)})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from web import create_app
    from web.config import testing

    db_file = tmp_path_factory.mktemp("journey") / "journey.sqlite"
    app = create_app({**testing(f"sqlite:///{db_file}"), "WTF_CSRF_ENABLED": True})
    _seed(app)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, name="journey-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{httpd.server_port}", app=app)
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


def _fits_the_screen(page) -> bool:  # type: ignore[no-untyped-def]
    # the click on a link that led here returns once the next page is committed, and until
    # it has loaded its document may have no element yet (seen once in CI on a slow machine:
    # "Cannot read properties of null (reading 'scrollWidth')")
    page.wait_for_load_state("load")
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def _flash(page) -> str:  # type: ignore[no-untyped-def]
    return page.locator(".flashes").inner_text()


def test_run_accept_check_in_check_out_close(browser, server):
    contexts = []

    def open_as(email: str, viewport: dict[str, int], **options):  # type: ignore[no-untyped-def]
        context, page = _page(browser, viewport, **options)
        contexts.append((context, page))
        log_in(page, server, email, PASSWORD)
        return page

    try:
        # the coordinator starts the matching run
        coord = open_as(COORDINATOR, DESKTOP)
        coord.get_by_role("link", name="Matchingrondes").click()
        coord.get_by_role("button", name="Nu een matchingronde starten").click()
        assert "is klaar: 1 voorstel." in _flash(coord)
        assert "gelukt" in coord.locator("#runs-table").inner_text()
        screenshot(coord, "journey-desktop-runs")

        # the supplier accepts in a desktop browser
        supplier = open_as(SUPPLIER, DESKTOP)
        supplier.get_by_role("link", name="Mijn voorstellen").click()
        card = supplier.locator("article.proposal")
        assert card.count() == 1
        facts = card.inner_text()
        assert "via depot Depot Twentekanaal" in facts and "250 stuks" in facts
        assert supplier.locator("#unread-count").inner_text().startswith("1")
        card.get_by_role("button", name="Accepteren").click()
        assert "We wachten op de andere partij" in _flash(supplier)
        screenshot(supplier, "journey-desktop-proposal-accepted-once")

        # the receiver accepts on a phone
        receiver = open_as(RECEIVER, PHONE, is_mobile=True, has_touch=True,
                           device_scale_factor=2)
        receiver.get_by_role("link", name="Mijn voorstellen").click()
        assert _fits_the_screen(receiver)
        screenshot(receiver, "journey-phone-proposals")
        receiver.locator("article.proposal").get_by_role("button", name="Accepteren").click()
        assert "Beide partijen hebben geaccepteerd" in _flash(receiver)
        assert "Door beide geaccepteerd" in receiver.locator("h1").inner_text()
        screenshot(receiver, "journey-phone-proposal-accepted")

        # the depot manager checks the units in, then out to the receiver
        manager = open_as(MANAGER, DESKTOP)
        manager.get_by_role("link", name="Depots").click()
        manager.get_by_role("link", name="Depot Twentekanaal").click()
        assert manager.locator("svg.chart.capacity").is_visible()
        screenshot(manager, "journey-desktop-depot-before")
        manager.get_by_role("link", name="Inboeken", exact=True).click()
        assert "Bevestig dat deze eenheden zijn aangekomen" in manager.locator("main").inner_text()
        manager.get_by_role("button", name="Inboeken").click()
        assert "Ingeboekt: voorstel" in _flash(manager)
        stock = manager.locator("#stock-table").inner_text()
        assert "250 stuks" in stock
        ledger = manager.locator("table.ledger").inner_text()
        assert "inboeking" in ledger and "Dirk Depot" in ledger
        screenshot(manager, "journey-desktop-depot-checked-in")
        manager.get_by_role("link", name="Uitboeken", exact=True).click()
        manager.get_by_role("button", name="Uitboeken").click()
        assert "is geleverd aan de ontvanger" in _flash(manager)
        assert "uitboeking" in manager.locator("table.ledger").inner_text()

        # the same stock page on a phone
        manager_phone = open_as(MANAGER, PHONE, is_mobile=True, has_touch=True,
                                device_scale_factor=2)
        manager_phone.goto(manager.url)
        assert _fits_the_screen(manager_phone)
        screenshot(manager_phone, "journey-phone-depot")

        # the receiver closes the delivered proposal
        receiver.reload()
        receiver.get_by_role("button", name="Afsluiten").click()
        assert "Het voorstel is afgesloten." in _flash(receiver)
        assert "Gesloten" in receiver.locator("h1").inner_text()
        assert _fits_the_screen(receiver)
        screenshot(receiver, "journey-phone-proposal-closed")

        problems = [p for _c, page in contexts for p in page.problems]
        assert not problems, problems
    finally:
        for context, _ in contexts:
            context.close()
