"""Shared fixtures (flaskr's tests/conftest.py pattern).

The web tests' database comes from ``TEST_DATABASE_URL`` (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/test``); without it, a fresh SQLite file in a temp
directory.  The schema is built once per session by running the Alembic migrations (never
``create_all``); after every test all tables are emptied and the catalogue is seeded again, so
each test starts from the same small, known state and tests may commit freely.
"""

from __future__ import annotations

import os

import pytest


def _test_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


@pytest.fixture(scope="session")
def _app_session(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """One app per test session, its schema built by the migrations on an empty database."""
    from flask_migrate import upgrade
    from sqlalchemy import MetaData

    from web import create_app
    from web.config import testing
    from web.extensions import db

    app = create_app(testing(_test_database_url(tmp_path_factory)))
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            _sqlite_without_fsync(db.engine)
        # A database left over from an earlier run: drop everything, then migrate from scratch.
        stale = MetaData()
        stale.reflect(bind=db.engine)
        stale.drop_all(bind=db.engine)
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def _sqlite_without_fsync(engine) -> None:  # type: ignore[no-untyped-def]
    """A test database need not survive a power cut; skipping fsync makes commits ~10x cheaper."""
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _fast(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA journal_mode=MEMORY")
        cursor.close()

    engine.dispose()


def _empty_all_tables() -> None:
    from sqlalchemy import text

    from web.extensions import db

    db.session.remove()
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # DELETE on a handful of rows is far cheaper than TRUNCATE (which rewrites files);
            # ids keep growing, so tests must not assume them.
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))
        else:
            for name in reversed(tables):
                conn.execute(text(f"DELETE FROM {name}"))
            if conn.execute(
                text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")
            ).first():
                conn.execute(text("DELETE FROM sqlite_sequence"))


@pytest.fixture
def app(_app_session):  # type: ignore[no-untyped-def]
    """The app, with an app context pushed and the catalogue seeded; all rows removed after."""
    from web.services.catalogue import seed_catalogue

    with _app_session.app_context():
        seed_catalogue()
        yield _app_session
        _empty_all_tables()
        # the seeded catalogue is the only state a test may count on
        _app_session.config.update(WTF_CSRF_ENABLED=False)


@pytest.fixture
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


@pytest.fixture
def db(app):  # type: ignore[no-untyped-def]
    from web.extensions import db as _db

    return _db
