"""Time the /timeline picture (view, drawing and PNG) for histories of 1, 10 and 100 entries.

Run: `.venv/bin/python -m bench.timeline_bench`. Each size is drawn once to warm up (fonts,
caches), then REPEATS times; the line gives the median and the slowest run in ms, beside
the goal. A history alternates Botox and microneedling every 45 days up to today, with the
last entry planned three weeks ahead, like `bench.rules_bench`.

`--example PATH` also writes the picture of a realistic year (`docs/timeline-example.png`
is made so): two Botox and two microneedling sessions done, one of each planned.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.i18n import translator
from bot.render.timeline_drawing import timeline_png
from bot.usecases.schedule import Schedule, plan_schedule
from rules import Procedure, default_guidance
from storage.records import Patient, PatientState, Treatment

NOW = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
TODAY = date(2026, 11, 24)
SIZES = (1, 10, 100)
REPEATS = 15
# The goal: a typical history (10 entries) is drawn within 300 ms.
GOAL_MS = {10: 300.0}


def patient(language: str = "en") -> Patient:
    """A consenting patient in Berlin."""
    return Patient(
        id=1,
        telegram_user_id=1001,
        chat_id=1001,
        language=language,
        timezone="Europe/Berlin",
        reminder_hour=9,
        heads_up_days=2,
        quiet_start=None,
        quiet_end=None,
        state=PatientState.ACTIVE,
        consent_at=NOW,
        consent_version="1",
        broadcasts_opt_out=False,
        created_at=NOW,
    )


def treatment(number: int, procedure: Procedure, on: date) -> Treatment:
    """A stored treatment as the repository hands it back."""
    return Treatment(
        id=number,
        patient_id=1,
        procedure=procedure,
        on=on,
        note="",
        created_at=NOW,
        updated_at=NOW,
    )


def history(size: int) -> list[Treatment]:
    """`size` entries every 45 days, the last one planned three weeks after TODAY."""
    procedures = (Procedure.BOTOX, Procedure.MICRONEEDLING)
    planned = TODAY + timedelta(days=21)
    return [
        treatment(i + 1, procedures[i % 2], planned - timedelta(days=45 * i))
        for i in reversed(range(size))
    ]


def realistic(language: str = "en") -> Schedule:
    """A year of one patient: Botox every few months, microneedling between, two planned."""
    entries = [
        (Procedure.BOTOX, date(2026, 5, 12)),
        (Procedure.MICRONEEDLING, date(2026, 6, 30)),
        (Procedure.BOTOX, date(2026, 8, 18)),
        (Procedure.MICRONEEDLING, date(2026, 10, 27)),
        (Procedure.BOTOX, date(2026, 12, 15)),
        (Procedure.MICRONEEDLING, date(2027, 1, 19)),
    ]
    treatments = [treatment(i, p, on) for i, (p, on) in enumerate(entries, start=1)]
    return plan_schedule(patient(language), treatments, default_guidance(), NOW)


def measure_ms(schedule: Schedule, repeats: int = REPEATS) -> list[float]:
    """Wall time of `repeats` renders in ms, after one render to warm up."""
    t = translator("en")
    timeline_png(schedule, t)
    runs: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        timeline_png(schedule, t)
        runs.append((time.perf_counter() - started) * 1000)
    return runs


def main() -> None:
    """Print one line per size; write the example picture if asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", type=Path, help="also write the realistic picture here")
    parser.add_argument("--repeats", type=int, default=REPEATS)
    args = parser.parse_args()
    guidance = default_guidance()
    for size in SIZES:
        schedule = plan_schedule(patient(), history(size), guidance, NOW)
        runs = measure_ms(schedule, args.repeats)
        goal = GOAL_MS.get(size)
        verdict = (
            ""
            if goal is None
            else f"  goal <= {goal:.0f} ms: "
            + ("met" if statistics.median(runs) <= goal else "MISSED")
        )
        print(
            f"timeline entries={size:>3}: median {statistics.median(runs):6.1f} ms, "
            f"max {max(runs):6.1f} ms over {len(runs)} runs{verdict}"
        )
    if args.example is not None:
        args.example.write_bytes(timeline_png(realistic(), translator("en")))
        print(f"wrote {args.example}")


if __name__ == "__main__":
    main()
