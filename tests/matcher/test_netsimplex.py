"""The network simplex whose arcs grow between solves (matcher.netsimplex), against networkx's
min-cost flow: optimal from nothing, optimal again from its last tree after arcs join and
costs change, and bad input refused with what is wrong and nothing changed."""

from __future__ import annotations

import pickle
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matcher.netsimplex import GrowingNetwork, NetworkError


@dataclass
class _Transport:
    """Senders and receivers joined to a hub ``z`` (last node), and routes between them."""

    supply: np.ndarray
    hub_starts: np.ndarray
    hub_ends: np.ndarray
    hub_cost: np.ndarray
    starts: np.ndarray  # routes, sender -> receiver
    ends: np.ndarray
    cost: np.ndarray

    @property
    def z(self) -> int:
        return int(self.supply.size - 1)

    @property
    def capacity(self) -> int:
        return max(int(np.abs(self.supply).sum()), 1)

    def network(self, k: int) -> GrowingNetwork:
        """A network of the hub arcs and the first ``k`` routes."""
        net = GrowingNetwork(self.supply, self.z, self.hub_starts, self.hub_ends, self.capacity)
        net.add_arcs(self.starts[:k], self.ends[:k], self.capacity)
        return net

    def arcs(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        return (
            np.concatenate([self.hub_starts, self.starts[:k]]),
            np.concatenate([self.hub_ends, self.ends[:k]]),
        )


@st.composite
def transports(draw: st.DrawFn) -> _Transport:
    n_s = draw(st.integers(1, 6))
    n_d = draw(st.integers(1, 6))
    qty = np.array(draw(st.lists(st.integers(0, 20), min_size=n_s + n_d, max_size=n_s + n_d)))
    supply = np.concatenate([qty, [0]]).astype(np.int64)
    supply[n_s:] *= -1
    supply[-1] = -supply[:-1].sum()
    z = n_s + n_d
    hub_starts = np.concatenate([np.arange(n_s), np.full(n_d, z)])
    hub_ends = np.concatenate([np.full(n_s, z), np.arange(n_s, n_s + n_d)])
    m = draw(st.integers(0, 25))
    pairs = draw(
        st.lists(
            st.tuples(st.integers(0, n_s - 1), st.integers(n_s, z - 1)), min_size=m, max_size=m
        )
    )
    starts = np.array([p[0] for p in pairs], np.int64)
    ends = np.array([p[1] for p in pairs], np.int64)
    hub_cost = np.array(draw(st.lists(st.integers(0, 100), min_size=z, max_size=z)), np.int64)
    cost = np.array(draw(st.lists(st.integers(0, 150), min_size=m, max_size=m)), np.int64)
    return _Transport(supply, hub_starts, hub_ends, hub_cost, starts, ends, cost)


def _networkx_cost(
    supply: np.ndarray, starts: np.ndarray, ends: np.ndarray, cost: np.ndarray, capacity: int
) -> int:
    """The optimum by networkx's network simplex (parallel arcs through a node of their own)."""
    g = nx.DiGraph()
    for u, s in enumerate(supply.tolist()):
        g.add_node(u, demand=-s)
    for a, (u, v, c) in enumerate(zip(starts.tolist(), ends.tolist(), cost.tolist(), strict=True)):
        middle = ("arc", a)
        g.add_edge(u, middle, weight=c, capacity=capacity)
        g.add_edge(middle, v, weight=0, capacity=capacity)
    return int(nx.min_cost_flow_cost(g))


def _check_optimal(net: GrowingNetwork, t: _Transport, k: int, cost: np.ndarray) -> None:
    """:func:`_check_certified`, and networkx finds the same cost."""
    _check_certified(net, t, k, cost)
    starts, ends = t.arcs(k)
    assert net.total_cost() == _networkx_cost(t.supply, starts, ends, cost, t.capacity)


def _check_certified(net: GrowingNetwork, t: _Transport, k: int, cost: np.ndarray) -> None:
    """The flow meets every supply within the capacities, and the potentials prove it optimal
    (no arc below its bound at a negative reduced cost, none with flow at a positive one)."""
    starts, ends = t.arcs(k)
    flow, pi = net.flow(), net.potentials()
    assert flow.shape == (t.z + k,)
    assert ((flow >= 0) & (flow <= t.capacity)).all()
    balance = np.zeros(t.supply.size, np.int64)
    np.add.at(balance, starts, flow)
    np.add.at(balance, ends, -flow)
    assert (balance == t.supply).all()
    reduced = cost + pi[starts] - pi[ends]
    assert (reduced[flow < t.capacity] >= 0).all()
    assert (reduced[flow > 0] <= 0).all()
    assert pi[t.z] == 0
    assert net.total_cost() == int(cost @ flow)


def _random_transport(rng: np.random.Generator, n: int, m: int, units: int = 50) -> _Transport:
    """``n`` senders, ``n`` receivers (fewer than ``units`` units each) and ``m`` random
    routes between them."""
    z = 2 * n
    supply = np.concatenate([rng.integers(0, units, z), [0]]).astype(np.int64)
    supply[n:z] *= -1
    supply[z] = -supply[:z].sum()
    return _Transport(
        supply,
        np.concatenate([np.arange(n), np.full(n, z)]),
        np.concatenate([np.full(n, z), np.arange(n, z)]),
        rng.integers(50, 500, z),
        rng.integers(0, n, m),
        rng.integers(n, z, m),
        rng.integers(0, 600, m),
    )


def test_a_solve_that_renumbers_the_nodes_on_the_way_ends_optimal() -> None:
    """A solve renumbers the nodes in the tree's order every 2,000 pivots (and a solve from a
    tree at its start): a network that takes several times that many, from nothing and then
    from its tree after its costs moved, ends optimal, proven by its potentials in the
    caller's numbering."""
    rng = np.random.default_rng(11)
    t = _random_transport(rng, 3000, 60_000)
    net = t.network(60_000)
    for step in range(2):
        cost = np.concatenate([t.hub_cost, t.cost + rng.integers(0, 200 * step + 1, 60_000)])
        net.set_costs(cost)
        net.solve("block_search" if step == 0 else "candidate_list")
        assert net.pivots > 3 * 2000
        _check_certified(net, t, 60_000, cost)
    assert net.cold_solves == 1 and net.warm_solves == 1


@settings(max_examples=150, deadline=None)
@given(transports(), st.sampled_from(["block_search", "candidate_list"]))
def test_a_network_solved_from_nothing_is_optimal(t: _Transport, rule: str) -> None:
    net = t.network(t.cost.size)
    cost = np.concatenate([t.hub_cost, t.cost])
    net.set_costs(cost)
    net.solve(rule)
    assert (net.cold_solves, net.warm_solves, net.pivot_rule) == (1, 0, rule)
    _check_optimal(net, t, t.cost.size, cost)


@settings(max_examples=150, deadline=None)
@given(transports(), st.data())
def test_arcs_added_and_costs_changed_go_on_from_the_last_tree_to_the_optimum(
    t: _Transport, data: st.DataObject
) -> None:
    """Routes join in three batches, with new route costs before each solve: every solve
    after the first goes on from the last tree (no cold start) and ends optimal."""
    m = t.cost.size
    cuts = sorted(data.draw(st.lists(st.integers(0, m), min_size=2, max_size=2)))
    net = t.network(cuts[0])
    k = cuts[0]
    for step, upto in enumerate([*cuts, m]):
        if upto > k:
            net.add_arcs(t.starts[k:upto], t.ends[k:upto], t.capacity)
            k = upto
        shift = data.draw(st.lists(st.integers(-40, 40), min_size=m, max_size=m))
        route_cost = np.maximum(t.cost + np.array(shift, np.int64), 0)[:k]
        cost = np.concatenate([t.hub_cost, route_cost])
        net.set_costs(cost)
        net.solve("candidate_list")
        assert net.cold_solves == 1 and net.warm_solves == step
        _check_optimal(net, t, k, cost)


def test_a_larger_network_grown_in_steps_ends_where_one_built_whole_does() -> None:
    """200 senders, 200 receivers and 4,000 routes, let in 500 at a time with costs that
    move: each warm solve costs what a network built afresh with the same arcs costs."""
    rng = np.random.default_rng(7)
    t = _random_transport(rng, 200, 4000)
    z = t.z
    grown = t.network(500)
    for k in range(500, 4001, 500):
        if k > grown.n_arcs - z:
            grown.add_arcs(t.starts[k - 500 : k], t.ends[k - 500 : k], t.capacity)
        cost = np.concatenate([t.hub_cost, t.cost[:k] + rng.integers(0, 50, k)])
        grown.set_costs(cost)
        grown.solve()
        whole = t.network(k)
        whole.set_costs(cost)
        whole.solve("block_search")
        assert grown.total_cost() == whole.total_cost()
    assert grown.cold_solves == 1 and grown.warm_solves == 7
    _check_optimal(grown, t, 4000, cost)


def _small() -> _Transport:
    """Two senders (5 and 3 units), two receivers (4 and 6) and the hub."""
    return _Transport(
        np.array([5, 3, -4, -6, 2], np.int64),
        np.array([0, 1, 4, 4]),
        np.array([4, 4, 2, 3]),
        np.array([10, 10, 30, 30]),
        np.array([0, 1, 0]),
        np.array([2, 3, 3]),
        np.array([5, 7, 9]),
    )


def test_the_small_network_worked_by_hand() -> None:
    """Each route saves what the hub path costs less its own cost (sender 0 to receiver 2:
    10 + 30 - 5 = 35 a unit; 1 -> 3: 33; 0 -> 3: 31): 4 units 0 -> 2, 3 units 1 -> 3, the
    last unit of sender 0 to receiver 3, and receiver 3's 2 other units from the hub."""
    t = _small()
    net = t.network(3)
    cost = np.concatenate([t.hub_cost, t.cost])
    net.set_costs(cost)
    net.solve()
    assert net.flow().tolist() == [0, 0, 0, 2, 4, 3, 1]
    assert net.total_cost() == 4 * 5 + 3 * 7 + 9 + 2 * 30


@pytest.mark.parametrize(
    ("supply", "hub_starts", "hub_ends", "message"),
    [
        ([5, -4, 0], [0, 2], [2, 1], "sum to 1, not to 0"),
        ([5, -4, -1], [2, 2], [0, 1], "direction of"),  # a sender fed from the hub
        ([5, -4, -1], [0, 1], [2, 2], "direction of"),  # a receiver sending to it
        ([5, -4, -1], [0], [2], "2 hub arcs wanted"),
        ([5, -5, 0], [1, 2], [2, 1], "direction of"),  # hub arcs out of node order
    ],
)
def test_a_network_that_breaks_the_hub_rule_is_refused(
    supply: list[int], hub_starts: list[int], hub_ends: list[int], message: str
) -> None:
    with pytest.raises(NetworkError, match=message):
        GrowingNetwork(supply, 2, hub_starts, hub_ends, 10)


def test_arcs_that_name_no_node_are_refused_and_none_is_added() -> None:
    t = _small()
    net = t.network(3)
    with pytest.raises(NetworkError, match="out of range"):
        net.add_arcs([0, 1], [2, 9], 20)
    with pytest.raises(NetworkError, match="negative capacity"):
        net.add_arcs([0], [2], -1)
    assert net.n_arcs == 7
    net.set_costs(np.concatenate([t.hub_cost, t.cost]))
    net.solve()
    assert net.flow().size == 7


def test_a_solve_wants_a_cost_for_every_arc() -> None:
    t = _small()
    net = t.network(3)
    with pytest.raises(NetworkError, match="7 arc costs wanted"):
        net.set_costs([1, 2, 3])
    with pytest.raises(NetworkError, match="costs of the arcs added"):
        net.solve()
    net.set_costs(np.concatenate([t.hub_cost, t.cost]))
    net.add_arcs([1], [2], 20)  # a new arc without a cost yet
    with pytest.raises(NetworkError, match="costs of the arcs added"):
        net.solve()


def test_hub_arcs_too_small_for_the_supplies_are_refused_at_the_solve() -> None:
    t = _small()
    net = GrowingNetwork(t.supply, t.z, t.hub_starts, t.hub_ends, 4)  # sender 0 holds 5
    net.set_costs(t.hub_cost)
    with pytest.raises(NetworkError, match="cannot carry"):
        net.solve()


def test_a_network_pickled_goes_on_from_the_same_tree_pivot_for_pivot() -> None:
    """A family's network travels to another worker as a pickle: there, arcs added and costs
    changed, it ends with the same flows and potentials as the one left behind, from its tree.
    It travels after a solve from a tree too, which numbers the nodes its own way."""
    rng = np.random.default_rng(3)
    t = _random_transport(rng, 60, 900, units=30)
    z = t.z
    here = t.network(600)
    here.set_costs(np.concatenate([t.hub_cost, t.cost[:600]]))
    here.solve("block_search")
    there = pickle.loads(pickle.dumps(here))
    assert (there.n_nodes, there.n_arcs, there.solves, there.cold_solves) == (z + 1, z + 600, 1, 1)
    assert (there.flow() == here.flow()).all() and (there.states() == here.states()).all()
    cost = np.concatenate([t.hub_cost, t.cost + rng.integers(0, 80, 900)])
    for net in (here, there):
        net.add_arcs(t.starts[600:750], t.ends[600:750], t.capacity)
        net.set_costs(cost[: z + 750])
        net.solve()
    assert (there.potentials() == here.potentials()).all()
    there = pickle.loads(pickle.dumps(there))
    assert (there.flow() == here.flow()).all() and (there.states() == here.states()).all()
    cost = cost + rng.integers(0, 40, z + 900)
    for net in (here, there):
        net.add_arcs(t.starts[750:], t.ends[750:], t.capacity)
        net.set_costs(cost)
        net.solve()
    assert there.cold_solves == here.cold_solves == 1
    assert (there.flow() == here.flow()).all()
    assert (there.potentials() == here.potentials()).all()
    _check_optimal(there, t, 900, cost)
