"""The whole-instance relaxation (:func:`matcher.solve._solve_lp`): the network simplex finds
the optimum without depot-day rows, and HiGHS goes on from its tree in exact costs, adding the
depot-day rows and the routes that still improve."""

from __future__ import annotations

import highspy
import pytest

import matcher.solve
from matcher.domain import Instance


def _relaxation(
    instance: Instance, column_generation: bool, monkeypatch: pytest.MonkeyPatch
) -> tuple[float, list[int]]:
    """The relaxation's value that :func:`matcher.solve._solve_lp` reports, and the simplex
    iterations of each HiGHS solve it ran."""
    model, _ = matcher.solve._prepare_model(instance, "column-generation", None, "listed", None, ())
    iterations: list[int] = []
    real_run = matcher.solve._run

    def run(h: highspy.Highs) -> None:
        real_run(h)
        iterations.append(int(h.getInfo().simplex_iteration_count))

    with monkeypatch.context() as patch:
        patch.setattr(matcher.solve, "_run", run)
        solution = matcher.solve._solve_lp(model, None, column_generation)
    return float(solution.stats["relaxation_eur"]), iterations


@pytest.mark.parametrize(
    ("depots", "regime", "seed"),
    [(0, "nodepots", 1), (3, "default", 2), (3, "tight", 3), (3, "substitution", 4)],
)
def test_highs_goes_on_from_the_network_simplexs_tree_to_the_same_relaxation(
    monkeypatch: pytest.MonkeyPatch, depots: int, regime: str, seed: int
) -> None:
    """HiGHS's first solve, on the network simplex's working routes and tree, needs no
    simplex iteration: the tree is optimal in exact costs too (from nothing, HiGHS iterates).
    The relaxation it ends on is that of HiGHS over every listed route at once, to 1e-9."""
    from matcher.generate import generate_instance
    from matcher.io import parse_instance

    instance = parse_instance(generate_instance(300, 300, depots, seed=seed, regime=regime))
    generated, from_tree = _relaxation(instance, True, monkeypatch)
    full, from_nothing = _relaxation(instance, False, monkeypatch)
    assert from_tree[0] == 0
    assert from_nothing[0] > 0
    assert generated == pytest.approx(full, rel=1e-9)
