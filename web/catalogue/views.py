"""The coordinator's catalogue pages: every material, one material, and editing its figures."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from web.auth.roles import coordinator_required
from web.catalogue.forms import MaterialForm
from web.main.forms import apply_service_errors
from web.services import catalogue
from web.services.errors import Conflict, ValidationError

bp = Blueprint("catalogue", __name__, url_prefix="/catalogue")


@bp.route("/")
@coordinator_required
def index():  # type: ignore[no-untyped-def]
    """Every material, filtered by text and family, with a chart of embodied carbon per unit."""
    q = request.args.get("q", "").strip()[:100]
    family = request.args.get("family", "").strip()[:64]
    materials = catalogue.list_materials(q=q or None, family=family or None, include_inactive=True)
    return render_template(
        "catalogue/index.html",
        materials=materials,
        families=catalogue.families(),
        q=q,
        family=family,
    )


@bp.route("/<code>")
@coordinator_required
def view(code: str):  # type: ignore[no-untyped-def]
    return render_template("catalogue/view.html", material=catalogue.get_material(code))


@bp.route("/<code>/edit", methods=["GET", "POST"])
@coordinator_required
def edit(code: str):  # type: ignore[no-untyped-def]
    """Edit a material's names, family, unit, prices and factors; errors keep what was typed."""
    material = catalogue.get_material(code)
    form = MaterialForm(obj=material)
    if form.validate_on_submit():
        try:
            catalogue.update_material(current_user, code, form.service_data())
        except (ValidationError, Conflict) as error:
            apply_service_errors(form, error)
        else:
            flash(_("The material %(code)s was saved.", code=code), "success")
            return redirect(url_for("catalogue.view", code=code))
    status = 422 if request.method == "POST" else 200
    return render_template("catalogue/edit.html", material=material, form=form), status
