"""MaterialMatch's matching core: optimal supply-demand matching of reclaimed building materials.

Framework-free: no Flask, no SQLAlchemy.  The JSON contract is ``shared/spec/matching.md``.

Example
-------
>>> from matcher import load_instance, match          # doctest: +SKIP
>>> result = match(load_instance("instance.json"))     # doctest: +SKIP
>>> result.status, round(result.objective_eur, 2)      # doctest: +SKIP
('optimal', 380.57)
"""

from matcher.domain import (
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
    "Allocation",
    "Condition",
    "CostBreakdown",
    "CostModel",
    "Demand",
    "Depot",
    "Instance",
    "Kpis",
    "Leftover",
    "Material",
    "MatchResult",
    "Requirement",
    "StockItem",
    "Substitute",
    "Supply",
    "InstanceError",
    "load_instance",
    "parse_instance",
    "match",
]


def __getattr__(name: str) -> object:
    # Lazy so that importing the domain does not pull in scipy and highspy.
    if name in {"InstanceError", "load_instance", "parse_instance"}:
        from matcher import io

        return getattr(io, name)
    if name == "match":
        from matcher.solve import match

        return match
    raise AttributeError(name)
