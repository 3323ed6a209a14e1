"""The matcher holds numpy's BLAS to one thread while it runs (:mod:`matcher.blas`): its worker
processes are its parallelism, and OpenBLAS's own threads spin on their cores between calls."""

from __future__ import annotations

from threadpoolctl import threadpool_info, threadpool_limits

import matcher.solve
from matcher.generate import generate_instance
from matcher.io import parse_instance
from matcher.solve import match


def _blas_threads() -> list[int]:
    return [int(lib["num_threads"]) for lib in threadpool_info() if lib["user_api"] == "blas"]


def test_numpy_has_a_blas_to_hold() -> None:
    assert _blas_threads()  # otherwise the tests below would hold nothing


def test_match_runs_on_one_blas_thread_and_gives_the_others_back() -> None:
    instance = parse_instance(generate_instance(60, 60, 2, seed=3))
    seen: list[list[int]] = []
    with threadpool_limits(limits=2, user_api="blas"):
        match(instance, progress=lambda _line: seen.append(_blas_threads()))
        after = _blas_threads()
    assert seen
    assert all(threads == [1] * len(threads) for threads in seen)
    assert after == [2] * len(after)


class _Connection:
    """A worker's end of the pipe that asks nothing and notes the BLAS's threads."""

    def __init__(self) -> None:
        self.seen: list[int] = []

    def recv(self) -> None:
        self.seen = _blas_threads()


def test_a_family_worker_runs_on_one_blas_thread() -> None:
    """Also where it was spawned, not forked from a process that held the BLAS already."""
    conn = _Connection()
    with threadpool_limits(limits=2, user_api="blas"):
        matcher.solve._family_worker(conn, {}, frozenset())  # type: ignore[arg-type]
    assert conn.seen and conn.seen == [1] * len(conn.seen)
