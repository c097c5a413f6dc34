"""The base of every API schema, and the string types with their limits."""

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import AfterValidator, AwareDatetime, ConfigDict, StringConstraints
from sqlmodel import SQLModel

NO_CONTROL_CHARACTERS = r"^[^\x00-\x1f\x7f]*$"
NO_CONTROL_CHARACTERS_BUT_LINES = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"


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


class InputSchema(SQLModel):
    """A request body: unknown fields are rejected, not ignored."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]


class OutputSchema(SQLModel):
    """A response body."""

    model_config = ConfigDict(from_attributes=True)  # type: ignore[assignment]


def _fits_utc(value: datetime) -> datetime:
    try:
        value.astimezone(UTC)
    except OverflowError:
        raise ValueError(
            "the time is out of range in UTC: send one between years 1 and 9999"
        ) from None
    return value


AwareTime = Annotated[AwareDatetime, AfterValidator(_fits_utc)]
"""A time with its UTC offset that UTC can hold (9999-12-31T23:00:00-03:00 it cannot)."""
