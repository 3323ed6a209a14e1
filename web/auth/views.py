"""Login and logout pages."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from web.auth.forms import LoginForm, LogoutForm
from web.auth.redirects import safe_next
from web.services.accounts import authenticate

bp = Blueprint("auth", __name__)


def _home() -> str:
    if "projects.mine" in current_app.view_functions:
        return url_for("projects.mine")
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    """Show the login form; on success go to ``next`` (if it is on this site) or my projects."""
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")) or _home())
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user, remember=bool(form.remember.data))
            flash(_("Welcome, %(name)s. You are logged in.", name=user.name), "success")
            return redirect(safe_next(form.next.data) or _home())
        # One message for a wrong address and a wrong password: no hint which accounts exist.
        form.password.errors.append(_("The email address or password is not correct."))
    status = 400 if form.errors else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["GET", "POST"])
def logout():  # type: ignore[no-untyped-def]
    """GET asks to confirm; POST (with the CSRF token) logs out."""
    form = LogoutForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_("Your session had expired; please try again."), "warning")
            return render_template("auth/logout.html", form=form), 400
        logout_user()
        flash(_("You are logged out."), "success")
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=form)
