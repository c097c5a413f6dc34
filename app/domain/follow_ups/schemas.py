"""Follow-up schemas: schedule, complete, cancel and read."""

import uuid
from datetime import datetime

from pydantic import Field

from app.domain.schemas import (
    AwareTime,
    InputSchema,
    OutputSchema,
    Reason,
    TimeZoneName,
)
from app.domain.vocabulary import FollowUpChannel, FollowUpStatus


class FollowUpCreate(InputSchema):
    due_at: AwareTime = Field(
        description="When to contact the customer, with its UTC offset, such as "
        "2026-12-02T09:00:00-03:00. Must be in the future."
    )
    time_zone: TimeZoneName | None = Field(
        default=None,
        description="The IANA zone the due time is meant in; the agent's zone if left out.",
    )
    channel: FollowUpChannel = Field(description="How to contact the customer.")
    note: Reason | None = Field(default=None, description="What to follow up on.")


class FollowUpComplete(InputSchema):
    note: Reason | None = Field(default=None, description="What came of the follow-up.")


class FollowUpCancel(InputSchema):
    reason: Reason = Field(description="Why the follow-up is no longer needed.")


class FollowUpRead(OutputSchema):
    id: uuid.UUID
    service_request_id: uuid.UUID
    service_request_number: str
    agent_id: uuid.UUID
    due_at: datetime = Field(description="The due time in UTC.")
    time_zone: str = Field(description="The zone of `due_local`.")
    due_local: datetime = Field(description="The due time in `time_zone`.")
    overdue: bool = Field(
        description="The follow-up is still scheduled past its due time."
    )
    channel: FollowUpChannel
    note: str
    status: FollowUpStatus
    created_at: datetime
    completed_at: datetime | None
    cancelled_at: datetime | None


class FollowUpPage(OutputSchema):
    items: list[FollowUpRead]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )
