"""Typed callback data: one frozen class per button action, packed within Telegram's 64 bytes.

Modelled on aiogram's `CallbackData`: a class names its prefix and declares its fields;
`pack()` writes `prefix:field:field` and refuses anything over 64 bytes; `unpack()` checks
the prefix, the number of fields and every field's type, and gives None for anything else.
Callback data comes from the client and is untrusted, so a failed unpack is not an error:
no handler matches, and the catch-all answers "this button is out of date".

Field types, and what `unpack` accepts for each:

- `int`: an id or a page, ASCII digits only (no sign, no `²`, no 30-digit numbers), from 0
  to 2**31 - 1 like the INTEGER keys it names; `Annotated[int, Range(low, high)]` for
  other bounds;
- an `Enum` (such as `Procedure`) or a `Literal[...]` of strings: one of its values;
- `date`: `YYYYMMDD` that is a real day; `Month`: `YYYYMM` (its first day);
- `Annotated[str, Token(pattern)]`: a string matching the pattern in full (a nonce, a
  link code, a time-zone name).

Every class of the bot is in `bot/buttons.py`, the one list of prefixes.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Annotated, Any, ClassVar, Literal, Self, get_args, get_origin, get_type_hints

MAX_BYTES = 64
SEPARATOR = ":"
# Ids are database keys and pages: an `int` field holds a 32-bit key (INTEGER columns), unless
# it says otherwise with a `Range` (the outbox's BIGINT ids); 19 digits hold any of them.
MAX_DIGITS = 19
INT32_MAX = 2**31 - 1
_DIGITS = re.compile(rf"[0-9]{{1,{MAX_DIGITS}}}")
_DAY = re.compile(r"[0-9]{8}")
_MONTH = re.compile(r"[0-9]{6}")


class CallbackDataError(ValueError):
    """A button's data cannot be packed (too long, or a field that would not read back)."""


@dataclass(frozen=True, slots=True)
class Month:
    """A calendar month, packed as `YYYYMM`."""

    year: int
    month: int

    def __post_init__(self) -> None:
        date(self.year, self.month, 1)  # raises ValueError for a month that does not exist

    @classmethod
    def of(cls, day: date) -> Month:
        """The month `day` falls in."""
        return cls(day.year, day.month)

    @property
    def first(self) -> date:
        """The month's first day."""
        return date(self.year, self.month, 1)

    def shifted(self, months: int) -> Month:
        """The month `months` away (negative: earlier)."""
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)


@dataclass(frozen=True, slots=True)
class Token:
    """A free string field that must match `pattern` in full (and hold no separator)."""

    pattern: str


@dataclass(frozen=True, slots=True)
class Range:
    """An `int` field limited to `low..high` (both included)."""

    low: int
    high: int


_Codec = tuple[Callable[[Any], str], Callable[[str], Any]]


def _int_codec(bounds: Range | None = None) -> _Codec:
    low, high = (0, INT32_MAX) if bounds is None else (bounds.low, bounds.high)

    def read(text: str) -> int:
        if not _DIGITS.fullmatch(text):
            raise ValueError(text)
        value = int(text)
        if not low <= value <= high:
            raise ValueError(text)
        return value

    def write(value: Any) -> str:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise CallbackDataError(f"not a number from {low} to {high}: {value!r}")
        return str(value)

    return write, read


def _date_codec() -> _Codec:
    def read(text: str) -> date:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))

    return (lambda value: f"{value.year:04d}{value.month:02d}{value.day:02d}"), read


def _month_codec() -> _Codec:
    def read(text: str) -> Month:
        if not _MONTH.fullmatch(text):
            raise ValueError(text)
        return Month(int(text[:4]), int(text[4:]))

    return (lambda value: f"{value.year:04d}{value.month:02d}"), read


def _choice_codec(values: dict[str, Any]) -> _Codec:
    def read(text: str) -> Any:
        return values[text]

    def write(value: Any) -> str:
        text = str(value.value if isinstance(value, enum.Enum) else value)
        if text not in values or values[text] != value:
            raise CallbackDataError(f"not one of {sorted(values)}: {value!r}")
        return text

    return write, read


def _token_codec(token: Token) -> _Codec:
    pattern = re.compile(token.pattern)

    def read(text: str) -> str:
        if not pattern.fullmatch(text):
            raise ValueError(text)
        return text

    def write(value: Any) -> str:
        if not isinstance(value, str) or SEPARATOR in value or not pattern.fullmatch(value):
            raise CallbackDataError(f"{value!r} does not match {token.pattern}")
        return value

    return write, read


def _codec_for(hint: Any) -> _Codec:
    if get_origin(hint) is Annotated:
        base, *extras = get_args(hint)
        tokens = [extra for extra in extras if isinstance(extra, Token)]
        ranges = [extra for extra in extras if isinstance(extra, Range)]
        if base is str and tokens:
            return _token_codec(tokens[0])
        if base is int and ranges and ranges[0].low >= 0:
            return _int_codec(ranges[0])
        raise TypeError(f"unsupported annotated field {hint!r}")
    if get_origin(hint) is Literal:
        return _choice_codec({str(value): value for value in get_args(hint)})
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _choice_codec({str(member.value): member for member in hint})
    if hint is int:
        return _int_codec()
    if hint is date:
        return _date_codec()
    if hint is Month:
        return _month_codec()
    raise TypeError(
        f"unsupported callback field type {hint!r}: use int, date, Month, an Enum, "
        "a Literal or Annotated[str, Token(...)]"
    )


_REGISTRY: dict[tuple[str, int], type[CallbackData]] = {}


_CODECS: dict[type[Any], tuple[tuple[str, _Codec], ...]] = {}


def _codecs_of(cls: type[Any]) -> tuple[tuple[str, _Codec], ...]:
    found = _CODECS.get(cls)
    if found is None:
        hints = get_type_hints(cls, include_extras=True)
        found = tuple((f.name, _codec_for(hints[f.name])) for f in dataclasses.fields(cls))
        _CODECS[cls] = found
    return found


class CallbackData:
    """Base of every button's data; subclass as `@dataclass(frozen=True) class X(
    CallbackData, prefix="xx:y")` and declare the fields in order."""

    __slots__ = ()
    prefix: ClassVar[str]

    def __init_subclass__(cls, *, prefix: str | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix is None:
            # `@dataclass(slots=True)` rebuilds the class from its namespace, prefix included.
            if "prefix" not in cls.__dict__:
                raise TypeError(f"{cls.__name__} needs a prefix: class X(CallbackData, prefix=...)")
            return
        if not re.fullmatch(r"[a-z]+(:[a-z]+)*", prefix):
            raise TypeError(f"prefix {prefix!r}: lower-case words joined by {SEPARATOR!r}")
        cls.prefix = prefix

    @classmethod
    def _codecs(cls) -> tuple[tuple[str, _Codec], ...]:
        return _codecs_of(cls)

    def pack(self) -> str:
        """`prefix:field:...`; CallbackDataError for a field that would not read back, or >64 B."""
        parts = [self.prefix]
        for name, (write, _read) in self._codecs():
            parts.append(write(getattr(self, name)))
        data = SEPARATOR.join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise CallbackDataError(f"callback data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def unpack(cls, data: object) -> Self | None:
        """The button this data stands for, or None when it is not exactly one of ours."""
        if not isinstance(data, str) or len(data.encode()) > MAX_BYTES:
            return None
        head = cls.prefix + SEPARATOR
        codecs = cls._codecs()
        if not codecs:
            return cls() if data == cls.prefix else None
        if not data.startswith(head):
            return None
        parts = data[len(head) :].split(SEPARATOR)
        if len(parts) != len(codecs):
            return None
        values: dict[str, Any] = {}
        try:
            for (name, (_write, read)), part in zip(codecs, parts, strict=True):
                values[name] = read(part)
            return cls(**values)
        except (ValueError, KeyError, TypeError):
            return None

    @classmethod
    def matches(cls, data: object) -> bool:
        """Whether `data` unpacks to this class (a `CallbackQueryHandler` pattern)."""
        return cls.unpack(data) is not None

    @classmethod
    def arity(cls) -> int:
        """How many fields follow the prefix."""
        return len(_codecs_of(cls))


def register(cls: type[CallbackData]) -> type[CallbackData]:
    """Add a button class to the one list, refusing a prefix that could read another's data."""
    parts = cls.prefix.count(SEPARATOR) + 1 + cls.arity()
    for (prefix, arity), other in _REGISTRY.items():
        other_parts = prefix.count(SEPARATOR) + 1 + arity
        overlaps = (prefix + SEPARATOR).startswith(cls.prefix + SEPARATOR) or (
            cls.prefix + SEPARATOR
        ).startswith(prefix + SEPARATOR)
        if overlaps and parts == other_parts and other is not cls:
            raise TypeError(f"{cls.__name__} and {other.__name__} would read the same data")
    _REGISTRY[(cls.prefix, cls.arity())] = cls
    return cls


def registered() -> tuple[type[CallbackData], ...]:
    """Every registered button class, in registration order."""
    return tuple(_REGISTRY.values())


def unpack_any(data: object) -> CallbackData | None:
    """Whichever registered button this data is, or None."""
    for cls in _REGISTRY.values():
        found = cls.unpack(data)
        if found is not None:
            return found
    return None


def prefix_of(data: object) -> str | None:
    """The registered prefix `data` starts with (the longest), even when the rest is bad."""
    if not isinstance(data, str):
        return None
    best: str | None = None
    for prefix, _arity in _REGISTRY:
        if (data == prefix or data.startswith(prefix + SEPARATOR)) and (
            best is None or len(prefix) > len(best)
        ):
            best = prefix
    return best
