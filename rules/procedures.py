"""The procedures Interval knows about."""

from __future__ import annotations

from enum import StrEnum


class Procedure(StrEnum):
    """A treatment a patient can log; the value is the stable id stored everywhere."""

    BOTOX = "botox"
    MICRONEEDLING = "microneedling"
