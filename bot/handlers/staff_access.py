"""Which clinic a staff command acts for, and the refusal everyone else gets."""

from __future__ import annotations

from collections.abc import Callable

from telegram import Update

from bot.callbacks import CallbackData
from bot.context import AppContext
from bot.kit.screens import reply
from bot.render import staff_screens as view
from bot.usecases.clinics import staff_clinics
from storage.records import Clinic


async def refuse(update: Update, context: AppContext) -> None:
    """The plain answer to anyone who is not staff."""
    await reply(update, view.refused(context.t))


async def staff_clinic(
    update: Update, context: AppContext, choose: Callable[[int], CallbackData]
) -> Clinic | None:
    """The clinic a staff command acts for; asks which one when the user has several.

    Returns None when the user is not staff (after refusing) or was asked to choose (the
    choice comes back as the button `choose(clinic id)`).
    """
    user = update.effective_user
    if user is None:
        return None
    clinics = await staff_clinics(context.services.database, user.id)
    if not clinics:
        await refuse(update, context)
        return None
    if len(clinics) == 1:
        return clinics[0]
    await reply(update, view.which_clinic(context.t), view.clinic_keyboard(clinics, choose))
    return None


async def clinic_of_staff(update: Update, context: AppContext, clinic_id: int) -> Clinic | None:
    """The clinic with this id if the presser is its staff; otherwise refused and None."""
    user = update.effective_user
    clinics = await staff_clinics(context.services.database, user.id) if user else []
    found = next((clinic for clinic in clinics if clinic.id == clinic_id), None)
    if found is None:
        await refuse(update, context)
    return found
