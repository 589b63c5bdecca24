"""Interval's domain: procedures, spacing rules as data, and the answers built on them.

Pure: no I/O except reading the shipped `guidance.json`, no clock (`today`/`now` are
arguments), no Telegram, no SQLAlchemy. Every other layer codes against the names below.
"""

from rules.guidance import (
    ClinicRule,
    Evidence,
    GuidanceError,
    GuidanceSet,
    Rule,
    RuleOverride,
    apply_overrides,
    default_guidance,
    parse_guidance,
)
from rules.procedures import Procedure, UnknownProcedureError, parse_procedure
from rules.reminders import (
    PlanDiff,
    PlanError,
    PlannedReminder,
    ReminderKind,
    ReminderNow,
    diff_plan,
    history_digest,
    local_instant,
    plan_reminders,
    reminder_now,
)
from rules.spacing import (
    BlockedWindow,
    Direction,
    Earliest,
    Entry,
    HistoryIndex,
    Reason,
    Violation,
    blocked_windows,
    check_entry,
    earliest_date,
    earliest_in,
    reasons_from_entry,
)

__all__ = [
    "BlockedWindow",
    "ClinicRule",
    "Direction",
    "Earliest",
    "Entry",
    "Evidence",
    "GuidanceError",
    "GuidanceSet",
    "HistoryIndex",
    "PlanDiff",
    "PlanError",
    "PlannedReminder",
    "Procedure",
    "Reason",
    "ReminderKind",
    "ReminderNow",
    "Rule",
    "RuleOverride",
    "UnknownProcedureError",
    "Violation",
    "apply_overrides",
    "blocked_windows",
    "check_entry",
    "default_guidance",
    "diff_plan",
    "earliest_date",
    "earliest_in",
    "history_digest",
    "local_instant",
    "parse_guidance",
    "parse_procedure",
    "plan_reminders",
    "reasons_from_entry",
    "reminder_now",
]
