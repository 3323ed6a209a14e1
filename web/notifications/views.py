"""My messages: what happened to my proposals, newest first; and marking them read."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import get_locale, ngettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from web.services import notifications as service

bp = Blueprint("notifications", __name__, url_prefix="/notifications")


class MarkReadForm(FlaskForm):
    """The "mark all as read" button: only its CSRF token."""


@bp.app_context_processor
def notification_context() -> dict[str, object]:
    def unread_notifications() -> int:
        if not current_user.is_authenticated:
            return 0
        return service.unread_count(current_user)

    return {"unread_notifications": unread_notifications}


@bp.route("/")
@login_required
def index():  # type: ignore[no-untyped-def]
    locale = get_locale()
    shown = service.notifications_for(
        current_user, limit=200, locale=locale.language if locale is not None else None
    )
    return render_template("notifications/index.html", notifications=shown, form=MarkReadForm())


@bp.route("/read", methods=["POST"])
@login_required
def mark_read():  # type: ignore[no-untyped-def]
    if not MarkReadForm().validate_on_submit():
        abort(400)
    n = service.mark_read(current_user)
    flash(ngettext("%(num)d message marked as read.", "%(num)d messages marked as read.", n),
          "success")
    return redirect(url_for("notifications.index"))
