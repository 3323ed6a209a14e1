"""Forms of the listings pages: the search filters, and posting supply and demand.

The forms only parse (a number is a number, a date is a date, a choice is one of the choices);
what makes a listing valid (windows in order, the project is yours, the postcode exists) is the
service's business, and its field errors are shown on these same fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DecimalField,
    IntegerField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
)
from wtforms.widgets import CheckboxInput, ListWidget

from web.listings.properties import (
    format_attributes,
    format_requirements,
    parse_attributes,
    parse_requirements,
)
from web.main.display import CONDITION_LABELS, MOUNTING_LABELS
from web.models import Condition, Mounting

_REQUIRED_NUMBER = _l("Enter a whole number.")
_DATE = _l("Enter a date as YYYY-MM-DD.")


class _OwnParseMessage:
    """A field that says in our words why the text is not a number or date, and only that."""

    parse_message: object

    def process_formdata(self, valuelist):  # type: ignore[no-untyped-def]
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None  # type: ignore[attr-defined]  # blank: for Optional/InputRequired
            return
        try:
            super().process_formdata(valuelist)  # type: ignore[misc]
        except ValueError as exc:
            raise ValueError(self.parse_message) from exc

    def pre_validate(self, form):  # type: ignore[no-untyped-def]
        if self.process_errors:  # type: ignore[attr-defined]
            raise StopValidation()  # the range checks would only repeat it
        super().pre_validate(form)  # type: ignore[misc]


class WholeNumberField(_OwnParseMessage, IntegerField):
    parse_message = _REQUIRED_NUMBER


class NumberField(_OwnParseMessage, DecimalField):
    """A decimal number; a Dutch decimal comma ("12,5") is read as a point."""

    parse_message = _l("Enter a number, like 25 or 12.5.")

    def process_formdata(self, valuelist):  # type: ignore[no-untyped-def]
        if valuelist and isinstance(valuelist[0], str) and valuelist[0].count(",") == 1:
            valuelist = [valuelist[0].replace(",", ".").strip(), *valuelist[1:]]
        super().process_formdata(valuelist)


class DayField(_OwnParseMessage, DateField):
    parse_message = _DATE

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(*args, **kwargs)


class _LinesField(TextAreaField):
    """A textarea of one item per line, parsed into a dict; one error per bad line.

    ``data`` is the parsed dict, or None when the form did not send the field at all (then the
    service keeps what is stored).  A bad text is shown again exactly as it was typed.
    """

    parse = staticmethod(parse_attributes)
    format = staticmethod(format_attributes)

    def process_data(self, value):  # type: ignore[no-untyped-def]
        self.data = dict(value) if value else {}

    def process_formdata(self, valuelist):  # type: ignore[no-untyped-def]
        if not valuelist:
            self.data = None
            return
        self.data, errors = self.parse(valuelist[0])
        self.process_errors.extend(errors)

    def _value(self):  # type: ignore[no-untyped-def]
        if self.raw_data:
            return self.raw_data[0]
        return self.format(self.data)


class AttributesField(_LinesField):
    """``name = value`` lines: a supply's measured properties."""


class RequirementsField(_LinesField):
    """``name >= x``, ``name <= x``, ``name in a, b`` lines: a demand's requirements."""

    parse = staticmethod(parse_requirements)
    format = staticmethod(format_requirements)


def condition_choices(blank: object | None = None) -> list[tuple[str, object]]:
    choices: list[tuple[str, object]] = [("", blank)] if blank is not None else []
    return choices + [(c.value, CONDITION_LABELS[c.value]) for c in Condition]


def mounting_choices() -> list[tuple[str, object]]:
    return [(m.value, MOUNTING_LABELS[m.value]) for m in Mounting]


class NoCsrfForm(FlaskForm):
    """A GET form (search): nothing is written, so no CSRF token in the URL."""

    class Meta:
        csrf = False


class SearchForm(NoCsrfForm):
    q = SearchField(
        _l("Search words"),
        validators=[Optional(), Length(max=100, message=_l("Use at most 100 characters."))],
    )
    material = SelectField(_l("Material"), choices=[], validators=[Optional()])
    family = SelectField(_l("Family"), choices=[], validators=[Optional()])
    condition = SelectField(
        _l("At least condition"),
        choices=[],
        validators=[Optional()],
    )
    postcode = StringField(
        _l("Near postcode or place"),
        validators=[Optional(), Length(max=100, message=_l("Use at most 100 characters."))],
        render_kw={"autocomplete": "postal-code", "placeholder": "7511"},
    )
    radius_km = WholeNumberField(
        _l("Within (km)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=500, message=_l("Choose a distance from 1 to 500 km.")),
        ],
        render_kw={"inputmode": "numeric", "min": 1, "max": 500},
    )
    date_from = DayField(_l("From"), validators=[Optional()])
    date_until = DayField(_l("Until"), validators=[Optional()])

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.condition.choices = condition_choices(blank=_l("Any condition"))


class ListingForm(FlaskForm):
    """Fields that supply and demand share."""

    project_id = SelectField(
        _l("Project"),
        coerce=str,
        validators=[DataRequired(message=_l("Choose one of your projects."))],
    )
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(message=_l("Enter a title.")),
            Length(max=200, message=_l("Use at most 200 characters.")),
        ],
    )
    material_code = SelectField(
        _l("Material"), validators=[DataRequired(message=_l("Choose a material."))]
    )
    quantity = WholeNumberField(
        _l("Quantity"),
        validators=[
            InputRequired(message=_REQUIRED_NUMBER),
            NumberRange(min=1, message=_l("The quantity must be at least 1.")),
        ],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    specification = TextAreaField(
        _l("Dimensions and specification"),
        validators=[Optional(), Length(max=2000, message=_l("Use at most 2000 characters."))],
    )
    description = TextAreaField(
        _l("Description"),
        validators=[Optional(), Length(max=5000, message=_l("Use at most 5000 characters."))],
    )
    location = StringField(
        _l("Postcode or place (if not at the project)"),
        validators=[Optional(), Length(max=100)],
        render_kw={"autocomplete": "postal-code"},
    )
    status = SelectField(
        _l("Publish"),
        choices=[("open", _l("Publish now (open)")), ("draft", _l("Save as draft"))],
        default="open",
    )


class SupplyForm(ListingForm):
    condition = SelectField(_l("Condition"), default="B")
    mounting = SelectField(_l("How it was fixed"), default="loose")
    available_from = DayField(
        _l("Available from"),
        validators=[InputRequired(message=_DATE)],
    )
    available_until = DayField(
        _l("Available until"),
        validators=[InputRequired(message=_DATE)],
    )
    attributes = AttributesField(_l("Measured properties"))

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.condition.choices = condition_choices()
        self.mounting.choices = mounting_choices()


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class DemandForm(ListingForm):
    min_condition = SelectField(_l("At least condition"), default="C")
    accepted_mountings = MultiCheckboxField(
        _l("Accepted ways of fixing (none ticked: any)"), validators=[Optional()]
    )
    needed_from = DayField(_l("Needed from"), validators=[InputRequired(message=_DATE)])
    needed_until = DayField(_l("Needed until"), validators=[InputRequired(message=_DATE)])
    max_distance_km = NumberField(
        _l("Maximum distance (km)"),
        places=None,
        validators=[
            Optional(),
            NumberRange(min=1, max=500, message=_l("Choose a distance from 1 to 500 km.")),
        ],
        render_kw={"inputmode": "decimal"},
    )
    requirements = RequirementsField(_l("Requirements"))

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.min_condition.choices = condition_choices()
        self.accepted_mountings.choices = mounting_choices()


class WithdrawForm(FlaskForm):
    """Only the CSRF token: withdrawing is a POST with a confirmation."""
