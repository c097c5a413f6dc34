"""Queue views: which SRs each view lists, the query parameters and the page shape."""

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import ConfigDict, Field
from sqlmodel import SQLModel

from app.domain.schemas import AwareTime, OutputSchema
from app.domain.vocabulary import Category, CustomerType, HeldBy, SocialChannel, Status

PAGE_SIZE_MAX = 200
"""The largest page a queue view returns; a larger `limit` is rejected with 422."""


class QueueView(StrEnum):
    """The queues agents watch.

    Tier 1 views list the SRs one agent owns; Tier 2 views list the whole desk.
    """

    waiting_on_tier2 = "waiting_on_tier2"
    """SRs the agent owns that wait on Tier 2: escalated, on hold or resolved."""
    de_escalated = "de_escalated"
    """SRs Tier 2 handed back to the agent, to close with the customer."""
    escalated = "escalated"
    """The Tier 2 queue: escalated SRs, highest priority first, then oldest first."""
    on_hold = "on_hold"
    """Escalated SRs Tier 2 put on hold while it waits for the customer."""
    resolved = "resolved"
    """SRs Tier 2 resolved and has not yet de-escalated."""

    @property
    def is_owner_view(self) -> bool:
        return self in (QueueView.waiting_on_tier2, QueueView.de_escalated)


class QueueSort(StrEnum):
    priority = "priority"
    """Priority 1 first, then oldest first. Tier 2 views only."""
    oldest = "oldest"
    """Created first comes first."""
    newest = "newest"
    """Created last comes first."""


class QueueQuery(SQLModel):
    """Filters, sort and page of a queue view. Unknown parameters are rejected."""

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]

    agent_id: uuid.UUID | None = Field(
        default=None,
        description="Supervisors: whose Tier 1 view to list. Others may only name themselves.",
    )
    queue: str | None = Field(
        default=None, max_length=64, description="Only SRs of this owner queue."
    )
    status: Status | None = Field(
        default=None, description="Only SRs in this status (views that span several)."
    )
    category: Category | None = None
    channel: SocialChannel | None = None
    customer_type: CustomerType | None = None
    profile_id: uuid.UUID | None = None
    number: str | None = Field(
        default=None,
        max_length=16,
        pattern=r"^[Ss][Rr]-[0-9]{8,12}$",
        description="Only the SR with this number, such as SR-00000042.",
    )
    created_from: AwareTime | None = Field(
        default=None, description="Created at or after this time."
    )
    created_to: AwareTime | None = Field(
        default=None, description="Created before this time."
    )
    updated_from: AwareTime | None = Field(
        default=None, description="Last changed at or after this time."
    )
    updated_to: AwareTime | None = Field(
        default=None, description="Last changed before this time."
    )
    sort: QueueSort | None = Field(
        default=None,
        description="`priority` (the default of Tier 2 views), `oldest` (the default "
        "of Tier 1 views) or `newest`.",
    )
    limit: int | None = Field(
        default=None,
        ge=1,
        le=PAGE_SIZE_MAX,
        description=f"Page size, 1 to {PAGE_SIZE_MAX}; the default is a setting.",
    )
    cursor: str | None = Field(
        default=None,
        max_length=512,
        description="`next_cursor` of the previous page, with the same filters and sort.",
    )


class QueueItem(OutputSchema):
    """One SR in a queue, with the facts an agent weighs to pick the next SR."""

    id: uuid.UUID
    number: str
    category: Category
    customer_type: CustomerType
    channel: SocialChannel | None
    status: Status
    held_by: HeldBy
    queue: str
    owner_id: uuid.UUID
    assignee_id: uuid.UUID | None
    priority: int = Field(description="1 is the most urgent.")
    follower_count: int | None
    created_at: datetime
    updated_at: datetime
    status_changed_at: datetime
    age_seconds: int = Field(description="Seconds since the SR was created.")
    time_in_status_seconds: int = Field(
        description="Seconds since the SR entered its current status."
    )
    sla_first_action_due_at: datetime | None
    sla_resolution_due_at: datetime | None
    first_action_breached: bool = Field(
        description="Tier 2 acted after the first-action due time, or has not acted "
        "and the due time has passed."
    )
    resolution_breached: bool = Field(
        description="The SR waits on Tier 2 for a resolution past its due time."
    )
    follow_up_due_at: datetime | None = Field(
        description="The earliest scheduled follow-up with the customer, if any."
    )


class QueuePage(OutputSchema):
    view: QueueView
    sort: QueueSort
    items: list[QueueItem]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )
