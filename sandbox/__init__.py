"""The Bot API sandbox: Telegram's side of a bot, over real HTTP, for tests, demos and benchmarks.

It must not import `bot`, `storage` or `rules`: it stands in for Telegram, not for Interval.
"""

from sandbox.app import Sandbox
from sandbox.faults import FAULT_KINDS, FaultConfig, FaultKind
from sandbox.groups import SandboxGroup
from sandbox.keyboards import Button
from sandbox.limits import RateLimits
from sandbox.records import (
    BotMessage,
    CallbackAnswer,
    Command,
    Edit,
    FileRecord,
    SandboxStats,
    SentRecord,
)
from sandbox.users import SandboxUser

__all__ = [
    "FAULT_KINDS",
    "BotMessage",
    "Button",
    "CallbackAnswer",
    "Command",
    "Edit",
    "FaultConfig",
    "FaultKind",
    "FileRecord",
    "RateLimits",
    "Sandbox",
    "SandboxGroup",
    "SandboxStats",
    "SandboxUser",
    "SentRecord",
]
