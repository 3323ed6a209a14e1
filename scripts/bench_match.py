"""Benchmark the matching core end to end and print markdown tables.

Usage::

    .venv/bin/python scripts/bench_match.py [--sizes 1000,10000,30000,100000] [--quick] [--no-peer]
                                            [--out FILE.md] [--timeout 1200] [--nx-timeout 300]
                                            [--spread-seeds 1,2,3,4,5] [--spread-size 10000]

For each size n (n supply and n demand listings from :func:`matcher.generate.generate_instance`,
seed ``--seed``), once without depots (regime ``nodepots``) and once with 20 depots (regime
``default``), the instance is written as JSON to a temporary directory and a fresh Python process
runs what ``materialmatch match`` runs: :func:`matcher.io.load_instance` on the file,
:func:`matcher.solve.match`, :func:`matcher.io.write_result`.  The first table has one row per run:

- ``routes``: routes listed (``stats["routes"]``), and whether depot routes were listed up front,
  priced implicitly, or the instance was solved family by family (``stats["depot_routes"]``);
- ``load s``: JSON parse and validation; ``tables+routes s``: numpy tables and candidate routes
  (``tables_seconds + routes_seconds``); ``solve s``: the optimisation (``solve_seconds``);
  ``result s``: assembling allocations and KPIs; ``write s``: :func:`write_result`;
  ``end to end s``: load + match + write, wall clock, in the child (interpreter start and imports
  excluded); ``CPU s``: the CPU time of the same, worker processes included (much below the
  wall time when other work competes for the cores; above it when workers run side by side).
  Where independent parts ran in worker processes (``routes`` says how many), the tables,
  routes and solve times are summed over the parts: work done, not wall time;
- ``peak MiB``: the child's peak resident memory, or where larger, that of the child and its
  own worker processes together (``match`` solves independent parts in worker processes;
  every 0.2 s the orchestrator sums the process tree's proportional set sizes, ``Pss`` in
  ``/proc/<pid>/smaps_rollup``, in which a page that a forked worker shares with its parent
  counts once, not in each; until 2026-12-06 it summed resident memory, which counted such
  pages twice and read 0.4-0.5 GB high at 100k listings a side).  The child's own is read
  from ``VmHWM`` in
  ``/proc/self/status`` rather than ``getrusage(RUSAGE_SELF).ru_maxrss``: on Linux the latter
  carries the *parent's* high-water mark into a child across fork and exec (a 500 MiB parent
  makes a 13 MiB child report 514 MiB), so it would measure the orchestrator, not the run.
  Where ``/proc`` is missing, ``ru_maxrss`` is the fallback;
- the objective, the status and the gap ((objective - lower bound) / |lower bound|).

The second table compares each run, in the same benchmark run, with

- networkx's min-cost flow (``match(method="networkx")``, depot-free instances only), run where
  n <= ``--nx-max`` and within ``--nx-timeout`` seconds: its solve time, the ratio networkx /
  ours (solve times; both build the same routes first), and its objective minus ours.  networkx
  solves with costs rounded to whole cents per unit, so its objective may differ from ours by up
  to half a cent per unit moved by either solution; that bound is printed beside the difference;
- the greedy nearest-first baseline of ``scripts/greedy_baseline.py`` (a browse-and-contact
  marketplace: direct routes only, demands in order of ``needed_from``): its objective and the
  excess (greedy - optimum) / optimum.

The third table runs ``--spread-size`` listings (10k) with 20 depots once per seed of
``--spread-seeds`` (1 to 5): end to end and solve time, LP rounds (one problem) or price rounds
(family by family), how whole units were found (``stats["rounding"]``), status, gap and peak
memory (as in the first table).  The first table's one seed can be a lucky or an unlucky one;
this shows how much the time depends on the instance, not only on its size.  ``make
bench-spread`` runs it alone at 100k listings a side (``--sizes '' --no-peer --spread-size
100000``: some 7 minutes), where the depots of some seeds bind far harder than seed 1's.

The fourth table solves the structuralCircle peer instances from
``../shared/peer/structuralcircle`` (beside the repository; never committed into it) and checks
each objective against the optimum published in that folder's README.

The header line and the last line each carry a **calibration**: the best and the median of
three timings of three fixed, single-core workloads, a pure-Python loop, a LEMON min-cost flow
on a fixed random transportation network (the kind of solve that takes most of the large runs'
time) and random reads over 128 MiB of memory.  This
machine's speed varies from hour to hour (the same code took 56-59 s on the 100k instance and
7.2 s on the 30k one night, 88-99 s and 13.2 s the next), so times from different runs compare
only with their calibrations beside them.

Every run is its own subprocess with a timeout (``--timeout``, 1200 s by default: 100k listings
a side with 20 depots takes one to two minutes here, and the full run stays under 45 minutes on
a 2-core machine even when a run does not finish); a run that does not finish shows "timeout" in
its row, with the peak memory it had reached.  Progress goes to stderr, tables to stdout (and to
``--out``).  Nothing is asserted about speed: this prints numbers.
"""

from __future__ import annotations

import argparse
import collections
import gzip
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parents[1]
PEER_DIR = REPO.parent / "shared" / "peer" / "structuralcircle"
REGIMES = (("nodepots", 0), ("default", 20))
MATCH_TOLERANCE_EUR = 0.01  # |ours - published| below this counts as the same optimum


# ---------------------------------------------------------------------------------------------
# Workers: each runs in a fresh interpreter and prints one JSON object as its last stdout line
# ---------------------------------------------------------------------------------------------


def _peak_mib() -> float:
    """Peak resident memory of this process (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        status = ""
    found = re.search(r"VmHWM:\s+(\d+)\s+kB", status)
    if found:
        return int(found.group(1)) / 1024
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024 * 1024) if sys.platform == "darwin" else rss / 1024


def _children_cpu_s() -> float:
    """CPU time of this process's finished children (the worker processes of ``match``)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _progress(label: str) -> Callable[[str], None]:
    """A progress callback for stderr that lets a solver round through every 10 s at most."""
    last = [0.0]

    def say(message: str) -> None:
        now = time.monotonic()
        if message.startswith("round") and now - last[0] < 10.0:
            return
        last[0] = now
        print(f"  [{label}] {message}", file=sys.stderr, flush=True)

    return say


def _load(path: str) -> Any:
    from matcher.io import load_instance

    if path.endswith(".gz"):
        with gzip.open(path, "rb") as handle:
            return load_instance(handle)
    return load_instance(path)


def _worker_generate(n: str, regime: str, depots: str, seed: str, path: str) -> dict[str, Any]:
    from matcher.generate import generate_instance

    start = time.perf_counter()
    data = generate_instance(int(n), int(n), int(depots), int(seed), regime=regime)
    payload = orjson.dumps(data)
    Path(path).write_bytes(payload)
    return {"seconds": time.perf_counter() - start, "mb": len(payload) / 1e6}


def _worker_run(path: str, out: str, label: str) -> dict[str, Any]:
    from matcher.io import write_result
    from matcher.solve import match

    start, start_cpu = time.perf_counter(), time.process_time()
    instance = _load(path)
    loaded = time.perf_counter()
    result = match(instance, progress=_progress(label))
    matched = time.perf_counter()
    write_result(result, out)
    written = time.perf_counter()
    stats = result.stats
    return {
        "load_s": loaded - start,
        "match_s": matched - loaded,
        "write_s": written - matched,
        "end_to_end_s": written - start,
        "end_to_end_cpu_s": time.process_time() - start_cpu + _children_cpu_s(),
        "workers": stats.get("workers", 1),
        "tables_s": stats.get("tables_seconds"),
        "routes_s": stats.get("routes_seconds"),
        "solve_s": stats.get("solve_seconds"),
        "result_s": stats.get("result_seconds"),
        "routes": stats.get("routes"),
        "useful_routes": stats.get("useful_routes"),
        "depot_routes": stats.get("depot_routes"),
        "lp_rounds": stats.get("lp_rounds"),
        "price_rounds": stats.get("price_rounds"),  # (full rounds, which price every route)
        "restricted_rounds": stats.get("restricted_rounds"),
        "rounding": stats.get("rounding"),
        "objective": result.objective_eur,
        "lower_bound": result.lower_bound_eur,
        "status": result.status,
        "gap": result.gap,
        "units": sum(a.quantity for a in result.allocations),
        "supply": len(instance.supply),
        "demand": len(instance.demand),
        "peak_mib": _peak_mib(),
    }


def _worker_networkx(path: str, label: str) -> dict[str, Any]:
    from matcher.solve import match

    instance = _load(path)
    start = time.perf_counter()
    result = match(instance, method="networkx", progress=_progress(label))
    return {
        "match_s": time.perf_counter() - start,
        "solve_s": result.stats.get("solve_seconds"),
        "objective": result.objective_eur,
        "units": sum(a.quantity for a in result.allocations),
        "peak_mib": _peak_mib(),
    }


def _worker_greedy(path: str) -> dict[str, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from greedy_baseline import greedy_match

    result = greedy_match(_load(path))
    return {
        "seconds": result.seconds,
        "objective": result.objective_eur,
        "allocations": int(result.qty.size),
        "candidates": result.candidate_routes,
        "peak_mib": _peak_mib(),
    }


WORKERS: dict[str, Callable[..., dict[str, Any]]] = {
    "generate": _worker_generate,
    "run": _worker_run,
    "networkx": _worker_networkx,
    "greedy": _worker_greedy,
}


# ---------------------------------------------------------------------------------------------
# The orchestrator: starts workers, keeps their progress on stderr, collects their answers
# ---------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What a worker returned, or why it did not."""

    data: dict[str, Any] | None = None
    failure: str | None = None  # "timeout (600 s)" or "error: ..."
    seconds: float = 0.0
    peak_mib: float | None = None  # also known for a run stopped by its timeout
    tail: list[str] = field(default_factory=list)


def _vm_hwm_mib(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmHWM:\s+(\d+)\s+kB", status)
    return int(found.group(1)) / 1024 if found else None


def _tree_memory_mib(pid: int) -> float:
    """Memory of ``pid`` and all its descendants now: the sum of their proportional set sizes
    (``Pss`` in ``/proc/<pid>/smaps_rollup``), in which a page that a forked worker still
    shares with its parent counts once, split between them; resident memory (``VmRSS``, which
    counts such a page in each) where a process has no ``smaps_rollup``; 0 where /proc is
    missing."""
    total_kb, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                todo.extend(int(c) for c in (task / "children").read_text().split())
            try:
                found = re.search(
                    r"^Pss:\s+(\d+)\s+kB", Path(f"/proc/{p}/smaps_rollup").read_text(), re.M
                )
            except OSError:
                found = re.search(r"VmRSS:\s+(\d+)\s+kB", Path(f"/proc/{p}/status").read_text())
        except OSError:
            continue
        total_kb += int(found.group(1)) if found else 0
    return total_kb / 1024


def _sample_tree(pid: int, peak: list[float], stop: threading.Event) -> None:
    """Keep in ``peak[0]`` the most memory the process tree held at once, every 0.2 s."""
    while not stop.wait(0.2):
        peak[0] = max(peak[0], _tree_memory_mib(pid))


def _forward(stream: Any, tail: collections.deque[str]) -> None:
    for line in stream:
        tail.append(line.rstrip("\n"))
        sys.stderr.write(line)
        sys.stderr.flush()


def _start(kind: str, args: Sequence[str], timeout_s: float) -> Outcome:
    """Run one worker in a fresh interpreter; its stderr is passed through as progress."""
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, *args]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
    }
    start = time.perf_counter()
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env
    )
    tail: collections.deque[str] = collections.deque(maxlen=5)
    chunks: list[str] = []
    readers = [
        threading.Thread(target=_forward, args=(proc.stderr, tail), daemon=True),
        threading.Thread(target=lambda: chunks.append(proc.stdout.read()), daemon=True),  # type: ignore[union-attr]
    ]
    tree_peak, stop = [0.0], threading.Event()
    sampler = threading.Thread(target=_sample_tree, args=(proc.pid, tree_peak, stop), daemon=True)
    for reader in readers:
        reader.start()
    sampler.start()
    outcome = Outcome()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        outcome.peak_mib = max(_vm_hwm_mib(proc.pid) or 0.0, tree_peak[0])
        proc.kill()
        proc.wait()
        outcome.failure = f"timeout ({timeout_s:.0f} s)"
    stop.set()
    sampler.join()
    for reader in readers:
        reader.join()
    outcome.seconds = time.perf_counter() - start
    outcome.tail = list(tail)
    if outcome.failure is None:
        lines = "".join(chunks).strip().splitlines()
        if proc.returncode != 0 or not lines:
            last = tail[-1] if tail else f"exit status {proc.returncode}"
            outcome.failure = f"error: {last[:120]}"
        else:
            outcome.data = orjson.loads(lines[-1])
            # the worker's own high-water mark, or the whole tree's (worker processes included)
            # where that was larger at some sample
            outcome.peak_mib = max(outcome.data.get("peak_mib") or 0.0, tree_peak[0])
    return outcome


# ---------------------------------------------------------------------------------------------
# Formatting
# ---------------------------------------------------------------------------------------------


def _s(value: float | None, digits: int = 2) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _eur(value: float | None) -> str:
    return "–" if value is None else f"{value:,.2f}"


def _count(value: int | None) -> str:
    return "–" if value is None else f"{value:,}"


def _rounds(full: int | None, restricted: int | None) -> str:
    """Price rounds in all, and in brackets those that priced every route."""
    return "–" if full is None else f"{full + (restricted or 0)} ({full} full)"


def _table(header: Sequence[str], rows: Sequence[Sequence[str]], right_from: int = 1) -> str:
    align = ["---" if i < right_from else "---:" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _size(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 and n >= 1000 else str(n)


# ---------------------------------------------------------------------------------------------
# The generated instances
# ---------------------------------------------------------------------------------------------


@dataclass
class Case:
    n: int
    regime: str
    depots: int
    path: Path
    generated: Outcome | None = None
    run: Outcome | None = None
    nx: Outcome | None = None
    nx_note: str = ""
    greedy: Outcome | None = None


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _measure(case: Case, args: argparse.Namespace, workdir: Path) -> None:
    label = f"{_size(case.n)} x {_size(case.n)}, {case.depots} depots"
    _say(f"== {label}: generating")
    case.generated = _start(
        "generate",
        [str(case.n), case.regime, str(case.depots), str(args.seed), str(case.path)],
        args.timeout,
    )
    if case.generated.data is None:
        return
    _say(
        f"== {label}: {case.generated.data['mb']:.1f} MB instance in "
        f"{case.generated.data['seconds']:.1f} s; matching"
    )
    case.run = _start("run", [str(case.path), str(workdir / "result.json"), label], args.timeout)
    _say(f"== {label}: {case.run.failure or 'done'} ({case.run.seconds:.1f} s)")
    if case.depots:
        case.nx_note = "n/a (depots)"
    elif case.n > args.nx_max:
        case.nx_note = f"not run (n > {_size(args.nx_max)})"
    else:
        _say(f"== {label}: networkx min-cost flow (cap {args.nx_timeout:.0f} s)")
        case.nx = _start("networkx", [str(case.path), label + ", networkx"], args.nx_timeout)
        _say(f"== {label}: networkx {case.nx.failure or 'done'} ({case.nx.seconds:.1f} s)")
    _say(f"== {label}: greedy nearest-first")
    case.greedy = _start("greedy", [str(case.path)], args.timeout)
    _say(f"== {label}: greedy {case.greedy.failure or 'done'} ({case.greedy.seconds:.1f} s)")
    case.path.unlink(missing_ok=True)


def _spread_rows(args: argparse.Namespace, workdir: Path) -> list[list[str]]:
    """One row per seed of ``--spread-seeds`` for ``--spread-size`` listings with 20 depots:
    how much the time depends on the instance, not only on its size."""
    n, rows, times = args.spread_size, [], []
    for seed in [int(s) for s in args.spread_seeds.split(",") if s]:
        label = f"{_size(n)} x {_size(n)}, 20 depots, seed {seed}"
        path = workdir / f"spread-{seed}.json"
        _say(f"== {label}: generating and matching")
        run = _start("generate", [str(n), "default", "20", str(seed), str(path)], args.timeout)
        if run.data is not None:
            run = _start("run", [str(path), str(workdir / "result.json"), label], args.timeout)
        path.unlink(missing_ok=True)
        peak = f"{run.peak_mib:,.0f}" if run.peak_mib else "–"
        if run.data is None:
            rows.append([str(seed), run.failure or "–", *["–"] * 6, peak])
            continue
        d = run.data
        times.append(d["end_to_end_s"])
        rows.append(
            [
                str(seed),
                _s(d["end_to_end_s"]),
                _s(d["solve_s"]),
                _count(d["lp_rounds"]),
                _rounds(d.get("price_rounds"), d.get("restricted_rounds")),
                d.get("rounding") or "–",
                d["status"],
                f"{d['gap']:.2e}" if d["gap"] else "0",
                peak,
            ]
        )
    if times:
        spread = f"{min(times):.2f} / {statistics.median(times):.2f} / {max(times):.2f}"
        rows.append(["min / median / max", spread, *[""] * 7])
    return rows


def _main_row(case: Case) -> list[str]:
    size = f"{_size(case.n)} × {_size(case.n)}"
    run = case.run
    if run is None or run.data is None:
        why = (run.failure if run else None) or (case.generated.failure if case.generated else "")
        peak = _s(run.peak_mib, 0) if run else "–"
        return [size, str(case.depots), why or "–", *["–"] * 7, peak, "–", "–", "–"]
    d = run.data
    build = None if d["tables_s"] is None else d["tables_s"] + d["routes_s"]
    notes = [d["depot_routes"]] if case.depots else []
    if (d.get("workers") or 1) > 1:
        notes.append(f"{d['workers']} workers")
    mode = f" ({', '.join(notes)})" if notes else ""
    return [
        size,
        str(case.depots),
        f"{_count(d['routes'])}{mode}",
        _s(d["load_s"]),
        _s(build),
        _s(d["solve_s"]),
        _s(d["result_s"]),
        _s(d["write_s"]),
        _s(d["end_to_end_s"]),
        _s(d["end_to_end_cpu_s"]),
        _s(run.peak_mib, 0),
        _eur(d["objective"]),
        d["status"],
        f"{d['gap']:.2e}" if d["gap"] else "0",
    ]


def _reference_row(case: Case) -> list[str]:
    size = f"{_size(case.n)} × {_size(case.n)}"
    ours = case.run.data if case.run and case.run.data else None
    nx_time = nx_ratio = nx_diff = "–"
    if case.nx is None:
        nx_time = case.nx_note or "–"
    elif case.nx.data is None:
        nx_time = case.nx.failure or "–"
    else:
        nx = case.nx.data
        nx_time = _s(nx["solve_s"])
        if ours:
            nx_ratio = f"{nx['solve_s'] / max(ours['solve_s'], 1e-9):.0f}×"
            # networkx is optimal for costs rounded to cents: each unit moved by either solution
            # may be off by half a cent, which bounds how far its objective may be from ours.
            bound = 0.005 * (nx["units"] + ours["units"])
            nx_diff = f"{nx['objective'] - ours['objective']:+,.2f} (rounding: ±{bound:,.2f})"
    g = case.greedy.data if case.greedy and case.greedy.data else None
    greedy_cost = _eur(g["objective"]) if g else (case.greedy.failure if case.greedy else "–")
    excess = "–"
    if g and ours and ours["objective"] > 0:
        excess = f"{(g['objective'] - ours['objective']) / ours['objective'] * 100:+.1f} %"
    return [
        size,
        str(case.depots),
        _s(ours["solve_s"]) if ours else "–",
        nx_time,
        nx_ratio,
        nx_diff,
        greedy_cost or "–",
        excess,
        _s(g["seconds"]) if g else "–",
    ]


# ---------------------------------------------------------------------------------------------
# The structuralCircle peer instances
# ---------------------------------------------------------------------------------------------


def published_optima(readme: str) -> dict[str, tuple[float, float | None]]:
    """The README's table: instance name -> (published optimum, the peer's time in s or None).

    A row may name several instances at once (``a / b / c`` with optima ``x / y / z``).
    """
    found: dict[str, tuple[float, float | None]] = {}
    for line in readme.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not re.match(r"^[\d.]+( / [\d.]+)*$", cells[2]):
            continue
        names = [name.strip() for name in cells[0].split("/")]
        optima = [float(value) for value in cells[2].split("/")]
        timed = re.search(r",\s*([\d.]+)\s*s\b", cells[3])
        peer_s = float(timed.group(1)) if timed else None
        if len(names) != len(optima):
            continue
        for name, optimum in zip(names, optima, strict=True):
            found[name] = (optimum, peer_s)
    return found


def _peer_rows(args: argparse.Namespace, workdir: Path) -> list[list[str]] | str:
    readme = PEER_DIR / "README.md"
    if not readme.is_file():
        return f"(peer instances not found at {PEER_DIR}; table skipped)"
    optima = published_optima(readme.read_text())
    rows: list[list[str]] = []
    for path in sorted(PEER_DIR.glob("*.json.gz")):
        name = path.name.removesuffix(".json.gz")
        _say(f"== peer {name}")
        outcome = _start("run", [str(path), str(workdir / "peer-result.json"), name], args.timeout)
        expected, peer_s = optima.get(name, (None, None))
        d = outcome.data
        if d is None:
            rows.append(
                [name, "–", outcome.failure or "–", _eur(expected), "–", "–", "–", _s(peer_s)]
            )
            continue
        same = (
            "–"
            if expected is None
            else ("yes" if abs(d["objective"] - expected) < MATCH_TOLERANCE_EUR else "NO")
        )
        rows.append(
            [
                name,
                f"{d['supply']:,} × {d['demand']:,}",
                _eur(d["objective"]),
                _eur(expected),
                same,
                _s(d["load_s"]),
                _s(d["match_s"]),
                _s(peer_s),
            ]
        )
    return rows


# ---------------------------------------------------------------------------------------------
# main
# ---------------------------------------------------------------------------------------------


def _machine() -> str:
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=REPO, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        described = "?"
    cpu = platform.processor() or platform.machine()
    try:
        model = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
        cpu = model.group(1).strip() if model else cpu
    except OSError:
        pass
    return (
        f"{time.strftime('%Y-%m-%d %H:%M')}, commit {described}, "
        f"python {platform.python_version()}, {os.cpu_count()} CPUs ({cpu}), "
        f"load average {_load_average()}"
    )


def _calibration() -> str:
    """The best and the median of three timings of three fixed single-core workloads: how fast
    this machine is now, to set beside the run's own times.  The third reads memory at random
    (a gather over 128 MiB): on 2026-12-06 the first two read as the day before while 10k
    listings a side with 20 depots took 4.1-4.8 s against 2.7-2.8 s with the same code, so
    what slowed down was not the CPU's own speed."""
    import numpy as np
    from pylmcf.pylmcf_cpp import CGraph

    def python_loop() -> None:
        total = 0
        for i in range(5_000_000):
            total += i

    # a transportation problem: 5,000 senders, 5,000 receivers, 150,000 arcs, a sink for
    # what is not sent
    rng = np.random.default_rng(2026)
    n = 5_000
    starts = rng.integers(0, n, 150_000)
    ends = n + rng.integers(0, n, 150_000)
    sink = 2 * n
    starts = np.concatenate([starts, np.arange(n), np.full(n, sink)])
    ends = np.concatenate([ends, np.full(n, sink), np.arange(n, 2 * n)])
    cost = np.concatenate([rng.integers(1, 10**6, 150_000), np.full(2 * n, 10**6)])
    order = np.lexsort((ends, starts))
    supply = np.concatenate([rng.integers(1, 100, n), -rng.integers(1, 100, n), [0]])
    supply[sink] = -supply[:sink].sum()

    def lemon() -> None:
        graph = CGraph(2 * n + 1, starts[order].astype(np.int64), ends[order].astype(np.int64))
        graph.set_node_supply(supply.astype(np.int64))
        graph.set_edge_capacities(np.full(order.size, 10**6, np.int64))
        graph.set_edge_costs(cost[order].astype(np.int64))
        graph.solve()

    values = rng.random(1 << 24)
    at = rng.integers(0, values.size, values.size)

    def gather() -> None:
        values[at].sum()

    def three(work: Callable[[], None]) -> str:
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            work()
            times.append(time.perf_counter() - t0)
        return f"{min(times):.2f} / {sorted(times)[1]:.2f} s"

    return (
        "calibration (best / median of 3, one core): Python loop"
        f" {three(python_loop)}, LEMON min-cost flow {three(lemon)},"
        f" random memory reads {three(gather)}"
    )


def _load_average() -> str:
    try:
        return " / ".join(f"{value:.1f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,30000,100000", help="listings per side")
    parser.add_argument("--quick", action="store_true", help="1k and 10k only")
    parser.add_argument("--no-peer", action="store_true", help="skip the structuralCircle table")
    parser.add_argument("--out", type=Path, help="also write the tables to this markdown file")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--spread-seeds", default="1,2,3,4,5", help="seeds of the spread table ('' skips it)"
    )
    parser.add_argument("--spread-size", type=int, default=10_000, help="listings per side there")
    parser.add_argument("--timeout", type=float, default=1200.0, help="seconds per run")
    parser.add_argument("--nx-timeout", type=float, default=300.0, help="seconds for networkx")
    parser.add_argument("--nx-max", type=int, default=10_000, help="largest n given to networkx")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        kind, *rest = args.worker
        print(orjson.dumps(WORKERS[kind](*rest)).decode())
        return 0
    sizes = [1000, 10000] if args.quick else [int(size) for size in args.sizes.split(",") if size]

    started = time.perf_counter()
    sections = [
        f"Matching benchmark: {_machine()}; seed {args.seed}, timeout {args.timeout:.0f} s per"
        f" run; {_calibration()}."
    ]
    with tempfile.TemporaryDirectory(prefix="bench_match-") as tmp:
        workdir = Path(tmp)
        cases = [
            Case(n, regime, depots, workdir / f"instance-{n}-{regime}.json")
            for n in sizes
            for regime, depots in REGIMES
        ]
        for case in cases:
            _measure(case, args, workdir)
        if cases:  # (none with --sizes '': the spread table alone)
            sections.append(
                "### Production solver (n supply × n demand listings)\n\n"
                + _table(
                    [
                        "listings",
                        "depots",
                        "routes",
                        "load s",
                        "tables+routes s",
                        "solve s",
                        "result s",
                        "write s",
                        "end to end s",
                        "CPU s",
                        "peak MiB",
                        "objective EUR",
                        "status",
                        "gap",
                    ],
                    [_main_row(case) for case in cases],
                    right_from=1,
                )
            )
            sections.append(
                "### Against networkx min-cost flow and a greedy nearest-first marketplace\n\n"
                + _table(
                    [
                        "listings",
                        "depots",
                        "our solve s",
                        "networkx solve s",
                        "networkx / ours",
                        "networkx - ours EUR",
                        "greedy EUR",
                        "greedy excess",
                        "greedy s",
                    ],
                    [_reference_row(case) for case in cases],
                )
            )
        if args.spread_seeds:
            sections.append(
                f"### {_size(args.spread_size)} × {_size(args.spread_size)} listings with 20"
                " depots, one run per seed\n\n"
                + _table(
                    [
                        "seed",
                        "end to end s",
                        "solve s",
                        "LP rounds",
                        "price rounds",
                        "rounding",
                        "status",
                        "gap",
                        "peak MiB",
                    ],
                    _spread_rows(args, workdir),
                )
            )
        if not args.no_peer:
            peer = _peer_rows(args, workdir)
            if isinstance(peer, str):
                sections.append(peer)
            else:
                sections.append(
                    "### structuralCircle peer instances (optimum from its README)\n\n"
                    + _table(
                        [
                            "instance",
                            "supply × demand",
                            "our objective",
                            "published optimum",
                            "same",
                            "our load s",
                            "our match s",
                            "peer's time s",
                        ],
                        peer,
                    )
                )
    sections.append(
        f"Benchmark wall time: {time.perf_counter() - started:.0f} s; load average at the end "
        f"{_load_average()} (other work on the machine inflates wall times, not CPU times);"
        f" {_calibration()} at the end."
    )
    text = "\n\n".join(sections) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
