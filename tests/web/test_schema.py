"""The migrations build the schema the models describe, with its constraints, on both databases."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError


def test_migrations_leave_nothing_for_autogenerate(app, db):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diff == []


def test_the_catalogue_is_seeded_from_the_matchers_data(app, db):
    from web.models import Material, MaterialSubstitute

    assert db.session.scalar(select(func.count()).select_from(Material)) >= 40
    tile = db.session.get(Material, "tile-30x30")
    assert tile.eural_code == "17 01 01" and tile.unit == "pcs" and tile.kg_per_unit > 0
    assert [s.substitute_code for s in tile.substitutes] == ["tile-30x30-coloured"]
    assert db.session.scalar(select(func.count()).select_from(MaterialSubstitute)) >= 1


def _project(db):
    from web.models import Project, Role, User

    user = User(email="lead@example.nl", name="Lead", role=Role.PROJECT_LEAD)
    user.set_password("correct horse battery")
    project = Project(name="P", lat=52.2, lon=6.9, lead=user)
    db.session.add(project)
    db.session.commit()
    return user, project


@pytest.mark.parametrize(
    "overrides",
    [
        {"quantity": 0},
        {"quantity": -3},
        {"reserved_quantity": 11},
        {"reserved_quantity": -1},
        {"lat": 91.0},
        {"lon": -181.0},
        {"available_from": date(2027, 5, 2), "available_until": date(2027, 5, 1)},
        {"material_code": "no-such-material"},
    ],
)
def test_the_database_refuses_an_impossible_supply_listing(app, db, overrides):
    from web.models import SupplyListing

    user, project = _project(db)
    fields = dict(
        title="Tegels", material_code="tile-30x30", project=project, created_by=user, quantity=10,
        reserved_quantity=0, lat=52.2, lon=6.9, available_from=date(2027, 5, 1),
        available_until=date(2027, 5, 31),
    )
    fields.update(overrides)
    db.session.add(SupplyListing(**fields))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SupplyListing)) == 0


def test_a_listing_event_belongs_to_exactly_one_listing(app, db):
    from web.models import ListingEvent

    db.session.add(ListingEvent(action="created"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_passwords_are_stored_hashed(app, db):
    user, _ = _project(db)
    assert "correct horse" not in user.password_hash
    assert user.check_password("correct horse battery")
    assert not user.check_password("wrong")
