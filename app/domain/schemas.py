"""The base of every API schema, and the string types with their limits."""

from datetime import UTC, date, datetime
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, AwareDatetime, ConfigDict, StringConstraints
from sqlmodel import SQLModel

NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$"
NO_CONTROL_CHARACTERS_BUT_LINES = (
    r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2028\u2029\u202a-\u202e\u2066-\u2069]*$"
)
"""Refused in text: ASCII control characters, Unicode line and paragraph separators,
and the bidirectional overrides and isolates that can make text display as
something else (tabs and line breaks are allowed in free text)."""


def single_line(max_length: int, min_length: int = 1) -> object:
    """Constraints for a one-line string: trimmed, bounded, no control characters."""
    return StringConstraints(
        strip_whitespace=True,
        min_length=min_length,
        max_length=max_length,
        pattern=NO_CONTROL_CHARACTERS,
    )


def multi_line(max_length: int, min_length: int = 1) -> object:
    """Constraints for free text: line breaks and tabs allowed, other control characters not."""
    return StringConstraints(
        strip_whitespace=True,
        min_length=min_length,
        max_length=max_length,
        pattern=NO_CONTROL_CHARACTERS_BUT_LINES,
    )


Name = Annotated[str, single_line(100)]
ShortText = Annotated[str, single_line(200)]
Label = Annotated[str, single_line(64)]
Reason = Annotated[str, multi_line(2000)]
LongText = Annotated[str, multi_line(5000)]


def _known_time_zone(value: str) -> str:
    if value not in _TIME_ZONES:
        raise ValueError(
            "unknown time zone: use an IANA name such as 'America/Sao_Paulo'"
        )
    return value


_TIME_ZONES = frozenset(available_timezones())

TimeZoneName = Annotated[str, single_line(64), AfterValidator(_known_time_zone)]


EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(8999, 12, 31)
"""The range of days the service accepts. Far-off dates cannot be converted to UTC
or moved by a day without overflowing, and no support case needs them."""

_RANGE_HINT = f"use a date from {EARLIEST_DAY} to {LATEST_DAY} (UTC)"


def _day_in_range(value: date) -> date:
    if not EARLIEST_DAY <= value <= LATEST_DAY:
        raise ValueError(f"out of range: {_RANGE_HINT}")
    return value


def _time_in_range(value: datetime) -> datetime:
    try:
        day = value.astimezone(UTC).date()
    except OverflowError:
        raise ValueError(f"out of range: {_RANGE_HINT}") from None
    _day_in_range(day)
    return value


Day = Annotated[date, AfterValidator(_day_in_range)]
"""A calendar day within the accepted range."""
Instant = Annotated[AwareDatetime, AfterValidator(_time_in_range)]
"""A point in time with its UTC offset, within the accepted range."""


class InputSchema(SQLModel):
    """A request body: unknown fields are rejected, not ignored."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]


class OutputSchema(SQLModel):
    """A response body."""

    model_config = ConfigDict(from_attributes=True)  # type: ignore[assignment]
