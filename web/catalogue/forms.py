"""The form a coordinator edits a material's names, prices and factors with."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from web.listings.forms import NumberField

_NUMBER = _l("Enter a number.")


def _number(label: object, hint_unit: str) -> NumberField:
    return NumberField(
        label,
        places=None,
        validators=[InputRequired(message=_NUMBER)],
        render_kw={"inputmode": "decimal"},
        description=hint_unit,
    )


class MaterialForm(FlaskForm):
    name_nl = StringField(
        _l("Name (Dutch)"),
        validators=[DataRequired(message=_l("This field is required.")), Length(max=200)],
    )
    name = StringField(
        _l("Name (English)"),
        validators=[DataRequired(message=_l("This field is required.")), Length(max=200)],
    )
    family = StringField(
        _l("Family"),
        validators=[DataRequired(message=_l("This field is required.")), Length(max=64)],
    )
    eural_code = StringField(
        _l("European List of Waste code"),
        validators=[DataRequired(message=_l("This field is required.")), Length(max=12)],
        description="17 01 07",
    )
    unit = StringField(
        _l("Unit"), validators=[DataRequired(message=_l("This field is required.")), Length(max=16)]
    )
    kg_per_unit = _number(_l("Mass per unit (kg)"), "kg")
    m3_per_unit = _number(_l("Volume per unit (m³)"), "m³")
    new_price_eur_per_unit = _number(_l("New price per unit (EUR)"), "EUR")
    disposal_eur_per_unit = _number(_l("Disposal fee per unit (EUR)"), "EUR")
    embodied_kgco2e_per_kg = _number(_l("Embodied carbon (kg CO₂e per kg)"), "kg CO₂e/kg")
    active = BooleanField(_l("In use (offered when posting listings)"))

    #: The fields the service takes, by their own names.
    SERVICE_FIELDS = (
        "name_nl",
        "name",
        "family",
        "eural_code",
        "unit",
        "kg_per_unit",
        "m3_per_unit",
        "new_price_eur_per_unit",
        "disposal_eur_per_unit",
        "embodied_kgco2e_per_kg",
        "active",
    )

    def service_data(self) -> dict[str, object]:
        data: dict[str, object] = {}
        for name in self.SERVICE_FIELDS:
            value = getattr(self, name).data
            data[name] = (
                float(value)
                if isinstance(value, int | float) or hasattr(value, "as_tuple")
                else value
            )
        return data
