"""Time `earliest_date` and `plan_reminders` for histories of 1, 10 and 100 entries.

Run: `.venv/bin/python -m bench.rules_bench`. Prints the median of many runs in µs per call.
A history is a patient's record: Botox and microneedling alternating every 45 days up
to today, with the last entry planned three weeks ahead (so every reminder kind occurs).
The `dense` line is a stress case, not a patient: 100 entries every 3 days around today,
half of them planned, so every entry blocks something and the plan has ~50 reminders.
"""

from __future__ import annotations

import statistics
import timeit
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial

from rules import Entry, Procedure, default_guidance, earliest_date, plan_reminders

TODAY = date(2026, 11, 21)
NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)
SIZES = (1, 10, 100)
REPEATS = 15


def history(size: int) -> list[Entry]:
    """`size` entries ending with one planned three weeks after TODAY."""
    procedures = (Procedure.BOTOX, Procedure.MICRONEEDLING)
    planned = TODAY + timedelta(days=21)
    return [
        Entry(procedures[i % 2], planned - timedelta(days=45 * i), ref=str(i))
        for i in reversed(range(size))
    ]


def dense_history() -> list[Entry]:
    """100 entries every 3 days, centred on TODAY: every one of them is a reason."""
    procedures = (Procedure.BOTOX, Procedure.MICRONEEDLING)
    return [
        Entry(procedures[i % 2], TODAY + timedelta(days=3 * (i - 50)), ref=str(i))
        for i in range(100)
    ]


def median_us(call: Callable[[], object]) -> float:
    """Median µs per call over REPEATS batches sized to take about 20 ms each."""
    number, _elapsed = timeit.Timer(call).autorange()
    number = max(1, number // 10)
    runs = timeit.repeat(call, number=number, repeat=REPEATS)
    return statistics.median(runs) / number * 1e6


def main() -> None:
    """Print one line per measurement."""
    guidance = default_guidance()
    cases = [(f"entries={size:>3}", history(size)) for size in SIZES]
    cases.append(("entries=100 dense", dense_history()))
    for label, entries in cases:
        earliest = median_us(partial(earliest_date, Procedure.BOTOX, entries, guidance, TODAY))
        plan = median_us(
            partial(
                plan_reminders,
                entries,
                guidance,
                tz="Europe/Berlin",
                reminder_hour=9,
                heads_up_days=3,
                now=NOW,
            )
        )
        print(f"earliest_date   {label:<18} {earliest:8.1f} µs/call")
        print(f"plan_reminders  {label:<18} {plan:8.1f} µs/call")


if __name__ == "__main__":
    main()
