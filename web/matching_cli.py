"""The ``matching`` command group: ``flask --app web matching run | expire | send-notifications``.

Thin wrappers over :mod:`web.services.matching` and :mod:`web.services.notifications`; the
console script ``materialmatch nightly`` calls :func:`nightly_main`.  Exit status: 0 done,
1 the run failed (it is recorded as failed), 3 another run holds the lock.
"""

from __future__ import annotations

import sys
from datetime import date

import click
from flask import Flask
from flask.cli import AppGroup

EXIT_FAILED = 1
EXIT_LOCKED = 3

matching = AppGroup("matching", help="Nightly matching, proposal expiry and notification mail.")


def _summary(run) -> str:  # type: ignore[no-untyped-def]
    gap = f"{run.gap * 100:.3f} %" if run.gap is not None else "-"
    return (
        f"Run {run.id}: {run.solver_status}, {run.objective_eur:,.2f} EUR (gap {gap}); "
        f"{run.n_supply} supply, {run.n_demand} demand, {run.n_stock} stock lots, "
        f"{run.n_depots} depots -> {run.n_proposals} proposals, {run.units_proposed} units; "
        f"{run.n_superseded} superseded, {run.n_expired} expired; "
        f"solver {run.solve_seconds:.2f} s."
    )


def run_nightly(today: date | None = None, quiet: bool = False) -> int:
    """Run once inside an app context; print a summary; return the exit status."""
    from web.services.matching import RunInProgress, run_matching

    progress = None if quiet else (lambda line: click.echo(f"  {line}", err=True))
    try:
        run = run_matching(today=today, progress=progress)
    except RunInProgress:
        click.echo("Er loopt al een matching-run / another matching run is in progress.", err=True)
        return EXIT_LOCKED
    except Exception as exc:  # recorded as a failed run by the service
        click.echo(f"Matching-run mislukt / matching run failed: {exc}", err=True)
        return EXIT_FAILED
    click.echo(_summary(run))
    return 0


@matching.command("run")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Match as if it were this day (default: today).")
@click.option("--quiet", is_flag=True, help="Only the summary line.")
def run_command(today, quiet: bool) -> None:  # type: ignore[no-untyped-def]
    """Build the instance from the database, match, store the run and its proposals."""
    status = run_nightly(today.date() if today else None, quiet)
    if status:
        sys.exit(status)


@matching.command("expire")
def expire_command() -> None:
    """Expire unanswered proposals past their date and warn about those expiring soon."""
    from web.services.matching import expire_proposals

    n = expire_proposals()
    click.echo(f"{n} voorstellen verlopen / proposals expired.")


@matching.command("send-notifications")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
def send_command(limit: int) -> None:
    """E-mail unsent notifications when MAIL_SERVER is set (otherwise they stay on the site)."""
    from web.services.notifications import mail_configured, send_pending

    if not mail_configured():
        click.echo("MAIL_SERVER is niet ingesteld: berichten staan alleen op de site / "
                   "MAIL_SERVER not set: messages are shown on the site only.")
        return
    sent, failed = send_pending(limit)
    click.echo(f"{sent} verzonden, {failed} mislukt / sent, failed.")
    if failed:
        sys.exit(EXIT_FAILED)


def register(app: Flask) -> None:
    app.cli.add_command(matching)


def nightly_main(today: date | None = None) -> int:
    """``materialmatch nightly``: build the app from the environment and run once."""
    from web import create_app

    app = create_app()
    with app.app_context():
        return run_nightly(today)
