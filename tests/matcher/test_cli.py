"""The materialmatch command line: exit statuses, error lines, files written or not, the summary.

Tests that run the solver (``match`` on a valid instance) or the generator (``generate`` that
gets past its argument checks) need ``matcher.solve`` / ``matcher.generate``; everything else
runs on ``matcher.io`` alone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
from click.testing import CliRunner, Result

from matcher.cli import format_summary, main
from matcher.domain import CostModel, Depot, Instance
from matcher.io import load_instance, parse_instance
from matcher.result import Allocation, CostBreakdown, Kpis, Leftover, MatchResult

DATA = Path(__file__).resolve().parent.parent / "data"
EXAMPLE_INSTANCE = DATA / "example-instance.json"
EXAMPLE_RESULT = DATA / "example-result.json"
REPO = Path(__file__).resolve().parents[2]


def run(*args: str | os.PathLike[str]) -> Result:
    return CliRunner().invoke(main, [str(arg) for arg in args])


@pytest.fixture
def bad_instance(tmp_path: Path) -> Path:
    """The example instance with two broken rules."""
    data = orjson.loads(EXAMPLE_INSTANCE.read_bytes())
    data["supply"][0]["quantity"] = 5.0
    data["demand"][1]["lat"] = 95
    path = tmp_path / "bad.json"
    path.write_bytes(orjson.dumps(data))
    return path


BAD_LINES = [
    "error: supply[0].quantity: must be an integer >= 1",
    "error: demand[1].lat: must be a number between -90 and 90",
]


# --- validate -------------------------------------------------------------------------------


def test_validate_reports_the_counts_of_a_good_instance() -> None:
    result = run("validate", EXAMPLE_INSTANCE)
    assert result.exit_code == 0, result.output
    assert result.stdout == "OK: 2 supply, 2 demand, 1 depots, 3 materials\n"


def test_validate_prints_one_error_line_per_problem_and_exits_2(bad_instance: Path) -> None:
    result = run("validate", bad_instance)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == BAD_LINES
    assert result.stdout == ""
    assert isinstance(result.exception, SystemExit)  # no traceback


def test_validate_refuses_malformed_json(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"today": "2027-03-01",\n "materials": [\n')
    result = run("validate", path)
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: <json>: line 3 column 1: ")


def test_validate_refuses_a_missing_file(tmp_path: Path) -> None:
    result = run("validate", tmp_path / "absent.json")
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: <file>: cannot read ") and "absent.json" in line


def test_python_dash_m_matcher_validate_runs_in_a_real_process(bad_instance: Path) -> None:
    good = subprocess.run(
        [sys.executable, "-m", "matcher", "validate", str(EXAMPLE_INSTANCE)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert (good.returncode, good.stdout) == (0, "OK: 2 supply, 2 demand, 1 depots, 3 materials\n")
    bad = subprocess.run(
        [sys.executable, "-m", "matcher", "validate", str(bad_instance)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == BAD_LINES
    assert "Traceback" not in bad.stderr


def test_validate_does_not_import_the_solver() -> None:
    code = (
        "import sys; from click.testing import CliRunner; from matcher.cli import main; "
        f"r = CliRunner().invoke(main, ['validate', {str(EXAMPLE_INSTANCE)!r}]); "
        "print(r.exit_code, 'matcher.solve' in sys.modules, 'highspy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True
    )
    assert out.stdout.split() == ["0", "False", "False"]


# --- bad usage ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["frobnicate"],
        ["validate"],
        ["match"],
        ["match", str(EXAMPLE_INSTANCE), "--bogus"],
        ["match", str(EXAMPLE_INSTANCE), "--workers", "0"],
        ["generate", "--supply", "-1", "--demand", "3", "-o", "x.json"],
        ["generate", "--supply", "3", "--demand", "3"],
        ["generate", "--supply", "3", "--demand", "3", "--today", "1 March", "-o", "x.json"],
    ],
)
def test_bad_usage_exits_2(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code == 2
    assert not (tmp_path / "x.json").exists()


# --- match: refusals that happen before the solver ------------------------------------------


def test_match_refuses_bad_input_and_writes_nothing(bad_instance: Path, tmp_path: Path) -> None:
    output = tmp_path / "result.json"
    result = run("match", bad_instance, "-o", output)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == BAD_LINES
    assert not output.exists()
    assert sorted(os.listdir(tmp_path)) == ["bad.json"]


def test_match_refuses_an_output_in_a_missing_directory(tmp_path: Path) -> None:
    output = tmp_path / "missing" / "result.json"
    result = run("match", EXAMPLE_INSTANCE, "-o", output)
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert not output.parent.exists()


def test_match_refuses_malformed_json_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text("[1, 2")
    output = tmp_path / "result.json"
    result = run("match", path, "-o", output)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: <json>: line 1 column ")
    assert not output.exists()


# --- match: with the solver (needs matcher.solve) -------------------------------------------


def test_match_writes_the_result_and_prints_a_summary(tmp_path: Path) -> None:
    output = tmp_path / "result.json"
    result = run("match", EXAMPLE_INSTANCE, "-o", output)
    assert result.exit_code == 0, result.output
    written = orjson.loads(output.read_bytes())
    expected = orjson.loads(EXAMPLE_RESULT.read_bytes())
    assert list(written) == list(expected)
    assert written["status"] == "optimal"
    assert written["objective_eur"] == pytest.approx(expected["objective_eur"], abs=0.01)
    assert written["unmatched_supply"] == expected["unmatched_supply"]
    assert written["unmet_demand"] == []
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["status:", "optimal"]
    assert lines[1].split() == ["objective:", "380.57", "EUR"]
    assert any(line.startswith("solve time:") for line in lines)
    assert sorted(os.listdir(tmp_path)) == ["result.json"]  # no temporary left behind


def test_match_without_output_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = run("match", EXAMPLE_INSTANCE, "--quiet")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("status:")
    assert result.stderr == ""  # --quiet: no progress lines
    assert os.listdir(tmp_path) == []


def test_match_reports_progress_on_stderr_unless_quiet(tmp_path: Path) -> None:
    loud = run("match", EXAMPLE_INSTANCE)
    assert loud.exit_code == 0, loud.output
    assert loud.stderr.strip() != ""
    assert "status:" not in loud.stderr


def test_match_with_two_workers_writes_what_one_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import matcher.solve
    from matcher.generate import generate_instance

    monkeypatch.setattr(matcher.solve, "_PARALLEL_MIN_LISTINGS", 0)  # parts go to workers
    used: list[int] = []
    solve_parts = matcher.solve._solve_parts

    def recording(*args: Any) -> Any:
        used.append(args[2])
        return solve_parts(*args)

    monkeypatch.setattr(matcher.solve, "_solve_parts", recording)
    path = tmp_path / "instance.json"
    path.write_bytes(orjson.dumps(generate_instance(300, 300, 0, seed=3, regime="nodepots")))
    written = []
    for workers in ("1", "2"):
        output = tmp_path / f"result-{workers}.json"
        result = run("match", path, "--workers", workers, "-q", "-o", output)
        assert result.exit_code == 0, result.output
        written.append(output.read_bytes())
    assert used == [1, 2]
    assert written[0] == written[1]
    assert orjson.loads(written[0])["allocations"]


def test_match_refuses_an_unknown_method(tmp_path: Path) -> None:
    output = tmp_path / "result.json"
    result = run("match", EXAMPLE_INSTANCE, "--method", "guesswork", "-o", output)
    assert result.exit_code == 2
    assert "--method" in result.stderr
    assert not output.exists()


def test_match_reports_a_solver_failure_in_one_line_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A solver that gives up (HiGHS ending without an optimum) is status 1, one error line,
    no traceback, and no result file."""
    import matcher.solve

    def breaks_down(*args: Any, **kwargs: Any) -> MatchResult:
        raise matcher.solve.SolverError("HiGHS ended with Unknown")

    monkeypatch.setattr(matcher.solve, "match", breaks_down)
    output = tmp_path / "result.json"
    result = run("match", EXAMPLE_INSTANCE, "-o", output, "-q")
    assert result.exit_code == 1
    assert result.stderr == "error: the solver failed: HiGHS ended with Unknown\n"
    assert result.stdout == ""
    assert not isinstance(result.exception, matcher.solve.SolverError)
    assert not output.exists()


# --- generate -------------------------------------------------------------------------------


def test_generate_refuses_an_output_in_a_missing_directory(tmp_path: Path) -> None:
    output = tmp_path / "missing" / "instance.json"
    result = run("generate", "--supply", "3", "--demand", "3", "-o", output)
    assert result.exit_code == 2
    assert not output.parent.exists()


def test_generate_refuses_an_unknown_regime(tmp_path: Path) -> None:  # needs generate
    output = tmp_path / "instance.json"
    result = run("generate", "--supply", "3", "--demand", "3", "--regime", "chaos", "-o", output)
    assert result.exit_code == 2
    assert "regime" in result.stderr
    assert not output.exists()


def test_generate_writes_an_instance_that_validates(tmp_path: Path) -> None:  # needs generate
    output = tmp_path / "instance.json"
    args = ["--supply", "40", "--demand", "30", "--depots", "2", "--seed", "5", "-q"]
    result = run("generate", *args, "--today", "2027-06-01", "-o", output)
    assert result.exit_code == 0, result.output
    instance = load_instance(output)
    assert (len(instance.supply), len(instance.demand), len(instance.depots)) == (40, 30, 2)
    assert instance.today == date(2027, 6, 1)
    assert run("validate", output).exit_code == 0
    again = tmp_path / "again.json"
    assert run("generate", *args, "--today", "2027-06-01", "-o", again).exit_code == 0
    assert again.read_bytes() == output.read_bytes()  # same seed, same instance
    assert sorted(os.listdir(tmp_path)) == ["again.json", "instance.json"]


# --- the summary ----------------------------------------------------------------------------


def _summary_case() -> tuple[MatchResult, Instance]:
    day = date(2027, 3, 5)
    instance = parse_instance(
        {
            "today": "2027-03-01",
            "materials": [
                {
                    "code": "tile",
                    "unit": "pcs",
                    "kg_per_unit": 10.0,
                    "m3_per_unit": 0.0045,
                    "new_price_eur_per_unit": 1.8,
                    "disposal_eur_per_unit": 0.15,
                    "embodied_kgco2e_per_kg": 0.12,
                }
            ],
            "depots": [
                {
                    "id": "k1",
                    "lat": 52.2,
                    "lon": 6.8,
                    "capacity_m3": 100,
                    "holding_eur_per_m3_day": 0.05,
                    "handling_eur_per_tonne": 4,
                    "stock": [{"id": "st1", "material": "tile", "quantity": 50}],
                }
            ],
        }
    )
    result = MatchResult(
        status="feasible",
        objective_eur=1234.5,
        lower_bound_eur=1230.0,
        cost_breakdown=CostBreakdown(transport_eur=1234.5),
        allocations=(
            Allocation("s1", "d1", None, 100, day, day, 10.0, 5.0, 1.25),
            Allocation("s2", "d1", "k1", 200, day, day, 12.0, 6.0, 2.5),
            Allocation("st1", "d2", "k1", 50, day, day, 3.0, 1.0, 0.5),
        ),
        unmatched_supply=(Leftover("s2", 30), Leftover("s3", 7)),
        unmet_demand=(Leftover("d3", 650),),
        kpis=Kpis(
            tonnes_reused=3.5,
            transport_co2_kg=4.25,
            embodied_co2_avoided_kg=420.0,
            demand_met_fraction=0.35,
        ),
    )
    return result, instance


def _fields(summary: str) -> dict[str, str]:
    return dict(
        (label.strip(), value.strip())
        for label, value in (line.split(":", 1) for line in summary.splitlines())
    )


def test_the_summary_states_every_figure() -> None:
    result, instance = _summary_case()
    fields = _fields(format_summary(result, instance, seconds=1.234))
    assert fields == {
        "status": "feasible",
        "objective": "1,234.50 EUR",
        "lower bound": "1,230.00 EUR (gap 0.366 %)",
        "matched": "3.500 t; 350 of 1,000 units demanded (35.0 %)",
        "allocations": "3 (1 direct, 1 via a depot, 1 from depot stock)",
        "transport CO2": "4.2 kg",
        "embodied CO2 avoided": "420.0 kg",
        "supply left over": "37 units in 2 listings",
        "demand unmet": "650 units in 1 listings",
        "solve time": "1.23 s",
    }


def test_without_the_instance_stock_counts_with_depot_routes() -> None:
    result, _ = _summary_case()
    fields = _fields(format_summary(result))
    assert fields["allocations"] == "3 (1 direct, 2 via a depot or from its stock)"
    assert "solve time" not in fields


def test_an_empty_result_summarises_as_nothing_demanded() -> None:
    empty = MatchResult("optimal", 0.0, 0.0, CostBreakdown(), (), (), (), Kpis())
    instance = Instance(date(2027, 3, 1), CostModel(), (), depots=(Depot("k", 0, 0, 1, 0, 0),))
    fields: dict[str, Any] = _fields(format_summary(empty, instance))
    assert fields["matched"] == "0.000 t; 0 of 0 units demanded (100.0 %)"
    assert fields["allocations"] == "0 (0 direct, 0 via a depot, 0 from depot stock)"
