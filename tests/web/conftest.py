"""Web fixtures: one user per role, a project in Enschede, API tokens, listing builders."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

PASSWORD = "correct horse battery"


@pytest.fixture
def users(app):  # type: ignore[no-untyped-def]
    """lead, other_lead, depot (depot manager) and coord (coordinator)."""
    from web.models import Role
    from web.services.accounts import create_user

    return {
        "lead": create_user("lead@example.nl", "Lotte Lead", PASSWORD, Role.PROJECT_LEAD,
                            organisation="Gemeente Enschede"),
        "other_lead": create_user("other@example.nl", "Otto Other", PASSWORD, Role.PROJECT_LEAD),
        "depot": create_user("depot@example.nl", "Dirk Depot", PASSWORD, Role.DEPOT_MANAGER),
        "coord": create_user("coord@example.nl", "Carla Coord", PASSWORD, Role.COORDINATOR),
    }


@pytest.fixture
def project(users):  # type: ignore[no-untyped-def]
    from web.services.projects import create_project

    return create_project(users["lead"], {"name": "Renovatie Roombeek", "postcode": "7523"})


@pytest.fixture
def other_project(users):  # type: ignore[no-untyped-def]
    from web.services.projects import create_project

    return create_project(users["other_lead"], {"name": "Sloop Hengelo", "place": "Hengelo"})


@pytest.fixture
def tokens(users):  # type: ignore[no-untyped-def]
    from web.services.accounts import issue_token

    return {role: issue_token(user)[0] for role, user in users.items()}


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def future(days: int) -> date:
    return date.today() + timedelta(days=days)


def supply_data(project_id: int, /, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Betontegels 30x30 uit schoolplein",
        "material_code": "tile-30x30",
        "quantity": 400,
        "project_id": project_id,
        "condition": "B",
        "mounting": "loose",
        "available_from": future(10).isoformat(),
        "available_until": future(40).isoformat(),
    }
    data.update(overrides)
    return data


def demand_data(project_id: int, /, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "title": "Tegels voor nieuw plein",
        "material_code": "tile-30x30",
        "quantity": 250,
        "project_id": project_id,
        "min_condition": "B",
        "needed_from": future(30).isoformat(),
        "needed_until": future(60).isoformat(),
    }
    data.update(overrides)
    return data


def count(model) -> int:  # type: ignore[no-untyped-def]
    from web.extensions import db

    return db.session.scalar(select(func.count()).select_from(model)) or 0
