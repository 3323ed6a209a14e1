"""Benchmark: the API's radius search over 100,000 listings on PostgreSQL.

Loads 100,000 supply listings (at random Dutch postcodes, so dense where the country is dense)
into a PostgreSQL database of its own, then runs 200 searches "within 25 km of a random postcode"
through the API (the Flask test client, so HTTP parsing is left out but routing, token auth,
argument parsing, the service, the queries and JSON serialisation are in), and the same searches
through the service without the bounding-box prefilter (the naive query: every open listing's
position read and measured).  Prints a table of median and 95th-percentile milliseconds.

    .venv/bin/python scripts/bench_search.py [--listings 100000] [--searches 200]

The database comes from BENCH_DATABASE_URL (default: database ``materialmatch_bench`` on the
local PostgreSQL, created when missing); it is emptied first.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import date, timedelta

BENCH_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/materialmatch_bench"
)


def ensure_database(url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}
        ).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def load(n_listings: int, seed: int) -> tuple[str, list[str]]:
    """Fresh schema by the migrations, the catalogue, users, projects and listings; a token."""
    from flask_migrate import upgrade
    from sqlalchemy import MetaData, insert, text

    from web.extensions import db
    from web.models import Condition, ListingStatus, Mounting, Project, Role, SupplyListing
    from web.services.accounts import create_user, issue_token
    from web.services.catalogue import list_materials, seed_catalogue
    from web.services.locations import known_postcodes, lookup_postcode

    stale = MetaData()
    stale.reflect(bind=db.engine)
    stale.drop_all(bind=db.engine)
    upgrade()
    seed_catalogue()
    rng = random.Random(seed)
    lead = create_user("bench@example.nl", "Bench", "bench-password-123", Role.PROJECT_LEAD)
    token, _ = issue_token(lead)
    postcodes = known_postcodes()
    codes = [m.code for m in list_materials()]
    projects = []
    for i in range(500):
        loc = lookup_postcode(rng.choice(postcodes))
        assert loc is not None
        projects.append(
            Project(name=f"Project {i}", lat=loc.lat, lon=loc.lon, lead_id=lead.id, place=loc.label)
        )
    db.session.add_all(projects)
    db.session.commit()
    statuses = [ListingStatus.OPEN] * 8 + [
        ListingStatus.PARTLY_MATCHED,
        ListingStatus.CLOSED,
        ListingStatus.WITHDRAWN,
        ListingStatus.DRAFT,
    ]
    today = date.today()
    batch: list[dict[str, object]] = []
    for i in range(n_listings):
        project = rng.choice(projects)
        start = today + timedelta(days=rng.randint(0, 200))
        batch.append(
            {
                "title": f"Listing {i}",
                "description": "",
                "specification": "",
                "material_code": rng.choice(codes),
                "project_id": project.id,
                "created_by_id": lead.id,
                "quantity": rng.randint(1, 5000),
                "reserved_quantity": 0,
                "status": rng.choice(statuses),
                "lat": project.lat + rng.uniform(-0.02, 0.02),
                "lon": project.lon + rng.uniform(-0.03, 0.03),
                "location_label": project.place,
                "postcode": None,
                "condition": rng.choice(list(Condition)),
                "mounting": rng.choice(list(Mounting)),
                "available_from": start,
                "available_until": start + timedelta(days=60),
                "attributes": {},
            }
        )
        if len(batch) == 10_000:
            db.session.execute(insert(SupplyListing), batch)
            batch = []
    if batch:
        db.session.execute(insert(SupplyListing), batch)
    db.session.commit()
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE supply_listing"))
    return token, postcodes


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--radius-km", type=float, default=25.0)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()

    ensure_database(BENCH_URL)
    from web import create_app
    from web.services.listings import search_listings

    app = create_app(
        {
            "SECRET_KEY": "bench",
            "SQLALCHEMY_DATABASE_URI": BENCH_URL,
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    with app.app_context():
        t0 = time.perf_counter()
        token, postcodes = load(args.listings, args.seed)
        load_s = time.perf_counter() - t0
    rng = random.Random(args.seed + 1)
    origins = [rng.choice(postcodes) for _ in range(args.searches)]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    api_ms: list[float] = []
    hits: list[int] = []
    for pc in origins[:5]:  # warm-up: caches, connection pool
        client.get(f"/api/v1/supply?near={pc}&radius_km={args.radius_km}", headers=headers)
    for pc in origins:
        t = time.perf_counter()
        r = client.get(f"/api/v1/supply?near={pc}&radius_km={args.radius_km}", headers=headers)
        api_ms.append((time.perf_counter() - t) * 1000)
        assert r.status_code == 200, r.get_data(as_text=True)
        hits.append(r.json["meta"]["total"])

    rows = [("API, bounding box + exact km (production)", api_ms)]
    with app.test_request_context():
        for label, boxed in (
            ("service, bounding box + exact km", True),
            ("service, naive: no prefilter, every row measured", False),
        ):
            times = []
            for pc in origins:
                t = time.perf_counter()
                page = search_listings(
                    "supply", near=pc, radius_km=args.radius_km, use_bounding_box=boxed
                )
                times.append((time.perf_counter() - t) * 1000)
                assert page.total >= 0
            rows.append((label, times))

    print(
        f"{args.listings} supply listings on PostgreSQL (loaded in {load_s:.1f} s); "
        f"{args.searches} searches within {args.radius_km:g} km of a random postcode; "
        f"hits per search: median {statistics.median(hits):.0f}, max {max(hits)}, "
        "20 returned per page"
    )
    print(f"{'query':<52} {'median ms':>10} {'p95 ms':>8} {'max ms':>8}")
    for label, times in rows:
        print(
            f"{label:<52} {statistics.median(times):>10.1f} {percentile(times, 0.95):>8.1f} "
            f"{max(times):>8.1f}"
        )


if __name__ == "__main__":
    main()
