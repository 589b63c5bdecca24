"""`interval-bot next`: the what-if calculator's text, JSON and bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bot.cli.main import main

EXAMPLE = ["--entry", "botox:2026-11-20", "--entry", "microneedling:2026-12-20"]
TODAY = ["--today", "2026-11-21"]


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    assert main(["next", *args, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_json_has_the_shape_of_the_issue(capsys: pytest.CaptureFixture[str]) -> None:
    answer = run_json(capsys, *EXAMPLE, *TODAY)
    assert set(answer) == {"today", "procedures"}
    assert answer["today"] == "2026-11-21"
    assert set(answer["procedures"]) == {"botox", "microneedling"}
    for procedure in answer["procedures"].values():
        assert set(procedure) == {"earliest", "blocked"}
        for window in procedure["blocked"]:
            assert set(window) == {"from", "to", "reasons"}
            assert window["reasons"]


def test_json_answers_the_issue_example(capsys: pytest.CaptureFixture[str]) -> None:
    answer = run_json(capsys, *EXAMPLE, *TODAY)["procedures"]
    assert answer["botox"]["earliest"] == "2027-02-18"
    assert [(w["from"], w["to"]) for w in answer["botox"]["blocked"]] == [
        ("2026-11-21", "2027-02-17")
    ]
    # The planned microneedling also blocks another microneedling for 28 days either side.
    assert answer["microneedling"]["earliest"] == "2027-01-17"


def test_the_issue_example_without_the_four_week_rule_gives_the_fourth_of_december(
    capsys: pytest.CaptureFixture[str],
) -> None:
    answer = run_json(capsys, *EXAMPLE, *TODAY, "--rule", "microneedling:microneedling=off")
    microneedling = answer["procedures"]["microneedling"]
    assert microneedling["earliest"] == "2026-12-04"
    (window,) = microneedling["blocked"]
    assert (window["from"], window["to"]) == ("2026-11-21", "2026-12-03")
    (reason,) = window["reasons"]
    assert reason == {
        "entry": {"procedure": "botox", "date": "2026-11-20", "planned": False},
        "rule": {
            "after": "botox",
            "then": "microneedling",
            "min_days": 14,
            "source": reason["rule"]["source"],
            "evidence": "expert_consensus",
        },
        "direction": "after",
        "from": "2026-11-20",
        "to": "2026-12-03",
        "boundary": "2026-12-04",
        "text": (
            "because of botox on 2026-11-20 (done), microneedling should wait until "
            "2026-12-04: at least 14 days after botox"
        ),
    }


def test_text_lists_earliest_dates_windows_and_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["next", *EXAMPLE, *TODAY]) == 0
    out = capsys.readouterr().out
    assert "  microneedling on 2026-12-20 (planned)" in out
    assert "botox: earliest 2027-02-18\n  blocked 2026-11-21 to 2027-02-17\n" in out
    assert (
        "because of microneedling on 2026-12-20 (planned), botox should be done by "
        "2026-12-06: at least 14 days before microneedling"
    ) in out
    assert "microneedling: earliest 2027-01-17" in out
    assert out.rstrip().endswith("not medical advice: confirm dates with your provider.")


def test_aliases_are_accepted_for_entries(capsys: pytest.CaptureFixture[str]) -> None:
    answer = run_json(capsys, "--entry", "Dysport:2026-11-20", *TODAY)
    assert answer["procedures"]["microneedling"]["earliest"] == "2026-12-04"


def test_with_no_entries_everything_is_possible_today(capsys: pytest.CaptureFixture[str]) -> None:
    answer = run_json(capsys, *TODAY)
    assert answer["procedures"]["botox"] == {"earliest": "2026-11-21", "blocked": []}


def test_a_short_horizon_leaves_later_windows_out(capsys: pytest.CaptureFixture[str]) -> None:
    answer = run_json(capsys, "--entry", "botox:2027-06-01", *TODAY, "--horizon-days", "30")
    assert answer["procedures"]["microneedling"]["blocked"] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--entry", "laser:2026-11-20"], "unknown procedure 'laser'; known procedures: botox"),
        (["--entry", "botox:2026-02-30"], "'2026-02-30' is not a real date"),
        (["--entry", "botox:20-11-2026"], "'20-11-2026' is not a real date"),
        (["--entry", "botox"], "'botox' is not PROCEDURE:YYYY-MM-DD"),
        (["--entry", ":2026-11-20"], "is not PROCEDURE:YYYY-MM-DD"),
        (["--today", "tomorrow"], "'tomorrow' is not a real date"),
        (["--horizon-days", "-5"], "not a whole number of days"),
        (["--rule", "botox-microneedling"], "is not AFTER:THEN=DAYS"),
        (["--rule", "botox:microneedling=soon"], "days must be a whole number or 'off'"),
        (["--rule", "botox:microneedling=9999"], "whole days from 0 to 3650"),
        (["--rule", "botox:botox=1", "--rule", "botox:botox=2"], "two overrides"),
        (["--entry"], "expected one argument"),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_code_two(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    try:
        code = main(["next", *TODAY, *args])
    except SystemExit as exc:
        code = exc.code  # type: ignore[assignment]
    assert code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("interval-bot")
    assert message in captured.err


@pytest.mark.slow
def test_the_installed_command_prints_json_and_rejects_bad_input() -> None:
    command = str(Path(sys.executable).with_name("interval-bot"))
    ok = subprocess.run(
        [command, "next", *EXAMPLE, *TODAY, "--json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["procedures"]["botox"]["earliest"] == "2027-02-18"
    bad = subprocess.run(
        [command, "next", "--entry", "laser:2026-11-20"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert bad.returncode == 2
    assert bad.stdout == ""
    assert bad.stderr.count("\n") == 1
    assert "unknown procedure 'laser'" in bad.stderr
