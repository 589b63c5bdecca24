"""/staff: an owner's team screen: members and roles, removal, invites, the join link.

Every press re-checks in the use-case that the presser is an owner of the clinic it names
(`bot.usecases.team`), so a button from before a demotion or a removal changes nothing.
Buttons: `tm:*` in `bot.buttons`.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import ConversationHandler

from bot.buttons import (
    TeamClinic,
    TeamInvite,
    TeamMember,
    TeamRemove,
    TeamRemoveAsk,
    TeamRevoke,
    TeamRole,
    TeamRotate,
    TeamRotateAsk,
)
from bot.context import AppContext
from bot.handlers import staff_access as staff
from bot.kit.screens import answer, reply, show
from bot.kit.staff_messages import tell_removed
from bot.render import team_screens as view
from bot.usecases.clinics import NotStaffError, deep_link, invite_payload, join_payload
from bot.usecases.team import (
    NotOwnerError,
    Team,
    create_invite,
    owners_of,
    remove_member,
    revoke_invite,
    rotate_join_link,
    set_member_role,
    team,
)
from storage.records import StaffMember, StaffRole

END = ConversationHandler.END


async def on_staff(update: Update, context: AppContext) -> int:
    """/staff: the team of the clinic (after choosing it, for staff of several)."""
    clinic = await staff.staff_clinic(update, context, TeamClinic)
    if clinic is not None:
        await _show_team(update, context, clinic.id)
    return END


async def on_clinic(update: Update, context: AppContext, pressed: TeamClinic) -> int:
    """A clinic chosen, or « Back to the team."""
    await answer(update, context)
    await _show_team(update, context, pressed.clinic)
    return END


async def _team(update: Update, context: AppContext, clinic_id: int) -> Team | None:
    """The team if the user is an owner; otherwise the refusal is sent and None."""
    user = update.effective_user
    assert user is not None
    services = context.services
    try:
        return await team(services.database, clinic_id, user.id, services.clock.now())
    except NotOwnerError:
        owners = await owners_of(services.database, clinic_id, user.id)
        clinics = await staff.clinic_of_staff(update, context, clinic_id)
        if clinics is not None:
            await reply(update, view.owners_only(clinics, owners, context.t))
    except NotStaffError:
        await staff.refuse(update, context)
    return None


async def _show_team(update: Update, context: AppContext, clinic_id: int) -> None:
    found = await _team(update, context, clinic_id)
    if found is not None:
        await show(update, view.team_text(found, context.t), view.team_keyboard(found, context.t))


async def _member(
    update: Update, context: AppContext, clinic_id: int, member_id: int, *, or_team: bool
) -> tuple[Team, StaffMember] | None:
    """The team and one of its members; otherwise the refusal or "not staff" is sent (and,
    with `or_team`, the team shown again)."""
    found = await _team(update, context, clinic_id)
    if found is None:
        return None
    member = next((m for m in found.members if m.telegram_user_id == member_id), None)
    if member is None:
        await reply(update, view.change_result("not_staff", found.clinic, context.t))
        if or_team:
            await show(
                update, view.team_text(found, context.t), view.team_keyboard(found, context.t)
            )
        return None
    return found, member


async def on_member(update: Update, context: AppContext, pressed: TeamMember) -> int:
    """One member: role and removal."""
    await answer(update, context)
    chosen = await _member(update, context, pressed.clinic, pressed.member, or_team=True)
    if chosen is None:
        return END
    found, member = chosen
    t = context.t
    await show(
        update,
        view.member_text(found.clinic, member, t),
        view.member_keyboard(found.clinic, member, t),
    )
    return END


async def on_role(update: Update, context: AppContext, pressed: TeamRole) -> int:
    """Make a member an owner or plain staff (the last owner stays one)."""
    await answer(update, context)
    found = await _team(update, context, pressed.clinic)
    if found is None:
        return END
    user = update.effective_user
    assert user is not None
    services = context.services
    kind = await set_member_role(
        services.database,
        pressed.clinic,
        pressed.member,
        StaffRole(pressed.role),
        user.id,
        services.clock.now(),
    )
    await reply(update, view.change_result(kind, found.clinic, context.t))
    await _show_team(update, context, pressed.clinic)
    return END


async def on_remove_ask(update: Update, context: AppContext, pressed: TeamRemoveAsk) -> int:
    """Ask before removing a member."""
    await answer(update, context)
    chosen = await _member(update, context, pressed.clinic, pressed.member, or_team=False)
    if chosen is None:
        return END
    found, member = chosen
    t = context.t
    await show(
        update,
        view.remove_question(found.clinic, member, t),
        view.remove_keyboard(found.clinic, member, t),
    )
    return END


async def on_remove(update: Update, context: AppContext, pressed: TeamRemove) -> int:
    """Remove the member, tell them, and show the team again."""
    await answer(update, context)
    user = update.effective_user
    assert user is not None
    services = context.services
    try:
        removal = await remove_member(
            services.database, pressed.clinic, pressed.member, user.id, services.clock.now()
        )
    except NotOwnerError:
        await _team(update, context, pressed.clinic)
        return END
    except NotStaffError:
        await staff.refuse(update, context)
        return END
    await reply(update, view.change_result(removal.kind, removal.clinic, context.t))
    if removal.kind == "done" and removal.member is not None:
        await tell_removed(
            context.bot, removal.member, removal.clinic, still_staff_elsewhere=removal.elsewhere
        )
    if pressed.member != user.id:
        await _show_team(update, context, pressed.clinic)
    return END


async def on_invite(update: Update, context: AppContext, pressed: TeamInvite) -> int:
    """A new single-use invite link, to be passed on to one person."""
    await answer(update, context)
    found = await _team(update, context, pressed.clinic)
    if found is None:
        return END
    user = update.effective_user
    assert user is not None
    services = context.services
    invite = await create_invite(
        services.database, pressed.clinic, StaffRole(pressed.role), user.id, services.clock.now()
    )
    link = deep_link(context.bot.username, invite_payload(invite))
    await reply(update, view.invite_created(found.clinic, invite, link, context.t))
    return END


async def on_revoke(update: Update, context: AppContext, pressed: TeamRevoke) -> int:
    """Withdraw an unused invite."""
    await answer(update, context)
    found = await _team(update, context, pressed.clinic)
    if found is None:
        return END
    user = update.effective_user
    assert user is not None
    services = context.services
    done = await revoke_invite(
        services.database, pressed.clinic, pressed.invite, user.id, services.clock.now()
    )
    await reply(update, view.revoked(pressed.invite, done, context.t))
    await _show_team(update, context, pressed.clinic)
    return END


async def on_rotate_ask(update: Update, context: AppContext, pressed: TeamRotateAsk) -> int:
    """Ask before replacing the join link."""
    await answer(update, context)
    found = await _team(update, context, pressed.clinic)
    if found is not None:
        t = context.t
        await show(
            update, view.rotate_question(found.clinic, t), view.rotate_keyboard(found.clinic, t)
        )
    return END


async def on_rotate(update: Update, context: AppContext, pressed: TeamRotate) -> int:
    """Replace the join link; the old one stops working, members stay."""
    await answer(update, context)
    found = await _team(update, context, pressed.clinic)
    if found is None:
        return END
    user = update.effective_user
    assert user is not None
    services = context.services
    clinic = await rotate_join_link(
        services.database, pressed.clinic, user.id, services.clock.now()
    )
    link = deep_link(context.bot.username, join_payload(clinic))
    await show(update, view.rotated(clinic, link, context.t))
    return END
