"""Helpers for the site's page tests: log a test client in, read errors and values off a page.

The accounts (``users``: lead, other_lead, depot, coord) and projects come from
``tests/web/conftest.py``.
"""

from __future__ import annotations

import re
from typing import Any

from tests.web.conftest import PASSWORD, future


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


def supply_form(project, **fields: Any) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The supply form as a browser posts it: open, available in 5 to 40 days; ``fields`` set
    the listing itself (title, material_code, quantity, ...)."""
    return {
        "project_id": str(project.id),
        "condition": "B",
        "available_from": future(5).isoformat(),
        "available_until": future(40).isoformat(),
        "location": "",
        "status": "open",
        **fields,
    }


def demand_form(project, **fields: Any) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """The demand form as a browser posts it: open, needed in 20 to 60 days."""
    return {
        "project_id": str(project.id),
        "needed_from": future(20).isoformat(),
        "needed_until": future(60).isoformat(),
        "location": "",
        "status": "open",
        **fields,
    }
