"""Scenes for the page tests of issue 4: a nightly run's proposal through a depot, or direct.

``depot_scene``: supply in Enschede free on days 10-20 (lead), demand in Hengelo needed on days
40-60 (other_lead): only the depot (managed by ``depot``) bridges the gap.  ``direct_scene``:
windows that meet, so the proposal goes direct.  Both run the matching once.
"""

from __future__ import annotations

from typing import Any

from tests.web.matching_builders import day, make_demand, make_depot, make_supply


def depot_scene(users: dict[str, Any], project: Any, other_project: Any) -> dict[str, Any]:
    from web.services import matching

    depot = make_depot(users["coord"], [users["depot"]])
    supply = make_supply(users["lead"], project, quantity=400,
                         available_from=day(10).isoformat(), available_until=day(20).isoformat())
    demand = make_demand(users["other_lead"], other_project, quantity=250,
                         needed_from=day(40).isoformat(), needed_until=day(60).isoformat())
    run = matching.run_matching()
    (proposal,) = run.proposals
    assert proposal.route == "depot"
    return {"the_depot": depot, "supply": supply, "demand": demand, "run": run,
            "proposal": proposal}


def direct_scene(users: dict[str, Any], project: Any, other_project: Any) -> dict[str, Any]:
    from web.services import matching

    supply = make_supply(users["lead"], project, quantity=400,
                         available_from=day(10).isoformat(), available_until=day(50).isoformat())
    demand = make_demand(users["other_lead"], other_project, quantity=250,
                         needed_from=day(20).isoformat(), needed_until=day(60).isoformat())
    run = matching.run_matching()
    (proposal,) = run.proposals
    assert proposal.route == "direct"
    return {"supply": supply, "demand": demand, "run": run, "proposal": proposal}


def accept_both(users: dict[str, Any], proposal_id: int) -> None:
    from web.services import matching

    matching.accept_proposal(users["lead"], proposal_id)
    matching.accept_proposal(users["other_lead"], proposal_id)


def outsider() -> Any:
    """A project lead with no part in any scene."""
    from tests.web.conftest import PASSWORD
    from web.models import Role
    from web.services.accounts import create_user

    return create_user("outsider@example.nl", "Olga Outsider", PASSWORD, Role.PROJECT_LEAD)
