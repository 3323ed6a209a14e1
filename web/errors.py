"""The site's error pages: a heading and one sentence in the user's language, never a traceback.

The app factory's handlers call :func:`_render` for HTML answers.  :func:`register_error_handlers`
adds per-status-code handlers, which Flask prefers over class-level ones, so the pages win
whatever order the API's own ``HTTPException`` handler was registered in; API requests are still
answered by the API's JSON handler.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, render_template, request
from werkzeug.exceptions import HTTPException

_FALLBACK_HTML = (
    "<!doctype html><html lang=nl><meta charset=utf-8><title>{code}</title>"
    "<h1>Er ging iets mis / Something went wrong</h1><p>{code}</p></html>"
)

#: Status codes that get the site's own page.
PAGE_CODES = (400, 401, 403, 404, 405, 409, 413, 422, 429)


def _render(code: int, message: Any = None) -> tuple[str, int, dict[str, str]]:
    """The error page for ``code``; ``message`` is a service's explanation, shown below it."""
    try:
        body = render_template("errors/error.html", code=code, message=message)
    except Exception:  # the layout itself failed (database down, ...): still no traceback
        current_app.logger.exception("Rendering the %s page failed", code)
        body = _FALLBACK_HTML.format(code=code)
    return body, code, {"Content-Type": "text/html; charset=utf-8"}


def _api_answers(error: HTTPException) -> Any:
    if not request.path.startswith("/api"):
        return None
    api = current_app.extensions.get("flask-smorest", {}).get("apis", {}).get("", {}).get("ext_obj")
    if api is None:
        return None
    return api.handle_http_exception(error)


def handle_http_exception(error: HTTPException) -> Any:
    """Answer ``abort(404)``, a CSRF failure, a wrong method... with the site's page."""
    answer = _api_answers(error)
    if answer is not None:
        return answer
    response = _render(error.code or 500)
    valid_methods = getattr(error, "valid_methods", None)
    if error.code == 405 and valid_methods:
        response[2]["Allow"] = ", ".join(valid_methods)
    return response


def register_error_handlers(app: Flask) -> None:
    """Register the site's error pages for the codes in :data:`PAGE_CODES`."""
    for code in PAGE_CODES:
        app.register_error_handler(code, handle_http_exception)
