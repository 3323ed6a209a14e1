"""flask commands: seed-catalogue, create-user, demo-data."""

from __future__ import annotations

from tests.web.conftest import count
from web.models import Material, Project, Role, SupplyListing, User


def test_seeding_the_catalogue_twice_changes_nothing(runner):
    before = count(Material)
    result = runner.invoke(args=["seed-catalogue"])
    assert result.exit_code == 0 and str(before) in result.output
    assert count(Material) == before


def test_create_user_refuses_bad_input_and_writes_nothing(runner):
    result = runner.invoke(args=["create-user", "geen-adres", "--name", "X", "--role",
                                 "coordinator", "--password", "kort"])
    assert result.exit_code == 2
    assert "email" in result.output and "password" in result.output
    assert count(User) == 0
    ok = runner.invoke(args=["create-user", "C@Example.nl", "--name", "Carla", "--role",
                             "coordinator", "--password", "een lang wachtwoord"])
    assert ok.exit_code == 0, ok.output
    assert User.query.one().email == "c@example.nl"


def test_demo_data_makes_one_user_per_role_with_printed_passwords(runner):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    users = User.query.all()
    assert {u.role for u in users} == set(Role)
    for user in users:
        line = next(line for line in result.output.splitlines() if user.email in line)
        assert user.check_password(line.split()[-1])
    assert count(Project) == 5 and count(SupplyListing) > 5
    again = runner.invoke(args=["demo-data"])
    assert again.exit_code == 0 and count(User) == len(users)
