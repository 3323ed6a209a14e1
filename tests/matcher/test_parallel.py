"""Independent parts solved in worker processes give exactly the result of one process.

``match`` hands the material families of an instance whose depot capacity cannot bind to
worker processes from ``_PARALLEL_MIN_LISTINGS`` listings on; these tests lower that threshold
to 0 so that small generated instances take the parallel path.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from functools import cache
from types import MappingProxyType
from typing import Any, cast

import pytest

import matcher.solve
from matcher.domain import Instance
from matcher.result import MatchResult
from matcher.solve import match
from tests.reference import check_result

SEED = 5


@cache
def _instance(regime: str, depots: int) -> Instance:
    from matcher.generate import generate_instance
    from matcher.io import parse_instance

    return parse_instance(generate_instance(400, 400, depots, seed=SEED, regime=regime))


@pytest.fixture
def parallel_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(matcher.solve, "_PARALLEL_MIN_LISTINGS", 0)
    # Forked workers see the thresholds these tests lower; a fork server's would not (and the
    # full test run has other threads, for which the solver would choose one).
    monkeypatch.setattr(matcher.solve, "_start_method", lambda: "fork")


def _same(a: MatchResult, b: MatchResult) -> None:
    assert a.status == b.status
    assert a.objective_eur == b.objective_eur
    assert a.lower_bound_eur == b.lower_bound_eur
    assert a.cost_breakdown == b.cost_breakdown
    assert a.allocations == b.allocations
    assert a.unmatched_supply == b.unmatched_supply
    assert a.unmet_demand == b.unmet_demand
    assert a.kpis == b.kpis


@pytest.mark.usefixtures("parallel_path")
@pytest.mark.parametrize(("regime", "depots"), [("nodepots", 0), ("substitution", 0)])
def test_two_workers_give_the_result_of_one(regime: str, depots: int) -> None:
    instance = _instance(regime, depots)
    alone = match(instance, workers=1)
    together = match(instance, workers=2)
    assert alone.stats["parts"] == together.stats["parts"] > 2
    assert (alone.stats["workers"], together.stats["workers"]) == (1, 2)
    _same(alone, together)
    check_result(instance, together)


@pytest.mark.usefixtures("parallel_path")
def test_workers_started_by_a_fork_server_give_the_same_result(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The start method used where forking is unsafe (a threaded web server) also works."""
    instance = _instance("nodepots", 0)
    alone = match(instance, workers=1)
    monkeypatch.setattr(matcher.solve, "_start_method", lambda: "forkserver")
    _same(alone, match(instance, workers=2))


@pytest.mark.usefixtures("parallel_path")
def test_parts_report_progress_in_the_parallel_path() -> None:
    lines: list[str] = []
    result = match(_instance("nodepots", 0), workers=2, progress=lines.append)
    parts = int(result.stats["parts"])  # type: ignore[call-overload]
    done = [line for line in lines if line.startswith("part ")]
    assert len(done) == parts
    assert done[-1].startswith(f"part {parts}/{parts}:")


def test_small_instances_stay_in_this_process() -> None:
    instance = _instance("nodepots", 0)
    assert len(instance.supply) + len(instance.demand) < matcher.solve._PARALLEL_MIN_LISTINGS
    assert match(instance, workers=2).stats["workers"] == 1


def test_worker_count_comes_from_the_argument_the_environment_or_the_cpus(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(matcher.solve, "_PARALLEL_MIN_LISTINGS", 0)
    instance = _instance("nodepots", 0)
    monkeypatch.setenv(matcher.solve.WORKERS_ENV, "3")
    assert matcher.solve._workers_for(instance, 10, None) == 3
    assert matcher.solve._workers_for(instance, 10, 1) == 1
    assert matcher.solve._workers_for(instance, 2, None) == 2  # never more than the parts
    monkeypatch.setenv(matcher.solve.WORKERS_ENV, "not a number")
    monkeypatch.setattr(matcher.solve.os, "cpu_count", lambda: 4)
    assert matcher.solve._workers_for(instance, 10, None) == 4
    daemon = type("Daemon", (), {"daemon": True})()
    monkeypatch.setattr(matcher.solve.multiprocessing, "current_process", lambda: daemon)
    assert matcher.solve._workers_for(instance, 10, None) == 1  # may not start processes


def test_an_instance_with_attributes_survives_pickling_read_only() -> None:
    from matcher.generate import generate_instance
    from matcher.io import parse_instance

    data = generate_instance(60, 60, 2, seed=SEED, regime="default")
    data["supply"][0]["attributes"] = {"length_m": 6.2, "steel_grade": "S235"}
    data["demand"][0]["requirements"] = {"length_m": {"min": 5.4}}
    instance = parse_instance(data)
    copy = pickle.loads(pickle.dumps(instance))
    assert copy == instance
    assert isinstance(copy.supply[0].attributes, MappingProxyType)
    assert dict(copy.supply[0].attributes) == {"length_m": 6.2, "steel_grade": "S235"}
    with pytest.raises(TypeError):
        copy.supply[0].attributes["length_m"] = 1.0  # type: ignore[index]


@pytest.mark.usefixtures("parallel_path")
@pytest.mark.parametrize(
    ("n", "regime", "repaired"), [(200, "tight", True), (600, "default", False)]
)
def test_the_family_path_in_two_workers_gives_the_result_of_one(
    n: int, regime: str, repaired: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Families solved with depot capacity set aside, then repaired, by workers that keep
    their families' models between the two passes."""
    from matcher.generate import generate_instance
    from matcher.io import parse_instance

    monkeypatch.setattr(matcher.solve, "_LIST_DEPOT_PAIRS", 0)  # take the family path
    instance = parse_instance(generate_instance(n, n, 3, seed=11, regime=regime))
    alone = match(instance, workers=1)
    together = match(instance, workers=2)
    for result in (alone, together):
        assert result.stats["depot_routes"] == "families"
        assert ("families_resolved" in result.stats) == repaired
    assert (alone.stats["workers"], together.stats["workers"]) == (1, 2)
    assert alone.stats["relaxation_eur"] == together.stats["relaxation_eur"]
    _same(alone, together)
    check_result(instance, together)


@pytest.mark.usefixtures("parallel_path")
def test_families_moved_to_the_other_worker_give_the_result_of_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every family whose first pass stopped short (most of them, after one solve) moves to the
    other worker before the price rounds; each is solved there exactly as it would have been
    where it was, so the result is that of one process."""
    from matcher.generate import generate_instance
    from matcher.io import parse_instance

    monkeypatch.setattr(matcher.solve, "_LIST_DEPOT_PAIRS", 0)
    monkeypatch.setattr(matcher.solve, "_FIRST_SOLVES", 1)
    moved: list[int] = []

    def share(self: matcher.solve._InWorkers, load: dict[int, float], movable: set[int]) -> int:
        for n in sorted(movable):
            self.move(n, 1 - self.owner[n])
            moved.append(n)
        return len(movable)

    monkeypatch.setattr(matcher.solve._InWorkers, "share", share)
    instance = parse_instance(generate_instance(400, 400, 3, seed=11, regime="tight"))
    alone = match(instance, workers=1)
    together = match(instance, workers=2)
    assert len(moved) >= 3
    assert together.stats["families_moved"] == len(moved)
    assert alone.stats["relaxation_eur"] == together.stats["relaxation_eur"]
    _same(alone, together)
    check_result(instance, together)


@pytest.mark.usefixtures("parallel_path")
def test_family_workers_give_back_freed_memory_and_stop_before_the_result_is_built(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    """Each worker hands its freed heap back after every request that prices every route or
    builds a model (and after no other), and the workers have stopped, their models gone,
    before the parent builds the result; closing them again does nothing."""
    from matcher.generate import generate_instance
    from matcher.io import parse_instance

    # forked workers see the test's patches
    monkeypatch.setattr(matcher.solve, "_start_method", lambda: "fork")
    monkeypatch.setattr(matcher.solve, "_LIST_DEPOT_PAIRS", 0)
    trims = tmp_path / "trims"
    asked = tmp_path / "asked"
    ask = matcher.solve._ask

    def asking(local: matcher.solve._LocalFamilies, request: tuple[object, ...]) -> object:
        with asked.open("a") as out:
            out.write(f"{request[0]}\n")
        return ask(local, request)

    def trim() -> None:
        with trims.open("a") as out:
            out.write("trim\n")

    mapped = tmp_path / "mapped"

    def keep_mapped() -> None:
        with mapped.open("a") as out:
            out.write(f"{os.getpid()}\n")

    monkeypatch.setattr(matcher.solve, "_ask", asking)
    monkeypatch.setattr(matcher.solve, "_give_back_freed_memory", trim)
    monkeypatch.setattr(matcher.solve, "_keep_large_blocks_mapped", keep_mapped)
    workers: list[matcher.solve._InWorkers] = []
    start = matcher.solve._InWorkers.__init__

    def starting(self: matcher.solve._InWorkers, *args: Any) -> None:
        start(self, *args)
        workers.append(self)

    result_of = matcher.solve._result
    alive_at_result: list[bool] = []

    def result(*args: Any) -> MatchResult:
        alive_at_result.append(any(p.is_alive() for w in workers for p in w.processes))
        alive_at_result.append(any(w.processes for w in workers))
        return result_of(*args)

    monkeypatch.setattr(matcher.solve._InWorkers, "__init__", starting)
    monkeypatch.setattr(matcher.solve, "_result", result)
    instance = parse_instance(generate_instance(200, 200, 3, seed=11, regime="tight"))
    together = match(instance, workers=2)
    assert together.stats["depot_routes"] == "families" and len(workers) == 1
    assert alive_at_result == [False, False]
    names = asked.read_text().split()
    heavy = [name for name in names if name in matcher.solve._HEAVY_REQUESTS]
    assert "first" in heavy and len(heavy) < len(names)  # both kinds were asked
    assert len(trims.read_text().split()) == len(heavy)
    # the coordinating process (this one) keeps its large blocks mapped, once; no worker does
    assert mapped.read_text().split() == [str(os.getpid())]
    workers[0].close()  # again: nothing left to stop
    check_result(instance, together)


_MAPPED_BLOCK_PROBE = """
import ctypes, sys
import numpy as np
import matcher.solve

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
if sys.argv[1] == "keep":
    matcher.solve._keep_large_blocks_mapped()
# glibc maps a block only where the heap has no free chunk that holds it: fill those first
filler = []
for _ in range(20_000):  # (at most 640 MB)
    if libc.mallinfo2().fordblks <= 64 << 10:
        break
    filler.append(np.ones(32 << 10, np.uint8))
big = np.ones(4 << 20, np.uint8)  # mapped on its own, then unmapped
del big
before = libc.mallinfo2().hblkhd
block = np.ones(200 << 10, np.uint8)
print(libc.mallinfo2().hblkhd - before)
"""


def test_the_coordinating_process_keeps_large_blocks_mapped_after_larger_ones_were_freed() -> None:
    """glibc maps a block of 128 KiB or more on its own, until a larger mapped block is freed:
    it then raises that threshold and takes later blocks from the heap, where what is freed
    stays between the blocks that live on.  With :func:`_keep_large_blocks_mapped` a block of
    200 KiB after a freed 4 MiB one is still mapped on its own; without, it is not."""
    import subprocess
    import sys

    def mapped_bytes(how: str) -> int:
        out = subprocess.run(
            [sys.executable, "-c", _MAPPED_BLOCK_PROBE, how],
            capture_output=True,
            text=True,
            check=True,
        )
        return int(out.stdout)

    assert mapped_bytes("keep") >= 200 << 10
    assert mapped_bytes("default") == 0


class _Conn:
    """A worker's end of a pipe that keeps the requests and answers each in turn: a handover
    with the family's state, anything else with the request itself."""

    def __init__(self) -> None:
        self.sent: list[tuple[object, ...]] = []
        self.answers: list[tuple[str, int, object]] = []

    def send(self, request: tuple[object, ...]) -> None:
        self.sent.append(request)
        n = cast(int, request[1])
        self.answers.append(("ok", n, ("state of", n) if request[0] == "handover" else request))

    def recv(self) -> tuple[str, int, object]:
        return self.answers.pop(0)


def test_families_move_to_the_worker_with_less_to_do_until_the_two_are_close() -> None:
    """Worker 0 owns families taking 5, 2 and 1 s per round, worker 1 one taking 3 s: moving
    the 2 s family evens them out (5 + 1 against 3 + 2 is as close as it gets), and no move
    after it narrows the gap. Family 0 may not move at all."""
    families = matcher.solve._InWorkers.__new__(matcher.solve._InWorkers)
    conns = [_Conn(), _Conn()]
    families.conns = cast(list, conns)
    families.adopting = [0, 0]
    families.owner = {0: 0, 1: 0, 2: 0, 3: 1}
    load = {0: 5.0, 1: 2.0, 2: 1.0, 3: 3.0}
    assert families.share(load, movable={1, 2, 3}) == 1
    assert families.owner == {0: 0, 1: 1, 2: 0, 3: 1}
    assert conns[0].sent == [("handover", 1)]
    assert conns[1].sent == [("adopt", 1, ("state of", 1))]
    # the parent did not wait for worker 1 to take family 1 up: that answer comes first, and
    # is not taken for the answer to the next request
    assert families.adopting == [0, 1]
    conns[1].send(("restricted", 1))
    assert families._receive(cast(Any, conns[1])) == (1, ("restricted", 1))
    assert families.adopting == [0, 0] and conns[1].answers == []
    # the family that would even them out cannot move: no other move helps enough
    families.owner = {0: 0, 1: 1}
    assert families.share({0: 4.0, 1: 1.0}, movable={1}) == 0
    # nothing to even out: nothing moves (and the loop ends)
    families.owner = {0: 0, 1: 0}
    assert families.share({0: 0.0, 1: 0.0}, movable={0, 1}) == 0
    assert conns[0].sent == [("handover", 1)]


@pytest.mark.usefixtures("parallel_path")
def test_an_error_in_a_family_worker_reaches_the_caller_and_stops_the_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import multiprocessing

    from matcher.generate import generate_instance
    from matcher.io import parse_instance

    monkeypatch.setattr(matcher.solve, "_LIST_DEPOT_PAIRS", 0)
    instance = parse_instance(generate_instance(200, 200, 3, seed=11, regime="tight"))

    def failing(self: object, n: int, grid: object, solves: object = None) -> object:
        raise matcher.solve.SolverError(f"family {n} failed")

    monkeypatch.setattr(matcher.solve._LocalFamilies, "first", failing)  # inherited by the fork
    with pytest.raises(matcher.solve.SolverError, match=r"family \d+ failed"):
        match(instance, workers=2)
    assert multiprocessing.active_children() == []


def _one_worker_owning_all_but_the_largest(
    monkeypatch: pytest.MonkeyPatch, **methods: Callable[..., object]
) -> tuple[matcher.solve._InWorkers, dict[int, int], int]:
    """Two workers, with ``methods`` of :class:`_LocalFamilies` replaced (before they fork),
    that have answered every family's first request: the largest family's waits until every
    other family's first has been answered (at most 30 s), so the other worker answers them
    all meanwhile. Returns the workers (to close), the process that answered each family's
    first request, and the largest family."""
    import multiprocessing
    import os

    from matcher.generate import generate_instance
    from matcher.io import parse_instance
    from matcher.routes import build_tables

    instance = parse_instance(generate_instance(300, 300, 3, seed=11, regime="substitution"))
    parts = matcher.solve._family_parts(instance, build_tables(instance))
    assert len(parts) >= 4
    largest = max(range(len(parts)), key=lambda n: len(parts[n].supply) * len(parts[n].demand))
    others_answered = multiprocessing.get_context("fork").Event()

    def first(self: matcher.solve._LocalFamilies, n: int, grid: object) -> int:
        if n == largest:
            others_answered.wait(timeout=30)
        self.numbers[n] = {}  # this process now holds family n
        return os.getpid()

    monkeypatch.setattr(matcher.solve._LocalFamilies, "first", first)
    for name, method in methods.items():
        monkeypatch.setattr(matcher.solve._LocalFamilies, name, method)
    families = matcher.solve._InWorkers(parts, (), 2)
    firsts: dict[int, int] = {}
    try:
        for n, pid in families.each([("first", n, None) for n in range(len(parts))]):
            firsts[n] = cast(int, pid)
            if len(firsts) == len(parts) - 1 and largest not in firsts:
                others_answered.set()
    except BaseException:
        families.close()
        raise
    assert len({pid for n, pid in firsts.items() if n != largest}) == 1
    return families, firsts, largest


@pytest.mark.usefixtures("parallel_path")
def test_a_family_belongs_to_the_worker_that_came_free_for_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While the largest family's first request waits, the other worker answers every other
    family's, and each family's later requests go to the process that answered its first
    (which holds its models). Families dealt out beforehand would leave some of them queued
    behind the largest."""
    import os

    def restricted(self: matcher.solve._LocalFamilies, n: int, prices: object) -> tuple[int, bool]:
        return os.getpid(), n in self.numbers

    families, firsts, largest = _one_worker_owning_all_but_the_largest(
        monkeypatch, restricted=restricted
    )
    try:
        n_families = len(firsts)
        laters = dict(families.each([("restricted", n, None) for n in range(n_families)]))
    finally:
        families.close()
    others = {pid for n, pid in firsts.items() if n != largest}
    assert others == {pid for pid in firsts.values()} - {firsts[largest]}  # none shared it
    assert laters == {n: (pid, True) for n, pid in firsts.items()}


@pytest.mark.usefixtures("parallel_path")
def test_a_search_around_the_mix_runs_in_whichever_worker_comes_free(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One worker owns every family but the largest (as in the test above). Their roundings
    each hand out a search around the mix. The other worker, once it has rounded its one
    family, runs some of those searches (each carries its model), and each family's answer
    is its search's."""
    import os
    import time

    def rounded(self: matcher.solve._LocalFamilies, n: int) -> object:
        assert n in self.numbers  # only the family's owner rounds it
        if len(self.numbers) == 1:  # the worker that owns the largest family only
            return ("rounded", os.getpid())
        return matcher.solve._SearchAroundMix(None, None, None, None, None, 0.0, None)  # type: ignore[arg-type]

    def search(self: matcher.solve._LocalFamilies, n: int, task: object) -> object:
        assert isinstance(task, matcher.solve._SearchAroundMix)
        time.sleep(0.1)
        return ("searched", os.getpid())

    families, firsts, largest = _one_worker_owning_all_but_the_largest(
        monkeypatch, rounded=rounded, search=search
    )
    try:
        answers = dict(families.each([("rounded", n) for n in range(len(firsts))]))
    finally:
        families.close()
    assert answers[largest] == ("rounded", firsts[largest])
    others = {n: cast(tuple[str, int], a) for n, a in answers.items() if n != largest}
    assert all(what == "searched" for what, _ in others.values())
    owner_of_others = {pid for n, pid in firsts.items() if n != largest}
    assert {pid for _, pid in others.values()} == {firsts[largest]} | owner_of_others
