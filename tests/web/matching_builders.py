"""Builders for the matching, depot and notification tests: a depot, listings, a table dump."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, text

TODAY = date.today()


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def make_depot(coord, managers=(), **overrides: Any):  # type: ignore[no-untyped-def]
    """A depot in Enschede (between the Roombeek and Hengelo projects)."""
    from web.services import depots

    data: dict[str, Any] = {
        "name": "Depot Twentekanaal", "lat": 52.2300, "lon": 6.8600, "capacity_m3": 300.0,
        "holding_eur_per_m3_day": 0.05, "handling_eur_per_tonne": 4.0,
    }
    data.update(overrides)
    depot = depots.create_depot(coord, data)
    if managers:
        depots.set_managers(coord, depot.id, [m.id for m in managers])
    return depot


def make_supply(user, project, **overrides: Any):  # type: ignore[no-untyped-def]
    from tests.web.conftest import supply_data
    from web.services.listings import create_listing

    return create_listing(user, "supply", supply_data(project.id, **overrides))


def make_demand(user, project, **overrides: Any):  # type: ignore[no-untyped-def]
    from tests.web.conftest import demand_data
    from web.services.listings import create_listing

    return create_listing(user, "demand", demand_data(project.id, **overrides))


def dump_tables(engine) -> dict[str, list[tuple[Any, ...]]]:  # type: ignore[no-untyped-def]
    """Every row of every table, sorted: two dumps are equal when the database did not change."""
    from sqlalchemy import MetaData

    meta = MetaData()
    meta.reflect(bind=engine)
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            rows = conn.execute(select(table)).all()
            out[table.name] = sorted(tuple(map(repr, r)) for r in rows)
        if conn.dialect.name == "sqlite":
            out["sqlite_sequence"] = sorted(
                tuple(map(repr, r))
                for r in conn.execute(text("SELECT * FROM sqlite_sequence")).all()
            ) if conn.execute(
                text("SELECT 1 FROM sqlite_master WHERE name='sqlite_sequence'")
            ).first() else []
    return out
