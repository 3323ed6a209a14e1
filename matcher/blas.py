"""The BLAS under numpy, held to one thread while the matcher runs."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from threadpoolctl import threadpool_limits

_P = ParamSpec("_P")
_R = TypeVar("_R")


def on_one_blas_thread(function: Callable[_P, _R]) -> Callable[_P, _R]:
    """Run ``function`` with numpy's BLAS (OpenBLAS, as numpy's wheels bundle it) on one thread,
    and give the BLAS back its threads afterwards.

    The matcher's parallel work is its worker processes, one per core; it calls the BLAS only
    for dot products over a family's routes.  OpenBLAS hands those of more than a few thousand
    entries to a thread of its own, which then waits for its next task by spinning, on the
    core that another worker needs.  At 100k listings a side with 20 depots those threads took
    a fifth of all CPU samples (perf), and seeds 3 / 4 took 29.8-29.9 / 28.7-29.5 s of the
    command, against 24.3-25.1 / 23.3-24.4 s on one thread (2 cores, run in turns, 2026-12-07).

    The limit holds for the whole process, as the BLAS's own setting does: another thread's
    numpy runs on one BLAS thread too while ``function`` runs, which changes its speed only.
    """

    @functools.wraps(function)
    def on_one_thread(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with threadpool_limits(limits=1, user_api="blas"):
            return function(*args, **kwargs)

    return on_one_thread
