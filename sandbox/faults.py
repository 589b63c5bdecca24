"""Injected failures for send methods: random at a rate with a seed, or scripted."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from typing import Literal, get_args

FaultKind = Literal["429", "500", "502", "slow", "timeout", "delivered_timeout"]
FAULT_KINDS: tuple[FaultKind, ...] = get_args(FaultKind)


@dataclass(frozen=True, slots=True)
class FaultConfig:
    """How often send methods fail, and how.

    Kinds: "429" (retry_after seconds), "500", "502", "slow" (answer after
    slow_seconds, then deliver normally), "timeout" (hold the request for
    hang_seconds, deliver nothing, answer 504), "delivered_timeout" (deliver, then
    hold for hang_seconds and answer 504: the sender cannot know it went out).
    """

    rate: float = 0.0
    kinds: tuple[FaultKind, ...] = ("429",)
    seed: int | None = None
    retry_after: int = 1
    slow_seconds: float = 1.0
    hang_seconds: float = 10.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be within 0..1, got {self.rate}")
        if self.rate > 0 and not self.kinds:
            raise ValueError("fault kinds must not be empty when the rate is above 0")
        unknown = [kind for kind in self.kinds if kind not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; choose from {list(FAULT_KINDS)}")
        if self.retry_after < 1:
            raise ValueError(f"retry_after must be at least 1 second, got {self.retry_after}")


@dataclass(slots=True)
class _Scripted:
    kind: FaultKind
    remaining: int
    chat_id: int | None


@dataclass(slots=True)
class FaultInjector:
    """Decides, per send, whether it fails; deterministic for a given seed and order."""

    config: FaultConfig = field(default_factory=FaultConfig)
    default_seed: int | None = None
    _random: random.Random = field(init=False)
    _scripted: deque[_Scripted] = field(default_factory=deque, init=False)

    def __post_init__(self) -> None:
        self.configure(self.config)

    def configure(self, config: FaultConfig) -> None:
        """Replace the random fault configuration (and restart its random sequence)."""
        self.config = config
        seed = config.seed if config.seed is not None else self.default_seed
        self._random = random.Random(seed)

    def script(self, kind: FaultKind, times: int = 1, chat_id: int | None = None) -> None:
        """Make the next `times` sends (to `chat_id`, or to anyone) fail with `kind`."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; choose from {list(FAULT_KINDS)}")
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}")
        self._scripted.append(_Scripted(kind, times, chat_id))

    def clear_scripted(self) -> None:
        """Drop every scripted fault not yet used."""
        self._scripted.clear()

    def draw(self, chat_id: int | str) -> FaultKind | None:
        """The fault for this send, if any: scripted ones first, then random."""
        for scripted in self._scripted:
            if scripted.chat_id is None or scripted.chat_id == chat_id:
                scripted.remaining -= 1
                if scripted.remaining == 0:
                    self._scripted.remove(scripted)
                return scripted.kind
        config = self.config
        if config.rate <= 0 or self._random.random() >= config.rate:
            return None
        return self._random.choice(config.kinds)
