"""/staff as owners see it, and the messages staff get when the team changes."""

from __future__ import annotations

import html
from collections.abc import Sequence

from telegram import InlineKeyboardMarkup

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
from bot.i18n import Translator
from bot.render.keyboards import button, keyboard
from bot.render.staff import clinic_name
from bot.usecases.team import MemberChange, Team
from storage.records import Clinic, StaffInvite, StaffMember, StaffRole


def role_name(role: StaffRole, t: Translator) -> str:
    """`owner` / `staff`, in the reader's language."""
    return t.gettext("owner") if role is StaffRole.OWNER else t.gettext("staff")


def member_name(member: StaffMember, t: Translator) -> str:
    """The name they joined with (escaped), or their Telegram id when there is none."""
    if member.display_name:
        return html.escape(member.display_name)
    return t.gettext("Telegram user {id}").format(id=member.telegram_user_id)


def _plain_name(member: StaffMember, t: Translator) -> str:
    """A name for a button label (no HTML there)."""
    return member.display_name or t.gettext("Telegram user {id}").format(id=member.telegram_user_id)


def team_text(team: Team, t: Translator) -> str:
    """The members with their roles, and the invites still open."""
    lines = [t.gettext("👥 <b>Staff of {clinic}</b>").format(clinic=clinic_name(team.clinic)), ""]
    for member in team.members:
        lines.append(
            t.gettext("• {name} — {role}, since {date}").format(
                name=member_name(member, t),
                role=role_name(member.role, t),
                date=t.short_date(member.added_at.date()),
            )
        )
    if team.invites:
        lines += ["", t.gettext("<b>Invites not used yet</b>")]
        lines += [_invite_line(invite, t) for invite in team.invites]
    lines += [
        "",
        t.gettext(
            "Owners manage the staff and change guidance; staff broadcast and read stats. "
            "Tap a member to change their role or remove them."
        ),
    ]
    return "\n".join(lines)


def _invite_line(invite: StaffInvite, t: Translator) -> str:
    return t.gettext("• #{id} for {role}, works until {date}").format(
        id=invite.id, role=role_name(invite.role, t), date=t.short_date(invite.expires_at.date())
    )


def team_keyboard(team: Team, t: Translator) -> InlineKeyboardMarkup:
    """A button per member and per open invite, new invites, a new join link."""
    clinic = team.clinic.id
    return keyboard(
        *(
            [
                button(
                    f"👤 {_plain_name(member, t)[:40]}", TeamMember(clinic, member.telegram_user_id)
                )
            ]
            for member in team.members
        ),
        *(
            [
                button(
                    t.gettext("🚫 Withdraw invite #{id}").format(id=invite.id),
                    TeamRevoke(clinic, invite.id),
                )
            ]
            for invite in team.invites
        ),
        [
            button(t.gettext("✉️ Invite staff"), TeamInvite(clinic, "staff")),
            button(t.gettext("✉️ Invite an owner"), TeamInvite(clinic, "owner")),
        ],
        [button(t.gettext("🔗 New patient join link"), TeamRotateAsk(clinic))],
    )


def member_text(clinic: Clinic, member: StaffMember, t: Translator) -> str:
    """One member of the team."""
    return t.gettext("<b>{name}</b>, {role} of {clinic} since {date}.").format(
        name=member_name(member, t),
        role=role_name(member.role, t),
        clinic=clinic_name(clinic),
        date=t.long_date(member.added_at.date()),
    )


def member_keyboard(clinic: Clinic, member: StaffMember, t: Translator) -> InlineKeyboardMarkup:
    """Change the role, remove, or go back."""
    who = member.telegram_user_id
    role = (
        button(t.gettext("Make plain staff"), TeamRole(clinic.id, who, "staff"))
        if member.role is StaffRole.OWNER
        else button(t.gettext("Make an owner"), TeamRole(clinic.id, who, "owner"))
    )
    return keyboard(
        [role],
        [button(t.gettext("Remove from the staff"), TeamRemoveAsk(clinic.id, who))],
        [button(t.gettext("« Back"), TeamClinic(clinic.id))],
    )


def remove_question(clinic: Clinic, member: StaffMember, t: Translator) -> str:
    """Asked before removing someone."""
    return t.gettext(
        "Remove {name} from the staff of {clinic}? Their staff buttons and commands stop "
        "working at once. Broadcasts they already sent are not affected."
    ).format(name=member_name(member, t), clinic=clinic_name(clinic))


def remove_keyboard(clinic: Clinic, member: StaffMember, t: Translator) -> InlineKeyboardMarkup:
    """Yes, or back to the member."""
    who = member.telegram_user_id
    return keyboard(
        [
            button(t.gettext("Yes, remove"), TeamRemove(clinic.id, who)),
            button(t.gettext("« Back"), TeamMember(clinic.id, who)),
        ]
    )


def change_result(kind: MemberChange, clinic: Clinic, t: Translator) -> str:
    """What a role change or a removal did."""
    if kind == "done":
        return t.gettext("✅ Done.")
    if kind == "unchanged":
        return t.gettext("Nothing to change: that is already their role.")
    if kind == "last_owner":
        return t.gettext(
            "{clinic} needs at least one owner: make someone else an owner first."
        ).format(clinic=clinic_name(clinic))
    return t.gettext("They are not on the staff of {clinic} any more.").format(
        clinic=clinic_name(clinic)
    )


def invite_created(clinic: Clinic, invite: StaffInvite, link: str, t: Translator) -> str:
    """The new invite link, to be sent to one person."""
    return t.gettext(
        "Send this link to the one person who should join {clinic} as {role}. It works "
        "once, until {date}, and you will be told when it is used:\n\n{link}"
    ).format(
        clinic=clinic_name(clinic),
        role=role_name(invite.role, t),
        date=t.long_date(invite.expires_at.date()),
        link=html.escape(link),
    )


def revoked(invite_id: int, done: bool, t: Translator) -> str:
    """An invite withdrawn, or one that was used or withdrawn meanwhile."""
    if done:
        return t.gettext("Invite #{id} is withdrawn: its link no longer works.").format(
            id=invite_id
        )
    return t.gettext("Invite #{id} was already used or withdrawn.").format(id=invite_id)


def rotate_question(clinic: Clinic, t: Translator) -> str:
    """Asked before replacing the join link."""
    return t.gettext(
        "Replace the patient join link of {clinic}? The old link stops working at once, "
        "wherever it was shared (posters, QR codes). Members stay members."
    ).format(clinic=clinic_name(clinic))


def rotate_keyboard(clinic: Clinic, t: Translator) -> InlineKeyboardMarkup:
    """Yes, or back to the team."""
    return keyboard(
        [
            button(t.gettext("Yes, new link"), TeamRotate(clinic.id)),
            button(t.gettext("« Back"), TeamClinic(clinic.id)),
        ]
    )


def rotated(clinic: Clinic, link: str, t: Translator) -> str:
    """The new join link."""
    return t.gettext(
        "✅ The new patient join link of {clinic}:\n\n{link}\n\nThe old one no longer works."
    ).format(clinic=clinic_name(clinic), link=html.escape(link))


def owners_only(clinic: Clinic, owners: Sequence[StaffMember], t: Translator) -> str:
    """/staff from a member who is not an owner."""
    names = ", ".join(member_name(owner, t) for owner in owners)
    return t.gettext("Only an owner of {clinic} manages its staff. Owners: {names}.").format(
        clinic=clinic_name(clinic), names=names
    )


def someone_joined(name: str, clinic: Clinic, role: StaffRole, t: Translator) -> str:
    """Told to a clinic's owners when an invite is used."""
    return t.gettext(
        "👤 {name} used an invite and is now {role} of {clinic}. Not expected? Remove "
        "them under /staff."
    ).format(name=html.escape(name), role=role_name(role, t), clinic=clinic_name(clinic))


def you_were_removed(clinic: Clinic, t: Translator) -> str:
    """Told to a member who was removed."""
    return t.gettext(
        "You are no longer staff of {clinic}: its staff commands and buttons no longer "
        "work for you."
    ).format(clinic=clinic_name(clinic))
