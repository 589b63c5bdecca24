"""`interval-bot clinic`: create clinics, list and show them, issue staff invites, edit details.

    interval-bot clinic create NAME [--timezone TZ] [--contact TEXT] [--booking-url URL]
    interval-bot clinic list
    interval-bot clinic show NAME
    interval-bot clinic invite NAME
    interval-bot clinic set NAME [--timezone TZ] [--contact TEXT] [--booking-url URL]

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

from bot.config import Settings, load_settings

EXIT_USAGE = 2
EXIT_UNAVAILABLE = 1
MAX_NAME = 200
MAX_CONTACT = 500

T = TypeVar("T")


class _BadInputError(Exception):
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
        "invite link (single use, valid 7 days).",
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
    invite.set_defaults(handler=invite_command)

    change = commands.add_parser(
        "set",
        help="change a clinic's contact, booking link or time zone",
        description="Change the given details; an empty value ('') removes contact or link.",
    )
    change.add_argument("name", type=_name, metavar="NAME")
    change.add_argument("--timezone", type=_timezone, metavar="TZ", help="an IANA time zone")
    change.add_argument("--contact", type=_contact_or_empty, metavar="TEXT", help="'' removes it")
    change.add_argument("--booking-url", type=_url_or_empty, metavar="URL", help="'' removes it")
    change.set_defaults(handler=set_command)


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


def _run(args: argparse.Namespace, work: Callable[[Settings, Any], Awaitable[T]]) -> int:
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
    except _BadInputError as exc:
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


def _now() -> datetime:
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
                now=_now(),
            )
        except clinics.ClinicNameTakenError:
            raise _BadInputError(f"a clinic named {args.name!r} already exists") from None
        clinic = created.clinic
        print(f"clinic {clinic.id}: {clinic.name}")
        for line in _links(
            username, clinics.join_payload(clinic), clinics.invite_payload(created.invite)
        ):
            print(line)

    return _run(args, work)


def list_command(args: argparse.Namespace) -> int:
    """One line per clinic."""
    from bot.usecases import clinics

    async def work(settings: Settings, database: Any) -> None:
        found = await clinics.list_clinics(database, _now())
        if not found:
            print("no clinics yet: create one with `interval-bot clinic create NAME`")
        for clinic, stats in found:
            print(
                f"{clinic.id}\t{clinic.name}\tmembers {stats.members}\tactive {stats.active}"
                f"\tguidance v{clinic.guidance_version}"
            )

    return _run(args, work)


def show_command(args: argparse.Namespace) -> int:
    """A clinic's details, numbers, staff and last broadcasts."""
    from bot.usecases import clinics

    async def work(settings: Settings, database: Any) -> None:
        try:
            report = await clinics.show_clinic(database, args.name, _now())
        except clinics.UnknownClinicError as exc:
            raise _BadInputError(str(exc)) from None
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
                f"  telegram user {member.telegram_user_id} ({member.role}) since "
                f"{member.added_at.date().isoformat()}"
            )
        print(f"upcoming reminders: {stats.upcoming_reminders}")
        print(f"reminders sent in the last 30 days: {stats.reminders_sent_30d}")
        for broadcast in report.broadcasts:
            print(
                f"broadcast #{broadcast.id} {broadcast.created_at.date().isoformat()} "
                f"{broadcast.state}: sent {broadcast.sent}, blocked {broadcast.blocked}, "
                f"failed {broadcast.failed} of {broadcast.total}"
            )

    return _run(args, work)


def invite_command(args: argparse.Namespace) -> int:
    """Print a new single-use staff invite link."""
    from bot.usecases import clinics

    async def work(settings: Settings, database: Any) -> None:
        try:
            await clinics.show_clinic(database, args.name, _now())
        except clinics.UnknownClinicError as exc:
            raise _BadInputError(str(exc)) from None
        username = await _bot_username(settings)
        created = await clinics.new_invite(database, args.name, _now())
        expires = created.invite.expires_at.isoformat(timespec="minutes")
        print(
            f"staff invite link: "
            f"{clinics.deep_link(username, clinics.invite_payload(created.invite))} "
            f"(single use, expires {expires})"
        )

    return _run(args, work)


def set_command(args: argparse.Namespace) -> int:
    """Change a clinic's contact, booking link or time zone."""
    from bot.usecases import clinics
    from storage.records import UNSET, Unset

    timezone: str | Unset = UNSET if args.timezone is None else args.timezone
    contact: str | Unset | None = UNSET if args.contact is None else (args.contact or None)
    booking: str | Unset | None = UNSET if args.booking_url is None else (args.booking_url or None)
    if timezone is UNSET and contact is UNSET and booking is UNSET:
        print(
            "interval-bot clinic set: nothing to change "
            "(give --contact, --booking-url or --timezone)",
            file=sys.stderr,
        )
        return EXIT_USAGE

    async def work(settings: Settings, database: Any) -> None:
        try:
            clinic = await clinics.update_clinic(
                database,
                args.name,
                _now(),
                timezone=timezone,
                contact=contact,
                booking_url=booking,
            )
        except clinics.UnknownClinicError as exc:
            raise _BadInputError(str(exc)) from None
        print(
            f"clinic {clinic.id}: {clinic.name}: time zone {clinic.timezone}, "
            f"contact {clinic.contact or '-'}, booking link {clinic.booking_url or '-'}"
        )

    return _run(args, work)
