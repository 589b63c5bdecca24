"""`interval-bot clinic`: clinics, their staff and invites, the join link, their details.

    interval-bot clinic create NAME [--timezone TZ] [--contact TEXT] [--booking-url URL]
    interval-bot clinic list
    interval-bot clinic show NAME
    interval-bot clinic invite NAME [--owner]
    interval-bot clinic invites list|revoke NAME [INVITE]
    interval-bot clinic staff list NAME
    interval-bot clinic staff remove NAME USER
    interval-bot clinic staff role NAME USER owner|staff
    interval-bot clinic rotate-join NAME
    interval-bot clinic set NAME [--timezone TZ] [--contact TEXT] [--booking-url URL]
                             [--opening-hours HOURS] [--question-reminder-hours N]
    interval-bot clinic aftercare NAME --procedure P [--show|--replace T|--extend T|--default]

The first person to use any invite of a clinic becomes its owner; `invite --owner` names
another. USER is a Telegram user id, as `staff list` prints it.

Links are `https://t.me/<bot>?start=<payload>`; the bot's username comes from the Bot API
(`getMe`, so the sandbox in tests). Bad input is one line on stderr and exit 2; an
unreachable database or Bot API is one line and exit 1.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.cli.clinic_aftercare_command import register_aftercare
from bot.config import Settings, load_settings
from rules.opening_hours import OpeningHoursError

EXIT_USAGE = 2
EXIT_UNAVAILABLE = 1
MAX_NAME = 200
MAX_CONTACT = 500

T = TypeVar("T")


class BadInputError(Exception):
    """One line for the operator, exit 2."""


class _UnavailableError(Exception):
    """The database or the Bot API cannot be used; one line, exit 1."""


def _name(text: str) -> str:
    name = " ".join(text.split())
    if not name or len(name) > MAX_NAME:
        raise argparse.ArgumentTypeError(f"a clinic name has 1 to {MAX_NAME} characters")
    return name


def _timezone(text: str) -> str:
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a time zone (use an IANA name such as Europe/Madrid)"
        ) from None
    return text


def _contact(text: str) -> str:
    if len(text) > MAX_CONTACT:
        raise argparse.ArgumentTypeError(f"the contact has at most {MAX_CONTACT} characters")
    return text.strip()


def _url(text: str) -> str:
    if not text.startswith(("https://", "http://")) or len(text) > MAX_CONTACT or " " in text:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http(s) URL")
    return text


def _details(parser: argparse.ArgumentParser, *, timezone_default: str | None) -> None:
    parser.add_argument(
        "--timezone",
        type=_timezone,
        default=timezone_default,
        metavar="TZ",
        help="the clinic's time zone, an IANA name (for audiences by date)",
    )
    parser.add_argument("--contact", type=_contact, metavar="TEXT", help="phone, e-mail or address")
    parser.add_argument("--booking-url", type=_url, metavar="URL", help="where patients book")


def register(subparsers: Any) -> None:
    """Add the `clinic` sub-command."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "clinic",
        help="clinics: create, list, show, staff invites, contact and booking link",
        description="Manage clinics on DATABASE_URL. Links ask the Bot API for the bot's name.",
    )
    parser.set_defaults(handler=_usage(parser))
    commands = parser.add_subparsers(dest="clinic_command", metavar="COMMAND")

    create = commands.add_parser(
        "create",
        help="create a clinic; print its id, patient join link and a staff invite link",
        description="Create a clinic and print its id, its patient join link and a staff "
        "invite link (single use, valid 7 days); whoever uses it first becomes the clinic's "
        "owner.",
    )
    create.add_argument("name", type=_name, metavar="NAME")
    _details(create, timezone_default=None)
    create.set_defaults(handler=create_command)

    listing = commands.add_parser("list", help="every clinic with its numbers")
    listing.set_defaults(handler=list_command)

    show = commands.add_parser("show", help="one clinic: patients, active, staff, reminders")
    show.add_argument("name", type=_name, metavar="NAME")
    show.set_defaults(handler=show_command)

    invite = commands.add_parser("invite", help="another staff invite link (single use, 7 days)")
    invite.add_argument("name", type=_name, metavar="NAME")
    invite.add_argument("--owner", action="store_true", help="its user becomes an owner")
    invite.set_defaults(handler=invite_command)

    invites = commands.add_parser("invites", help="a clinic's staff invites: list, revoke")
    invites.set_defaults(handler=_usage(invites))
    invite_commands = invites.add_subparsers(dest="invites_command", metavar="COMMAND")
    listing = invite_commands.add_parser("list", help="every invite and what became of it")
    listing.add_argument("name", type=_name, metavar="NAME")
    listing.set_defaults(handler=invites_list_command)
    revoke = invite_commands.add_parser("revoke", help="withdraw an unused invite")
    revoke.add_argument("name", type=_name, metavar="NAME")
    revoke.add_argument("invite", type=_positive, metavar="INVITE", help="its number (#)")
    revoke.set_defaults(handler=invites_revoke_command)

    staff = commands.add_parser("staff", help="a clinic's staff: list, remove, change a role")
    staff.set_defaults(handler=_usage(staff))
    staff_commands = staff.add_subparsers(dest="staff_command", metavar="COMMAND")
    listing = staff_commands.add_parser("list", help="every member with their role")
    listing.add_argument("name", type=_name, metavar="NAME")
    listing.set_defaults(handler=staff_list_command)
    remove = staff_commands.add_parser(
        "remove", help="take a member off the staff (refused for the last owner)"
    )
    remove.add_argument("name", type=_name, metavar="NAME")
    remove.add_argument("user", type=_positive, metavar="USER", help="their Telegram user id")
    remove.set_defaults(handler=staff_remove_command)
    role = staff_commands.add_parser("role", help="make a member an owner or plain staff")
    role.add_argument("name", type=_name, metavar="NAME")
    role.add_argument("user", type=_positive, metavar="USER", help="their Telegram user id")
    role.add_argument("role", choices=["owner", "staff"], metavar="owner|staff")
    role.set_defaults(handler=staff_role_command)

    rotate = commands.add_parser(
        "rotate-join",
        help="a new patient join link; the old one stops working, members stay",
    )
    rotate.add_argument("name", type=_name, metavar="NAME")
    rotate.set_defaults(handler=rotate_join_command)

    change = commands.add_parser(
        "set",
        help="change a clinic's contact, booking link or time zone",
        description="Change the given details; an empty value ('') removes contact or link.",
    )
    change.add_argument("name", type=_name, metavar="NAME")
    change.add_argument("--timezone", type=_timezone, metavar="TZ", help="an IANA time zone")
    change.add_argument("--contact", type=_contact_or_empty, metavar="TEXT", help="'' removes it")
    change.add_argument("--booking-url", type=_url_or_empty, metavar="URL", help="'' removes it")
    change.add_argument(
        "--opening-hours",
        metavar="HOURS",
        help="when unanswered questions count, e.g. 'mon-fri 09:00-18:00; sat 10:00-14:00'; "
        "'' counts every hour",
    )
    change.add_argument(
        "--question-reminder-hours",
        type=_positive,
        metavar="N",
        help="hours (of opening time, if set) before an unanswered question reminds staff",
    )
    change.set_defaults(handler=set_command)
    register_aftercare(commands)


def _positive(text: str) -> int:
    if not text.isascii() or not text.isdigit() or not 0 < int(text) < 2**53:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive whole number")
    return int(text)


def _contact_or_empty(text: str) -> str:
    return "" if not text.strip() else _contact(text)


def _url_or_empty(text: str) -> str:
    return "" if not text.strip() else _url(text)


def _usage(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    def show(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return EXIT_USAGE

    return show


# --- running -----------------------------------------------------------------------------


def run(args: argparse.Namespace, work: Callable[[Settings, Any], Awaitable[T]]) -> int:
    """Upgrade the schema, run `work(settings, database)`, map failures to one line."""
    from sqlalchemy.exc import DBAPIError

    from storage.database import Database
    from storage.schema import upgrade_to_head

    settings = load_settings()
    url = settings.effective_database_url

    async def main() -> T:
        await upgrade_to_head(url)
        database = Database(url)
        try:
            return await work(settings, database)
        finally:
            await database.dispose()

    try:
        asyncio.run(main())
    except BadInputError as exc:
        print(f"interval-bot clinic: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except _UnavailableError as exc:
        print(f"interval-bot clinic: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    except (DBAPIError, OSError) as exc:
        reason = getattr(exc, "orig", None) or exc
        print(f"interval-bot clinic: cannot use the database: {reason}", file=sys.stderr)
        return EXIT_UNAVAILABLE
    return 0


async def _bot_username(settings: Settings) -> str:
    """The bot's @username from getMe (Telegram, or the sandbox TELEGRAM_BASE_URL names)."""
    from telegram import Bot
    from telegram.error import InvalidToken, TelegramError

    try:
        async with Bot(settings.token(), base_url=settings.telegram_base_url) as bot:
            me = await bot.get_me()
    except InvalidToken:
        raise _UnavailableError("Telegram rejected TELEGRAM_BOT_TOKEN (getMe)") from None
    except TelegramError as exc:
        raise _UnavailableError(
            f"cannot ask the Bot API at {settings.telegram_base_url} for the bot's name: {exc}"
        ) from None
    if not me.username:
        raise _UnavailableError("the Bot API returned no username for this bot")
    return me.username


def now() -> datetime:
    """The wall clock, as the bot itself reads it."""
    from bot.clock import SystemClock

    return SystemClock().now()


def _links(username: str, join: str, invite: str | None) -> list[str]:
    from bot.usecases.clinics import deep_link

    lines = [f"patient join link: {deep_link(username, join)}"]
    if invite is not None:
        lines.append(f"staff invite link: {deep_link(username, invite)} (single use, 7 days)")
    return lines


def create_command(args: argparse.Namespace) -> int:
    """Create a clinic and print its id and links."""
    from bot.usecases import clinics

    async def work(settings: Settings, database: Any) -> None:
        username = await _bot_username(settings)
        try:
            created = await clinics.create_clinic(
                database,
                args.name,
                timezone=args.timezone or settings.default_timezone,
                contact=args.contact or None,
                booking_url=args.booking_url or None,
                now=now(),
            )
        except clinics.ClinicNameTakenError:
            raise BadInputError(f"a clinic named {args.name!r} already exists") from None
        clinic = created.clinic
        print(f"clinic {clinic.id}: {clinic.name}")
        for line in _links(
            username, clinics.join_payload(clinic), clinics.invite_payload(created.invite)
        ):
            print(line)

    return run(args, work)


def list_command(args: argparse.Namespace) -> int:
    """One line per clinic."""
    from bot.usecases import clinics

    async def work(settings: Settings, database: Any) -> None:
        found = await clinics.list_clinics(database, now())
        if not found:
            print("no clinics yet: create one with `interval-bot clinic create NAME`")
        for clinic, stats in found:
            print(
                f"{clinic.id}\t{clinic.name}\tmembers {stats.members}\tactive {stats.active}"
                f"\tguidance v{clinic.guidance_version}"
            )

    return run(args, work)


def show_command(args: argparse.Namespace) -> int:
    """A clinic's details, numbers, staff and last broadcasts."""
    from bot.usecases import clinics

    async def work(settings: Settings, database: Any) -> None:
        try:
            report = await clinics.show_clinic(database, args.name, now())
        except clinics.UnknownClinicError as exc:
            raise BadInputError(str(exc)) from None
        username = await _bot_username(settings)
        clinic, stats = report.clinic, report.stats
        print(f"clinic {clinic.id}: {clinic.name}")
        print(f"time zone: {clinic.timezone}")
        print(f"contact: {clinic.contact or '-'}")
        print(f"booking link: {clinic.booking_url or '-'}")
        print(f"guidance version: {clinic.guidance_version}")
        print(*_links(username, clinics.join_payload(clinic), None), sep="\n")
        print(
            f"patients: {stats.members} (active {stats.active}, paused {stats.paused}, "
            f"blocked {stats.blocked})"
        )
        print(f"staff: {len(report.staff)}")
        for member in report.staff:
            print(
                f"  telegram user {member.telegram_user_id} ({member.role}) "
                f"{member.display_name or '-'} since {member.added_at.date().isoformat()}"
            )
        print(f"upcoming reminders: {stats.upcoming_reminders}")
        print(f"reminders sent in the last 30 days: {stats.reminders_sent_30d}")
        for broadcast in report.broadcasts:
            print(
                f"broadcast #{broadcast.id} {broadcast.created_at.date().isoformat()} "
                f"{broadcast.state}: sent {broadcast.sent}, blocked {broadcast.blocked}, "
                f"failed {broadcast.failed} of {broadcast.total}"
            )

    return run(args, work)


async def clinic_id_named(database: Any, name: str) -> int:
    """The id of the clinic called `name`; BadInputError if there is none."""
    from bot.usecases import clinics, team

    try:
        return await team.clinic_id_named(database, name)
    except clinics.UnknownClinicError as exc:
        raise BadInputError(str(exc)) from None


def invite_command(args: argparse.Namespace) -> int:
    """Print a new single-use staff invite link."""
    from bot.usecases import clinics, team
    from storage.records import StaffRole

    async def work(settings: Settings, database: Any) -> None:
        clinic_id = await clinic_id_named(database, args.name)
        username = await _bot_username(settings)
        role = StaffRole.OWNER if args.owner else StaffRole.STAFF
        invite = await team.create_invite(database, clinic_id, role, None, now())
        expires = invite.expires_at.isoformat(timespec="minutes")
        print(
            f"staff invite #{invite.id} ({role}): "
            f"{clinics.deep_link(username, clinics.invite_payload(invite))} "
            f"(single use, expires {expires})"
        )

    return run(args, work)


def invites_list_command(args: argparse.Namespace) -> int:
    """One line per invite: number, role, and what became of it."""
    from bot.usecases import team

    async def work(settings: Settings, database: Any) -> None:
        clinic_id = await clinic_id_named(database, args.name)
        today = now()
        found = await team.all_invites(database, clinic_id)
        if not found:
            print(f"no invites: make one with `interval-bot clinic invite {args.name!r}`")
        for invite in found:
            if invite.used_at is not None:
                status = f"used {invite.used_at.isoformat(timespec='minutes')} by {invite.used_by}"
            elif invite.revoked_at is not None:
                status = f"revoked {invite.revoked_at.isoformat(timespec='minutes')}"
            elif invite.expires_at <= today:
                status = f"expired {invite.expires_at.isoformat(timespec='minutes')}"
            else:
                status = f"open until {invite.expires_at.isoformat(timespec='minutes')}"
            print(f"#{invite.id}\t{invite.role}\t{status}")

    return run(args, work)


def invites_revoke_command(args: argparse.Namespace) -> int:
    """Withdraw an unused invite: its link answers "no longer valid"."""
    from bot.usecases import team

    async def work(settings: Settings, database: Any) -> None:
        clinic_id = await clinic_id_named(database, args.name)
        if not await team.revoke_invite(database, clinic_id, args.invite, None, now()):
            raise BadInputError(
                f"invite #{args.invite} of {args.name!r} is unknown, used or already revoked"
            )
        print(f"invite #{args.invite} revoked: its link no longer works")

    return run(args, work)


def staff_list_command(args: argparse.Namespace) -> int:
    """One line per staff member: Telegram user id, role, name, since when."""
    from bot.usecases import team

    async def work(settings: Settings, database: Any) -> None:
        clinic_id = await clinic_id_named(database, args.name)
        found = await team.team(database, clinic_id, None, now())
        if not found.members:
            print(f"no staff yet: send an invite (`interval-bot clinic invite {args.name!r}`)")
        for member in found.members:
            print(
                f"{member.telegram_user_id}\t{member.role}\t{member.display_name or '-'}"
                f"\tsince {member.added_at.date().isoformat()}"
            )

    return run(args, work)


_REFUSED = {
    "not_staff": "telegram user {user} is not staff of {name!r} (see `clinic staff list`)",
    "last_owner": "{name!r} needs at least one owner: make someone else an owner first",
}


def staff_remove_command(args: argparse.Namespace) -> int:
    """Take a member off the staff, and tell them (through the Bot API) if it can."""
    from bot.usecases import team

    async def work(settings: Settings, database: Any) -> None:
        clinic_id = await clinic_id_named(database, args.name)
        removal = await team.remove_member(database, clinic_id, args.user, None, now())
        if removal.kind != "done" or removal.member is None:
            raise BadInputError(_REFUSED[removal.kind].format(user=args.user, name=args.name))
        print(f"telegram user {args.user} removed from {args.name!r}: refused from now on")
        if not await _tell_removed(settings, removal):
            print("(they could not be told through the Bot API; the removal stands)")

    return run(args, work)


async def _tell_removed(settings: Settings, removal: Any) -> bool:
    from telegram import Bot
    from telegram.error import TelegramError

    from bot.kit.staff_messages import tell_removed

    try:
        async with Bot(settings.token(), base_url=settings.telegram_base_url) as bot:
            return await tell_removed(
                bot, removal.member, removal.clinic, still_staff_elsewhere=removal.elsewhere
            )
    except (TelegramError, OSError):
        return False


def staff_role_command(args: argparse.Namespace) -> int:
    """Make a member an owner or plain staff."""
    from bot.usecases import team
    from storage.records import StaffRole

    async def work(settings: Settings, database: Any) -> None:
        clinic_id = await clinic_id_named(database, args.name)
        kind = await team.set_member_role(
            database, clinic_id, args.user, StaffRole(args.role), None, now()
        )
        if kind == "unchanged":
            print(f"telegram user {args.user} already is {args.role} of {args.name!r}")
            return
        if kind != "done":
            raise BadInputError(_REFUSED[kind].format(user=args.user, name=args.name))
        print(f"telegram user {args.user} is now {args.role} of {args.name!r}")

    return run(args, work)


def rotate_join_command(args: argparse.Namespace) -> int:
    """Issue a new patient join link; the old one stops working."""
    from bot.usecases import clinics, team

    async def work(settings: Settings, database: Any) -> None:
        clinic_id = await clinic_id_named(database, args.name)
        username = await _bot_username(settings)
        clinic = await team.rotate_join_link(database, clinic_id, None, now())
        print(f"new patient join link: {clinics.deep_link(username, clinics.join_payload(clinic))}")
        print("the old link no longer works; members stay members")

    return run(args, work)


def set_command(args: argparse.Namespace) -> int:
    """Change a clinic's contact, booking link or time zone."""
    from bot.usecases import clinics
    from storage.records import UNSET, Unset

    timezone: str | Unset = UNSET if args.timezone is None else args.timezone
    contact: str | Unset | None = UNSET if args.contact is None else (args.contact or None)
    booking: str | Unset | None = UNSET if args.booking_url is None else (args.booking_url or None)
    hours: str | Unset | None = (
        UNSET if args.opening_hours is None else (args.opening_hours.strip() or None)
    )
    wait: int | Unset = (
        UNSET if args.question_reminder_hours is None else args.question_reminder_hours
    )
    if all(value is UNSET for value in (timezone, contact, booking, hours, wait)):
        print(
            "interval-bot clinic set: nothing to change (give --contact, --booking-url, "
            "--timezone, --opening-hours or --question-reminder-hours)",
            file=sys.stderr,
        )
        return EXIT_USAGE

    async def work(settings: Settings, database: Any) -> None:
        try:
            clinic = await clinics.update_clinic(
                database,
                args.name,
                now(),
                timezone=timezone,
                contact=contact,
                booking_url=booking,
                opening_hours=hours,
                question_reminder_hours=wait,
            )
        except (clinics.UnknownClinicError, OpeningHoursError) as exc:
            raise BadInputError(str(exc)) from None
        print(
            f"clinic {clinic.id}: {clinic.name}: time zone {clinic.timezone}, "
            f"contact {clinic.contact or '-'}, booking link {clinic.booking_url or '-'}, "
            f"opening hours {clinic.opening_hours or '-'}, "
            f"questions remind staff after {clinic.question_reminder_hours} h"
        )

    return run(args, work)
