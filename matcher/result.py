"""The answer of a matching run: allocations, leftovers, the cost breakdown and the KPIs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Allocation:
    """Units sent along one route.

    ``depot_id`` is None for a direct route.  For depot stock, ``supply_id`` is the stock item's
    id and ``pickup_date`` the day it leaves the depot (equal to ``delivery_date``).
    """

    supply_id: str
    demand_id: str
    depot_id: str | None
    quantity: int
    pickup_date: date
    delivery_date: date
    road_km: float
    cost_eur: float
    co2_kg: float


@dataclass(frozen=True)
class CostBreakdown:
    transport_eur: float = 0.0
    co2_eur: float = 0.0
    substitution_eur: float = 0.0
    handling_eur: float = 0.0
    holding_eur: float = 0.0
    disposal_eur: float = 0.0
    new_purchase_eur: float = 0.0

    @property
    def total_eur(self) -> float:
        return (
            self.transport_eur
            + self.co2_eur
            + self.substitution_eur
            + self.handling_eur
            + self.holding_eur
            + self.disposal_eur
            + self.new_purchase_eur
        )


@dataclass(frozen=True)
class Kpis:
    tonnes_reused: float = 0.0
    transport_co2_kg: float = 0.0
    embodied_co2_avoided_kg: float = 0.0
    demand_met_fraction: float = 1.0


@dataclass(frozen=True)
class Leftover:
    """A supply or demand quantity that no route takes."""

    id: str
    quantity: int


@dataclass(frozen=True)
class MatchResult:
    """What :func:`matcher.match` returns; :func:`matcher.io.result_to_dict` writes the spec's JSON.

    ``stats`` carries measurements (timings, route counts, solver rounds); it is not part of the
    JSON contract.
    """

    status: str  # "optimal" or "feasible"
    objective_eur: float
    lower_bound_eur: float
    cost_breakdown: CostBreakdown
    allocations: tuple[Allocation, ...]
    unmatched_supply: tuple[Leftover, ...]
    unmet_demand: tuple[Leftover, ...]
    kpis: Kpis
    stats: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def gap(self) -> float:
        """(objective - lower bound) / |lower bound|; 0 when both are 0."""
        if self.objective_eur == self.lower_bound_eur:
            return 0.0
        return (self.objective_eur - self.lower_bound_eur) / max(abs(self.lower_bound_eur), 1e-9)
