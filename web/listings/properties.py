"""Measured properties and requirements as a person types them: one per line.

A supply's ``attributes`` (``{"length_m": 6.2, "steel_grade": "S235"}``) are typed as::

    length_m = 6.2
    steel_grade = S235

and a demand's ``requirements`` (``{"length_m": {"min": 5.4, "max": 8}, "steel_grade": {"in":
["S235", "S355"]}}``, see ``shared/spec/matching.md``) as::

    length_m >= 5.4
    length_m <= 8
    steel_grade in S235, S355

A number may have a decimal comma or point ("6,2" or "6.2"); anything else is a text.  In an
``in`` list the values are separated by commas, so a number there takes a decimal point.
``parse_*`` return the dict and a list of messages, one per bad line ("Regel 2: ..."); the
dict is only meaningful when that list is empty.  ``format_*`` write a dict back in the same
syntax, sorted by name, so that an edit form shows what is stored and saving it unchanged
stores the same.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d+)?|[.,]\d+)$")
_BOUND = re.compile(r"^(?P<name>.*?)\s*(?P<op>>=|<=)\s*(?P<value>.*)$")
_LIST = re.compile(r"^(?P<name>\S+)\s+in(\s+(?P<values>.*))?$")
_BOUND_KEYS = {">=": "min", "<=": "max"}

Messages = list[Any]  # lazy strings, shown as they are under the field


def _number(text: str) -> int | float | None:
    """``"6"`` -> 6, ``"6,2"`` / ``"6.2"`` -> 6.2; None when ``text`` is not a plain number."""
    text = text.strip()
    if not _NUMBER.match(text):
        return None
    text = text.replace(",", ".")
    if "." in text:
        return float(text)
    return int(text)


def _value(text: str) -> int | float | str:
    number = _number(text)
    return text.strip() if number is None else number


def _lines(text: str | None) -> list[tuple[int, str]]:
    """The non-blank lines with their 1-based line numbers."""
    return [
        (number, line.strip())
        for number, line in enumerate((text or "").splitlines(), start=1)
        if line.strip()
    ]


def _bad_name(line: int) -> Any:
    return _l(
        "Line %(line)d: a name starts with a small letter and has only small letters, "
        "digits and _ (like length_m).",
        line=line,
    )


def parse_attributes(text: str | None) -> tuple[dict[str, int | float | str], Messages]:
    """``name = value`` lines into a flat dict; an empty text is no properties."""
    attributes: dict[str, int | float | str] = {}
    errors: Messages = []
    for line, content in _lines(text):
        name, sep, value = content.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name:
            errors.append(_l("Line %(line)d: use name = value.", line=line))
        elif not NAME.match(name):
            errors.append(_bad_name(line))
        elif not value:
            errors.append(_l("Line %(line)d: enter a value after =.", line=line))
        elif name in attributes:
            errors.append(_l("Line %(line)d: %(name)s is already given.", line=line, name=name))
        else:
            attributes[name] = _value(value)
    return attributes, errors


def parse_requirements(text: str | None) -> tuple[dict[str, dict[str, Any]], Messages]:
    """``name >= x``, ``name <= x`` and ``name in a, b`` lines into the spec's requirements.

    A ``>=`` and a ``<=`` on the same name make one ``{"min": .., "max": ..}``; a list cannot be
    combined with a limit (the matcher refuses that), and a minimum must not exceed the maximum.
    """
    requirements: dict[str, dict[str, Any]] = {}
    errors: Messages = []
    first_line: dict[str, int] = {}
    for line, content in _lines(text):
        bound = _BOUND.match(content)
        listed = None if bound else _LIST.match(content)
        if bound is None and listed is None:
            errors.append(
                _l(
                    "Line %(line)d: use name >= number, name <= number or name in value, value.",
                    line=line,
                )
            )
            continue
        name = (bound or listed).group("name").strip()  # type: ignore[union-attr]
        if not NAME.match(name):
            errors.append(_bad_name(line))
            continue
        item = requirements.setdefault(name, {})
        first_line.setdefault(name, line)
        if bound is not None:
            op = bound.group("op")
            key = _BOUND_KEYS[op]
            number = _number(bound.group("value"))
            if number is None:
                errors.append(_l("Line %(line)d: after %(op)s comes a number.", line=line, op=op))
            elif key in item:
                errors.append(
                    _l(
                        "Line %(line)d: %(name)s %(op)s is already given.",
                        line=line,
                        name=name,
                        op=op,
                    )
                )
            elif "in" in item:
                errors.append(_mixed(line, name))
            elif (key == "max" and "min" in item and item["min"] > number) or (
                key == "min" and "max" in item and number > item["max"]
            ):
                errors.append(
                    _l(
                        "Line %(line)d: the minimum of %(name)s is above its maximum.",
                        line=line,
                        name=name,
                    )
                )
            else:
                item[key] = number
            continue
        values = [v.strip() for v in (listed.group("values") or "").split(",")]  # type: ignore[union-attr]
        if not values or not all(values):
            errors.append(
                _l("Line %(line)d: list the values after in, separated by commas.", line=line)
            )
        elif "in" in item:
            errors.append(
                _l(
                    "Line %(line)d: %(name)s %(op)s is already given.",
                    line=line,
                    name=name,
                    op="in",
                )
            )
        elif "min" in item or "max" in item:
            errors.append(_mixed(line, name))
        else:
            item["in"] = [_value(v) for v in values]
    return {name: item for name, item in requirements.items() if item}, errors


def _mixed(line: int, name: str) -> Any:
    return _l(
        "Line %(line)d: %(name)s cannot have both a list (in) and a limit (>= or <=).",
        line=line,
        name=name,
    )


def _show(value: Any) -> str:
    """A stored value as it is typed: 8.0 as "8", 6.2 as "6.2", a text as it is."""
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    return str(value)


def attribute_lines(attributes: Mapping[str, Any] | None) -> list[str]:
    """``["length_m = 6.2", "steel_grade = S235"]``, by name (PostgreSQL's JSONB keeps no order)."""
    return [f"{name} = {_show(value)}" for name, value in sorted((attributes or {}).items())]


def requirement_lines(requirements: Mapping[str, Any] | None) -> list[str]:
    """``["length_m >= 5.4", "length_m <= 8", "steel_grade in S235, S355"]``, by name."""
    lines: list[str] = []
    for name, item in sorted((requirements or {}).items()):
        if not isinstance(item, Mapping):
            continue
        if "min" in item:
            lines.append(f"{name} >= {_show(item['min'])}")
        if "max" in item:
            lines.append(f"{name} <= {_show(item['max'])}")
        if "in" in item:
            lines.append(f"{name} in {', '.join(_show(v) for v in item['in'])}")
    return lines


def format_attributes(attributes: Mapping[str, Any] | None) -> str:
    return "\n".join(attribute_lines(attributes))


def format_requirements(requirements: Mapping[str, Any] | None) -> str:
    return "\n".join(requirement_lines(requirements))
