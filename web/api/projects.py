"""Projects, and the CSV import of a project's inventory."""

from __future__ import annotations

import math
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from web.api import schemas as s
from web.api.auth import api_user, token_required
from web.extensions import db
from web.models import Project
from web.services import csv_io
from web.services import projects as svc

blp = Blueprint("api_projects", __name__, url_prefix="/api/v1/projects",
                description="Projects and their inventory import")


@blp.route("")
class Projects(MethodView):
    @token_required
    @blp.arguments(s.ProjectQueryArgsSchema, location="query")
    @blp.response(200, s.ProjectPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List projects (``mine=true``: the ones you lead)"""
        from sqlalchemy import func, select

        stmt = select(Project)
        if args["mine"]:
            stmt = stmt.where(Project.lead_id == api_user().id)
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        page, per_page = args["page"], args["per_page"]
        items = db.session.scalars(stmt.order_by(Project.name, Project.id)
                                   .limit(per_page).offset((page - 1) * per_page)).all()
        return {"items": items, "meta": {"page": page, "per_page": per_page, "total": total,
                                         "pages": max(1, math.ceil(total / per_page))}}

    @token_required
    @blp.arguments(s.ProjectCreateSchema)
    @blp.response(201, s.ProjectSchema)
    @blp.alt_response(403, description="Only project leads and coordinators create projects.")
    def post(self, data: dict[str, Any]) -> Project:
        """Create a project at a postcode, place or coordinates"""
        return svc.create_project(api_user(), data)


@blp.route("/<int:project_id>")
class ProjectsById(MethodView):
    @token_required
    @blp.response(200, s.ProjectSchema)
    @blp.alt_response(404, description="No such project.")
    def get(self, project_id: int) -> Project:
        """One project"""
        return svc.get_project(project_id)

    @token_required
    @blp.arguments(s.ProjectUpdateSchema)
    @blp.response(200, s.ProjectSchema)
    @blp.alt_response(403, description="Not the project's lead nor a coordinator.")
    @blp.alt_response(404, description="No such project.")
    def patch(self, data: dict[str, Any], project_id: int) -> Project:
        """Change a project"""
        return svc.update_project(api_user(), project_id, data)


@blp.route("/<int:project_id>/inventory")
class Inventory(MethodView):
    @token_required
    @blp.arguments(s.CsvUploadSchema, location="files")
    @blp.response(201, s.CsvImportResultSchema)
    @blp.alt_response(403, description="Not the project's lead nor a coordinator.")
    @blp.alt_response(404, description="No such project.")
    def post(self, files: dict[str, Any], project_id: int) -> dict[str, Any]:
        """Import a demolition inventory CSV: every row becomes a listing, or none does

        Columns: kind (supply/aanbod or demand/vraag), title, material_code, quantity,
        description, specification, location, condition, mounting, available_from,
        available_until, min_condition, needed_from, needed_until, max_distance_km, status,
        and attr:<name> for measured properties. Dutch headers (titel, materiaal, aantal, ...)
        work too; comma or semicolon separated, UTF-8. A refusal lists every bad row and column.
        """
        upload = files["file"]
        result = csv_io.import_inventory(api_user(), project_id, upload.read(),
                                         upload.filename or "")
        return {"created": result.created, "supply_ids": [x.id for x in result.supply],
                "demand_ids": [x.id for x in result.demand]}
