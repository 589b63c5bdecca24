"""Staff screens: statistics, guidance beside the defaults, broadcast audiences and progress."""

from __future__ import annotations

import html

from bot.i18n import Translator
from bot.render.counts import plural, shown
from bot.render.words import capitalised, procedure_name
from bot.usecases.broadcasts import Audience, Reach
from bot.usecases.clinics import ClinicReport
from bot.usecases.guidance import GuidanceView, RuleView
from rules import Procedure
from storage.records import Broadcast, BroadcastState, Clinic, GuidanceChange


def clinic_name(clinic: Clinic) -> str:
    """The clinic's name, escaped and bold."""
    return f"<b>{html.escape(clinic.name)}</b>"


def rule_name(after: Procedure, then: Procedure, t: Translator) -> str:
    """`Botox → microneedling`: the procedure that follows comes second."""
    return f"{capitalised(procedure_name(after, t))} → {procedure_name(then, t)}"


def days_text(days: int | None, t: Translator) -> str:
    """`14 days`, or `off` for a rule that is switched off."""
    if days is None:
        return t.gettext("off")
    return t.ngettext("{days} day", "{days} days", days).format(days=days)


def _rule_line(rule: RuleView, t: Translator) -> str:
    line = f"• {rule_name(rule.after, rule.then, t)}: <b>{days_text(rule.days, t)}</b>"
    if rule.overridden:
        line += " " + t.gettext("(default: {days}) ✏️").format(days=days_text(rule.default_days, t))
    else:
        line += " " + t.gettext("(default)")
    return line


def change_text(change: GuidanceChange, default_days: int | None, t: Translator) -> str:
    """`Botox → microneedling: 14 days → 21 days`."""
    old = default_days if change.old_default else change.old_days
    new = default_days if change.new_default else change.new_days
    return f"{rule_name(change.after, change.then, t)}: {days_text(old, t)} → {days_text(new, t)}"


def guidance_text(view: GuidanceView, t: Translator) -> str:
    """The clinic's rules beside the defaults, and the last changes."""
    lines = [
        t.gettext("📐 <b>Spacing guidance of {clinic}</b> (version {version})").format(
            clinic=html.escape(view.clinic.name), version=view.version
        ),
        "",
        *(_rule_line(rule, t) for rule in view.rules),
    ]
    if view.history:
        defaults = {(r.after, r.then): r.default_days for r in view.rules}
        lines += ["", t.gettext("<b>Last changes</b>")]
        for change in view.history:
            lines.append(
                f"v{change.version} · {t.short_date(change.changed_at.date())} · "
                f"{change_text(change, defaults.get((change.after, change.then)), t)} · "
                f"<i>{html.escape(change.reason)}</i>"
            )
    lines += [
        "",
        t.ngettext(
            "Tap a rule to change it. A change re-plans the reminders of your {count} "
            "active member.",
            "Tap a rule to change it. A change re-plans the reminders of your {count} "
            "active members.",
            plural(view.members),
        ).format(count=shown(view.members, t))
        if view.can_change
        else t.gettext("Only an owner of the clinic can change these rules."),
    ]
    return "\n".join(lines)


def audience_text(audience: Audience, t: Translator) -> str:
    """`all active members` / `a procedure done in the last 30 days` / ..."""
    if audience.kind == "all":
        return t.gettext("all active members")
    days = audience.days or 0
    if audience.kind == "done":
        return t.ngettext(
            "members with a procedure done in the last {days} day",
            "members with a procedure done in the last {days} days",
            days,
        ).format(days=days)
    return t.ngettext(
        "members with a procedure planned in the next {days} day",
        "members with a procedure planned in the next {days} days",
        days,
    ).format(days=days)


def reach_text(audience: Audience, reach: Reach, t: Translator) -> str:
    """The confirm screen: who receives it and who does not."""
    lines = [
        t.gettext("<b>Ready to send</b> to {audience}.").format(
            audience=audience_text(audience, t)
        ),
        t.ngettext(
            "{count} member will receive it.",
            "{count} members will receive it.",
            plural(len(reach.recipients)),
        ).format(count=shown(len(reach.recipients), t)),
    ]
    if reach.blocked:
        lines.append(
            t.ngettext(
                "{count} blocked the bot: counted as blocked, not sent.",
                "{count} blocked the bot: counted as blocked, not sent.",
                plural(reach.blocked),
            ).format(count=shown(reach.blocked, t))
        )
    if reach.paused or reach.opted_out:
        lines.append(
            t.gettext(
                "Left out: {paused} paused messages, {opted_out} turned clinic messages off."
            ).format(paused=shown(reach.paused, t), opted_out=shown(reach.opted_out, t))
        )
    return "\n".join(lines)


def progress_text(broadcast: Broadcast, t: Translator) -> str:
    """`📤 Broadcast #3: 120 sent, 2 blocked, 0 failed of 500.` (and how it ended)."""
    counts = _tally(broadcast, t)
    if broadcast.state is BroadcastState.DONE:
        head = t.gettext("✅ Broadcast #{id} finished:").format(id=broadcast.id)
    elif broadcast.state is BroadcastState.CANCELLED:
        head = t.gettext("⏹ Broadcast #{id} stopped:").format(id=broadcast.id)
    else:
        head = t.gettext("📤 Broadcast #{id} sending:").format(id=broadcast.id)
    return f"{head} {counts}"


def _tally(broadcast: Broadcast, t: Translator) -> str:
    """`120 sent, 2 blocked, fewer than 5 failed of 500.`"""
    return t.gettext("{sent} sent, {blocked} blocked, {failed} failed of {total}.").format(
        sent=shown(broadcast.sent, t),
        blocked=shown(broadcast.blocked, t),
        failed=shown(broadcast.failed, t),
        total=shown(broadcast.total, t),
    )


def _state_name(state: BroadcastState, t: Translator) -> str:
    names = {
        BroadcastState.DRAFT: t.gettext("draft"),
        BroadcastState.QUEUED: t.gettext("queued"),
        BroadcastState.SENDING: t.gettext("sending"),
        BroadcastState.DONE: t.gettext("done"),
        BroadcastState.CANCELLED: t.gettext("cancelled"),
    }
    return names[state]


def stats_text(report: ClinicReport, t: Translator) -> str:
    """/stats: members, reminders, and the last broadcasts with their counts."""
    stats = report.stats
    lines = [
        t.gettext("📊 <b>{clinic}</b>").format(clinic=html.escape(report.clinic.name)),
        "",
        t.gettext(
            "Members: {members} (active {active}, paused {paused}, blocked {blocked})"
        ).format(
            members=shown(stats.members, t),
            active=shown(stats.active, t),
            paused=shown(stats.paused, t),
            blocked=shown(stats.blocked, t),
        ),
        t.gettext("Reminders sent in the last 30 days: {count}").format(
            count=shown(stats.reminders_sent_30d, t)
        ),
        t.gettext("Upcoming reminders: {count}").format(count=shown(stats.upcoming_reminders, t)),
        t.gettext("Staff: {count}").format(count=len(report.staff)),
        t.gettext("Guidance version: {version}").format(version=report.clinic.guidance_version),
    ]
    sent = [b for b in report.broadcasts if b.state is not BroadcastState.DRAFT]
    lines += ["", t.gettext("<b>Last broadcasts</b>")]
    if not sent:
        lines.append(t.gettext("None yet: /broadcast writes to your patients."))
    for broadcast in sent:
        lines.append(
            f"#{broadcast.id} · {t.short_date(broadcast.created_at.date())} · "
            f"{_state_name(broadcast.state, t)} · " + _tally(broadcast, t)
        )
    return "\n".join(lines)
