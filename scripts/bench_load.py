"""Measure reading and validating instance JSON: orjson decoding, validation, memory, rows/s.

Usage::

    .venv/bin/python scripts/bench_load.py [--sizes 1000,10000,100000] [--no-marshmallow]

For each size n it builds an instance with n supply and n demand listings (through
``matcher.generate.generate_instance`` when that module is there, else a small generator in this
script), encodes it, and times:

- ``json``: ``orjson.loads`` of the bytes;
- ``validate``: :func:`matcher.io.parse_instance` on the decoded data (all rules, all sections);
- ``load``: :func:`matcher.io.load_instance` from the bytes, i.e. both of the above;
- ``peak MiB``: peak resident memory (VmHWM, Linux) of a fresh process that runs
  ``load_instance`` on the file, and ``+load MiB`` how much loading added to what the imports
  took.  (tracemalloc is no good here: orjson reserves a large buffer it never touches, which
  tracemalloc counts in full);
- ``fast rows``: :func:`matcher.io.load_rows` on supply and demand, the path ``parse_instance``
  uses;
- ``mm rows``: the same rows through marshmallow (``load_rows_marshmallow``), same rules, and the
  ratio of the two.

Times are the best of ``--repeat`` runs, in CPU seconds of this process by default (steadier on
a shared machine; the work is single-threaded, so on an idle machine wall time is the same) or
wall-clock seconds with ``--wall``.  Prints a table; asserts nothing about speed.
"""

from __future__ import annotations

import argparse
import gc
import io
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import orjson

from matcher.bulk import collector_paused
from matcher.io import (
    DemandSchema,
    SupplySchema,
    load_instance,
    load_rows,
    load_rows_marshmallow,
    parse_instance,
)


def _local_instance(n_supply: int, n_demand: int, n_depots: int, seed: int) -> dict[str, Any]:
    """A plausible instance around Twente, used when matcher.generate is not there."""
    rng = random.Random(seed)
    today = date(2027, 3, 1)
    materials = [
        {
            "code": f"m{i}",
            "name": f"Material {i}",
            "unit": "pcs",
            "kg_per_unit": rng.uniform(1, 300),
            "m3_per_unit": rng.uniform(0.001, 0.3),
            "new_price_eur_per_unit": rng.uniform(1, 500),
            "disposal_eur_per_unit": rng.uniform(-40, 5),
            "embodied_kgco2e_per_kg": rng.uniform(0.05, 2),
        }
        for i in range(20)
    ]

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    supply = []
    for i in range(n_supply):
        start = rng.randrange(0, 120)
        row: dict[str, Any] = {
            "id": f"s{i}",
            "material": f"m{rng.randrange(20)}",
            "quantity": rng.randrange(1, 5000),
            "condition": rng.choice("ABC"),
            "lat": 52.2 + rng.uniform(-0.3, 0.3),
            "lon": 6.8 + rng.uniform(-0.4, 0.4),
            "available_from": day(start),
            "available_until": day(start + rng.randrange(0, 60)),
        }
        if rng.random() < 0.2:
            row["attributes"] = {"length_m": round(rng.uniform(3, 12), 1), "grade": "S235"}
        supply.append(row)
    demand = []
    for i in range(n_demand):
        start = rng.randrange(0, 180)
        row = {
            "id": f"d{i}",
            "material": f"m{rng.randrange(20)}",
            "quantity": rng.randrange(1, 5000),
            "min_condition": rng.choice("BC"),
            "lat": 52.2 + rng.uniform(-0.3, 0.3),
            "lon": 6.8 + rng.uniform(-0.4, 0.4),
            "needed_from": day(start),
            "needed_until": day(start + rng.randrange(0, 60)),
        }
        if rng.random() < 0.3:
            row["max_distance_km"] = rng.uniform(10, 80)
        if rng.random() < 0.1:
            row["requirements"] = {"length_m": {"min": 5.0}, "grade": {"in": ["S235", "S355"]}}
        demand.append(row)
    depots = [
        {
            "id": f"dep{k}",
            "lat": 52.2 + rng.uniform(-0.3, 0.3),
            "lon": 6.8 + rng.uniform(-0.4, 0.4),
            "capacity_m3": 500.0,
            "holding_eur_per_m3_day": 0.05,
            "handling_eur_per_tonne": 4.0,
            "stock": [{"id": f"st{k}", "material": "m0", "quantity": 10}],
        }
        for k in range(n_depots)
    ]
    return {
        "today": today.isoformat(),
        "cost": {},
        "materials": materials,
        "supply": supply,
        "demand": demand,
        "depots": depots,
    }


def _generator() -> tuple[str, Callable[[int, int, int, int], dict[str, Any]]]:
    try:
        from matcher.generate import generate_instance
    except ImportError:
        return "local (scripts/bench_load.py)", _local_instance
    return "matcher.generate", lambda s, d, k, seed: generate_instance(s, d, k, seed)


CLOCK: Callable[[], float] = time.process_time


def _best(repeat: int, work: Callable[[], object]) -> float:
    """Best time of ``repeat`` runs, with the collector paused as load_instance does."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        with collector_paused():
            start = CLOCK()
            kept = work()  # freed after the clock stops: a real run exits instead
            best = min(best, CLOCK() - start)
            del kept
    return best


# VmHWM, not ru_maxrss: Linux carries the forking parent's high-water mark into ru_maxrss.
_PEAK_SCRIPT = """
import re, sys
from matcher.io import load_instance
def hwm_kib():
    with open("/proc/self/status") as status:
        return int(re.search(r"VmHWM:\\s+(\\d+)", status.read()).group(1))
before = hwm_kib()
load_instance(sys.argv[1])
print(before, hwm_kib())
"""


def _peak_mib(payload: bytes) -> tuple[float, float]:
    """Peak resident memory of a fresh process that loads the file: (total, added by loading)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as handle:
        handle.write(payload)
        handle.flush()
        out = subprocess.run(
            [sys.executable, "-c", _PEAK_SCRIPT, handle.name],
            capture_output=True,
            text=True,
            check=True,
        )
    before_kib, after_kib = (int(word) for word in out.stdout.split())
    return after_kib / 1024, (after_kib - before_kib) / 1024


def _row(data: dict[str, Any], repeat: int, with_marshmallow: bool) -> str:
    """Measure one instance and format its line of the table."""
    n = len(data["supply"])
    payload = orjson.dumps(data)
    decoded = orjson.loads(payload)
    parse_instance(decoded)  # also warms the caches, as a real run would once
    json_s = _best(repeat, lambda: orjson.loads(payload))
    validate_s = _best(repeat, lambda: parse_instance(decoded))
    load_s = _best(repeat, lambda: load_instance(io.BytesIO(payload)))
    rows = len(decoded["supply"]) + len(decoded["demand"])

    def fast() -> object:
        return (
            load_rows(SupplySchema, decoded["supply"], "supply"),
            load_rows(DemandSchema, decoded["demand"], "demand"),
        )

    def marshmallow() -> object:
        return (
            load_rows_marshmallow(SupplySchema, decoded["supply"], "supply"),
            load_rows_marshmallow(DemandSchema, decoded["demand"], "demand"),
        )

    fast_s = _best(repeat, fast)
    mm_cell = ratio_cell = "-"
    if with_marshmallow:
        for schema, key in ((SupplySchema, "supply"), (DemandSchema, "demand")):
            fast_objects = load_rows(schema, decoded[key], key)[0]
            assert fast_objects == load_rows_marshmallow(schema, decoded[key], key)[0], key
        mm_s = _best(1 if n >= 100_000 else repeat, marshmallow)
        mm_cell, ratio_cell = f"{mm_s:.3f}", f"{mm_s / fast_s:.1f}x"
    peak_mib, added_mib = _peak_mib(payload)
    return (
        f"{n:>8} {len(payload) / 1e6:>6.1f} {json_s:>7.3f} {validate_s:>8.3f} "
        f"{load_s:>8.3f} {rows / load_s:>9.0f} "
        f"{peak_mib:>9.1f} {added_mib:>9.1f} {fast_s:>11.3f} {mm_cell:>10} {ratio_cell:>8}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000", help="listings per side")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-marshmallow", action="store_true", help="skip the slow reference")
    parser.add_argument(
        "--wall", action="store_true", help="wall-clock time instead of this process's CPU time"
    )
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = time.perf_counter if args.wall else time.process_time
    clock = "wall-clock" if args.wall else "CPU"
    sizes = [int(size) for size in args.sizes.split(",")]
    source, generate = _generator()
    python = sys.version.split()[0]
    print(f"instances from {source}; {clock} seconds, best of {args.repeat}; python {python}")
    header = (
        f"{'n/side':>8} {'MB':>6} {'json s':>7} {'valid s':>8} {'load s':>8} {'rows/s':>9} "
        f"{'peak MiB':>9} {'+load MiB':>9} {'fast rows s':>11} {'mm rows s':>10} {'mm/fast':>8}"
    )
    print(header)
    print("-" * len(header))
    for n in sizes:
        data = generate(n, n, max(1, n // 2000), 7)
        print(_row(data, args.repeat, not args.no_marshmallow), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
