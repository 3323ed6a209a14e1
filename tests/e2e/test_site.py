"""The site in a real headless Chromium: log in, search near a postcode, post a listing with a
mistake, fix it, and see it; the same pages at phone width; the language switch; CSRF refusals.

Screenshots land in ``$E2E_SCREENSHOT_DIR`` (default /tmp/materialmatch-e2e) for a human to look at.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, screenshot
from tests.e2e.seed import COORDINATOR, LEAD, PASSWORD

pytestmark = pytest.mark.e2e


def _no_horizontal_scroll(page) -> bool:  # type: ignore[no-untyped-def]
    page.wait_for_load_state("load")  # a page a click led to may not have its document yet
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_log_in_search_near_a_postcode_post_with_a_mistake_fix_it_and_see_it(page, live_server):
    # log in: we land on "my projects and listings"
    log_in(page, live_server, LEAD, PASSWORD)
    assert page.get_by_role("heading", name="Mijn projecten en aanbiedingen").is_visible()
    assert page.get_by_text("Welkom, Lotte Leider").is_visible()

    # search within 10 km of an Enschede postcode: Roombeek's listings, not Hengelo's
    page.get_by_role("link", name="Materialen zoeken").click()
    page.get_by_label("In de buurt van postcode of plaats").fill("7511")
    page.get_by_label("Binnen (km)").fill("5")
    page.get_by_role("button", name="Zoeken").click()
    heading = page.locator("#results-heading").inner_text()
    assert re.search(r"2 aanbiedingen\s+binnen 5 km van 7511", heading), heading
    results = page.locator(".results .result")
    assert results.count() == 2
    assert "Stoepranden Marktstraat" not in page.locator(".results").inner_text()
    assert results.first.locator(".distance").inner_text().endswith("km")
    screenshot(page, "desktop-search")

    # post a supply listing with one wrong field
    page.goto(live_server("/projects/"))
    page.get_by_role("link", name="Materiaal aanbieden").first.click()
    page.get_by_label("Titel").fill("Dakpannen van de gymzaal")
    page.get_by_label("Materiaal", exact=True).select_option("tile-40x40")
    page.get_by_label("Hoeveelheid").fill("180")
    page.get_by_label("Postcode of plaats (als het niet bij het project is)").fill("Nergenshuizen")
    page.get_by_label("Beschikbaar vanaf").fill("2030-01-01")
    page.get_by_label("Beschikbaar tot en met").fill("2030-03-01")
    page.get_by_label("Afmetingen en specificatie").fill("40 x 40 x 5 cm, grijs")
    page.get_by_role("button", name="Opslaan").click()

    # the error names the field; everything typed is still there
    location = page.get_by_label("Postcode of plaats (als het niet bij het project is)")
    error = page.locator("#location-error").inner_text()
    assert "Onbekende plaats of postcode: Nergenshuizen." in error
    assert page.get_by_role("alert").get_by_text("Corrigeer het volgende:").is_visible()
    assert location.input_value() == "Nergenshuizen"
    assert location.get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Titel").input_value() == "Dakpannen van de gymzaal"
    assert page.get_by_label("Hoeveelheid").input_value() == "180"
    assert page.get_by_label("Materiaal", exact=True).input_value() == "tile-40x40"
    assert page.get_by_label("Beschikbaar tot en met").input_value() == "2030-03-01"
    assert page.get_by_label("Afmetingen en specificatie").input_value() == "40 x 40 x 5 cm, grijs"
    screenshot(page, "desktop-form-error")

    # fix it (a Hengelo postcode) and see the listing
    location.fill("7551")
    page.get_by_role("button", name="Opslaan").click()
    assert page.get_by_role("heading", name="Dakpannen van de gymzaal").is_visible()
    assert page.get_by_text("Je aanbieding is opgeslagen.").is_visible()
    facts = page.locator("dl.facts").inner_text()
    assert "180 stuks" in facts and "40 x 40 x 5 cm, grijs" in facts and "7551" in facts
    screenshot(page, "desktop-listing")

    # and anyone searching finds it
    page.goto(live_server("/listings/?q=gymzaal"))
    assert page.locator(".results .result").count() == 1


def test_the_pages_fit_a_phone(phone_page, live_server):
    page = phone_page
    page.goto(live_server("/"))
    assert page.get_by_role(
        "heading", name="Vrijgekomen bouwmaterialen bij jou in de buurt"
    ).is_visible()
    assert _no_horizontal_scroll(page)
    screenshot(page, "phone-home")

    page.goto(live_server("/listings/?postcode=Hengelo&radius_km=25"))
    assert page.locator(".results .result").count() >= 2
    assert _no_horizontal_scroll(page)
    screenshot(page, "phone-search")

    log_in(page, live_server, LEAD, PASSWORD)
    page.goto(live_server("/listings/supply/new"))
    page.get_by_label("Titel").fill("")
    page.get_by_label("Hoeveelheid").fill("0")
    page.get_by_role("button", name="Opslaan").click()
    assert "Vul een titel in." in page.locator("#title-error").inner_text()
    assert "minstens 1" in page.locator("#quantity-error").inner_text()
    assert _no_horizontal_scroll(page)
    screenshot(page, "phone-form-error")

    page.goto(live_server("/projects/1"))
    chart = page.locator("svg.chart")
    assert chart.is_visible()
    assert chart.locator("rect.supply").count() >= 2 and chart.locator("rect.demand").count() == 1
    assert _no_horizontal_scroll(page)
    screenshot(page, "phone-project")
    chart.screenshot(path=str(screenshot(page, "phone-project").with_name("phone-chart.png")))


def test_the_language_switch_remembers_english(page, live_server):
    page.goto(live_server("/listings/"))
    assert page.get_by_role("heading", name="Materialen zoeken").is_visible()
    page.get_by_role("link", name="English").click()
    # the click starts a navigation; expect() waits for the new page (up to 5 s)
    expect(page.get_by_role("heading", name="Find materials")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto(live_server("/"))  # no ?lang= any more: the choice holds
    assert page.get_by_role("heading", name="Reclaimed building materials near you").is_visible()
    page.get_by_role("link", name="Nederlands").click()
    expect(page.locator("html")).to_have_attribute("lang", "nl")


def test_a_form_without_its_csrf_token_is_refused_and_nothing_is_written(page, live_server):
    log_in(page, live_server, COORDINATOR, PASSWORD)
    page.goto(live_server("/catalogue/tile-30x30/edit"))
    page.get_by_label("Nieuwprijs per eenheid (EUR)").fill("123")
    page.evaluate("document.querySelector('form.stacked input[name=csrf_token]').value = 'forged'")
    page.get_by_role("button", name="Opslaan").click()
    assert page.get_by_role("heading", name="Ongeldig verzoek").is_visible()
    page.goto(live_server("/catalogue/tile-30x30"))
    assert "€ 123" not in page.locator("dl.facts").inner_text()
    screenshot(page, "desktop-catalogue")


def test_the_coordinator_sees_the_catalogue_chart_and_logs_out(page, live_server):
    log_in(page, live_server, COORDINATOR, PASSWORD)
    page.get_by_role("link", name="Catalogus").click()
    assert page.get_by_role("heading", name="Materiaalcatalogus").is_visible()
    assert page.locator("svg.chart rect").count() > 10
    shot = screenshot(page, "desktop-catalogue-index")
    page.locator("svg.chart").screenshot(path=str(shot.with_name("desktop-catalogue-chart.png")))
    page.get_by_role("button", name="Uitloggen").click()
    assert page.get_by_text("Je bent uitgelogd.").is_visible()
    page.goto(live_server("/catalogue/"))
    assert page.get_by_role("heading", name="Inloggen").is_visible()  # sent to the login page
