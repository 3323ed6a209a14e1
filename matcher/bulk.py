"""Building many small objects at once: the listings of an instance, the allocations of a result."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while many objects are made that form no cycles.

    Left running, the collector walks the growing heap again and again: a third of the time
    of loading 100k listings a side (``scripts/bench_load.py``), and 0.96 of the 2.5 s that
    building the 204k allocations of a result took (py-spy, 100k x 20 depots seed 4).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
