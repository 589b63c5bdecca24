"""The procedures Interval knows about, and the names patients type for them."""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from types import MappingProxyType


class Procedure(StrEnum):
    """A treatment a patient can log; the value is the stable id stored everywhere."""

    BOTOX = "botox"
    MICRONEEDLING = "microneedling"


def _normalise(text: str) -> str:
    # Patients type "Micro-needling", "micro needling", "MICRONEEDLING": compare without
    # case, spaces, hyphens or underscores so all of them meet the same alias. Spanish
    # speakers write "bótox" (the bot's own Spanish word): accents are dropped too.
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s\-_]+", "", bare).casefold()


# Typed names (brands, slang, clinical names) that mean one procedure. Brand names of
# botulinum toxin are all the same kind of treatment for spacing purposes.
_ALIASES: dict[Procedure, tuple[str, ...]] = {
    Procedure.BOTOX: (
        "botox",
        "botulinum toxin",
        "botulinum",
        "dysport",
        "xeomin",
        "jeuveau",
        "daxxify",
        "tox",
        "neurotoxin",
        "neuromodulator",
    ),
    Procedure.MICRONEEDLING: (
        "microneedling",
        "micro-needling",
        "collagen induction therapy",
        "collagen induction",
        "skin needling",
        "dermapen",
    ),
}

ALIASES: MappingProxyType[str, Procedure] = MappingProxyType(
    {
        _normalise(name): procedure
        for procedure, names in _ALIASES.items()
        for name in (procedure.value, *names)
    }
)
"""Every accepted typed name, normalised, to the procedure it means."""


class UnknownProcedureError(ValueError):
    """A typed procedure name that matches nothing; `known` lists what would have."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.known: tuple[Procedure, ...] = tuple(Procedure)
        known = ", ".join(p.value for p in self.known)
        super().__init__(f"unknown procedure {text!r}; known procedures: {known}")


def parse_procedure(text: str) -> Procedure:
    """The procedure a typed name means, ignoring case, spaces and hyphens."""
    try:
        return ALIASES[_normalise(text)]
    except KeyError:
        raise UnknownProcedureError(text) from None
