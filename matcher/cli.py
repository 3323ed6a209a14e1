"""The ``materialmatch`` command line: ``match``, ``validate`` and ``generate``.

Bad input anywhere (an unreadable file, malformed JSON, a broken rule of the spec) ends the
command with exit status 2, one ``error: location: message`` line per problem on stderr, and
nothing written.  Bad usage (an unknown option, a missing argument) is status 2 as well, from
click.  Where the solver itself fails (a numerical breakdown that HiGHS or a worker process
could not recover from), ``match`` ends with status 1, one ``error:`` line on stderr, and
nothing written.  The solver and the generator are imported inside their commands, so that
``validate`` starts without scipy and HiGHS.
"""

from __future__ import annotations

import importlib
import os
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from matcher.domain import Instance
from matcher.io import (
    InstanceError,
    Problem,
    load_instance,
    parse_instance,
    write_json_atomic,
    write_result,
)
from matcher.result import MatchResult

BAD_INPUT = 2  # the spec's exit status for refused input; click uses it for bad usage too
SOLVER_FAILED = 1  # the solver gave up on good input: nothing is written


def format_summary(
    result: MatchResult, instance: Instance | None = None, seconds: float | None = None
) -> str:
    """A short human summary of a matching result, one fact per line.

    Parameters
    ----------
    result : MatchResult
        The result to summarise.
    instance : Instance, optional
        The instance it answers.  With it, allocations from depot stock are told apart from
        supply routed through a depot; without it they are counted together.
    seconds : float, optional
        Wall time of the solve, shown when given.

    Returns
    -------
    str
        Status, objective with lower bound and gap, tonnes and units matched, the number of
        allocations by route kind, transport CO2, embodied CO2 avoided, leftovers, solve time.

    Examples
    --------
    >>> from matcher.result import CostBreakdown, Kpis, MatchResult
    >>> empty = MatchResult("optimal", 0.0, 0.0, CostBreakdown(), (), (), (), Kpis())
    >>> print(format_summary(empty).splitlines()[0])
    status:               optimal
    """
    units_matched = sum(a.quantity for a in result.allocations)
    units_unmet = sum(left.quantity for left in result.unmet_demand)
    units_demanded = units_matched + units_unmet
    units_left = sum(left.quantity for left in result.unmatched_supply)
    direct = sum(1 for a in result.allocations if a.depot_id is None)
    through_depot = len(result.allocations) - direct
    if instance is not None:
        stock_ids = {item.id for depot in instance.depots for item in depot.stock}
        from_stock = sum(1 for a in result.allocations if a.supply_id in stock_ids)
        routes = (
            f"{direct:,} direct, {through_depot - from_stock:,} via a depot, "
            f"{from_stock:,} from depot stock"
        )
    else:
        routes = f"{direct:,} direct, {through_depot:,} via a depot or from its stock"
    fraction = units_matched / units_demanded if units_demanded else 1.0
    kpis = result.kpis
    lines = [
        ("status", result.status),
        ("objective", f"{result.objective_eur:,.2f} EUR"),
        (
            "lower bound",
            f"{result.lower_bound_eur:,.2f} EUR (gap {100 * result.gap:.3f} %)",
        ),
        (
            "matched",
            f"{kpis.tonnes_reused:,.3f} t; {units_matched:,} of {units_demanded:,} units "
            f"demanded ({100 * fraction:.1f} %)",
        ),
        ("allocations", f"{len(result.allocations):,} ({routes})"),
        ("transport CO2", f"{kpis.transport_co2_kg:,.1f} kg"),
        ("embodied CO2 avoided", f"{kpis.embodied_co2_avoided_kg:,.1f} kg"),
        (
            "supply left over",
            f"{units_left:,} units in {len(result.unmatched_supply):,} listings",
        ),
        ("demand unmet", f"{units_unmet:,} units in {len(result.unmet_demand):,} listings"),
    ]
    if seconds is not None:
        lines.append(("solve time", f"{seconds:.2f} s"))
    width = max(len(label) for label, _ in lines) + 2
    return "\n".join(f"{label + ':':<{width}}{value}" for label, value in lines)


def _refuse(problems: Iterable[Problem | str]) -> NoReturn:
    """Print one ``error:`` line per problem on stderr and stop with the bad-input status."""
    for problem in problems:
        click.echo(f"error: {problem}", err=True)
    click.get_current_context().exit(BAD_INPUT)


def _load(path: Path) -> Instance:
    try:
        return load_instance(path)
    except InstanceError as error:
        _refuse(error.problems)


def _check_writable(path: Path) -> None:
    """Refuse an output path whose directory is missing or read-only, before any work."""
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        _refuse([f"{path}: cannot write: directory {directory} does not exist"])
    if not os.access(directory, os.W_OK):
        _refuse([f"{path}: cannot write: directory {directory} is not writable"])


def _progress(quiet: bool) -> Callable[[str], None] | None:
    if quiet:
        return None
    return lambda line: click.echo(line, err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="materialmatch")
def main() -> None:
    """MaterialMatch: match reclaimed building materials to the projects that need them.

    The instance and result formats are described in shared/spec/matching.md.  Bad input ends
    any command with exit status 2 and one "error: location: message" line per problem.
    """


@main.command("match")
@click.argument(
    "instance_path", metavar="INSTANCE.json", type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the result JSON here (atomically). Without -o nothing is written.",
)
@click.option(
    "--method",
    default=None,
    help="Solver method, passed to matcher.solve.match (default: the solver's own).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Processes that solve independent material families side by side (default: the"
    " MATERIALMATCH_WORKERS environment variable, else the number of CPUs).",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
def match_command(
    instance_path: Path,
    output: Path | None,
    method: str | None,
    workers: int | None,
    quiet: bool,
) -> None:
    """Match supply to demand in INSTANCE.json at the lowest total cost.

    Prints a short summary to stdout: status, objective, lower bound and gap, matched tonnes
    and units, allocations by route kind, CO2, leftovers and solve time.  Progress lines go to
    stderr unless --quiet.  The result JSON is written only with -o; without it the command
    writes no file and prints only the summary.
    """
    instance = _load(instance_path)
    if output is not None:
        _check_writable(output)
    from matcher.solve import SolverError, match  # lazy: scipy and HiGHS only when matching

    start = time.perf_counter()
    try:
        result = match(instance, method=method, progress=_progress(quiet), workers=workers)
    except ValueError as error:
        if method is None:
            raise
        raise click.BadParameter(str(error), param_hint="'--method'") from None
    except SolverError as error:
        click.echo(f"error: the solver failed: {error}", err=True)
        click.get_current_context().exit(SOLVER_FAILED)
    seconds = time.perf_counter() - start
    if output is not None:
        write_result(result, output)
    click.echo(format_summary(result, instance, seconds))


@main.command("validate")
@click.argument(
    "instance_path", metavar="INSTANCE.json", type=click.Path(dir_okay=False, path_type=Path)
)
def validate_command(instance_path: Path) -> None:
    """Check INSTANCE.json against every rule of the spec, without matching.

    Prints "OK: N supply, N demand, N depots, N materials", or one error line per problem on
    stderr and exits with status 2.
    """
    instance = _load(instance_path)
    click.echo(
        f"OK: {len(instance.supply)} supply, {len(instance.demand)} demand, "
        f"{len(instance.depots)} depots, {len(instance.materials)} materials"
    )


@main.command("generate")
@click.option(
    "--supply", "n_supply", type=click.IntRange(min=0), required=True, help="Supply listings."
)
@click.option(
    "--demand", "n_demand", type=click.IntRange(min=0), required=True, help="Demand listings."
)
@click.option(
    "--depots", "n_depots", type=click.IntRange(min=0), default=0, show_default=True, help="Depots."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same instance.")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The instance's today, YYYY-MM-DD (default: the generator's).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="Write the instance JSON here (atomically).",
)
@click.option(
    "--regime",
    default="default",
    show_default=True,
    help="Instance flavour, passed to matcher.generate: default, tight (depot room binds), "
    "substitution or nodepots.",
)
@click.option("-q", "--quiet", is_flag=True, help="No progress lines on stderr.")
def generate_command(
    n_supply: int,
    n_demand: int,
    n_depots: int,
    seed: int,
    today: datetime | None,
    output: Path,
    regime: str,
    quiet: bool,
) -> None:
    """Generate a random but plausible instance and write it to -o as JSON.

    The instance is validated before it is written; one the spec would refuse is a bug in the
    generator and ends the command with status 1, writing nothing.
    """
    _check_writable(output)
    from matcher.generate import generate_instance  # lazy: only this command needs it

    day: date | None = today.date() if today is not None else None
    try:
        data: dict[str, Any] = generate_instance(
            n_supply, n_demand, n_depots, seed, today=day, regime=regime, progress=_progress(quiet)
        )
    except ValueError as error:  # the generator's own argument checks, e.g. an unknown regime
        raise click.UsageError(str(error)) from None
    try:
        instance = parse_instance(data)
    except InstanceError as error:
        click.echo("error: the generator produced an instance the spec refuses:", err=True)
        for problem in error.problems:
            click.echo(f"error: {problem}", err=True)
        click.get_current_context().exit(1)
    write_json_atomic(data, output)
    click.echo(
        f"wrote {output}: {len(instance.supply)} supply, {len(instance.demand)} demand, "
        f"{len(instance.depots)} depots, {len(instance.materials)} materials"
    )


@main.command("nightly")
@click.option(
    "--today",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Match as if it were this day (default: today).",
)
def nightly_command(today: datetime | None) -> None:
    """Run the web application's nightly matching once (needs the web extra and DATABASE_URL).

    The same as ``flask --app web matching run``: exit status 0 done, 1 failed (recorded as a
    failed run), 3 another run holds the lock.
    """
    # Imported by name at run time: the matching core itself never imports Flask.
    web_cli = importlib.import_module("web.matching_cli")
    status = web_cli.nightly_main(today.date() if today is not None else None)
    click.get_current_context().exit(int(status))
