"""What the browser tests start from: the schema (by the migrations), the catalogue, one user per
role, two Twente projects and a few listings."""

from __future__ import annotations

from datetime import date, timedelta

PASSWORD = "e2e-password-123"
LEAD = "lead@example.nl"
COORDINATOR = "coord@example.nl"


def seed(app) -> None:  # type: ignore[no-untyped-def]
    from flask_migrate import upgrade

    from web.models import Role
    from web.services.accounts import create_user
    from web.services.catalogue import seed_catalogue
    from web.services.listings import create_listing
    from web.services.projects import create_project

    soon = date.today() + timedelta(days=7)
    later = date.today() + timedelta(days=60)
    with app.app_context():
        upgrade()
        seed_catalogue()
        lead = create_user(LEAD, "Lotte Leider", PASSWORD, Role.PROJECT_LEAD, "Sloopbedrijf Twente")
        create_user("depot@example.nl", "Dirk Depot", PASSWORD, Role.DEPOT_MANAGER, "Depot Hengelo")
        create_user(
            COORDINATOR, "Cora Coördinator", PASSWORD, Role.COORDINATOR, "Gemeente Enschede"
        )
        roombeek = create_project(lead, {"name": "Renovatie Roombeek", "postcode": "7523"})
        hengelo = create_project(lead, {"name": "Sloop school Hengelo", "place": "Hengelo"})
        offers = [
            (roombeek, "Betontegels schoolplein", "tile-30x30", 400, "B"),
            (roombeek, "Binnendeuren kantoor", "door-interior", 24, "A"),
            (hengelo, "Stoepranden Marktstraat", "kerb-10x20", 120, "B"),
            (hengelo, "Steigerplanken", "scaffold-board", 60, "C"),
        ]
        for project, title, code, quantity, condition in offers:
            create_listing(
                lead,
                "supply",
                {
                    "title": title,
                    "material_code": code,
                    "quantity": quantity,
                    "project_id": project.id,
                    "condition": condition,
                    "mounting": "loose",
                    "available_from": soon,
                    "available_until": later,
                },
            )
        create_listing(
            lead,
            "demand",
            {
                "title": "Tegels voor het nieuwe plein",
                "material_code": "tile-30x30",
                "quantity": 250,
                "project_id": roombeek.id,
                "min_condition": "B",
                "needed_from": soon + timedelta(days=20),
                "needed_until": later + timedelta(days=30),
            },
        )
