"""`interval-bot clinic aftercare NAME`: read or change a clinic's aftercare note per procedure.

    interval-bot clinic aftercare NAME --procedure botox --show
    interval-bot clinic aftercare NAME --procedure botox --replace TEXT --reason WHY
    interval-bot clinic aftercare NAME --procedure botox --extend TEXT --reason WHY
    interval-bot clinic aftercare NAME --procedure botox --default --reason WHY

The operator's change is versioned and audited like an owner's change under /guidance; it
applies to treatments saved from then on.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.config import Settings
from rules import Procedure


def register_aftercare(commands: Any) -> None:
    """Add `aftercare` to the `clinic` sub-commands."""
    parser: argparse.ArgumentParser = commands.add_parser(
        "aftercare",
        help="a clinic's aftercare note per procedure: show, replace, extend, back to usual",
    )
    parser.add_argument("name", metavar="NAME")
    parser.add_argument(
        "--procedure", required=True, choices=[p.value for p in Procedure], metavar="PROCEDURE"
    )
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--show", action="store_true", help="print the note members read now")
    what.add_argument("--replace", metavar="TEXT", help="the clinic's text instead of the usual")
    what.add_argument("--extend", metavar="TEXT", help="the clinic's text after the usual lines")
    what.add_argument("--default", action="store_true", help="back to the usual note")
    parser.add_argument("--reason", metavar="WHY", help="why (needed for a change)")
    parser.set_defaults(handler=aftercare_command)


def _print_note(view: Any) -> None:
    note = view.note
    print(f"aftercare for {view.procedure} at {view.clinic.name}:")
    if view.change is not None and view.change.mode != "default":
        print(f"(clinic's own text, {view.change.mode}, version {view.change.version})")
    for line in note.lines if note is not None else ():
        print(f"- {line.in_language('en')}  [{line.evidence}: {line.source}]")
    if note is not None and note.clinic_text:
        print(note.clinic_text)


def aftercare_command(args: argparse.Namespace) -> int:
    """Show or change one procedure's aftercare note of a clinic."""
    # The shared runner lives with the other clinic commands; imported here, not at the top,
    # because that module registers this one.
    from bot.cli import clinic_command as base
    from bot.usecases import aftercare

    procedure = Procedure(args.procedure)
    choice: aftercare.AftercareChoice | None = (
        "replace" if args.replace is not None else "extend" if args.extend is not None else None
    )
    if args.default:
        choice = "default"
    if choice is not None and not (args.reason or "").strip():
        print("interval-bot clinic aftercare: a change needs --reason WHY", file=sys.stderr)
        return base.EXIT_USAGE

    async def work(settings: Settings, database: Any) -> None:
        clinic_id = await base.clinic_id_named(database, args.name)
        if choice is not None:
            try:
                change = await aftercare.change_aftercare(
                    database,
                    clinic_id,
                    None,
                    procedure,
                    choice=choice,
                    text=args.replace if args.replace is not None else args.extend,
                    reason=args.reason,
                    now=base.now(),
                )
            except aftercare.BadAftercareError as exc:
                raise base.BadInputError(str(exc)) from None
            if change is None:
                print("that is already the note: nothing changed")
            else:
                print(f"aftercare version {change.version} saved ({change.mode})")
        _print_note(await aftercare.operator_view(database, clinic_id, procedure))

    return base.run(args, work)
