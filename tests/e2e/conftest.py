"""A served app and a real headless Chromium (Debian's, never a downloaded one).

The app runs in a werkzeug server thread on 127.0.0.1 with a random port, on its own SQLite file
and with CSRF protection on, as in production.  If Chromium is missing the tests FAIL: CI installs
it (``apt-get install -y chromium``) and a silent skip would hide that it did not.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
SCREENSHOT_DIR = Path(os.environ.get("E2E_SCREENSHOT_DIR", "/tmp/materialmatch-e2e"))


@dataclass
class LiveServer:
    url: str
    app: object

    def __call__(self, path: str) -> str:
        return self.url + path


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    from tests.e2e.seed import seed
    from web import create_app
    from web.config import testing

    db_file = tmp_path_factory.mktemp("e2e") / "e2e.sqlite"
    app = create_app({**testing(f"sqlite:///{db_file}"), "WTF_CSRF_ENABLED": True})
    seed(app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: install it with `apt-get install -y chromium` "
            "(never `playwright install`), or set CHROMIUM_PATH."
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def _page(browser, viewport: dict[str, int], **options):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport=viewport, locale="nl-NL", **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))

    def on_console(msg):  # type: ignore[no-untyped-def]
        # 4xx answers are expected (a form with errors is a 422); the browser logs them as
        # "Failed to load resource". Anything else logged as an error is a real problem.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            problems.append(f"console error: {msg.text}")

    page.on("console", on_console)

    def on_request_failed(request):  # type: ignore[no-untyped-def]
        # A click that navigates away aborts what the old page was still loading: not a fault.
        if request.failure != "net::ERR_ABORTED":
            problems.append(f"request failed: {request.url} ({request.failure})")

    page.on("requestfailed", on_request_failed)
    page.problems = problems  # type: ignore[attr-defined]
    return context, page


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    """A desktop-sized page in Dutch; fails the test if the page logged a JS or network error."""
    context, page = _page(browser, DESKTOP)
    yield page
    problems = list(page.problems)
    context.close()
    assert not problems, problems


@pytest.fixture
def phone_page(browser):  # type: ignore[no-untyped-def]
    """A phone-sized page (390x844, touch) in Dutch."""
    context, page = _page(browser, PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    yield page
    problems = list(page.problems)
    context.close()
    assert not problems, problems


def screenshot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    """Save a full-page screenshot for a human to look at; returns its path."""
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in(page, live_server: LiveServer, email: str, password: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(live_server("/login"))
    page.get_by_label("E-mailadres").fill(email)
    page.get_by_label("Wachtwoord").fill(password)
    page.get_by_role("button", name="Inloggen").click()
    page.wait_for_load_state()
