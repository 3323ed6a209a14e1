"""The domain of the matching problem: frozen dataclasses with units in their names.

These are the readable model of ``../shared/spec/matching.md``.  The solver does not work on
them directly: :func:`matcher.routes.build_tables` turns an :class:`Instance` into numpy arrays
once, so the readable model and the fast model never drift apart.
"""

from __future__ import annotations

import copyreg
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType

AttributeValue = float | str


def _read_only(values: dict[str, object]) -> MappingProxyType[str, object]:
    """A read-only view of ``values`` (what unpickling a view calls)."""
    return MappingProxyType(values)


def _reduce_mapping_proxy(
    view: MappingProxyType[str, object],
) -> tuple[Callable[[dict[str, object]], MappingProxyType[str, object]], tuple[dict[str, object]]]:
    return _read_only, (dict(view),)


# Attributes and requirements are read-only views (MappingProxyType), which pickle cannot
# copy by itself; an instance's parts travel to worker processes (matcher.solve), so a view
# pickles as a view of a copy of its dict.
copyreg.pickle(MappingProxyType, _reduce_mapping_proxy)


class Condition(enum.IntEnum):
    """Condition of a reclaimed item; a larger value is better (A > B > C)."""

    C = 1  # usable
    B = 2  # used, good
    A = 3  # as new

    @classmethod
    def parse(cls, text: str) -> Condition:
        """Return the condition named by ``"A"``, ``"B"`` or ``"C"``."""
        return cls[text]


@dataclass(frozen=True)
class CostModel:
    """Prices and limits that apply to the whole instance (spec: ``cost``)."""

    transport_eur_per_tonne_km: float = 0.12
    road_factor: float = 1.3
    co2_kg_per_tonne_km: float = 0.1
    co2_price_eur_per_tonne: float = 100.0
    max_distance_km: float = 50.0

    @property
    def eur_per_tonne_km(self) -> float:
        """Transport plus priced CO2 of transport, per tonne-kilometre driven."""
        return (
            self.transport_eur_per_tonne_km
            + self.co2_kg_per_tonne_km / 1000.0 * self.co2_price_eur_per_tonne
        )


@dataclass(frozen=True)
class Substitute:
    """Another material that may be delivered when the owning material is demanded."""

    code: str
    penalty_eur_per_unit: float


@dataclass(frozen=True)
class Material:
    """A catalogue entry; quantities of it are counted in whole ``unit``."""

    code: str
    name: str
    unit: str
    kg_per_unit: float
    m3_per_unit: float
    new_price_eur_per_unit: float
    disposal_eur_per_unit: float
    embodied_kgco2e_per_kg: float
    substitutes: tuple[Substitute, ...] = ()

    @property
    def tonnes_per_unit(self) -> float:
        return self.kg_per_unit / 1000.0

    def unmet_eur_per_unit(self, cost: CostModel) -> float:
        """Cost of buying one unit new instead: price plus its priced embodied carbon."""
        return (
            self.new_price_eur_per_unit
            + self.kg_per_unit * self.embodied_kgco2e_per_kg / 1000.0 * cost.co2_price_eur_per_tonne
        )


@dataclass(frozen=True)
class Requirement:
    """A demand's requirement on one attribute: inclusive bounds, or a set of allowed values."""

    min: float | None = None
    max: float | None = None
    allowed: tuple[AttributeValue, ...] | None = None

    def accepts(self, value: AttributeValue | None) -> bool:
        """Whether a supplied attribute value meets this requirement (absent never does)."""
        if value is None:
            return False
        if self.allowed is not None and value not in self.allowed:
            return False
        if self.min is not None or self.max is not None:
            if isinstance(value, str):
                return False
            if self.min is not None and value < self.min:
                return False
            if self.max is not None and value > self.max:
                return False
        return True


_NO_ATTRIBUTES: Mapping[str, AttributeValue] = MappingProxyType({})
_NO_REQUIREMENTS: Mapping[str, Requirement] = MappingProxyType({})


@dataclass(frozen=True)
class Supply:
    """Material that comes free at a site, to be picked up within its availability window."""

    id: str
    material: str
    quantity: int
    lat: float
    lon: float
    available_from: date
    available_until: date
    condition: Condition = Condition.B
    attributes: Mapping[str, AttributeValue] = field(default_factory=lambda: _NO_ATTRIBUTES)


@dataclass(frozen=True)
class Demand:
    """Material a project needs, delivered within its window and distance limit."""

    id: str
    material: str
    quantity: int
    lat: float
    lon: float
    needed_from: date
    needed_until: date
    min_condition: Condition = Condition.C
    max_distance_km: float | None = None
    requirements: Mapping[str, Requirement] = field(default_factory=lambda: _NO_REQUIREMENTS)


@dataclass(frozen=True)
class StockItem:
    """Material already lying in a depot, available there from ``today`` on."""

    id: str
    material: str
    quantity: int
    condition: Condition = Condition.B
    attributes: Mapping[str, AttributeValue] = field(default_factory=lambda: _NO_ATTRIBUTES)


@dataclass(frozen=True)
class Depot:
    """A place where material may wait between a pick-up and a later delivery."""

    id: str
    lat: float
    lon: float
    capacity_m3: float
    holding_eur_per_m3_day: float
    handling_eur_per_tonne: float
    stock: tuple[StockItem, ...] = ()


@dataclass(frozen=True)
class Instance:
    """One matching problem: everything ``materialmatch match`` reads."""

    today: date
    cost: CostModel
    materials: tuple[Material, ...]
    supply: tuple[Supply, ...] = ()
    demand: tuple[Demand, ...] = ()
    depots: tuple[Depot, ...] = ()

    def material_by_code(self) -> dict[str, Material]:
        return {m.code: m for m in self.materials}


def substitution_penalty(demanded: Material, supplied_code: str) -> float | None:
    """Penalty per unit for delivering ``supplied_code`` for ``demanded``; None if not allowed."""
    if supplied_code == demanded.code:
        return 0.0
    for sub in demanded.substitutes:
        if sub.code == supplied_code:
            return sub.penalty_eur_per_unit
    return None
