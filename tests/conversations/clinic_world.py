"""Two clinics, their staff and patients, and an outsider, set up through the real chat."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from bot.usecases.clinics import create_clinic, invite_payload, join_payload
from sandbox import Sandbox
from sandbox.records import BotMessage
from sandbox.users import SandboxUser
from storage.database import Database
from storage.records import Clinic
from tests.conversations.helpers import onboard


@dataclass
class World:
    """Clinic A (staff `ana`, `alba`; patients `a_patients`) and B (`bruno`; `b_patients`)."""

    a: Clinic
    b: Clinic
    ana: SandboxUser
    alba: SandboxUser
    bruno: SandboxUser
    a_patients: list[SandboxUser] = field(default_factory=list)
    b_patients: list[SandboxUser] = field(default_factory=list)
    outsider: SandboxUser | None = None

    @property
    def patients(self) -> list[SandboxUser]:
        """Every patient, members of A and B and the outsider."""
        outsider = [self.outsider] if self.outsider else []
        return [*self.a_patients, *self.b_patients, *outsider]


async def make_clinic(database: Database, name: str, now: datetime) -> tuple[Clinic, str]:
    """A clinic and a fresh staff invite payload."""
    created = await create_clinic(
        database,
        name,
        timezone="Europe/Berlin",
        contact="+34 600 000 000",
        booking_url="https://example.org/book",
        now=now,
    )
    return created.clinic, invite_payload(created.invite)


async def become_staff(user: SandboxUser, payload: str) -> BotMessage:
    """Open a staff invite; the bot's answer."""
    await user.send(f"/start {payload}")
    return await user.next_message()


async def join(user: SandboxUser, clinic: Clinic) -> BotMessage:
    """An onboarded patient opens the clinic's join link; the join answer."""
    await user.send(f"/start {join_payload(clinic)}")
    welcome_back = await user.next_message()
    assert "Welcome back" in (welcome_back.text or ""), welcome_back.text
    return await user.next_message()


async def member(user: SandboxUser, clinic: Clinic) -> None:
    """Onboard `user` and link them to `clinic`."""
    await onboard(user)
    answer = await join(user, clinic)
    assert "You are now linked to" in (answer.text or ""), answer.text


async def build_world(
    sandbox: Sandbox, database: Database, now: datetime, *, a_members: int = 3, b_members: int = 2
) -> World:
    """Both clinics, three staff, their members and an outsider, all through the chat."""
    a, a_invite = await make_clinic(database, "Clínica Aurora", now)
    b, b_invite = await make_clinic(database, "Bright Skin", now)
    a_second = await _another_invite(database, a, now)
    world = World(
        a=a,
        b=b,
        ana=sandbox.user(501, first_name="Ana"),
        alba=sandbox.user(502, first_name="Alba"),
        bruno=sandbox.user(503, first_name="Bruno"),
    )
    for user, payload in ((world.ana, a_invite), (world.alba, a_second), (world.bruno, b_invite)):
        answer = await become_staff(user, payload)
        assert "You are now staff of" in (answer.text or ""), answer.text
    # Ana used A's first invite, so she is its owner, and is told who used the second.
    told = await world.ana.next_message()
    assert "Alba used an invite and is now staff of Clínica Aurora" in (told.text or "")
    for index in range(a_members):
        patient = sandbox.user(1001 + index, first_name=f"PatientA{index}")
        await member(patient, a)
        world.a_patients.append(patient)
    for index in range(b_members):
        patient = sandbox.user(2001 + index, first_name=f"PatientB{index}")
        await member(patient, b)
        world.b_patients.append(patient)
    world.outsider = sandbox.user(3001, first_name="Otto")
    await onboard(world.outsider)
    return world


async def _another_invite(database: Database, clinic: Clinic, now: datetime) -> str:
    async with database.unit_of_work() as uow:
        invite = await uow.clinics.create_invite(clinic.id, now=now)
        await uow.commit()
    return invite_payload(invite)
