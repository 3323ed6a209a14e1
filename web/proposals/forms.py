"""The small POST forms of the proposal pages: they carry the CSRF token and the side answered for.

The service decides who may answer for which side and in which state; the forms only parse.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, TextAreaField
from wtforms.validators import AnyOf, Length, Optional


class ActionForm(FlaskForm):
    """Accept, schedule, confirm delivery, close: a button, and for accept the side."""

    side = HiddenField(validators=[Optional(), AnyOf(["supplier", "receiver"])])


class RejectForm(ActionForm):
    reason = TextAreaField(
        _l("Reason (optional)"),
        validators=[Optional(), Length(max=2000, message=_l("Use at most 2000 characters."))],
        description=_l("The other party sees this."),
    )
