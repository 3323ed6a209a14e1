"""The language switch: Dutch first, English second.

``web.extensions.select_locale`` decides the language (session, profile, browser, Dutch).  This
module lets a visitor choose: ``?lang=nl`` or ``?lang=en`` on any page stores the choice in the
session, and gives the templates the switch's links.  Message ids in the code are English; the
Dutch catalogue in ``translations/nl`` translates every one of them.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Flask, current_app, request, session
from flask_babel import get_locale, refresh

LANGUAGE_NAMES = {"nl": "Nederlands", "en": "English"}


def _languages() -> list[str]:
    return list(current_app.config.get("LANGUAGES", ["nl", "en"]))


def remember_language() -> None:
    """Store ``?lang=`` in the session, so the choice holds on the next pages."""
    # Flask-Babel caches the locale on ``g``; when an app context outlives one request (tests,
    # CLI-driven clients) that cache would carry the last request's language into this one.
    refresh()
    asked = request.args.get("lang")
    if asked in _languages() and session.get("lang") != asked:
        session["lang"] = asked


def lang_url(code: str) -> str:
    """The current page's URL with ``?lang=code``, keeping the other query arguments."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    args.append(("lang", code))
    return f"{request.path}?{urlencode(args)}"


def language_context() -> dict[str, object]:
    """Template variables for ``<html lang>`` and the language switch."""
    locale = get_locale()
    return {
        "current_lang": locale.language if locale is not None else "nl",
        "languages": [(code, LANGUAGE_NAMES.get(code, code)) for code in _languages()],
        "lang_url": lang_url,
    }


def init_i18n(app: Flask) -> None:
    """Register the language switch on ``app`` (Flask-Babel itself is set up by the factory)."""
    app.before_request(remember_language)
    app.context_processor(language_context)
