"""Instance and result JSON <-> the domain: reading, validating and writing the spec's files.

The contract is ``shared/spec/matching.md``.  :func:`parse_instance` checks every field rule of
the spec, collects *all* problems with their JSON location (``supply[3].quantity``) and raises one
:class:`InstanceError`; it never returns a half-loaded instance.

Where the rules live
--------------------
Each kind of value has one checker function (``_quantity``, ``_iso_date``, ...).  The marshmallow
schemas below declare, field by field, which checker applies and whether the field is required;
defaults come from the domain dataclasses.  The small sections (cost model, materials, depots and
their stock) are loaded through marshmallow.  Supply and demand can hold hundreds of thousands of
rows, and marshmallow spends most of its time in its own machinery there, so
:func:`load_rows` reads the same schema's declarations and runs the same checkers in a plain loop:
one set of rules, two engines.  ``scripts/bench_load.py`` measures both.  Rules that relate
several records (unique codes and ids, substitutes, material references, depot capacity) are
checked once everything is read, in :func:`_check_references`.
"""

from __future__ import annotations

import math
import os
import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import IO, Any, ClassVar, NamedTuple

import orjson
from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validates_schema,
)

from matcher.bulk import collector_paused
from matcher.domain import (
    AttributeValue,
    Condition,
    CostModel,
    Demand,
    Depot,
    Instance,
    Material,
    Requirement,
    StockItem,
    Substitute,
    Supply,
)
from matcher.result import Allocation, CostBreakdown, Kpis, Leftover, MatchResult

__all__ = [
    "DemandSchema",
    "InstanceError",
    "Problem",
    "SupplySchema",
    "instance_to_dict",
    "load_instance",
    "load_rows",
    "load_rows_marshmallow",
    "parse_instance",
    "parse_result",
    "result_to_dict",
    "write_json_atomic",
    "write_result",
]


# --------------------------------------------------------------------------------------------
# Problems


class Problem(NamedTuple):
    """One broken rule: where (a JSON path such as ``supply[3].quantity``) and what."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


class InstanceError(ValueError):
    """Bad input: the instance is refused as a whole.

    ``problems`` lists every problem found, in document order; ``str()`` gives one
    ``location: message`` line per problem.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: list[Problem] = list(problems)
        super().__init__(self.problems)

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


PathPart = str | int


class _Bad(Exception):
    """A value breaks a rule; ``problems`` holds (path below the value, message) pairs."""

    def __init__(self, message: str, *path: PathPart) -> None:
        super().__init__(message)
        self.problems: list[tuple[tuple[PathPart, ...], str]] = [(path, message)]

    @classmethod
    def several(cls, problems: list[tuple[tuple[PathPart, ...], str]]) -> _Bad:
        bad = cls(problems[0][1], *problems[0][0])
        bad.problems = problems
        return bad


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")


def _join(location: str, part: PathPart) -> str:
    """Append a key or list index to a JSON location, quoting keys that are not plain words."""
    if isinstance(part, int):
        return f"{location}[{part}]"
    if _PLAIN_KEY.match(part):
        return f"{location}.{part}" if location else part
    return f"{location}[{orjson.dumps(part).decode()}]"


def _at(location: str, path: Iterable[PathPart]) -> str:
    for part in path:
        location = _join(location, part)
    return location


_SECTION_ORDER = {
    name: rank
    for rank, name in enumerate(
        ["<file>", "<json>", "<root>", "today", "cost", "materials", "supply", "demand", "depots"]
    )
}
_SECTION_AND_INDEX = re.compile(r"([^.\[]*)(?:\[(\d+)\])?")


def _document_order(problem: Problem) -> tuple[int, int]:
    """Sort key: section, then row; problems within a row keep the order they were found in."""
    match = _SECTION_AND_INDEX.match(problem.location)
    assert match is not None  # the pattern matches every string
    section, index = match.groups()
    return _SECTION_ORDER.get(section, len(_SECTION_ORDER)), int(index) if index else -1


# --------------------------------------------------------------------------------------------
# The checkers: one per kind of value, shared by both engines


def _number(value: object) -> float | None:
    """The value as a float if it is a finite JSON number (not a bool), else None."""
    kind = type(value)
    if kind is float:
        return value if math.isfinite(value) else None  # type: ignore[arg-type,return-value]
    if kind is int or (isinstance(value, int | float) and not isinstance(value, bool)):
        try:
            number = float(value)  # type: ignore[arg-type]
        except OverflowError:
            return None
        return number if math.isfinite(number) else None
    return None


def _finite(value: object) -> float:
    number = _number(value)
    if number is None:
        raise _Bad("must be a finite number")
    return number


def _non_negative(value: object) -> float:
    number = _number(value)
    if number is None or number < 0:
        raise _Bad("must be a finite number >= 0")
    return number


def _positive(value: object) -> float:
    number = _number(value)
    if number is None or number <= 0:
        raise _Bad("must be a finite number > 0")
    return number


def _at_least_one(value: object) -> float:
    number = _number(value)
    if number is None or number < 1:
        raise _Bad("must be a finite number >= 1")
    return number


def _latitude(value: object) -> float:
    number = _number(value)
    if number is None or not -90.0 <= number <= 90.0:
        raise _Bad("must be a number between -90 and 90")
    return number


def _longitude(value: object) -> float:
    number = _number(value)
    if number is None or not -180.0 <= number <= 180.0:
        raise _Bad("must be a number between -180 and 180")
    return number


def _quantity(value: object) -> int:
    # A JSON integer only: 5.0 and true are refused, as the spec asks.
    if type(value) is int and value >= 1:
        return value
    if isinstance(value, int) and not isinstance(value, bool) and value >= 1:
        return int(value)
    raise _Bad("must be an integer >= 1")


def _text(value: object) -> str:
    if type(value) is str and value:
        return value
    raise _Bad("must be a non-empty string")


_CONDITIONS = {condition.name: condition for condition in Condition}


def _condition(value: object) -> Condition:
    try:
        return _CONDITIONS[value]  # type: ignore[index]
    except (KeyError, TypeError):
        raise _Bad('must be "A", "B" or "C"') from None


_DATES: dict[str, date] = {}  # listings share few distinct days; parsing each once pays


def _iso_date(value: object) -> date:
    try:
        return _DATES[value]  # type: ignore[index]
    except (KeyError, TypeError):
        pass
    # date.fromisoformat alone also takes "20270301" and "2027-W09-1"; the spec wants YYYY-MM-DD.
    if type(value) is str and len(value) == 10 and value[4] == "-" and value[7] == "-":
        try:
            if value.isascii():
                if len(_DATES) > 100_000:
                    _DATES.clear()
                parsed = _DATES[value] = date.fromisoformat(value)
                return parsed
        except ValueError:
            pass
    raise _Bad("must be a date YYYY-MM-DD")


_EMPTY: Mapping[str, Any] = MappingProxyType({})


def _attribute_value(value: object) -> AttributeValue:
    if type(value) is str:
        return value
    number = _number(value)
    if number is None:
        raise _Bad("must be a number or a string")
    return number


def _attributes(value: object) -> Mapping[str, AttributeValue]:
    if not isinstance(value, dict):
        raise _Bad("must be an object of numbers and strings")
    attributes: dict[str, AttributeValue] = {}
    problems: list[tuple[tuple[PathPart, ...], str]] = []
    for name, raw in value.items():
        if raw is None:
            continue
        if type(name) is not str or not name:
            problems.append(((), "attribute names must be non-empty strings"))
            continue
        try:
            attributes[name] = _attribute_value(raw)
        except _Bad as bad:
            problems.append(((name,), bad.problems[0][1]))
    if problems:
        raise _Bad.several(problems)
    return MappingProxyType(attributes) if attributes else _EMPTY


def _requirement(value: object) -> Requirement:
    if not isinstance(value, dict):
        raise _Bad('must be an object with "min", "max" or "in"')
    low, high, allowed = value.get("min"), value.get("max"), value.get("in")
    if low is None and high is None and allowed is None:
        raise _Bad('must be an object with "min", "max" or "in"')
    if allowed is not None:
        if low is not None or high is not None:
            raise _Bad('"in" cannot be combined with "min" or "max"')
        if not isinstance(allowed, list) or not allowed:
            raise _Bad("must be a non-empty list of numbers or strings", "in")
        values: list[AttributeValue] = []
        for index, item in enumerate(allowed):
            try:
                values.append(_attribute_value(item))
            except _Bad:
                raise _Bad("must be a number or a string", "in", index) from None
        return Requirement(allowed=tuple(values))
    problems: list[tuple[tuple[PathPart, ...], str]] = []
    bounds: dict[str, float] = {}
    for key, raw in (("min", low), ("max", high)):
        if raw is not None:
            number = _number(raw)
            if number is None:
                problems.append(((key,), "must be a finite number"))
            else:
                bounds[key] = number
    if not problems and "min" in bounds and "max" in bounds and bounds["min"] > bounds["max"]:
        problems.append((("max",), "must be >= min"))
    if problems:
        raise _Bad.several(problems)
    return Requirement(min=bounds.get("min"), max=bounds.get("max"))


def _requirements(value: object) -> Mapping[str, Requirement]:
    if not isinstance(value, dict):
        raise _Bad("must be an object mapping attribute names to requirements")
    requirements: dict[str, Requirement] = {}
    problems: list[tuple[tuple[PathPart, ...], str]] = []
    for name, raw in value.items():
        if raw is None:
            continue
        if type(name) is not str or not name:
            problems.append(((), "attribute names must be non-empty strings"))
            continue
        try:
            requirements[name] = _requirement(raw)
        except _Bad as bad:
            problems.extend(((name, *path), message) for path, message in bad.problems)
    if problems:
        raise _Bad.several(problems)
    return MappingProxyType(requirements) if requirements else _EMPTY


# --------------------------------------------------------------------------------------------
# The schemas: which checker applies to which field


class Checked(fields.Field[Any]):
    """A marshmallow field that applies one of this module's checkers."""

    def __init__(self, check: Callable[[Any], Any], *, required: bool = False) -> None:
        super().__init__(required=required, error_messages={"required": "is required"})
        self.check = check

    def _deserialize(
        self, value: Any, attr: str | None, data: Mapping[str, Any] | None, **kwargs: Any
    ) -> Any:
        try:
            return self.check(value)
        except _Bad as bad:
            raise ValidationError(_messages(bad.problems)) from None


def _messages(problems: list[tuple[tuple[PathPart, ...], str]]) -> list[str] | dict[Any, Any]:
    """Nest (path, message) pairs the way marshmallow nests its error messages."""
    if all(not path for path, _ in problems):
        return [message for _, message in problems]
    nested: dict[Any, Any] = {}
    for path, message in problems:
        node = nested
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node.setdefault(path[-1] if path else "_schema", []).append(message)
    return nested


def _listing_of(schema: type[Schema]) -> fields.List[Any]:
    return fields.List(
        fields.Nested(schema, error_messages={"null": "must be an object"}),
        error_messages={"invalid": "must be a list"},
    )


class RowSchema(Schema):
    """Base of the schemas: nulls count as absent, unknown keys are ignored, rows become objects.

    Subclasses declare their fields with :class:`Checked`, name the domain class in ``model``
    and may add rules relating two fields of a row in :meth:`row_problems`.
    """

    model: ClassVar[Callable[..., Any]]
    error_messages: ClassVar[dict[str, str]] = {"type": "must be an object"}  # type: ignore[misc]

    class Meta:
        unknown = EXCLUDE

    @classmethod
    def row_problems(cls, values: dict[str, Any]) -> Iterable[tuple[str, str]]:
        """(field, message) for every rule relating fields of one valid row."""
        return ()

    @classmethod
    def make(cls, values: dict[str, Any]) -> Any:
        """The domain object for a valid row; absent fields take the domain's defaults."""
        return cls.model(**values)

    @pre_load
    def _drop_nulls(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict):
            return {key: value for key, value in data.items() if value is not None}
        return data

    @validates_schema
    def _check_row(self, data: dict[str, Any], **kwargs: Any) -> None:
        problems: dict[str, list[str]] = {}
        for key, message in self.row_problems(data):
            problems.setdefault(key, []).append(message)
        if problems:
            raise ValidationError(problems)

    @post_load
    def _make(self, data: dict[str, Any], **kwargs: Any) -> Any:
        return self.make(data)


class CostSchema(RowSchema):
    """``cost``: every key optional, defaults from :class:`~matcher.domain.CostModel`."""

    model = CostModel
    transport_eur_per_tonne_km = Checked(_non_negative)
    road_factor = Checked(_at_least_one)
    co2_kg_per_tonne_km = Checked(_non_negative)
    co2_price_eur_per_tonne = Checked(_non_negative)
    max_distance_km = Checked(_non_negative)


class SubstituteSchema(RowSchema):
    """``materials[].substitutes[]``."""

    model = Substitute
    code = Checked(_text, required=True)
    penalty_eur_per_unit = Checked(_non_negative, required=True)


class MaterialSchema(RowSchema):
    """``materials[]``; ``disposal_eur_per_unit`` may be negative (scrap that fetches money)."""

    model = Material
    code = Checked(_text, required=True)
    name = Checked(_text)
    unit = Checked(_text, required=True)
    kg_per_unit = Checked(_positive, required=True)
    m3_per_unit = Checked(_positive, required=True)
    new_price_eur_per_unit = Checked(_non_negative, required=True)
    disposal_eur_per_unit = Checked(_finite, required=True)
    embodied_kgco2e_per_kg = Checked(_non_negative, required=True)
    substitutes = _listing_of(SubstituteSchema)

    @classmethod
    def make(cls, values: dict[str, Any]) -> Material:
        values.setdefault("name", values["code"])
        values["substitutes"] = tuple(values.get("substitutes", ()))
        return Material(**values)


def _window(start: str, end: str) -> Callable[[dict[str, Any]], Iterable[tuple[str, str]]]:
    def problems(values: dict[str, Any]) -> Iterable[tuple[str, str]]:
        if values[start] > values[end]:
            return [(end, f"must not be before {start}")]
        return ()

    return problems


class SupplySchema(RowSchema):
    """``supply[]``: material that comes free at a site within its availability window."""

    model = Supply
    id = Checked(_text, required=True)
    material = Checked(_text, required=True)
    quantity = Checked(_quantity, required=True)
    condition = Checked(_condition)
    lat = Checked(_latitude, required=True)
    lon = Checked(_longitude, required=True)
    available_from = Checked(_iso_date, required=True)
    available_until = Checked(_iso_date, required=True)
    attributes = Checked(_attributes)

    row_problems = staticmethod(_window("available_from", "available_until"))  # type: ignore[assignment]


class DemandSchema(RowSchema):
    """``demand[]``: material a project needs within its window and distance."""

    model = Demand
    id = Checked(_text, required=True)
    material = Checked(_text, required=True)
    quantity = Checked(_quantity, required=True)
    min_condition = Checked(_condition)
    lat = Checked(_latitude, required=True)
    lon = Checked(_longitude, required=True)
    needed_from = Checked(_iso_date, required=True)
    needed_until = Checked(_iso_date, required=True)
    max_distance_km = Checked(_non_negative)
    requirements = Checked(_requirements)

    row_problems = staticmethod(_window("needed_from", "needed_until"))  # type: ignore[assignment]


class StockSchema(RowSchema):
    """``depots[].stock[]``: material lying in a depot from ``today`` on."""

    model = StockItem
    id = Checked(_text, required=True)
    material = Checked(_text, required=True)
    quantity = Checked(_quantity, required=True)
    condition = Checked(_condition)
    attributes = Checked(_attributes)


class DepotSchema(RowSchema):
    """``depots[]``; its numbers are finite and >= 0, its ``stock`` optional."""

    model = Depot
    id = Checked(_text, required=True)
    lat = Checked(_latitude, required=True)
    lon = Checked(_longitude, required=True)
    capacity_m3 = Checked(_non_negative, required=True)
    holding_eur_per_m3_day = Checked(_non_negative, required=True)
    handling_eur_per_tonne = Checked(_non_negative, required=True)
    stock = _listing_of(StockSchema)

    @classmethod
    def make(cls, values: dict[str, Any]) -> Depot:
        values["stock"] = tuple(values.get("stock", ()))
        return Depot(**values)


# --------------------------------------------------------------------------------------------
# The two engines


def _flatten(messages: Any, location: str, out: list[Problem]) -> None:
    """Turn marshmallow's nested error messages into located problems."""
    if isinstance(messages, dict):
        for key, sub in messages.items():
            _flatten(sub, location if key == "_schema" else _join(location, key), out)
    elif isinstance(messages, list):
        for message in messages:
            if isinstance(message, str):
                out.append(Problem(location, message))
            else:
                _flatten(message, location, out)
    else:
        out.append(Problem(location, str(messages)))


def _load_one(schema: Schema, data: object, location: str, problems: list[Problem]) -> Any:
    """Load one object through marshmallow; None (and problems appended) if it is bad."""
    try:
        return schema.load(data)  # type: ignore[arg-type]
    except ValidationError as error:
        _flatten(error.messages, location, problems)
        return None


@cache
def _rules(schema: type[RowSchema]) -> tuple[tuple[str, Callable[[Any], Any], bool], ...]:
    """(key, checker, required) for every field the schema declares."""
    rules = []
    for name, field in schema().fields.items():
        if not isinstance(field, Checked):
            raise TypeError(f"{schema.__name__}.{name} is not a Checked field")
        rules.append((name, field.check, field.required))
    return tuple(rules)


def load_rows(
    schema: type[RowSchema], rows: object, location: str
) -> tuple[list[Any], list[Problem]]:
    """Check many rows by the rules ``schema`` declares, without marshmallow's machinery.

    Parameters
    ----------
    schema : type[RowSchema]
        A schema whose fields are all :class:`Checked`, e.g. :class:`SupplySchema`.
    rows : object
        The JSON value found at ``location``; it should be a list of objects.
    location : str
        Its JSON path, e.g. ``"supply"``; problems are reported below it.

    Returns
    -------
    objects : list
        The domain objects of the valid rows, in order.
    problems : list[Problem]
        One per broken rule, e.g. ``Problem("supply[3].quantity", "must be an integer >= 1")``.

    Examples
    --------
    >>> objects, problems = load_rows(SupplySchema, [{"id": "s1"}], "supply")
    >>> str(problems[0])
    'supply[0].material: is required'
    """
    if not isinstance(rows, list):
        return [], [Problem(location, "must be a list")]
    rules = _rules(schema)
    row_problems = schema.row_problems
    make = schema.make
    objects: list[Any] = []
    problems: list[Problem] = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            problems.append(Problem(f"{location}[{index}]", "must be an object"))
            continue
        values: dict[str, Any] = {}
        bad: list[tuple[tuple[PathPart, ...], str]] | None = None
        for key, check, required in rules:
            value = row.get(key)
            if value is None:
                if required:
                    bad = bad or []
                    bad.append(((key,), "is required"))
                continue
            try:
                values[key] = check(value)
            except _Bad as error:
                bad = bad or []
                bad.extend(((key, *path), message) for path, message in error.problems)
        if bad is None:
            for key, message in row_problems(values):
                bad = bad or []
                bad.append(((key,), message))
        if bad is None:
            objects.append(make(values))
        else:
            row_location = f"{location}[{index}]"
            problems.extend(Problem(_at(row_location, path), message) for path, message in bad)
    return objects, problems


def load_rows_marshmallow(
    schema: type[RowSchema], rows: object, location: str
) -> tuple[list[Any], list[Problem]]:
    """Same contract as :func:`load_rows`, through ``schema(many=True).load``.

    The reference engine: tests check that both engines agree, and ``scripts/bench_load.py``
    measures how much the plain loop saves.
    """
    if not isinstance(rows, list):
        return [], [Problem(location, "must be a list")]
    try:
        return list(schema(many=True).load(rows)), []
    except ValidationError as error:
        problems: list[Problem] = []
        _flatten(error.messages, location, problems)
        return [], problems


# --------------------------------------------------------------------------------------------
# The instance


def parse_instance(data: object) -> Instance:
    """Validate the spec's instance JSON (already decoded) and build the :class:`Instance`.

    Parameters
    ----------
    data : object
        The decoded JSON document: a dict with ``today``, ``cost``, ``materials``, ``supply``,
        ``demand`` and ``depots``.  ``null`` counts as absent; unknown keys are ignored.

    Returns
    -------
    Instance
        The validated instance.

    Raises
    ------
    InstanceError
        With every broken rule of the spec, each located by its JSON path, in document order.

    Examples
    --------
    >>> parse_instance({"today": "2027-03-01", "materials": []}).supply
    ()
    >>> parse_instance({"today": "2027-13-01", "materials": []})
    Traceback (most recent call last):
    ...
    matcher.io.InstanceError: today: must be a date YYYY-MM-DD
    """
    if not isinstance(data, dict):
        raise InstanceError([Problem("<root>", "must be a JSON object")])
    with collector_paused():
        return _parse_instance(data)


def _parse_instance(data: dict[str, Any]) -> Instance:
    problems: list[Problem] = []

    today: date | None = None
    if data.get("today") is None:
        problems.append(Problem("today", "is required"))
    else:
        try:
            today = _iso_date(data["today"])
        except _Bad as bad:
            problems.append(Problem("today", bad.problems[0][1]))

    cost = CostModel()
    if data.get("cost") is not None:
        cost = _load_one(CostSchema(), data["cost"], "cost", problems) or cost

    raw_materials = data.get("materials")
    materials: list[Material | None] = []
    if raw_materials is None:
        problems.append(Problem("materials", "is required"))
    elif not isinstance(raw_materials, list):
        problems.append(Problem("materials", "must be a list"))
    else:
        material_schema = MaterialSchema()
        materials = [
            _load_one(material_schema, row, f"materials[{index}]", problems)
            for index, row in enumerate(raw_materials)
        ]

    supply, supply_problems = load_rows(SupplySchema, _optional(data, "supply"), "supply")
    demand, demand_problems = load_rows(DemandSchema, _optional(data, "demand"), "demand")
    problems += supply_problems + demand_problems

    raw_depots = _optional(data, "depots")
    depots: list[Depot | None] = []
    if not isinstance(raw_depots, list):
        problems.append(Problem("depots", "must be a list"))
    else:
        depot_schema = DepotSchema()
        depots = [
            _load_one(depot_schema, row, f"depots[{index}]", problems)
            for index, row in enumerate(raw_depots)
        ]

    _check_references(data, materials, depots, today, problems)
    if problems or today is None:
        problems.sort(key=_document_order)  # stable: a row's problems keep their order
        raise InstanceError(problems)
    return Instance(
        today=today,
        cost=cost,
        materials=tuple(m for m in materials if m is not None),
        supply=tuple(supply),
        demand=tuple(demand),
        depots=tuple(d for d in depots if d is not None),
    )


def _optional(data: Mapping[str, Any], key: str) -> object:
    """An optional list: absent and null mean empty."""
    value = data.get(key)
    return [] if value is None else value


def _rows(data: Mapping[str, Any], key: str) -> list[tuple[int, dict[str, Any]]]:
    rows = data.get(key)
    if not isinstance(rows, list):
        return []
    return [(index, row) for index, row in enumerate(rows) if isinstance(row, dict)]


def _check_references(
    data: Mapping[str, Any],
    materials: list[Material | None],
    depots: list[Depot | None],
    today: date | None,
    problems: list[Problem],
) -> None:
    """Rules across records: unique codes and ids, substitutes, material references, capacity.

    They read the raw rows, so a row broken elsewhere still has its id and material checked and
    a material broken elsewhere does not make every listing of it "unknown".
    """
    raw_materials = _rows(data, "materials")
    first_code: dict[str, int] = {}
    for index, row in raw_materials:
        code = row.get("code")
        if type(code) is str and code:
            if code in first_code:
                problems.append(
                    Problem(
                        f"materials[{index}].code",
                        f'duplicate code "{code}" (also materials[{first_code[code]}])',
                    )
                )
            else:
                first_code[code] = index
    valid = {m.code: m for m in materials if m is not None}

    for index, material in enumerate(materials):
        if material is None:
            continue
        seen: set[str] = set()
        for position, substitute in enumerate(material.substitutes):
            where = f"materials[{index}].substitutes[{position}].code"
            other = valid.get(substitute.code)
            if substitute.code == material.code:
                problems.append(Problem(where, "must be another material's code, not its own"))
            elif substitute.code in seen:
                problems.append(Problem(where, f'"{substitute.code}" is listed twice'))
            elif substitute.code not in first_code:
                problems.append(Problem(where, f'unknown material "{substitute.code}"'))
            elif other is not None and other.unit != material.unit:
                problems.append(
                    Problem(
                        where,
                        f'"{substitute.code}" is counted in {other.unit}, '
                        f'not in {material.unit} like "{material.code}"',
                    )
                )
            seen.add(substitute.code)

    # Without a list of materials every listing would be "unknown": one problem says it all.
    catalogue_read = isinstance(data.get("materials"), list)
    first_id: dict[str, tuple[str, int]] = {}

    def scan(rows: object, section: str, with_material: bool) -> None:
        # Runs over every listing, so it formats a location only when it reports a problem.
        if not isinstance(rows, list):
            return
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                continue
            identifier = row.get("id")
            if type(identifier) is str and identifier:
                first = first_id.setdefault(identifier, (section, index))
                if first[1] != index or first[0] != section:
                    problems.append(
                        Problem(
                            f"{section}[{index}].id",
                            f'duplicate id "{identifier}" (first used at {first[0]}[{first[1]}])',
                        )
                    )
            if with_material and catalogue_read:
                code = row.get("material")
                if type(code) is str and code and code not in first_code:
                    problems.append(
                        Problem(f"{section}[{index}].material", f'unknown material "{code}"')
                    )

    scan(data.get("supply"), "supply", True)
    scan(data.get("demand"), "demand", True)
    scan(data.get("depots"), "depots", False)
    for index, row in _rows(data, "depots"):
        scan(row.get("stock"), f"depots[{index}].stock", True)

    for index, depot in enumerate(depots):
        if depot is None or not depot.stock:
            continue
        if any(item.material not in valid for item in depot.stock):
            continue  # reported above, or its material is broken
        volume_m3 = sum(item.quantity * valid[item.material].m3_per_unit for item in depot.stock)
        if volume_m3 > depot.capacity_m3 * (1 + 1e-9) + 1e-9:
            on = f" on today ({today.isoformat()})" if today is not None else " on today"
            problems.append(
                Problem(
                    f"depots[{index}].stock",
                    f"occupies {volume_m3:g} m3{on}, more than capacity_m3 {depot.capacity_m3:g}",
                )
            )


PathOrFile = str | os.PathLike[str] | IO[bytes] | IO[str]


def load_instance(path_or_file: PathOrFile) -> Instance:
    """Read an instance JSON file and validate it with :func:`parse_instance`.

    Parameters
    ----------
    path_or_file : str, os.PathLike or file object
        A path, or an open file (binary or text) to read the JSON from.

    Returns
    -------
    Instance
        The validated instance.

    Raises
    ------
    InstanceError
        When the file cannot be read (location ``<file>``), is not JSON (location
        ``<json>``, with line and column) or breaks a rule of the spec.

    Examples
    --------
    >>> import io
    >>> load_instance(io.BytesIO(b'{"today": "2027-03-01",'))
    Traceback (most recent call last):
    ...
    matcher.io.InstanceError: <json>: line 1 column 24: unexpected end of data
    """
    with collector_paused():
        return parse_instance(_read_json(path_or_file))


def _read_json(path_or_file: PathOrFile) -> object:
    """Decode JSON from a path or file; unreadable files and bad JSON become InstanceError."""
    if isinstance(path_or_file, str | os.PathLike):
        try:
            text: bytes | str = Path(path_or_file).read_bytes()
        except OSError as error:
            reason = error.strerror or str(error)
            raise InstanceError(
                [Problem("<file>", f"cannot read {os.fspath(path_or_file)}: {reason}")]
            ) from None
    else:
        text = path_or_file.read()
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as error:
        raise InstanceError(
            [Problem("<json>", f"line {error.lineno} column {error.colno}: {error.msg}")]
        ) from None


def instance_to_dict(instance: Instance) -> dict[str, Any]:
    """The spec's instance JSON for ``instance``; :func:`parse_instance` reads it back equal.

    Parameters
    ----------
    instance : Instance
        Any instance, typically built by :func:`parse_instance` or by the web application.

    Returns
    -------
    dict
        Plain JSON-able data: dates as ISO strings, conditions as letters, optional fields
        left out when they hold their default.

    Examples
    --------
    >>> from matcher.domain import CostModel, Instance
    >>> instance_to_dict(Instance(date(2027, 3, 1), CostModel(), ()))["today"]
    '2027-03-01'
    """
    cost = instance.cost
    return {
        "today": instance.today.isoformat(),
        "cost": {
            "transport_eur_per_tonne_km": cost.transport_eur_per_tonne_km,
            "road_factor": cost.road_factor,
            "co2_kg_per_tonne_km": cost.co2_kg_per_tonne_km,
            "co2_price_eur_per_tonne": cost.co2_price_eur_per_tonne,
            "max_distance_km": cost.max_distance_km,
        },
        "materials": [_material_to_dict(m) for m in instance.materials],
        "supply": [_supply_to_dict(s) for s in instance.supply],
        "demand": [_demand_to_dict(d) for d in instance.demand],
        "depots": [_depot_to_dict(k) for k in instance.depots],
    }


def _material_to_dict(material: Material) -> dict[str, Any]:
    row: dict[str, Any] = {
        "code": material.code,
        "name": material.name,
        "unit": material.unit,
        "kg_per_unit": material.kg_per_unit,
        "m3_per_unit": material.m3_per_unit,
        "new_price_eur_per_unit": material.new_price_eur_per_unit,
        "disposal_eur_per_unit": material.disposal_eur_per_unit,
        "embodied_kgco2e_per_kg": material.embodied_kgco2e_per_kg,
    }
    if material.substitutes:
        row["substitutes"] = [
            {"code": s.code, "penalty_eur_per_unit": s.penalty_eur_per_unit}
            for s in material.substitutes
        ]
    return row


def _supply_to_dict(supply: Supply) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": supply.id,
        "material": supply.material,
        "quantity": supply.quantity,
        "condition": supply.condition.name,
        "lat": supply.lat,
        "lon": supply.lon,
        "available_from": supply.available_from.isoformat(),
        "available_until": supply.available_until.isoformat(),
    }
    if supply.attributes:
        row["attributes"] = dict(supply.attributes)
    return row


def _requirement_to_dict(requirement: Requirement) -> dict[str, Any]:
    if requirement.allowed is not None:
        return {"in": list(requirement.allowed)}
    bounds = {"min": requirement.min, "max": requirement.max}
    return {key: value for key, value in bounds.items() if value is not None}


def _demand_to_dict(demand: Demand) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": demand.id,
        "material": demand.material,
        "quantity": demand.quantity,
        "min_condition": demand.min_condition.name,
        "lat": demand.lat,
        "lon": demand.lon,
        "needed_from": demand.needed_from.isoformat(),
        "needed_until": demand.needed_until.isoformat(),
    }
    if demand.max_distance_km is not None:
        row["max_distance_km"] = demand.max_distance_km
    if demand.requirements:
        row["requirements"] = {
            name: _requirement_to_dict(requirement)
            for name, requirement in demand.requirements.items()
        }
    return row


def _depot_to_dict(depot: Depot) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": depot.id,
        "lat": depot.lat,
        "lon": depot.lon,
        "capacity_m3": depot.capacity_m3,
        "holding_eur_per_m3_day": depot.holding_eur_per_m3_day,
        "handling_eur_per_tonne": depot.handling_eur_per_tonne,
    }
    if depot.stock:
        row["stock"] = []
        for item in depot.stock:
            stock: dict[str, Any] = {
                "id": item.id,
                "material": item.material,
                "quantity": item.quantity,
                "condition": item.condition.name,
            }
            if item.attributes:
                stock["attributes"] = dict(item.attributes)
            row["stock"].append(stock)
    return row


# --------------------------------------------------------------------------------------------
# The result


def result_to_dict(result: MatchResult) -> dict[str, Any]:
    """The spec's result JSON for ``result``, keys in the spec's order.

    Parameters
    ----------
    result : MatchResult
        What :func:`matcher.match` returned.

    Returns
    -------
    dict
        ``status``, ``objective_eur``, ``lower_bound_eur``, ``cost_breakdown``, ``allocations``,
        ``unmatched_supply``, ``unmet_demand`` and ``kpis``; dates as ISO strings, ``depot_id``
        None for a direct route.  Numbers are plain ``int``/``float`` even if the solver handed
        over numpy scalars; ``stats`` is not part of the contract and is left out.

    Examples
    --------
    >>> from matcher.result import CostBreakdown, Kpis, MatchResult
    >>> empty = MatchResult("optimal", 0.0, 0.0, CostBreakdown(), (), (), (), Kpis())
    >>> list(result_to_dict(empty))[:3]
    ['status', 'objective_eur', 'lower_bound_eur']
    """
    costs = result.cost_breakdown
    kpis = result.kpis
    with collector_paused():  # a dict per allocation, none in a cycle
        allocations = [
            {
                "supply_id": a.supply_id,
                "demand_id": a.demand_id,
                "depot_id": a.depot_id,
                "quantity": int(a.quantity),
                "pickup_date": a.pickup_date.isoformat(),
                "delivery_date": a.delivery_date.isoformat(),
                "road_km": float(a.road_km),
                "cost_eur": float(a.cost_eur),
                "co2_kg": float(a.co2_kg),
            }
            for a in result.allocations
        ]
    return {
        "status": result.status,
        "objective_eur": float(result.objective_eur),
        "lower_bound_eur": float(result.lower_bound_eur),
        "cost_breakdown": {
            "transport_eur": float(costs.transport_eur),
            "co2_eur": float(costs.co2_eur),
            "substitution_eur": float(costs.substitution_eur),
            "handling_eur": float(costs.handling_eur),
            "holding_eur": float(costs.holding_eur),
            "disposal_eur": float(costs.disposal_eur),
            "new_purchase_eur": float(costs.new_purchase_eur),
        },
        "allocations": allocations,
        "unmatched_supply": [
            {"supply_id": left.id, "quantity": int(left.quantity)}
            for left in result.unmatched_supply
        ],
        "unmet_demand": [
            {"demand_id": left.id, "quantity": int(left.quantity)} for left in result.unmet_demand
        ],
        "kpis": {
            "tonnes_reused": float(kpis.tonnes_reused),
            "transport_co2_kg": float(kpis.transport_co2_kg),
            "embodied_co2_avoided_kg": float(kpis.embodied_co2_avoided_kg),
            "demand_met_fraction": float(kpis.demand_met_fraction),
        },
    }


def parse_result(data: Mapping[str, Any]) -> MatchResult:
    """Read the spec's result JSON (already decoded) back into a :class:`MatchResult`.

    The inverse of :func:`result_to_dict`, for stored results and tests; it trusts its input
    (results are written by this package) and raises ``KeyError``/``ValueError`` when it is not
    a result.

    Parameters
    ----------
    data : Mapping
        A decoded result JSON document.

    Returns
    -------
    MatchResult
        With empty ``stats``.

    Examples
    --------
    >>> from matcher.result import CostBreakdown, Kpis, MatchResult
    >>> empty = MatchResult("optimal", 0.0, 0.0, CostBreakdown(), (), (), (), Kpis())
    >>> parse_result(result_to_dict(empty)) == empty
    True
    """
    return MatchResult(
        status=str(data["status"]),
        objective_eur=float(data["objective_eur"]),
        lower_bound_eur=float(data["lower_bound_eur"]),
        cost_breakdown=CostBreakdown(**{k: float(v) for k, v in data["cost_breakdown"].items()}),
        allocations=tuple(
            Allocation(
                supply_id=a["supply_id"],
                demand_id=a["demand_id"],
                depot_id=a["depot_id"],
                quantity=int(a["quantity"]),
                pickup_date=date.fromisoformat(a["pickup_date"]),
                delivery_date=date.fromisoformat(a["delivery_date"]),
                road_km=float(a["road_km"]),
                cost_eur=float(a["cost_eur"]),
                co2_kg=float(a["co2_kg"]),
            )
            for a in data["allocations"]
        ),
        unmatched_supply=tuple(
            Leftover(left["supply_id"], int(left["quantity"])) for left in data["unmatched_supply"]
        ),
        unmet_demand=tuple(
            Leftover(left["demand_id"], int(left["quantity"])) for left in data["unmet_demand"]
        ),
        kpis=Kpis(**{k: float(v) for k, v in data["kpis"].items()}),
    )


# --------------------------------------------------------------------------------------------
# Writing files


def write_json_atomic(data: object, path: str | os.PathLike[str]) -> None:
    """Write ``data`` as JSON to ``path`` so that no half-written file ever exists there.

    The bytes go to a temporary file beside ``path``, are flushed to disk, and the temporary
    file is then renamed over ``path`` (``os.replace``, atomic on POSIX and Windows).  On any
    error the temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    data : object
        Anything orjson serialises (dicts, lists, str, numbers, dates, None).
    path : str or os.PathLike
        Where to write; its directory must exist.

    Raises
    ------
    OSError
        When the directory is missing or not writable.

    Examples
    --------
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "out.json"
    >>> write_json_atomic({"a": 1}, target)
    >>> target.read_text()
    '{\\n  "a": 1\\n}\\n'
    """
    payload = orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    target = Path(path)
    temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    # os.open applies the umask to 0o666, so the file gets the mode any new file would get.
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def write_result(result: MatchResult, path: str | os.PathLike[str]) -> None:
    """Write the result JSON (:func:`result_to_dict`) to ``path`` atomically.

    Parameters
    ----------
    result : MatchResult
        The result to write.
    path : str or os.PathLike
        Target file; replaced as a whole or not at all (see :func:`write_json_atomic`).

    Raises
    ------
    OSError
        When the file cannot be written; ``path`` is then untouched.

    Examples
    --------
    >>> from matcher.result import CostBreakdown, Kpis, MatchResult
    >>> import tempfile
    >>> target = Path(tempfile.mkdtemp()) / "result.json"
    >>> write_result(MatchResult("optimal", 0.0, 0.0, CostBreakdown(), (), (), (), Kpis()), target)
    >>> orjson.loads(target.read_bytes())["status"]
    'optimal'
    """
    write_json_atomic(result_to_dict(result), path)
