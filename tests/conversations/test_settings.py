"""/settings end to end: every setting through the sandbox, re-planning, bad input, timeout."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import available_timezones

from bot import callbacks
from bot.app import build_application
from bot.buttons import SettingsZone
from bot.clock import FakeClock
from bot.context import BotApp
from rules import Procedure
from sandbox import Sandbox
from sandbox.records import BotMessage
from sandbox.users import SandboxUser
from storage.database import Database
from storage.records import Clinic
from tests.conversations._steps import all_button_data, answer_to, pending_reminders
from tests.conversations.helpers import (
    log_directly,
    onboard,
    patient_of,
    press_and_wait_for_edit,
)
from tests.fixtures.bot import TIMEOUT, bot_settings, fast_forward, running

YESTERDAY = date(2026, 11, 23)
DASH = "\N{EN DASH}"  # quiet hours read 22:00-08:00 with an en dash


async def _open_settings(user: SandboxUser) -> BotMessage:
    await user.send("/settings")
    return await user.next_message()


async def _clinic(database: Database, user: SandboxUser, name: str, *, days: int | None) -> Clinic:
    """A clinic the user belongs to; `days` overrides Botox → microneedling spacing."""
    patient = await patient_of(database, user.id)
    now = datetime(2026, 11, 1, tzinfo=UTC)
    async with database.unit_of_work() as uow:
        clinic = await uow.clinics.create(name, now=now, timezone="Europe/Berlin")
        if days is not None:
            await uow.guidance.set_override(
                clinic.id,
                Procedure.BOTOX,
                Procedure.MICRONEEDLING,
                days,
                changed_by=None,
                reason="our protocol",
                now=now,
            )
        await uow.clinics.join(patient.id, clinic.id, now=now)
        await uow.commit()
    return clinic


async def test_settings_shows_every_current_value_and_a_button_for_each(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    menu = await _open_settings(ana)
    text = menu.text or ""
    for line in (
        "Time zone: Europe/Berlin",
        "Reminders at: 09:00",
        "Early reminder: 2 days before",
        f"Quiet hours: 22:00{DASH}08:00",
        "Language: English",
        "News from your clinic: on",
        "Clinic: none",
    ):
        assert line in text
    assert menu.button_texts == [
        "🌍 Time zone",
        "⏰ Reminder time",
        "📅 Early reminder",
        "🌙 Quiet hours",
        "🗣 Language / Idioma",
        "🔕 Turn clinic news off",
        "🩹 Turn aftercare notes off",
        "🏥 Clinic",
        "✔️ Done",
    ]
    assert "Aftercare notes: on" in text
    closed = await press_and_wait_for_edit(ana, menu, "✔️ Done")
    assert closed.buttons == []
    assert "Time zone: Europe/Berlin" in (closed.text or "")


async def test_a_time_zone_button_changes_the_zone_and_replans_reminders(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, ana.id, Procedure.BOTOX, YESTERDAY, clock.now())
    before = {r.dedupe_key: r.due_at for r in await pending_reminders(bot_database, ana.id)}
    assert before["may_book:microneedling:20261207"] == datetime(2026, 12, 7, 8, tzinfo=UTC)
    menu = await _open_settings(ana)
    question = await press_and_wait_for_edit(ana, menu, "🌍 Time zone")
    assert "type your city" in (question.text or "")
    assert "✓ Europe/Berlin" in question.button_texts
    done = await press_and_wait_for_edit(ana, question, "America/New_York")
    assert "Your time zone is now America/New_York" in (done.text or "")
    assert "reminders are planned again" in (done.text or "")
    assert (await patient_of(bot_database, ana.id)).timezone == "America/New_York"
    after = {r.dedupe_key: r.due_at for r in await pending_reminders(bot_database, ana.id)}
    assert after.keys() == before.keys()
    # 09:00 in New York on 7 December is 14:00 UTC.
    assert after["may_book:microneedling:20261207"] == datetime(2026, 12, 7, 14, tzinfo=UTC)


async def test_a_typed_city_sets_the_zone_and_an_unknown_place_is_asked_again(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await press_and_wait_for_edit(ana, await _open_settings(ana), "🌍 Time zone")
    await ana.send("Atlantis")
    retry = await ana.next_message()
    assert "I don't know that place" in (retry.text or "")
    assert (await patient_of(bot_database, ana.id)).timezone == "Europe/Berlin"
    await ana.send("Kathmandu")
    done = await ana.next_message()
    assert "Your time zone is now Asia/Kathmandu" in (done.text or "")
    assert "🌍 Time zone" in done.button_texts
    assert (await patient_of(bot_database, ana.id)).timezone == "Asia/Kathmandu"
    # The city question is over: more text is no longer read as a place.
    await ana.send("Madrid")
    await ana.wait_until_idle()
    assert (await patient_of(bot_database, ana.id)).timezone == "Asia/Kathmandu"


async def test_the_hour_grid_changes_the_reminder_hour_and_replans(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, ana.id, Procedure.BOTOX, YESTERDAY, clock.now())
    grid = await press_and_wait_for_edit(ana, await _open_settings(ana), "⏰ Reminder time")
    assert len([d for d in all_button_data(grid) if d.startswith("st:h:")]) == 24
    assert "✓ 09:00" in grid.button_texts
    done = await press_and_wait_for_edit(ana, grid, "18:00")
    assert "Reminders now come at 18:00, your time." in (done.text or "")
    assert "Reminders at: 18:00" in (done.text or "")
    due = {r.dedupe_key: r.due_at for r in await pending_reminders(bot_database, ana.id)}
    assert due["may_book:microneedling:20261207"] == datetime(2026, 12, 7, 17, tzinfo=UTC)


async def test_an_hour_inside_quiet_hours_says_when_reminders_really_come(
    bot_app: BotApp, sandbox: Sandbox
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    grid = await press_and_wait_for_edit(ana, await _open_settings(ana), "⏰ Reminder time")
    done = await press_and_wait_for_edit(ana, grid, "06:00")
    assert "inside your quiet hours, so they will wait until 08:00" in (done.text or "")


async def test_early_reminder_days_go_from_zero_to_seven(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await log_directly(bot_database, ana.id, Procedure.BOTOX, YESTERDAY, clock.now())
    days = await press_and_wait_for_edit(ana, await _open_settings(ana), "📅 Early reminder")
    assert days.button_texts[:8] == ["0", "1", "✓ 2", "3", "4", "5", "6", "7"]
    done = await press_and_wait_for_edit(ana, days, "0")
    assert "I will remind you on the day only" in (done.text or "")
    keys = {r.dedupe_key for r in await pending_reminders(bot_database, ana.id)}
    assert not any(key.startswith("heads_up:") for key in keys)
    days = await press_and_wait_for_edit(ana, done, "📅 Early reminder")
    done = await press_and_wait_for_edit(ana, days, "7")
    assert "I will also remind you 7 days before." in (done.text or "")
    due = {r.dedupe_key: r.due_at for r in await pending_reminders(bot_database, ana.id)}
    assert due["heads_up:microneedling:20261207"] == datetime(2026, 11, 30, 8, tzinfo=UTC)


async def test_quiet_hours_presets_and_none(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    quiet = await press_and_wait_for_edit(ana, await _open_settings(ana), "🌙 Quiet hours")
    assert quiet.button_texts[:4] == [
        f"✓ 22:00{DASH}08:00",
        f"21:00{DASH}09:00",
        f"23:00{DASH}07:00",
        "No quiet hours",
    ]
    done = await press_and_wait_for_edit(ana, quiet, f"23:00{DASH}07:00")
    assert f"Quiet hours are now 23:00{DASH}07:00" in (done.text or "")
    patient = await patient_of(bot_database, ana.id)
    assert (patient.quiet_start, patient.quiet_end) == (time(23), time(7))
    quiet = await press_and_wait_for_edit(ana, done, "🌙 Quiet hours")
    done = await press_and_wait_for_edit(ana, quiet, "No quiet hours")
    assert "Quiet hours are off" in (done.text or "")
    assert "Quiet hours: off" in (done.text or "")
    patient = await patient_of(bot_database, ana.id)
    assert (patient.quiet_start, patient.quiet_end) == (None, None)


async def test_switching_to_spanish_answers_in_spanish_at_once(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001, language_code="en")
    await onboard(ana)
    languages = await press_and_wait_for_edit(ana, await _open_settings(ana), "🗣 Language / Idioma")
    assert languages.button_texts[:2] == ["✓ English", "Español"]
    done = await press_and_wait_for_edit(ana, languages, "Español")
    assert "a partir de ahora te escribo en español" in (done.text or "")
    assert "Idioma: Español" in (done.text or "")
    assert "🌍 Zona horaria" in done.button_texts
    assert (await patient_of(bot_database, ana.id)).language == "es"
    await ana.send("/settings")
    assert "Tus ajustes" in ((await ana.next_message()).text or "")


async def test_settings_in_spanish_for_a_spanish_speaker(bot_app: BotApp, sandbox: Sandbox) -> None:
    lucia = sandbox.user(2002, language_code="es")
    await onboard(lucia, zone="Europe/Madrid")
    menu = await _open_settings(lucia)
    text = menu.text or ""
    assert "Tus ajustes" in text
    assert "Zona horaria: Europe/Madrid" in text
    assert "Aviso previo: 2 días antes" in text
    assert "Clínica: ninguna" in text
    grid = await press_and_wait_for_edit(lucia, menu, "⏰ Hora de aviso")
    done = await press_and_wait_for_edit(lucia, grid, "08:00")
    assert "Los avisos llegarán ahora a las 08:00" in (done.text or "")


async def test_clinic_news_switches_off_and_on_and_a_repeated_press_changes_nothing(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    menu = await _open_settings(ana)
    done = await press_and_wait_for_edit(ana, menu, "🔕 Turn clinic news off")
    assert "Clinic news is off" in (done.text or "")
    assert (await patient_of(bot_database, ana.id)).broadcasts_opt_out
    edits = len(done.edits)
    # The same data again (a double tap): still off, and nothing on screen changes.
    query = await ana.press_data(done, "st:b:off")
    await answer_to(ana, query)
    await ana.wait_until_idle()
    assert (await patient_of(bot_database, ana.id)).broadcasts_opt_out
    assert len(done.edits) == edits
    done = await press_and_wait_for_edit(ana, done, "🔔 Turn clinic news on")
    assert "Clinic news is on" in (done.text or "")
    assert not (await patient_of(bot_database, ana.id)).broadcasts_opt_out


async def test_leaving_a_clinic_asks_first_then_replans_with_the_standard_guidance(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    clinic = await _clinic(bot_database, ana, "Clínica <Sol>", days=21)
    await log_directly(bot_database, ana.id, Procedure.BOTOX, YESTERDAY, clock.now())
    keys = {r.dedupe_key for r in await pending_reminders(bot_database, ana.id)}
    assert "may_book:microneedling:20261214" in keys
    menu = await _open_settings(ana)
    assert "Clinic: Clínica <Sol>" in (menu.text or "")
    assert "Clínica &lt;Sol&gt;" in (menu.raw_text or "")
    view = await press_and_wait_for_edit(ana, menu, "🏥 Clinic")
    assert "You are linked to Clínica <Sol>" in (view.text or "")
    question = await press_and_wait_for_edit(ana, view, "🚪 Leave this clinic")
    assert "Leave Clínica <Sol>?" in (question.text or "")
    assert question.button_texts == ["No, stay", "Yes, leave"]
    done = await press_and_wait_for_edit(ana, question, "Yes, leave")
    assert "You left Clínica <Sol>" in (done.text or "")
    assert "Clinic: none" in (done.text or "")
    keys = {r.dedupe_key for r in await pending_reminders(bot_database, ana.id)}
    assert "may_book:microneedling:20261207" in keys
    assert "may_book:microneedling:20261214" not in keys
    patient = await patient_of(bot_database, ana.id)
    async with bot_database.unit_of_work() as uow:
        assert await uow.clinics.active_membership(patient.id) is None
        actions = [entry.action for entry in await uow.audit.about_patient(patient.id)]
    assert "patient.left_clinic" in actions
    # The confirmation pressed again: out of date, nothing else happens.
    query = await ana.press_data(done, f"st:c:y:{clinic.id}")
    assert (await answer_to(ana, query)).text == "This is out of date."


async def test_no_stay_keeps_the_clinic(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await _clinic(bot_database, ana, "Clínica Sol", days=None)
    view = await press_and_wait_for_edit(ana, await _open_settings(ana), "🏥 Clinic")
    question = await press_and_wait_for_edit(ana, view, "🚪 Leave this clinic")
    back = await press_and_wait_for_edit(ana, question, "No, stay")
    assert "You are linked to Clínica Sol" in (back.text or "")
    patient = await patient_of(bot_database, ana.id)
    async with bot_database.unit_of_work() as uow:
        assert await uow.clinics.active_membership(patient.id) is not None


async def test_a_leave_button_from_an_earlier_clinic_does_not_leave_the_new_one(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    first = await _clinic(bot_database, ana, "First", days=None)
    view = await press_and_wait_for_edit(ana, await _open_settings(ana), "🏥 Clinic")
    question = await press_and_wait_for_edit(ana, view, "🚪 Leave this clinic")
    await _clinic(bot_database, ana, "Second", days=None)
    query = await ana.press(question, "Yes, leave")
    assert (await answer_to(ana, query)).text == "This is out of date."
    patient = await patient_of(bot_database, ana.id)
    async with bot_database.unit_of_work() as uow:
        membership = await uow.clinics.active_membership(patient.id)
    assert membership is not None
    assert membership.clinic_id != first.id


async def test_settings_before_consent_asks_to_start(bot_app: BotApp, sandbox: Sandbox) -> None:
    stranger = sandbox.user(3003)
    await stranger.send("/settings")
    assert "Please send /start first" in ((await stranger.next_message()).text or "")


async def test_cancel_while_asked_for_a_city_stops_and_changes_nothing(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await press_and_wait_for_edit(ana, await _open_settings(ana), "🌍 Time zone")
    await ana.send("/cancel")
    assert "Your settings are unchanged" in ((await ana.next_message()).text or "")
    await ana.send("Tokyo")
    await ana.wait_until_idle()
    assert (await patient_of(bot_database, ana.id)).timezone == "Europe/Berlin"
    ana.skip_messages()  # whatever the free-text reader made of "Tokyo"
    await ana.send("/cancel")
    assert (await ana.next_message()).text == "Nothing to cancel."


async def test_a_city_question_left_past_the_timeout_ends_cleanly(
    sandbox: Sandbox, bot_database: Database, clock: FakeClock
) -> None:
    application = build_application(bot_settings(sandbox), clock=clock, database=bot_database)
    async with running(application):
        ana = sandbox.user(1001)
        await onboard(ana)
        await press_and_wait_for_edit(ana, await _open_settings(ana), "🌍 Time zone")
        await fast_forward(application, clock, TIMEOUT + timedelta(seconds=1))
        await ana.send("Tokyo")
        await ana.wait_until_idle()
        assert (await patient_of(bot_database, ana.id)).timezone == "Europe/Berlin"
        ana.skip_messages()  # whatever the free-text reader made of "Tokyo"
        await ana.send("/cancel")
        assert (await ana.next_message()).text == "Nothing to cancel."


async def test_forged_settings_data_changes_only_the_pressers_own_settings(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana, bob = sandbox.user(1001), sandbox.user(1002)
    await onboard(ana)
    await onboard(bob)
    clinic = await _clinic(bot_database, ana, "Ana's clinic", days=None)
    ana_before = await patient_of(bot_database, ana.id)
    menu = await _open_settings(bob)
    for forged in (
        f"st:c:y:{clinic.id}",
        f"st:c:l:{clinic.id}",
        "st:h:24",
        "st:h:+7",
        "st:h:٣",
        "st:d:8",
        "st:tz:Mars/Olympus",
        "st:tz:Madrid",
        "st:l:fr",
        "st:q:20-6",
        "st:b:toggle",
        "st:h:7:1001",
        "st:",
        "st",
    ):
        query = await bob.press_data(menu, forged)
        assert (await answer_to(bob, query)).text == "This is out of date.", forged
    # Data that is valid changes the presser's own settings, never anyone else's.
    await press_and_wait_for_edit(bob, menu, data="st:h:7")
    assert (await patient_of(bot_database, bob.id)).reminder_hour == 7
    assert await patient_of(bot_database, ana.id) == ana_before
    async with bot_database.unit_of_work() as uow:
        assert await uow.clinics.active_membership(ana_before.id) is not None


async def test_every_settings_button_fits_in_64_bytes(
    bot_app: BotApp, sandbox: Sandbox, bot_database: Database
) -> None:
    ana = sandbox.user(1001)
    await onboard(ana)
    await _clinic(bot_database, ana, "A clinic with a long name " * 4, days=None)
    menu = await _open_settings(ana)
    seen = set(all_button_data(menu))
    for topic in ("🌍 Time zone", "⏰ Reminder time", "📅 Early reminder", "🌙 Quiet hours"):
        seen.update(all_button_data(await press_and_wait_for_edit(ana, menu, topic)))
        await press_and_wait_for_edit(ana, menu, "« Back")
    seen.update(all_button_data(await press_and_wait_for_edit(ana, menu, "🗣 Language / Idioma")))
    await press_and_wait_for_edit(ana, menu, "« Back")
    view = await press_and_wait_for_edit(ana, menu, "🏥 Clinic")
    seen.update(all_button_data(view))
    seen.update(all_button_data(await press_and_wait_for_edit(ana, view, "🚪 Leave this clinic")))
    assert all(len(data.encode()) <= callbacks.MAX_BYTES for data in seen)
    # The zone button shows the patient's own zone, which may be any zone they typed.
    longest = max(available_timezones(), key=len)
    assert len(SettingsZone(longest).pack().encode()) <= callbacks.MAX_BYTES
