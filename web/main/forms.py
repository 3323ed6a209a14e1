"""Putting a service's field errors on the form fields that hold the typed values."""

from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm

from web.services.errors import ServiceError


def _messages(value: object) -> list[str]:
    if isinstance(value, Mapping):
        return [f"{key}: {m}" for key, v in value.items() for m in _messages(v)]
    if isinstance(value, list | tuple):
        return [m for v in value for m in _messages(v)]
    return [str(value)]


def apply_service_errors(
    form: FlaskForm, error: ServiceError, field_map: Mapping[str, str] | None = None
) -> None:
    """Show ``error``'s messages on the form's fields (``field_map``: service name -> field).

    A message for a field the form does not have, or an error without field errors, is shown in
    the form's summary, so nothing the service said is lost.
    """
    field_map = field_map or {}
    if not error.field_errors:
        form.form_errors.append(str(error.message))
        return
    for name, value in error.field_errors.items():
        field = form._fields.get(field_map.get(name, name))
        if field is None or field.type in ("CSRFTokenField", "HiddenField"):
            form.form_errors.extend(_messages(value))
            continue
        if not isinstance(field.errors, list):  # a tuple before validation ran
            field.errors = list(field.errors)
        field.errors.extend(_messages(value))
