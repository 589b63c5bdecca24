"""Aftercare notes as patients and clinic owners read them."""

from __future__ import annotations

import html

from telegram import InlineKeyboardMarkup

from bot.buttons import (
    AftercareClinic,
    AftercareDefault,
    AftercareEdit,
    AftercareProcedure,
    AftercareSave,
    GuidanceClinic,
)
from bot.drafts import AftercareDraft
from bot.i18n import Translator
from bot.render.keyboards import button, keyboard
from bot.render.staff import clinic_name
from bot.render.words import capitalised, procedure_name, provider_prompt
from bot.usecases.aftercare import AftercareView
from rules import Procedure
from rules.aftercare import AftercareNote


def aftercare_text(note: AftercareNote, t: Translator) -> str:
    """The note after a done treatment: the lines, the clinic's own text, the prompt."""
    lines = [
        t.gettext("🩹 <b>Aftercare for your {procedure}</b>").format(
            procedure=procedure_name(note.procedure, t)
        )
    ]
    lines += [f"• {html.escape(line.in_language(t.language))}" for line in note.lines]
    if note.clinic_text:
        lines += [
            "",
            t.gettext("🏥 <b>From your clinic:</b>")
            if not note.lines
            else t.gettext("🏥 <b>Your clinic adds:</b>"),
            html.escape(note.clinic_text),
        ]
    lines += [
        "",
        provider_prompt(t),
        t.gettext("You can turn these notes off in /settings."),
    ]
    return "\n".join(lines)


# --- owners: /guidance → Aftercare ----------------------------------------------------------


def procedures_text(clinic_label: str, t: Translator) -> str:
    """Which procedure's note to look at."""
    return t.gettext("🩹 <b>Aftercare notes of {clinic}</b>\n\nWhich procedure?").format(
        clinic=clinic_label
    )


def procedures_keyboard(clinic_id: int, t: Translator) -> InlineKeyboardMarkup:
    """One button per procedure, and back to the rules."""
    return keyboard(
        [
            button(capitalised(procedure_name(p, t)), AftercareProcedure(clinic_id, p))
            for p in Procedure
        ],
        [button(t.gettext("« Back"), GuidanceClinic(clinic_id))],
    )


def view_text(found: AftercareView, t: Translator) -> str:
    """The default lines, the clinic's text and how it applies."""
    name = procedure_name(found.procedure, t)
    lines = [
        t.gettext("🩹 <b>Aftercare for {procedure}</b> at {clinic}").format(
            procedure=name, clinic=clinic_name(found.clinic)
        ),
        "",
        t.gettext("<b>Usual note</b> (sources in docs/aftercare.md):"),
    ]
    lines += [f"• {html.escape(line.in_language(t.language))}" for line in found.defaults]
    change = found.change
    if change is None or change.text is None:
        lines += ["", t.gettext("Your members get the usual note.")]
    else:
        lines += [
            "",
            t.gettext("<b>Your own text replaces it</b> (version {version}):")
            if change.mode == "replace"
            else t.gettext("<b>Your own text is added to it</b> (version {version}):"),
        ]
        lines[-1] = lines[-1].format(version=change.version)
        lines.append(html.escape(change.text))
    if not found.can_change:
        lines += ["", t.gettext("Only an owner of the clinic can change aftercare notes.")]
    return "\n".join(lines)


def view_keyboard(found: AftercareView, t: Translator) -> InlineKeyboardMarkup:
    """For owners: replace, add to it, back to the usual note; for everyone: back."""
    clinic, procedure = found.clinic.id, found.procedure
    rows = []
    if found.can_change:
        rows.append(
            [
                button(t.gettext("✏️ Replace it"), AftercareEdit(clinic, procedure, "replace")),
                button(t.gettext("📝 Add to it"), AftercareEdit(clinic, procedure, "extend")),
            ]
        )
        if found.change is not None:
            rows.append(
                [button(t.gettext("↩️ Back to the usual note"), AftercareDefault(clinic, procedure))]
            )
    rows.append([button(t.gettext("« Back"), AftercareClinic(clinic))])
    return keyboard(*rows)


def text_prompt(draft: AftercareDraft, most: int, t: Translator) -> str:
    """Asking for the clinic's text."""
    if draft.choice == "replace":
        head = t.gettext("Type the aftercare note your members get instead of the usual one.")
    else:
        head = t.gettext("Type what your members read after the usual note.")
    return (
        head
        + " "
        + t.gettext(
            "Up to {max} characters, in the language your patients read. /cancel stops."
        ).format(max=most)
    )


def text_invalid(most: int, t: Translator) -> str:
    """An empty or too long note."""
    return t.gettext("Please write a note of 1 to {max} characters.").format(max=most)


def reason_prompt(t: Translator) -> str:
    """Asking why."""
    return t.gettext("Why the change? A short reason, kept with the change.")


def confirm_text(draft: AftercareDraft, t: Translator) -> str:
    """The summary before saving."""
    name = procedure_name(draft.procedure, t)
    if draft.choice == "default":
        head = t.gettext("Go back to the usual aftercare note for {procedure}?").format(
            procedure=name
        )
    elif draft.choice == "replace":
        head = t.gettext("Replace the usual aftercare note for {procedure} with:").format(
            procedure=name
        )
    else:
        head = t.gettext("Add this to the usual aftercare note for {procedure}:").format(
            procedure=name
        )
    lines = [head]
    if draft.text:
        lines += ["", f"<i>{html.escape(draft.text)}</i>"]
    lines += ["", t.gettext("Reason: {reason}").format(reason=html.escape(draft.reason or ""))]
    return "\n".join(lines)


def confirm_keyboard(draft: AftercareDraft, t: Translator) -> InlineKeyboardMarkup:
    """Save or cancel."""
    return keyboard(
        [
            button(t.gettext("✅ Save"), AftercareSave(draft.clinic_id, draft.procedure)),
            button(t.gettext("Cancel"), AftercareProcedure(draft.clinic_id, draft.procedure)),
        ]
    )


def saved(version: int, t: Translator) -> str:
    """The change is in force."""
    return t.gettext(
        "✅ Saved as aftercare version {version}: members who log this procedure from now on "
        "get the new note."
    ).format(version=version)


def unchanged(t: Translator) -> str:
    """Saving what is already in force."""
    return t.gettext("That is already the note: nothing was changed.")


def out_of_date(t: Translator) -> str:
    """A Save whose draft is gone."""
    return t.gettext("This change is out of date. Start again with /guidance.")


def owners_only(t: Translator) -> str:
    """A staff member (not an owner) tried to change it."""
    return t.gettext("Only an owner can change aftercare notes: nothing was changed.")
