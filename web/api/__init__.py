"""The JSON API under /api/v1 (flask-smorest), its OpenAPI document and documentation page."""

from __future__ import annotations

from flask import Flask


def register_api(app: Flask) -> None:
    from web.extensions import api, csrf

    api.spec.components.security_scheme(
        "bearerAuth", {"type": "http", "scheme": "bearer", "description": "POST /api/v1/tokens"}
    )
    for module_name in ():
        pass
    _ = csrf
