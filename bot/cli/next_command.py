"""`interval-bot next`: a what-if calculator for patients, clinic staff and support.

    interval-bot next --entry botox:2026-11-20 --entry microneedling:2026-12-20 \\
        --today 2026-11-21 [--json] [--horizon-days 730] [--rule microneedling:botox=10]

For each procedure it prints the earliest date, the blocked windows ahead and the reasons;
entries after `--today` count as planned. Bad input is one line on stderr and exit 2
(argparse's `error`, which `bot.cli.main` turns into one line).
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from typing import Any

from bot.clock import SystemClock
from rules import (
    BlockedWindow,
    Direction,
    Entry,
    GuidanceError,
    GuidanceSet,
    Procedure,
    Reason,
    RuleOverride,
    UnknownProcedureError,
    apply_overrides,
    blocked_windows,
    default_guidance,
    earliest_date,
    parse_procedure,
)

DISCLAIMER = "This is guidance, not medical advice: confirm dates with your provider."
WHAT_IF_VERSION = 1  # --rule builds a what-if set; it must not claim to be the defaults (0).


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a real date in YYYY-MM-DD form"
        ) from None


def _procedure(text: str) -> Procedure:
    try:
        return parse_procedure(text)
    except UnknownProcedureError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _entry(text: str) -> Entry:
    name, sep, when = text.rpartition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"{text!r} is not PROCEDURE:YYYY-MM-DD")
    return Entry(procedure=_procedure(name), on=_date(when))


def _override(text: str) -> RuleOverride:
    pair, sep, days = text.partition("=")
    after, colon, then = pair.partition(":")
    if not sep or not colon:
        raise argparse.ArgumentTypeError(f"{text!r} is not AFTER:THEN=DAYS or AFTER:THEN=off")
    if days.strip().lower() == "off":
        min_days = None
    elif days.strip().isascii() and days.strip().isdigit():
        min_days = int(days)
    else:
        raise argparse.ArgumentTypeError(f"{text!r}: days must be a whole number or 'off'")
    try:
        return RuleOverride(after=_procedure(after), then=_procedure(then), min_days=min_days)
    except GuidanceError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _non_negative(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days")
    return int(text)


def register(subparsers: Any) -> None:
    """Add the `next` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "next",
        help="what-if: earliest dates and blocked windows for a history",
        description=(
            "Print, for each procedure, the earliest allowed date, the blocked windows "
            "ahead and why. Entries after --today count as planned."
        ),
    )
    parser.add_argument(
        "--entry",
        action="append",
        type=_entry,
        default=[],
        metavar="PROCEDURE:YYYY-MM-DD",
        help="a done or planned procedure, e.g. botox:2026-11-20 (repeatable)",
    )
    parser.add_argument(
        "--today", type=_date, default=None, help="the date to answer for (default: today)"
    )
    parser.add_argument(
        "--horizon-days",
        type=_non_negative,
        default=730,
        metavar="DAYS",
        help="how far ahead to list blocked windows (default: 730)",
    )
    parser.add_argument(
        "--rule",
        action="append",
        type=_override,
        default=[],
        metavar="AFTER:THEN=DAYS|off",
        help="what-if change to a default rule, e.g. microneedling:botox=10 (repeatable)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.set_defaults(handler=run)


def _guidance(overrides: list[RuleOverride]) -> GuidanceSet:
    base = default_guidance()
    return apply_overrides(base, overrides, WHAT_IF_VERSION) if overrides else base


def run(args: argparse.Namespace) -> int:
    """Answer the what-if and print it; returns the exit code."""
    entries: list[Entry] = args.entry
    # The one wall-clock read is the injectable clock's, in the machine's local zone.
    today: date = args.today or SystemClock().now().astimezone().date()
    try:
        guidance = _guidance(args.rule)
    except GuidanceError as exc:
        print(f"interval-bot next: {exc}", file=sys.stderr)
        return 2
    answers = {
        procedure: (
            earliest_date(procedure, entries, guidance, today).date,
            blocked_windows(procedure, entries, guidance, today, args.horizon_days),
        )
        for procedure in Procedure
    }
    if args.json:
        print(json.dumps(_as_json(today, answers), indent=2))
    else:
        print(_as_text(today, entries, guidance, answers, args.horizon_days))
    return 0


Answers = dict[Procedure, tuple[date, list[BlockedWindow]]]


def _reason_json(reason: Reason, today: date) -> dict[str, object]:
    return {
        "entry": {
            "procedure": reason.entry.procedure.value,
            "date": reason.entry.on.isoformat(),
            "planned": reason.entry_planned,
        },
        "rule": {
            "after": reason.rule.after.value,
            "then": reason.rule.then.value,
            "min_days": reason.rule.min_days,
            "source": reason.rule.source,
            "evidence": reason.rule.evidence,
        },
        "direction": reason.direction.value,
        "from": reason.start.isoformat(),
        "to": reason.end.isoformat(),
        "boundary": reason.boundary.isoformat(),
        "text": _reason_text(reason, today),
    }


def _as_json(today: date, answers: Answers) -> dict[str, object]:
    return {
        "today": today.isoformat(),
        "procedures": {
            procedure.value: {
                "earliest": earliest.isoformat(),
                "blocked": [
                    {
                        "from": window.start.isoformat(),
                        "to": window.end.isoformat(),
                        "reasons": [_reason_json(r, today) for r in window.reasons],
                    }
                    for window in windows
                ],
            }
            for procedure, (earliest, windows) in answers.items()
        },
    }


def _when(entry: Entry, today: date) -> str:
    return "planned" if entry.on > today else "done"


def _reason_text(reason: Reason, today: date) -> str:
    cause = (
        f"because of {reason.entry.procedure} on {reason.entry.on.isoformat()} "
        f"({_when(reason.entry, today)})"
    )
    days = reason.rule.min_days
    if reason.direction is Direction.AFTER:
        return (
            f"{cause}, {reason.procedure} should wait until {reason.boundary.isoformat()}: "
            f"at least {days} days after {reason.entry.procedure}"
        )
    return (
        f"{cause}, {reason.procedure} should be done by {reason.boundary.isoformat()}: "
        f"at least {days} days before {reason.entry.procedure}"
    )


def _as_text(
    today: date, entries: list[Entry], guidance: GuidanceSet, answers: Answers, horizon: int
) -> str:
    which = "default guidance" if guidance.version == 0 else "default guidance with --rule changes"
    lines = [f"Interval what-if for {today.isoformat()} ({which}, version {guidance.version})"]
    if entries:
        for entry in sorted(entries, key=lambda e: (e.on, e.procedure)):
            lines.append(f"  {entry.procedure} on {entry.on.isoformat()} ({_when(entry, today)})")
    else:
        lines.append("  no entries")
    for procedure, (earliest, windows) in answers.items():
        lines.append("")
        lines.append(f"{procedure}: earliest {earliest.isoformat()}")
        if not windows:
            lines.append(f"  nothing blocked in the next {horizon} days")
        for window in windows:
            lines.append(f"  blocked {window.start.isoformat()} to {window.end.isoformat()}")
            lines.extend(f"    - {_reason_text(r, today)}" for r in window.reasons)
    lines.append("")
    lines.append(DISCLAIMER)
    return "\n".join(lines)
