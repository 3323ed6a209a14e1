"""The nightly run: one transaction, never two at once, deterministic, failures recorded,
a SIGKILL half-way changes nothing, promised depot capacity is respected."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.web.matching_builders import day, dump_tables, make_demand, make_depot, make_supply

ROOT = Path(__file__).resolve().parents[2]


def _allocations(run) -> list[tuple]:  # type: ignore[no-untyped-def]
    return sorted((p.supply_id, p.source_lot_id, p.demand_id, p.depot_id, p.quantity,
                   p.pickup_date, p.delivery_date) for p in run.proposals)


@pytest.fixture
def market(app, users, project, other_project):  # type: ignore[no-untyped-def]
    """A few supplies and demands of tiles and steel, some needing the depot."""
    depot = make_depot(users["coord"], [users["depot"]])
    make_supply(users["lead"], project, quantity=400)
    make_supply(users["lead"], project, quantity=120, available_from=day(2).isoformat(),
                available_until=day(6).isoformat())
    make_supply(users["other_lead"], other_project, quantity=90, condition="A")
    make_demand(users["other_lead"], other_project, quantity=250)
    make_demand(users["lead"], project, quantity=150, needed_from=day(20).isoformat(),
                needed_until=day(25).isoformat())
    make_demand(users["other_lead"], other_project, quantity=60, min_condition="A",
                needed_from=day(45).isoformat(), needed_until=day(70).isoformat())
    return depot


def test_running_twice_on_unchanged_data_proposes_the_same_matches(market, db):
    from web.models import Notification, ProposalStatus
    from web.services import matching

    first = matching.run_matching()
    assert first.n_proposals >= 3
    notes = db.session.scalar(select(func.count()).select_from(Notification))
    second = matching.run_matching()
    assert _allocations(second) == _allocations(first)
    assert second.instance_sha256 == first.instance_sha256
    assert {p.status for p in first.proposals} == {ProposalStatus.SUPERSEDED}
    assert second.n_superseded == first.n_proposals
    # the same proposal again is not news: nobody gets a second message
    assert db.session.scalar(select(func.count()).select_from(Notification)) == notes


def test_a_half_accepted_proposal_keeps_its_answer_and_expiry_in_the_next_run(market, users):
    from web.models import Decision
    from web.services import matching

    first = matching.run_matching()
    p = next(p for p in first.proposals if p.supply.created_by_id == users["lead"].id)
    matching.accept_proposal(users["lead"], p.id)
    second = matching.run_matching()
    (q,) = [x for x in second.proposals if (x.supply_id, x.demand_id) == (p.supply_id, p.demand_id)]
    assert q.supplier_decision == Decision.ACCEPTED and q.receiver_decision == Decision.PENDING
    assert q.expires_at == p.expires_at


def test_a_run_that_fails_changes_nothing_and_is_recorded_as_failed(market, db, monkeypatch):
    import matcher.solve
    from web.models import MatchRun, Proposal
    from web.services import matching

    matching.run_matching()
    before = dump_tables(db.engine)

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("solver exploded")

    monkeypatch.setattr(matcher.solve, "match", broken)
    with pytest.raises(RuntimeError):
        matching.run_matching()
    after = dump_tables(db.engine)
    assert {k: v for k, v in after.items() if k != "match_run"} == {
        k: v for k, v in before.items() if k != "match_run"}
    runs = db.session.scalars(select(MatchRun).order_by(MatchRun.id)).all()
    assert [r.status for r in runs] == ["succeeded", "failed"]
    assert "solver exploded" in runs[-1].error
    assert db.session.scalar(select(func.count()).where(Proposal.run_id == runs[-1].id)) == 0


def test_two_runs_never_overlap(market, app, monkeypatch):
    import matcher.solve
    from web.services import matching

    real_match = matcher.solve.match
    entered, release = threading.Event(), threading.Event()

    def slow(*args, **kwargs):  # type: ignore[no-untyped-def]
        entered.set()
        release.wait(30)
        return real_match(*args, **kwargs)

    monkeypatch.setattr(matcher.solve, "match", slow)
    outcome: dict[str, object] = {}

    def first() -> None:
        with app.app_context():
            outcome["first"] = matching.run_matching().id

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert entered.wait(30)
        with pytest.raises(matching.RunInProgress):
            matching.run_matching()
    finally:
        release.set()
        thread.join(60)
    assert isinstance(outcome["first"], int)
    monkeypatch.setattr(matcher.solve, "match", real_match)
    assert matching.run_matching().id > outcome["first"]  # the lock is free again


def test_the_cli_runs_the_nightly_matching(market, runner):
    result = runner.invoke(args=["matching", "run", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "proposals" in result.output and result.output.startswith("Run ")
    expired = runner.invoke(args=["matching", "expire"])
    assert expired.exit_code == 0 and "0 " in expired.output


def _kill_half_way(app, env_extra=None) -> None:  # type: ignore[no-untyped-def]
    env = dict(os.environ)
    env.update(
        SECRET_KEY="test-secret", DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        MM_TEST_PAUSE_BEFORE_COMMIT="120", **(env_extra or {}),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "web", "matching", "run"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    lines: list[str] = []
    paused = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "MM_PAUSED_BEFORE_COMMIT" in line:
                paused.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert paused.wait(120), "".join(lines)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_run_killed_before_its_commit_leaves_the_database_exactly_as_before(market, app, db):
    from web.models import MatchRun, RunStatus
    from web.services import matching

    first = matching.run_matching()  # so that there are proposals to supersede
    assert first.n_proposals > 0
    proposed = _allocations(first)
    db.session.remove()
    before = dump_tables(db.engine)
    _kill_half_way(app)
    assert dump_tables(db.engine) == before
    # the next run notices the killed one (from its marker file) and records it as failed
    deadline = time.monotonic() + 30
    while True:  # PostgreSQL drops a dead client's advisory lock a moment later
        try:
            run = matching.run_matching()
            break
        except matching.RunInProgress:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    runs = db.session.scalars(select(MatchRun).order_by(MatchRun.id)).all()
    assert [r.status for r in runs] == [RunStatus.SUCCEEDED, RunStatus.FAILED,
                                        RunStatus.SUCCEEDED]
    assert "interrupted" in runs[1].error and runs[2].id == run.id
    assert _allocations(run) == proposed


def test_capacity_promised_to_accepted_routes_is_kept_free(app, users, project, other_project, db):
    """A depot of 1.5 m3; a first route takes 1.2 m3 (296 tiles) from day 20 to 40.  A second,
    identical pair then finds only 0.3 m3 left, so at most 74 of its tiles go through."""
    from web.models import Material
    from web.services import depots, matching

    m3 = db.session.get(Material, "tile-30x30").m3_per_unit
    depot = make_depot(users["coord"], [users["depot"]], capacity_m3=1.5)
    late = dict(needed_from=day(40).isoformat(), needed_until=day(60).isoformat())
    early = dict(available_from=day(10).isoformat(), available_until=day(20).isoformat())
    make_supply(users["lead"], project, quantity=296, **early)
    make_demand(users["other_lead"], other_project, quantity=296, **late)
    (p,) = matching.run_matching().proposals
    assert p.route == "depot" and p.quantity == 296
    matching.accept_proposal(users["lead"], p.id)
    matching.accept_proposal(users["other_lead"], p.id)

    make_supply(users["lead"], project, quantity=296, **early)
    make_demand(users["other_lead"], other_project, quantity=296, **late)
    built = matching.build_instance()
    assert built.promised_m3[depot.id] == pytest.approx(296 * m3)
    # the instance keeps the real capacity; the promise goes to the matcher day by day
    assert built.data["depots"][0]["capacity_m3"] == pytest.approx(1.5)
    (key,) = built.reserved_m3
    assert [(d.isoformat(), round(v, 9)) for d, v in built.reserved_m3[key]] == [
        (date.today().isoformat(), 0.0),
        (day(20).isoformat(), round(296 * m3, 9)),
        (day(40).isoformat(), 0.0),
    ]
    run = matching.run_matching()
    through = [q for q in run.proposals if q.route == "depot"]
    assert sum(q.quantity for q in through) == int((1.5 - 296 * m3) / m3 + 1e-9)
    for q in through:  # and each of them can really be accepted
        matching.accept_proposal(users["coord"], q.id, side="supplier")
        matching.accept_proposal(users["coord"], q.id, side="receiver")
    peak = max(u.present_m3 for u in depots.capacity_use(depot.id, days=70))
    assert peak <= 1.5 + 1e-9


def test_expired_proposals_end_and_parties_are_warned_first(market, users, db):
    from web.models import Notification, ProposalStatus
    from web.services import matching

    run = matching.run_matching()
    p = run.proposals[0]
    created = datetime.now(UTC)
    assert p.expires_at.replace(tzinfo=UTC) > created + timedelta(days=6)
    assert matching.expire_proposals(now=created + timedelta(days=6)) == 0
    warned = db.session.scalars(select(Notification).where(Notification.kind == "expiring")).all()
    assert {n.proposal_id for n in warned} == {q.id for q in run.proposals}
    assert matching.expire_proposals(now=created + timedelta(days=8)) == run.n_proposals
    assert p.status == ProposalStatus.EXPIRED
    with pytest.raises(matching.Conflict):
        matching.accept_proposal(users["coord"], p.id, side="supplier")


def test_the_console_script_runs_the_nightly_matching(market, app, db):
    from web.models import MatchRun

    db.session.remove()
    env = dict(os.environ, SECRET_KEY="test-secret",
               DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"])
    done = subprocess.run([sys.executable, "-m", "matcher", "nightly"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Run ") and "proposals" in done.stdout
    (run,) = db.session.scalars(select(MatchRun)).all()
    assert run.status == "succeeded" and run.n_proposals >= 3


def test_a_promise_on_other_days_leaves_the_depot_its_full_room(
    app, users, project, other_project, db
):
    """The same 1.5 m3 depot, its first 296 tiles promised on days 20 to 40; a second pair that
    stores from day 50 to day 70 finds the whole depot free again and sends all 296 through."""
    from web.services import matching

    depot = make_depot(users["coord"], [users["depot"]], capacity_m3=1.5)
    make_supply(users["lead"], project, quantity=296, available_from=day(10).isoformat(),
                available_until=day(20).isoformat())
    make_demand(users["other_lead"], other_project, quantity=296,
                needed_from=day(40).isoformat(), needed_until=day(45).isoformat())
    (p,) = matching.run_matching().proposals
    matching.accept_proposal(users["lead"], p.id)
    matching.accept_proposal(users["other_lead"], p.id)

    make_supply(users["lead"], project, quantity=296, available_from=day(45).isoformat(),
                available_until=day(50).isoformat())
    make_demand(users["other_lead"], other_project, quantity=296,
                needed_from=day(70).isoformat(), needed_until=day(80).isoformat())
    run = matching.run_matching()
    through = [q for q in run.proposals if q.route == "depot" and q.status.value == "proposed"]
    assert sum(q.quantity for q in through) == 296
    assert through[0].depot_id == depot.id


def test_a_rejected_pair_is_not_proposed_again(app, users, project, other_project, db):
    """The receiver rejects tiles from the first supply; the next run offers the second supply
    instead of proposing the rejected pair again."""
    from web.models import Proposal, ProposalStatus
    from web.services import matching

    window = dict(available_from=day(1).isoformat(), available_until=day(30).isoformat())
    first = make_supply(users["lead"], project, quantity=100, **window)
    second = make_supply(users["lead"], project, quantity=100, **window)
    wanted = make_demand(users["other_lead"], other_project, quantity=100,
                         needed_from=day(5).isoformat(), needed_until=day(30).isoformat())
    (p,) = matching.run_matching().proposals
    rejected_supply = p.supply_id
    assert rejected_supply in (first.id, second.id)
    matching.reject_proposal(users["other_lead"], p.id, reason="verkeerde kleur")

    run = matching.run_matching()
    pairs = {(q.supply_id, q.demand_id) for q in run.proposals}
    assert (rejected_supply, wanted.id) not in pairs
    other = second.id if rejected_supply == first.id else first.id
    assert (other, wanted.id) in pairs
    assert db.session.get(Proposal, p.id).status == ProposalStatus.REJECTED
