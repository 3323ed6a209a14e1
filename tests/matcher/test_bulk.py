"""The cyclic garbage collector is paused while a result's objects are built, and restored."""

from __future__ import annotations

import gc
from dataclasses import replace

import pytest

import matcher.io
import matcher.solve
from matcher import match
from matcher.bulk import collector_paused
from matcher.generate import generate_instance
from matcher.io import parse_instance


def test_the_collector_is_paused_inside_and_as_it_was_after() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("even after an error")
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_allocations_and_their_json_are_built_with_the_collector_paused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []
    real_allocation = matcher.solve.Allocation

    def allocation(**fields: object) -> object:
        seen.append(gc.isenabled())
        return real_allocation(**fields)  # type: ignore[arg-type]

    monkeypatch.setattr(matcher.solve, "Allocation", allocation)
    result = match(parse_instance(generate_instance(40, 40, 2, seed=1)))
    assert result.allocations and seen == [False] * len(result.allocations)
    assert gc.isenabled()

    states: list[bool] = []

    class Probe(float):
        def __float__(self) -> float:
            states.append(gc.isenabled())
            return float.__float__(self)

    probed = [replace(a, road_km=Probe(a.road_km)) for a in result.allocations]
    data = matcher.io.result_to_dict(replace(result, allocations=tuple(probed)))
    assert len(data["allocations"]) == len(probed)
    assert states == [False] * len(probed)
    assert gc.isenabled()
