"""Configuration comes from the environment; secrets have no default outside tests."""

from __future__ import annotations

import pytest

from web import create_app
from web.config import from_environment, normalise_database_url


def test_without_a_secret_key_the_app_refuses_to_start(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_cookies_are_secure_and_http_only_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv("SECRET_KEY", "s")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]
    assert app.config["REMEMBER_COOKIE_SECURE"] and app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["WTF_CSRF_ENABLED"] and not app.config["GEOCODER_ONLINE"]


def test_the_database_defaults_to_sqlite_in_instance(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert from_environment("/srv/inst")["SQLALCHEMY_DATABASE_URI"] == (
        "sqlite:////srv/inst/materialmatch.sqlite")


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db"])
def test_postgres_urls_use_psycopg_3(url):
    assert normalise_database_url(url) == "postgresql+psycopg://u@h/db"
