"""The material catalogue: everyone reads it, coordinators change it."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from web.api import schemas as s
from web.api.auth import api_user, token_required
from web.models import Material
from web.services import catalogue as svc

blp = Blueprint("api_materials", __name__, url_prefix="/api/v1/materials",
                description="The material catalogue")


@blp.route("")
class Materials(MethodView):
    @token_required
    @blp.arguments(s.MaterialQueryArgsSchema, location="query")
    @blp.response(200, s.MaterialSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[Material]:
        """The catalogue, by family and code"""
        return svc.list_materials(q=args.get("q"), family=args.get("family"))

    @token_required
    @blp.arguments(s.MaterialCreateSchema)
    @blp.response(201, s.MaterialSchema)
    @blp.alt_response(403, description="Only coordinators change the catalogue.")
    def post(self, data: dict[str, Any]) -> Material:
        """Add a material to the catalogue"""
        code = data.pop("code")
        return svc.create_material(api_user(), code, data)


@blp.route("/<string:code>")
class MaterialsByCode(MethodView):
    @token_required
    @blp.response(200, s.MaterialSchema)
    @blp.alt_response(404, description="No such material.")
    def get(self, code: str) -> Material:
        """One material with its substitutes"""
        return svc.get_material(code)

    @token_required
    @blp.arguments(s.MaterialUpdateSchema)
    @blp.response(200, s.MaterialSchema)
    @blp.alt_response(403, description="Only coordinators change the catalogue.")
    @blp.alt_response(404, description="No such material.")
    @blp.alt_response(409, description="The unit of a material in use cannot change.")
    def patch(self, data: dict[str, Any], code: str) -> Material:
        """Change a material's figures or substitutes"""
        return svc.update_material(api_user(), code, data)
