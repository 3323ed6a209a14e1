"""A network simplex whose arcs can grow between solves, keeping its spanning tree.

Column generation solves a min-cost flow, prices the routes outside it against the nodes'
potentials and lets the improving ones in.  LEMON (through ``pylmcf``) fixes a graph's arcs
when it is built, so each round that lets routes in used to start the network simplex from
nothing.  :class:`GrowingNetwork` keeps its tree instead: a new arc joins at its lower bound,
carrying nothing, so the last optimum's flows stay feasible and the next solve goes on from
them.  The algorithm is LEMON's (``matcher/_netsimplex.cpp`` says what differs); this module
is its Python face, over ``ctypes``.

The network has a hub: a node joined to every other node by one of the first arcs, in the
direction of its supply (what a sender does not send goes to the hub; what a receiver does
not receive comes from it).  Those arcs are the first spanning tree, feasible by construction.
"""

from __future__ import annotations

import ctypes
from functools import cache

import numpy as np
import numpy.typing as npt

from matcher.native import load_library

IntArray = npt.NDArray[np.int64]

PIVOT_RULES = {"block_search": 0, "candidate_list": 1}


class NetworkError(ValueError):
    """The network cannot be solved as given (see the message)."""


@cache
def _library() -> ctypes.CDLL:
    lib = load_library("matcher._netsimplex")
    ptr, i32, i64 = ctypes.c_void_p, ctypes.c_int32, ctypes.c_int64
    lib.mm_ns_new.restype = ptr
    lib.mm_ns_new.argtypes = [i32, i32, ptr, ptr, ptr, ptr]
    lib.mm_ns_free.restype = None
    lib.mm_ns_free.argtypes = [ptr]
    lib.mm_ns_arcs.restype = i64
    lib.mm_ns_arcs.argtypes = [ptr]
    lib.mm_ns_add_arcs.restype = i32
    lib.mm_ns_add_arcs.argtypes = [ptr, i64, ptr, ptr, ptr]
    lib.mm_ns_set_costs.restype = None
    lib.mm_ns_set_costs.argtypes = [ptr, ptr]
    lib.mm_ns_pivots.restype = i64
    lib.mm_ns_pivots.argtypes = [ptr]
    lib.mm_ns_has_tree.restype = i32
    lib.mm_ns_has_tree.argtypes = [ptr]
    lib.mm_ns_total_cost.restype = i64
    lib.mm_ns_total_cost.argtypes = [ptr]
    lib.mm_ns_solve.restype = i32
    lib.mm_ns_solve.argtypes = [ptr, i32, i32]
    for name in ("mm_ns_flow", "mm_ns_potential", "mm_ns_state"):
        getattr(lib, name).restype = None
        getattr(lib, name).argtypes = [ptr, ptr]
    lib.mm_ns_get_arcs.restype = None
    lib.mm_ns_get_arcs.argtypes = [ptr] * 4
    lib.mm_ns_get_state.restype = None
    lib.mm_ns_get_state.argtypes = [ptr] * 12
    lib.mm_ns_set_state.restype = None
    lib.mm_ns_set_state.argtypes = [ptr] * 11 + [i32]
    return lib


# The state that travels in a pickle (:meth:`GrowingNetwork.__reduce__`): per node, then per arc.
_NODE_STATE = (
    ("parent", np.int32),
    ("pred", np.int32),
    ("thread", np.int32),
    ("rev_thread", np.int32),
    ("succ_num", np.int32),
    ("last_succ", np.int32),
    ("pred_dir", np.int8),
    ("pi", np.int64),
)
_ARC_STATE = (("flow", np.int64), ("state", np.int8))


def _ptr(a: np.ndarray) -> int:
    return int(a.ctypes.data)


class GrowingNetwork:
    """A min-cost flow problem on ``supply`` per node (summing to 0) whose hub is node
    ``hub``: ``hub_starts -> hub_ends`` are its first arcs, one per other node in node order,
    each holding at most ``hub_cap`` units; more arcs join with :meth:`add_arcs`.

    Costs are whole numbers (scale them), none negative where a cycle could otherwise pay
    without bound; capacities are finite."""

    def __init__(
        self,
        supply: npt.ArrayLike,
        hub: int,
        hub_starts: npt.ArrayLike,
        hub_ends: npt.ArrayLike,
        hub_cap: npt.ArrayLike,
    ) -> None:
        lib = _library()
        supply_ = np.ascontiguousarray(supply, np.int64)
        n = supply_.size
        starts = np.ascontiguousarray(hub_starts, np.int32)
        ends = np.ascontiguousarray(hub_ends, np.int32)
        cap = np.ascontiguousarray(np.broadcast_to(hub_cap, starts.shape), np.int64)
        if starts.size != n - 1 or ends.size != n - 1:
            raise NetworkError(
                f"{n - 1} hub arcs wanted (one per node but the hub), got {starts.size}"
            )
        if int(supply_.sum()) != 0:
            raise NetworkError(f"the supplies sum to {int(supply_.sum())}, not to 0")
        if not 0 <= hub < n:
            raise NetworkError(f"the hub {hub} is no node of {n}")
        handle = lib.mm_ns_new(n, hub, _ptr(supply_), _ptr(starts), _ptr(ends), _ptr(cap))
        if not handle:
            raise NetworkError(
                "each node but the hub wants one hub arc, in node order, in the direction of its"
                " supply: from it to the hub (supply >= 0) or from the hub to it (supply <= 0)"
            )
        self._lib, self._handle = lib, ctypes.c_void_p(handle)
        self._supply, self._hub = supply_, hub
        self.n_nodes = n
        self.n_arcs = n - 1
        self.solves = 0
        self.cold_solves = 0  # solves from the hub arcs, not from a tree
        self.pivot_rule: str | None = None  # the last solve's
        self._costs_set = False  # whether every arc has its cost

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        """Pickled whole, tree included: unpickled in another process it goes on from the same
        tree, pivot for pivot, as it would have here.  (Costs are not kept: set them again.)"""
        tree = {name: np.empty(self.n_nodes, kind) for name, kind in _NODE_STATE}
        arcs = {name: np.empty(self.n_arcs, kind) for name, kind in _ARC_STATE}
        has_tree = ctypes.c_int32()
        self._lib.mm_ns_get_state(
            self._handle,
            *(_ptr(a) for a in tree.values()),
            *(_ptr(a) for a in arcs.values()),
            ctypes.addressof(has_tree),
        )
        counts = (self.solves, self.cold_solves, self.pivot_rule)
        return (_restored, (self._arcs(), tree, arcs, bool(has_tree.value), counts))

    def _arcs(self) -> tuple[IntArray, int, npt.NDArray[np.int32], npt.NDArray[np.int32], IntArray]:
        """Supply per node, the hub, and every arc's start, end and capacity."""
        starts, ends = np.empty(self.n_arcs, np.int32), np.empty(self.n_arcs, np.int32)
        cap = np.empty(self.n_arcs, np.int64)
        self._lib.mm_ns_get_arcs(self._handle, _ptr(starts), _ptr(ends), _ptr(cap))
        return self._supply, self._hub, starts, ends, cap

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None and handle.value:
            self._lib.mm_ns_free(handle)
            handle.value = None

    def add_arcs(self, starts: npt.ArrayLike, ends: npt.ArrayLike, cap: npt.ArrayLike) -> None:
        """Arcs ``starts -> ends`` holding at most ``cap`` units each, after those there are;
        they carry nothing until a solve sends flow along them, so the tree is kept."""
        starts_ = np.ascontiguousarray(starts, np.int32)
        ends_ = np.ascontiguousarray(ends, np.int32)
        cap_ = np.ascontiguousarray(np.broadcast_to(cap, starts_.shape), np.int64)
        if ends_.shape != starts_.shape:
            raise NetworkError("as many arc ends as starts wanted")
        k = starts_.size
        if self._lib.mm_ns_add_arcs(self._handle, k, _ptr(starts_), _ptr(ends_), _ptr(cap_)):
            raise NetworkError("an arc names a node out of range or has a negative capacity")
        self.n_arcs += k
        self._costs_set = False

    def set_costs(self, cost: npt.ArrayLike) -> None:
        """Every arc's cost per unit, in the order the arcs were given (hub arcs first)."""
        cost_ = np.ascontiguousarray(cost, np.int64)
        if cost_.shape != (self.n_arcs,):
            raise NetworkError(f"{self.n_arcs} arc costs wanted, got {cost_.size}")
        self._lib.mm_ns_set_costs(self._handle, _ptr(cost_))
        self._costs_set = True

    def solve(self, pivot_rule: str = "candidate_list", cold: bool = False) -> None:
        """The min-cost flow: from the last optimum's tree, or from the hub arcs where
        ``cold``, or where there is no optimum to go on from."""
        if not self._costs_set:
            raise NetworkError("the costs of the arcs added since they were last set are missing")
        cold = cold or not self._lib.mm_ns_has_tree(self._handle)
        status = self._lib.mm_ns_solve(self._handle, PIVOT_RULES[pivot_rule], int(cold))
        self.solves += 1
        self.cold_solves += int(cold)
        self.pivot_rule = pivot_rule
        if status == 1:
            raise NetworkError("the hub arcs cannot carry the supplies (capacity too small)")
        if status == 2:
            raise NetworkError("the costs make a cycle of unbounded gain")

    @property
    def pivots(self) -> int:
        """The last solve's pivots in this process (0 before the first, and after a pickle)."""
        return int(self._lib.mm_ns_pivots(self._handle))

    @property
    def warm_solves(self) -> int:
        """The solves that went on from the last optimum's tree."""
        return self.solves - self.cold_solves

    def total_cost(self) -> int:
        """The last solve's cost: the arcs' costs times their flows."""
        if not self._costs_set:
            raise NetworkError("the costs of the arcs added since they were last set are missing")
        return int(self._lib.mm_ns_total_cost(self._handle))

    def flow(self) -> IntArray:
        """Units per arc, in the order the arcs were given."""
        out = np.empty(self.n_arcs, np.int64)
        self._lib.mm_ns_flow(self._handle, _ptr(out))
        return out

    def potentials(self) -> IntArray:
        """Per node: an arc's reduced cost is ``cost + p[start] - p[end]``, 0 on the tree's
        arcs (of which the hub's potential is 0)."""
        out = np.empty(self.n_nodes, np.int64)
        self._lib.mm_ns_potential(self._handle, _ptr(out))
        return out

    def states(self) -> npt.NDArray[np.int8]:
        """Per arc: 1 at its lower bound, 0 in the spanning tree, -1 at its upper bound."""
        out = np.empty(self.n_arcs, np.int8)
        self._lib.mm_ns_state(self._handle, _ptr(out))
        return out


def _restored(
    arcs: tuple[IntArray, int, npt.NDArray[np.int32], npt.NDArray[np.int32], IntArray],
    tree: dict[str, np.ndarray],
    flows: dict[str, np.ndarray],
    has_tree: bool,
    counts: tuple[int, int, str | None],
) -> GrowingNetwork:
    """A network unpickled (see :meth:`GrowingNetwork.__reduce__`)."""
    supply, hub, starts, ends, cap = arcs
    k = supply.size - 1  # the hub arcs
    net = GrowingNetwork(supply, hub, starts[:k], ends[:k], cap[:k])
    net.add_arcs(starts[k:], ends[k:], cap[k:])
    arrays = [np.ascontiguousarray(tree[name], kind) for name, kind in _NODE_STATE]
    arrays += [np.ascontiguousarray(flows[name], kind) for name, kind in _ARC_STATE]
    if [a.size for a in arrays] != [net.n_nodes] * len(_NODE_STATE) + [net.n_arcs] * 2:
        raise NetworkError("the state does not fit the network")
    net._lib.mm_ns_set_state(net._handle, *(_ptr(a) for a in arrays), int(has_tree))
    net.solves, net.cold_solves, net.pivot_rule = counts
    return net
