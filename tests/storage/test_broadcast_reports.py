"""Following a broadcast: where its progress message is, and whether its report went out."""

from __future__ import annotations

from datetime import timedelta

from storage.database import Database
from tests.storage.factories import NOW, make_clinic, make_patient


async def test_a_followed_broadcast_is_listed_until_its_report_is_marked_once(
    database: Database,
) -> None:
    async with database.unit_of_work() as uow:
        clinic, other = await make_clinic(uow), await make_clinic(uow)
        patient = await make_patient(uow)
        draft = await uow.broadcasts.create(
            clinic.id, author_user_id=7, text="Hi", audience={"kind": "all"}, now=NOW
        )
        assert not await uow.broadcasts.set_report_target(
            other.id, draft.id, chat_id=7, message_id=1, language="en"
        )
        assert await uow.broadcasts.set_report_target(
            clinic.id, draft.id, chat_id=7, message_id=42, language="es"
        )
        await uow.broadcasts.queue(
            clinic.id,
            draft.id,
            recipients=[(patient.id, patient.chat_id)],
            payload={},
            due_at=NOW,
            now=NOW,
        )
        await uow.commit()
    async with database.unit_of_work() as uow:
        (followed,) = await uow.broadcasts.followed(finished_since=NOW - timedelta(days=1))
        assert followed.audience["kind"] == "all"
        assert followed.audience["report"] == {
            "chat_id": 7,
            "message_id": 42,
            "language": "es",
            "reported": False,
        }
        assert await uow.broadcasts.mark_reported(draft.id)
        assert not await uow.broadcasts.mark_reported(draft.id)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.broadcasts.followed(finished_since=NOW - timedelta(days=1)) == []


async def test_an_unfollowed_or_long_finished_broadcast_is_not_listed(database: Database) -> None:
    async with database.unit_of_work() as uow:
        clinic = await make_clinic(uow)
        quiet = await uow.broadcasts.create(
            clinic.id, author_user_id=7, text="Hi", audience={"kind": "all"}, now=NOW
        )
        old = await uow.broadcasts.create(
            clinic.id, author_user_id=7, text="Hi", audience={"kind": "all"}, now=NOW
        )
        await uow.broadcasts.set_report_target(
            clinic.id, old.id, chat_id=7, message_id=1, language="en"
        )
        await uow.broadcasts.cancel(clinic.id, old.id, now=NOW)
        await uow.broadcasts.cancel(clinic.id, quiet.id, now=NOW)
        await uow.commit()
    async with database.unit_of_work() as uow:
        assert await uow.broadcasts.followed(finished_since=NOW + timedelta(seconds=1)) == []
        (listed,) = await uow.broadcasts.followed(finished_since=NOW)
    assert listed.id == old.id
