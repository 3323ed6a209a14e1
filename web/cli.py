"""Flask commands: ``seed-catalogue``, ``create-user`` and ``demo-data``.

Run as ``flask --app web seed-catalogue`` and so on; the schema comes from
``flask --app web db upgrade``.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

import click
from flask import Flask
from sqlalchemy import select

from web.extensions import db
from web.models import Role, User
from web.services.errors import ServiceError


@click.command("seed-catalogue")
def seed_catalogue_command() -> None:
    """Copy matcher.catalogue's materials and substitutes into the database (idempotent)."""
    from web.services.catalogue import seed_catalogue

    n = seed_catalogue()
    click.echo(f"Catalogus: {n} materialen / catalogue: {n} materials.")


@click.command("create-user")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.PROJECT_LEAD.value)
@click.option("--organisation", default=None)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_command(
    email: str, name: str, role: str, organisation: str | None, password: str
) -> None:
    """Create a user account."""
    from web.services.accounts import create_user

    try:
        user = create_user(email, name, password, Role(role), organisation=organisation)
    except ServiceError as exc:
        for field, message in exc.field_errors.items():
            click.echo(f"{field}: {message}", err=True)
        raise SystemExit(2) from None
    click.echo(f"Gebruiker {user.email} ({user.role.value}) aangemaakt / user created.")


TWENTE_PROJECTS: list[dict[str, Any]] = [
    {"name": "Renovatie basisschool Roombeek", "postcode": "7523", "address": "Roomweg 140",
     "description": "Schoolplein en gymzaal worden vernieuwd."},
    {"name": "Sloop kantoorpand Hengelo-centrum", "postcode": "7551", "address": "Marktstraat 12",
     "description": "Kantoor uit 1975, staalskelet met gemetselde gevels."},
    {"name": "Herinrichting Marktplein Almelo", "postcode": "7607", "address": "Grotestraat",
     "description": "Nieuw plein met bestrating, banden en straatmeubilair."},
    {"name": "Nieuwbouw buurthuis Oldenzaal", "postcode": "7571", "address": "Kerkstraat 4",
     "description": "Houtskeletbouw; hergebruik waar het kan."},
    {"name": "Speeltuin De Veldkamp Borne", "postcode": "7622", "address": "Veldkampstraat",
     "description": "Speeltuin en parkje opnieuw ingericht."},
]
# (project index, kind, material, quantity, condition, mounting, title, days from, days until)
DEMO_LISTINGS: list[tuple[Any, ...]] = [
    (0, "supply", "tile-30x30", 3200, "B", "loose", "Betontegels 30x30 schoolplein", 14, 45),
    (0, "supply", "kerb-13-15x25", 180, "B", "loose", "Opsluitbanden schoolplein", 14, 45),
    (0, "supply", "door-interior", 24, "A", "bolted", "Binnendeuren gymzaal", 20, 60),
    (1, "supply", "steel-hea200", 36, "B", "bolted", "HEA 200 liggers 6 m", 30, 90),
    (1, "supply", "brick-wf", 42000, "C", "mortared", "Gevelstenen waalformaat", 30, 120),
    (1, "supply", "radiator-steel", 60, "B", "bolted", "Paneelradiatoren type 22", 20, 60),
    (1, "supply", "glass-hr-plus", 140, "B", "glued", "HR++ glas kantoorramen", 30, 90),
    (2, "demand", "tile-30x30", 2500, "B", None, "Tegels voor het marktplein", 40, 100),
    (2, "demand", "kerb-13-15x25", 150, "C", None, "Banden langs de rijbaan", 40, 100),
    (2, "demand", "bench-park", 8, "B", None, "Parkbanken", 60, 150),
    (3, "demand", "steel-hea200", 12, "B", None, "Liggers voor de overkapping", 60, 120),
    (3, "demand", "door-interior", 10, "B", None, "Binnendeuren", 60, 120),
    (3, "demand", "timber-c24-71x196", 80, "B", None, "Balken C24 voor de kap", 45, 90),
    (4, "supply", "playground-swing", 2, "C", "bolted", "Schommel, stalen frame", 10, 40),
    (4, "supply", "bench-park", 6, "B", "bolted", "Parkbanken hardhout", 10, 40),
    (4, "demand", "tile-30x30-coloured", 400, "C", None, "Gekleurde tegels speelplek", 20, 80),
]


@click.command("demo-data")
@click.option("--password", default=None, help="One password for all demo users (default: random).")
def demo_data_command(password: str | None) -> None:
    """Load demo data: one user per role, five Twente projects, supply and demand listings."""
    from web.services.accounts import create_user
    from web.services.catalogue import seed_catalogue
    from web.services.listings import create_listing
    from web.services.projects import create_project

    seed_catalogue()
    if db.session.scalar(select(User.id).where(User.email == "projectleider@demo.nl")):
        click.echo("Demodata staat er al / demo data already loaded.")
        return
    people = [
        ("projectleider@demo.nl", "Priya Projectleider", Role.PROJECT_LEAD, "Gemeente Enschede"),
        ("aannemer@demo.nl", "Bart Aannemer", Role.PROJECT_LEAD, "Twentse Bouw BV"),
        ("depot@demo.nl", "Dewi Depotbeheerder", Role.DEPOT_MANAGER, "Circulair Depot Twente"),
        ("coordinator@demo.nl", "Coen Coördinator", Role.COORDINATOR, "Regio Twente"),
    ]
    users: dict[str, User] = {}
    lines = []
    for email, name, role, org in people:
        pw = password or secrets.token_urlsafe(9)
        users[email] = create_user(email, name, pw, role, organisation=org)
        lines.append(f"  {role.value:<14} {email:<26} {pw}")
    leads = [users["projectleider@demo.nl"], users["aannemer@demo.nl"]]
    projects = [create_project(leads[i % 2], data) for i, data in enumerate(TWENTE_PROJECTS)]
    today = date.today()
    for p_idx, kind, code, qty, cond, mounting, title, d_from, d_until in DEMO_LISTINGS:
        project = projects[p_idx]
        data: dict[str, Any] = {"title": title, "material_code": code, "quantity": qty,
                                "project_id": project.id}
        start, end = today + timedelta(days=d_from), today + timedelta(days=d_until)
        if kind == "supply":
            data.update(condition=cond, mounting=mounting, available_from=start,
                        available_until=end)
            if code.startswith("steel-"):
                data["attributes"] = {"length_m": 6.0, "steel_grade": "S235"}
        else:
            data.update(min_condition=cond, needed_from=start, needed_until=end,
                        max_distance_km=40.0)
        create_listing(project.lead, kind, data)
    depot_line = _demo_depot(users["coordinator@demo.nl"], users["depot@demo.nl"])
    click.echo("Demo-gebruikers (rol, e-mail, wachtwoord) / demo users (role, email, password):")
    for line in lines:
        click.echo(line)
    click.echo(f"{len(projects)} projecten, {len(DEMO_LISTINGS)} advertenties / listings.")
    if depot_line:
        click.echo(depot_line)


def _demo_depot(coordinator: User, manager: User) -> str | None:
    """A depot in Hengelo, run by the demo depot manager (when the depot module exists)."""
    try:
        from web.services import depots
    except ImportError:
        return None
    depot = depots.create_depot(coordinator, {
        "name": "Circulair Depot Twente", "location": "7554", "address": "Industriestraat 1",
        "capacity_m3": 400.0, "holding_eur_per_m3_day": 0.05, "handling_eur_per_tonne": 4.0,
    })
    depots.set_managers(coordinator, depot.id, [manager.id])
    return f"Depot: {depot.name} ({depot.capacity_m3:g} m3)."


def register(app: Flask) -> None:
    for command in (seed_catalogue_command, create_user_command, demo_data_command):
        app.cli.add_command(command)
    from web.matching_cli import register as register_matching  # issue 4: the matching group

    register_matching(app)
