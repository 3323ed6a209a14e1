"""Configuration from environment variables (cookiecutter-flask's ``settings.py`` pattern).

Secrets have no default outside tests: ``create_app`` refuses to start without ``SECRET_KEY``.
"""

from __future__ import annotations

import os
from typing import Any


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs written the Heroku/libpq way."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def from_environment(instance_path: str) -> dict[str, Any]:
    """The settings of a deployed app, read from the environment at start-up."""
    default_db = "sqlite:///" + os.path.join(instance_path, "materialmatch.sqlite")
    secure_cookies = _env_bool("SESSION_COOKIE_SECURE", True)
    return {
        "SECRET_KEY": os.environ.get("SECRET_KEY"),
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            os.environ.get("DATABASE_URL", default_db)
        ),
        "SESSION_COOKIE_SECURE": secure_cookies,
        "REMEMBER_COOKIE_SECURE": secure_cookies,
        # Online geocoding (geopy/Nominatim) is an optional extra and off by default.
        "GEOCODER_ONLINE": _env_bool("GEOCODER_ONLINE", False),
        "GEOCODER_USER_AGENT": os.environ.get("GEOCODER_USER_AGENT", "materialmatch"),
        "BABEL_DEFAULT_LOCALE": os.environ.get("BABEL_DEFAULT_LOCALE", "nl"),
    }


DEFAULTS: dict[str, Any] = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_ENABLED": True,
    "BABEL_DEFAULT_LOCALE": "nl",
    "BABEL_DEFAULT_TIMEZONE": "Europe/Amsterdam",
    "LANGUAGES": ["nl", "en"],
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,  # CSV uploads
    "CSV_MAX_ROWS": 5000,
    "API_TOKEN_DAYS": 30,
    "PER_PAGE_DEFAULT": 20,
    "PER_PAGE_MAX": 100,
    "DEFAULT_SEARCH_RADIUS_KM": 25.0,
    # flask-smorest
    "API_TITLE": "MaterialMatch API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api",
    "OPENAPI_JSON_PATH": "openapi.json",
    "JSON_SORT_KEYS": False,
}


def testing(database_url: str) -> dict[str, Any]:
    """Settings for the test suite: a throwaway secret, no HTTPS-only cookies, no CSRF."""
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url),
        "WTF_CSRF_ENABLED": False,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "GEOCODER_ONLINE": False,
        # Hashing stays real but cheap, so hundreds of tests can create users.
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
