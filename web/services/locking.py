"""Row locks that work the same on PostgreSQL and SQLite, for the services that promise material.

PostgreSQL: ``SELECT ... FOR UPDATE`` on the rows a use case changes, always taken in the same
order (proposal, then the source listing or stock lot, then the demand listing, then the depot),
so two transactions never wait on each other in a circle.

SQLite has no row locks and the driver (pysqlite, legacy transaction control) runs a SELECT
outside any transaction, so a read-then-write could lose an update.  :func:`begin_write` first
issues a write that changes nothing, which makes SQLite take its database-wide write lock at
once (as ``BEGIN IMMEDIATE`` would); everything read after it is current until the commit.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select, text

from web.extensions import db

M = TypeVar("M")


def is_sqlite() -> bool:
    return db.session.get_bind().dialect.name == "sqlite"


def begin_write() -> None:
    """Take SQLite's write lock now (a no-op write); nothing to do on PostgreSQL."""
    if is_sqlite():
        db.session.execute(text("UPDATE depot SET id = id WHERE 0 = 1"))


def lock_row(model: type[M], row_id: int | None) -> M | None:
    """Load ``model`` row ``row_id`` fresh from the database and lock it until the commit."""
    if row_id is None:
        return None
    begin_write()
    stmt: Any = (
        select(model)
        .where(model.id == row_id)  # type: ignore[attr-defined]
        .with_for_update(of=model)
        .execution_options(populate_existing=True)
    )
    return db.session.execute(stmt).scalars().first()  # type: ignore[no-any-return]
