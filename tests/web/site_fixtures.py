"""Fixtures for the site's page tests: one account per role, and logging a test client in.

Import the fixtures into a test module (``from tests.web.site_fixtures import accounts``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest

PASSWORD = "correct-horse-battery"


@dataclass
class Accounts:
    lead: object  # a project lead
    other_lead: object  # another project lead, who owns nothing of ``lead``'s
    depot: object  # a depot manager
    coordinator: object

    def by_role(self, role: str) -> object:
        return getattr(self, role)


@pytest.fixture
def accounts(app) -> Accounts:  # type: ignore[no-untyped-def]
    from web.models import Role
    from web.services.accounts import create_user

    return Accounts(
        lead=create_user("lead@example.nl", "Lotte Leider", PASSWORD, Role.PROJECT_LEAD, "Sloop BV"),
        other_lead=create_user(
            "other@example.nl", "Olaf Ander", PASSWORD, Role.PROJECT_LEAD, "Bouw BV"
        ),
        depot=create_user("depot@example.nl", "Dirk Depot", PASSWORD, Role.DEPOT_MANAGER, "Depot"),
        coordinator=create_user(
            "coord@example.nl", "Cora Coördinator", PASSWORD, Role.COORDINATOR, "Gemeente Enschede"
        ),
    )


def log_in(client, user) -> None:  # type: ignore[no-untyped-def]
    """Log ``client`` in through the login form, as a browser would."""
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, follow_redirects=False
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def text_of(response) -> str:  # type: ignore[no-untyped-def]
    """The page's visible text with tags removed and whitespace collapsed (for `in` checks)."""
    html = response.get_data(as_text=True)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", html)
    import html as html_lib

    return " ".join(html_lib.unescape(text).split())


def field_error(response, field_id: str) -> str | None:  # type: ignore[no-untyped-def]
    """The error message shown under the field with id ``field_id``, or None."""
    html = response.get_data(as_text=True)
    m = re.search(rf'<p class="error" id="{re.escape(field_id)}-error">(.*?)</p>', html, re.S)
    if not m:
        return None
    import html as html_lib

    return html_lib.unescape(m.group(1)).strip()


def field_value(response, field_id: str) -> str | None:  # type: ignore[no-untyped-def]
    """The ``value`` an <input> with id ``field_id`` carries (what the user typed), or None."""
    html = response.get_data(as_text=True)
    m = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', html)
    if not m:
        return None
    v = re.search(r'\bvalue="([^"]*)"', m.group(0))
    import html as html_lib

    return html_lib.unescape(v.group(1)) if v else ""
