"""The JSON API under /api/v1 (flask-smorest), its OpenAPI document and documentation page.

Authentication is by bearer token only (``POST /api/v1/tokens``), so the API needs no CSRF
token: a browser never sends the token on its own.
"""

from __future__ import annotations

from flask import Blueprint, Flask, render_template

docs = Blueprint("api_docs", __name__, url_prefix="/api", template_folder="templates")


@docs.route("/docs")
def documentation():  # type: ignore[no-untyped-def]
    """A readable page generated from the OpenAPI document (no external scripts)."""
    from web.extensions import api

    spec = api.spec.to_dict()
    return render_template("api/docs.html", spec=spec)


def register_api(app: Flask) -> None:
    from web.api import auth, listings, materials, projects
    from web.extensions import api, csrf

    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer",
         "description": "A token from POST /api/v1/tokens, sent as 'Authorization: Bearer ...'."},
    )
    for blueprint in (auth.blp, projects.blp, materials.blp, listings.supply_blp,
                      listings.demand_blp):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    from web.api import depots, matching  # issue 4: runs, proposals, depots, notifications

    for blueprint in (matching.blp, depots.blp):
        csrf.exempt(blueprint)
        api.register_blueprint(blueprint)
    app.register_blueprint(docs)
