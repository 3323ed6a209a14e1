"""Forms of the depot pages: walk-in stock, a correction, and the check-in/out confirmations.

The forms parse (a whole number is a whole number, a date a date); what the depot can hold and
what a correction may take away is the service's business, its field errors shown on these fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from web.listings.forms import DayField, WholeNumberField, condition_choices

_WHOLE = _l("Enter a whole number.")


class WalkInForm(FlaskForm):
    material_code = SelectField(
        _l("Material"), choices=[], validate_choice=False,
        validators=[DataRequired(message=_l("Choose a material from the catalogue."))],
    )
    quantity = WholeNumberField(
        _l("Quantity"), validators=[InputRequired(message=_WHOLE)],
        render_kw={"inputmode": "numeric"},
    )
    condition = SelectField(_l("Condition"), choices=[], default="B", validate_choice=False)
    received_on = DayField(_l("Received on"), validators=[Optional()])
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=2000, message=_l("Use at most 2000 characters."))],
    )

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.condition.choices = condition_choices()

    def service_data(self) -> dict[str, object]:
        return {
            "material_code": self.material_code.data,
            "quantity": self.quantity.data,
            "condition": self.condition.data,
            "received_on": self.received_on.data,
            "description": self.description.data or "",
        }


class CorrectionForm(FlaskForm):
    quantity_delta = WholeNumberField(
        _l("Change in units"), validators=[InputRequired(message=_WHOLE)],
        description=_l(
            "Positive when you counted more, negative when units are missing or broken."
        ),
        render_kw={"inputmode": "numeric"},
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            DataRequired(message=_l("Say why the stock is corrected.")),
            Length(max=2000, message=_l("Use at most 2000 characters.")),
        ],
    )


class ConfirmForm(FlaskForm):
    """Check-in and check-out: a confirmation button with its CSRF token."""
