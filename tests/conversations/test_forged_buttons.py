"""Forged and mangled button data, pressed against the real bot: answered, harmless, quiet.

Callback data comes from the client. Every registered prefix is pressed with data that is
mangled (unicode digits, 30-digit numbers, wrong arity, stray separators, random text) or
forged (well-formed, but naming another patient's entry, reminder or clinic). Each press
must be answered, change nothing in the database, and log no ERROR.
"""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import logging
import re
from collections.abc import Callable, Coroutine
from datetime import date, timedelta
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin, get_type_hints

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot import buttons  # noqa: F401  # registers every button class
from bot.callbacks import CallbackData, Month, Range, Token, registered
from bot.clock import FakeClock
from bot.context import BotApp
from bot.usecases.clinics import join_payload
from rules import Procedure
from sandbox import Sandbox
from sandbox.users import SandboxUser
from storage.database import Database
from storage.models import Base
from tests.conversations._steps import answer_to
from tests.conversations.clinic_world import make_clinic, member
from tests.conversations.helpers import (
    log_directly,
    onboard,
    patient_of,
    press_and_wait_for_edit,
)
from tests.delivery.helpers import advance_to, rows

T = TypeVar("T")

# Fields that name something owned by someone: a press with another's id must do nothing.
OWNED = frozenset({"entry", "reminder", "clinic", "broadcast"})


async def snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in a stable order."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            rows = (await connection.execute(select(table))).all()
            found[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return found


def _field_strategy(hint: Any, ids: list[int]) -> st.SearchStrategy[Any]:
    if get_origin(hint) is Annotated:
        base, *extras = get_args(hint)
        for extra in extras:
            if isinstance(extra, Token):
                return st.from_regex(extra.pattern, fullmatch=True)
            if isinstance(extra, Range) and extra.high > 10**6:
                # An id (the outbox's are BIGINT): others', or none that exists.
                return st.sampled_from(ids) | st.integers(10**6, extra.high)
            if isinstance(extra, Range):
                return st.integers(extra.low, extra.high)
        return _field_strategy(base, ids)
    if get_origin(hint) is Literal:
        return st.sampled_from(get_args(hint))
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return st.sampled_from(list(hint))
    if hint is int:
        # Another patient's ids, or ids far beyond anything stored; never the presser's own.
        return st.sampled_from(ids) | st.integers(10**6, 2**31 - 1)
    if hint is date:
        return st.dates(date(2000, 1, 1), date(2028, 12, 31))
    if hint is Month:
        return st.builds(Month, st.integers(2000, 2028), st.integers(1, 12))
    raise AssertionError(f"no strategy for {hint!r}")


def well_formed(cls: type[CallbackData], ids: list[int]) -> st.SearchStrategy[str]:
    """Data `cls` would accept, its ids drawn from `ids` (another patient's) or at random."""
    hints = get_type_hints(cls, include_extras=True)
    fields = {f.name: _field_strategy(hints[f.name], ids) for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return st.builds(cls, **fields).map(lambda data: data.pack())


def _digits_to(replacement: str) -> Callable[[str], str]:
    return lambda data: re.sub(r"[0-9]", replacement, data)


# No field of any button takes these characters: the result is no button at all.
NEVER_VALID: list[Callable[[str], str]] = [
    _digits_to("²"),
    _digits_to("１"),  # noqa: RUF001  # a fullwidth digit, on purpose
    _digits_to("٣"),
    lambda data: data.replace(":", "::", 1),
    lambda data: data.upper(),
    lambda data: data + " ",
]
# Not a number any id field takes; a free text field (a zone, a nonce) may still take it.
BAD_NUMBERS: list[Callable[[str], str]] = [
    lambda data: re.sub(r"[0-9]+", "9" * 30, data),
    lambda data: re.sub(r"[0-9]+", "-1", data),
]
# Wrong arity; may happen to be another button's shape, so only "harmless" is checked.
RESHAPED: list[Callable[[str], str]] = [
    lambda data: data + ":1",
    lambda data: data.rsplit(":", 1)[0],
    lambda data: data[: max(1, len(data) // 2)],
]


def _fields(cls: type[CallbackData]) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]


def _free_text(cls: type[CallbackData]) -> bool:
    hints = get_type_hints(cls, include_extras=True)
    return any(
        get_origin(hint) is Annotated and get_args(hint)[0] is str for hint in hints.values()
    )


# What a press of data that is no button at all is answered with (flows give their own).
STALE = frozenset({"This is out of date.", "This reminder is no longer available."})


def _mangled(cls: type[CallbackData], ids: list[int]) -> st.SearchStrategy[tuple[bool, str]]:
    manglers = [(True, m) for m in NEVER_VALID]
    manglers += [(not _free_text(cls), m) for m in BAD_NUMBERS]
    if not _free_text(cls):
        # A cut zone name can still read as a place; other fields cannot be cut into sense.
        manglers += [(False, m) for m in RESHAPED]
    return (
        st.tuples(well_formed(cls, ids), st.sampled_from(manglers))
        .map(lambda pair: (pair[1][0], pair[0], pair[1][1](pair[0])))
        .filter(lambda case: case[1] != case[2])
        .map(lambda case: (case[0], case[2]))
    )


def pressable(ids: list[int]) -> st.SearchStrategy[tuple[bool, str]]:
    """(stale, data): mangled data of every prefix, random text, or forged data naming
    others' ids; `stale` says the press must get the bot's out-of-date answer.

    Built so that none of it may change anything, without asking the codec under test: a
    mangle that changed nothing is skipped, junk holds a character no field accepts, and
    forged data names only others' ids (or none that exist).
    """
    classes = registered()
    mangled = st.sampled_from(classes).flatmap(lambda cls: _mangled(cls, ids))
    prefixes = st.sampled_from(sorted({cls.prefix for cls in classes}))
    odd = st.text(min_size=1, max_size=30).filter(lambda s: re.search(r"[^A-Za-z0-9_:/+\-]", s))
    junk = st.tuples(prefixes, odd).map(lambda pair: (True, f"{pair[0]}:{pair[1]}"))
    forged = st.sampled_from([cls for cls in classes if OWNED & _fields(cls)]).flatmap(
        lambda cls: well_formed(cls, ids).map(lambda data: (False, data))
    )
    return st.one_of(mangled, junk, forged).filter(lambda case: 0 < len(case[1].encode()) <= 64)


async def _world(
    app: BotApp, sandbox: Sandbox, database: Database, clock: FakeClock
) -> tuple[SandboxUser, list[int]]:
    """Ana with history and a reminder on screen; Ben, who presses. Ana's ids, to forge."""
    ana, ben = sandbox.user(1001), sandbox.user(1002)
    await onboard(ana)
    await onboard(ben)
    treatment = await log_directly(database, 1001, Procedure.BOTOX, date(2026, 11, 20), clock.now())
    his = await log_directly(
        database, 1002, Procedure.MICRONEEDLING, date(2026, 11, 10), clock.now()
    )
    await advance_to(clock, app, clock.now() + timedelta(days=14))
    alice, bob = await patient_of(database, 1001), await patient_of(database, 1002)
    sent = await rows(database, alice.id)
    await ben.send("/history")
    await ben.next_message()
    # Ids are per table: one of Ana's outbox ids may be Ben's treatment's. Only ids that are
    # none of Ben's, in any table, are a forgery.
    bens = {his.id, bob.id, *(m.id for m in await rows(database, bob.id))}
    ana_ids = [i for i in {treatment.id, alice.id, *(m.id for m in sent)} if i not in bens]
    return ben, sorted(ana_ids)


def _in_loop(loop: asyncio.AbstractEventLoop, make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run_coroutine_threadsafe(make(), loop).result(timeout=30)


async def test_random_and_mangled_button_data_is_answered_and_changes_nothing(
    bot_app: BotApp,
    sandbox: Sandbox,
    bot_database: Database,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ben, ana_ids = await _world(bot_app, sandbox, bot_database, clock)
    await ben.wait_until_idle(quiet=0.1)
    before = await snapshot(bot_database)
    target = ben.messages[-1]
    loop = asyncio.get_running_loop()
    pressed: list[str] = []

    async def press(stale: bool, data: str) -> None:
        query = await ben.press_data(target, data)
        answer = await answer_to(ben, query)
        if stale:
            assert answer.text in STALE, (data, answer.text)
        await ben.wait_until_idle(quiet=0.05)
        assert await snapshot(bot_database) == before, data

    # Hypothesis drives the examples from a thread; each press runs in the bot's loop.
    @settings(
        max_examples=150,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(case=pressable(ana_ids))
    def one_press(case: tuple[bool, str]) -> None:
        pressed.append(case[1])
        _in_loop(loop, lambda: press(*case))

    caplog.set_level(logging.ERROR)
    await asyncio.to_thread(one_press)
    assert len(pressed) >= 50
    await ben.wait_until_idle(quiet=0.3)
    assert await snapshot(bot_database) == before
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


async def _a_patients_session(
    app: BotApp, sandbox: Sandbox, database: Database, clock: FakeClock
) -> SandboxUser:
    """Ana goes through every screen with buttons a patient can see."""
    ana = sandbox.user(1001)
    first, _ = await make_clinic(database, "Clínica Aurora", clock.now())
    second, _ = await make_clinic(database, "Bright Skin", clock.now())
    await member(ana, first)
    await ana.send(f"/start {join_payload(second)}")  # the switch question
    await ana.next_message()
    await ana.next_message()
    # /log with its calendar, a month turned, a day chosen, saved.
    await ana.send("/log")
    calendar = await press_and_wait_for_edit(ana, await ana.next_message(), "Botox")
    calendar = await press_and_wait_for_edit(ana, calendar, "◀")
    confirm = await press_and_wait_for_edit(ana, calendar, "20")
    await ana.press(confirm, "✅ Save")
    await ana.next_message()
    await ana.next_message()  # the aftercare note that follows a done treatment
    # Free text, a conflict and its "Save anyway".
    await ana.send("microneedling on 25.10.2026")
    await ana.press(await ana.next_message(), "⚠️ Save anyway")
    await ana.next_message()
    await ana.next_message()  # its aftercare note
    # /history: an entry, its calendar, a conflicting day, the delete question.
    await ana.send("/history")
    page = await ana.next_message()
    entry = await press_and_wait_for_edit(ana, page, "Botox · Tue, 20 Oct 2026")
    calendar = await press_and_wait_for_edit(ana, entry, "📅 Change date")
    conflict = await press_and_wait_for_edit(ana, calendar, "24")
    entry = await press_and_wait_for_edit(ana, conflict, "Cancel")
    await press_and_wait_for_edit(ana, entry, "🗑 Delete")
    # /settings and each of its choices.
    await ana.send("/settings")
    menu = await ana.next_message()
    for topic in ("🌍 Time zone", "⏰ Reminder time", "📅 Early reminder", "🌙 Quiet hours"):
        await press_and_wait_for_edit(ana, menu, topic)
        await press_and_wait_for_edit(ana, menu, "« Back")
    clinic = await press_and_wait_for_edit(ana, menu, "🏥 Clinic")
    await press_and_wait_for_edit(ana, clinic, "🚪 Leave this clinic")
    # /delete's first question (with its nonce).
    await ana.send("/delete")
    await ana.next_message()
    # A reminder with its buttons, and Booked's calendar.
    await log_directly(database, 1001, Procedure.BOTOX, date(2026, 11, 23), clock.now())
    await advance_to(clock, app, clock.now() + timedelta(days=20))
    reminder = next(m for m in reversed(ana.messages) if "✅ Booked" in m.button_texts)
    await ana.press(reminder, "✅ Booked")
    await ana.wait_until_idle(quiet=0.1)
    return ana


def _with_digits(data: str) -> list[str]:
    if not re.search(r"[0-9]", data):
        return []
    return [re.sub(r"[0-9]", "²", data), re.sub(r"[0-9]+", "9" * 30, data)]


async def test_every_button_a_patient_saw_replayed_with_mangled_digits_is_answered_quietly(
    bot_app: BotApp,
    sandbox: Sandbox,
    bot_database: Database,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    ana = await _a_patients_session(bot_app, sandbox, bot_database, clock)
    seen = {
        button.data
        for message in ana.messages
        for button in message.every_button
        if button.data is not None and not button.data.startswith("https://")
    }
    replays = sorted({mangled for data in seen for mangled in _with_digits(data)})
    assert len(replays) >= 40, sorted(seen)
    # (The /delete nonce is random: it holds digits only some of the time.)
    assert {data.split(":")[0] for data in replays} >= {"lg", "ft", "hi", "st", "rm", "cl"}
    before = await snapshot(bot_database)
    caplog.set_level(logging.ERROR)
    target = ana.messages[-1]
    for data in replays:
        query = await ana.press_data(target, data)
        answer = await answer_to(ana, query)
        # A mangled join code is only an unknown link; everything else is out of date.
        assert answer.text in STALE or data.startswith("cl:sw:"), (data, answer.text)
    await ana.wait_until_idle(quiet=0.1)
    assert await snapshot(bot_database) == before
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]
