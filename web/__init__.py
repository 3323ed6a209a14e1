"""MaterialMatch's web application: the marketplace's site and JSON API.

Assembled the way cookiecutter-flask's ``app.py`` does it: a factory that runs named steps.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, jsonify, render_template, request
from jinja2 import TemplateNotFound
from werkzeug.exceptions import HTTPException, InternalServerError

from web import config as settings
from web.extensions import api as smorest_api  # not `api`: the web.api package would shadow it
from web.extensions import babel, csrf, db, login_manager, migrate, select_locale

log = logging.getLogger(__name__)

# HTML areas built by the site's helper: packages exposing ``bp``. Missing ones are skipped, so the
# API and the site can grow independently.
HTML_BLUEPRINTS = ("web.main", "web.auth", "web.listings", "web.projects", "web.catalogue",
                   "web.proposals", "web.depots", "web.runs", "web.notifications")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app; ``config`` overrides the environment (tests pass ``web.config.testing``)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.update(settings.DEFAULTS)
    app.config.update(settings.from_environment(app.instance_path))
    if config:
        app.config.update(config)
    if not app.config.get("SECRET_KEY"):
        raise RuntimeError(
            "SECRET_KEY is not set. Export one, e.g. "
            "SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    _ensure_instance_dir(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def _ensure_instance_dir(app: Flask) -> None:
    import os

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        os.makedirs(app.instance_path, exist_ok=True)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=_migrations_dir())
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    smorest_api.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _sqlite_foreign_keys(app)


def _migrations_dir() -> str:
    import os

    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


def _sqlite_foreign_keys(app: Flask) -> None:
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _fk_on(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def register_blueprints(app: Flask) -> None:
    from web.api import register_api

    register_api(app)
    for module_name in HTML_BLUEPRINTS:
        module = _optional_module(module_name)
        blueprint = getattr(module, "bp", None)
        if module is not None and blueprint is None:
            views = _optional_module(module_name + ".views")
            blueprint = getattr(views, "bp", None)
        if blueprint is not None:
            app.register_blueprint(blueprint)
    i18n = _optional_module("web.i18n")
    init_i18n = getattr(i18n, "init_i18n", None) or getattr(i18n, "init_app", None)
    if init_i18n is not None:
        init_i18n(app)


def _optional_module(name: str):  # type: ignore[no-untyped-def]
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and name.startswith(exc.name):
            return None  # that area is not built yet
        raise


def register_commands(app: Flask) -> None:
    from web.cli import register

    register(app)


def _wants_json() -> bool:
    return request.path.startswith("/api")


def register_error_handlers(app: Flask) -> None:
    """JSON errors under /api, HTML pages elsewhere; never a traceback to the user.

    The site's pages come from ``web.errors`` (per status code, which Flask prefers over these
    class-level handlers); service exceptions become 403/404/409/422 answers here.
    """
    from web.services.errors import ServiceError

    pages = _optional_module("web.errors")

    def render_html_error(code: int, message: str | None = None):  # type: ignore[no-untyped-def]
        if pages is not None:
            return pages._render(code, message)
        try:
            page = render_template("errors/error.html", code=code, heading=code, message=message)
            return page, code
        except TemplateNotFound:
            return f"<h1>{code}</h1><p>{message or ''}</p>", code

    def handle_http(error: HTTPException):  # type: ignore[no-untyped-def]
        if error.code is None or error.code < 400:
            return error
        if _wants_json():
            return smorest_api.handle_http_exception(error)
        return render_html_error(error.code, None)

    def handle_service(error: ServiceError):  # type: ignore[no-untyped-def]
        db.session.rollback()
        if _wants_json():
            payload: dict[str, Any] = {
                "code": error.status_code,
                "status": error.status_name,
                "message": str(error.message),
            }
            if error.field_errors:
                payload["errors"] = {"json": error.json_errors()}
            return jsonify(payload), error.status_code
        return render_html_error(error.status_code, str(error.message))

    def handle_unexpected(error: InternalServerError):  # type: ignore[no-untyped-def]
        original = error.original_exception or error
        log.error("Unhandled error on %s %s", request.method, request.path, exc_info=original)
        db.session.rollback()
        if _wants_json():
            return smorest_api.handle_http_exception(InternalServerError())
        return render_html_error(500, None)

    app.register_error_handler(HTTPException, handle_http)
    app.register_error_handler(ServiceError, handle_service)
    app.register_error_handler(InternalServerError, handle_unexpected)
    if pages is not None:
        pages.register_error_handlers(app)
