"""The project form: a name and where it is (postcode, place, or both)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional


class ProjectForm(FlaskForm):
    name = StringField(
        _l("Project name"),
        validators=[
            DataRequired(message=_l("Enter a name.")),
            Length(max=200, message=_l("Use at most 200 characters.")),
        ],
    )
    address = StringField(
        _l("Street and number"),
        validators=[Optional(), Length(max=300, message=_l("Use at most 300 characters."))],
        render_kw={"autocomplete": "street-address"},
    )
    postcode = StringField(
        _l("Postcode"),
        validators=[
            Optional(),
            Length(max=10, message=_l("Enter a Dutch postcode such as 7511 AB.")),
        ],
        render_kw={"autocomplete": "postal-code", "placeholder": "7511 AB"},
    )
    place = StringField(
        _l("Place"),
        validators=[Optional(), Length(max=120, message=_l("Use at most 120 characters."))],
        render_kw={"autocomplete": "address-level2", "placeholder": "Enschede"},
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=5000, message=_l("Use at most 5000 characters."))],
    )

    def service_data(self) -> dict[str, object]:
        return {
            "name": self.name.data or "",
            "address": self.address.data or "",
            "postcode": self.postcode.data or "",
            "place": self.place.data or "",
            "description": self.description.data or "",
        }
