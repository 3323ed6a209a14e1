"""'My projects and listings', one project with its listings, and the project forms."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from web.main.forms import apply_service_errors
from web.projects.forms import ProjectForm
from web.services import projects as project_service
from web.services.errors import ValidationError

bp = Blueprint("projects", __name__, url_prefix="/projects")


def _may_create_projects() -> bool:
    return current_user.role in project_service.PROJECT_ROLES


def _editable_project(project_id: int):  # type: ignore[no-untyped-def]
    project = project_service.get_project(project_id)
    if not project_service.can_edit_project(current_user, project):
        abort(403)
    return project


@bp.route("/")
@login_required
def mine():  # type: ignore[no-untyped-def]
    """My projects, each with its supply and demand listings, and a timeline of their windows."""
    projects = project_service.list_projects(lead=current_user)
    return render_template(
        "projects/mine.html",
        projects=projects,
        may_create=_may_create_projects(),
        today=date.today(),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():  # type: ignore[no-untyped-def]
    if not _may_create_projects():
        abort(403)
    form = ProjectForm()
    if form.validate_on_submit():
        try:
            project = project_service.create_project(current_user, form.service_data())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            flash(_("The project %(name)s was created.", name=project.name), "success")
            return redirect(url_for("projects.view", project_id=project.id))
    status = 422 if request.method == "POST" else 200
    return render_template("projects/form.html", form=form, project=None), status


@bp.route("/<int:project_id>")
@login_required
def view(project_id: int):  # type: ignore[no-untyped-def]
    """A project with all its listings, drafts included: for its lead and coordinators."""
    project = _editable_project(project_id)
    return render_template("projects/view.html", project=project, today=date.today())


@bp.route("/<int:project_id>/edit", methods=["GET", "POST"])
@login_required
def edit(project_id: int):  # type: ignore[no-untyped-def]
    project = _editable_project(project_id)
    form = ProjectForm(obj=project)
    if form.validate_on_submit():
        try:
            project_service.update_project(current_user, project_id, form.service_data())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            flash(_("The project was saved."), "success")
            return redirect(url_for("projects.view", project_id=project_id))
    status = 422 if request.method == "POST" else 200
    return render_template("projects/form.html", form=form, project=project), status
