"""Service request schemas: create (one shape per customer type), edit, read, history and notes."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, HttpUrl, Strict, UrlConstraints, model_validator

from app.domain.schemas import (
    InputSchema,
    Label,
    LongText,
    OutputSchema,
    Reason,
    ShortText,
)
from app.domain.vocabulary import Category, CustomerType, HeldBy, SocialChannel, Status

Version = Annotated[
    str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._+:-]+$")
]
PostUrl = Annotated[
    HttpUrl,
    UrlConstraints(max_length=2048, allowed_schemes=["http", "https"]),
    Field(description="Address of the post or thread, http or https."),
]
FollowerCount = Annotated[int, Strict(), Field(ge=0, le=10_000_000_000)]
"""A JSON integer: true or "12" are refused rather than read as numbers."""
MicrosoftAccount = Annotated[
    str, Field(min_length=3, max_length=320, pattern=r"^[^\s\x00-\x1f\x7f]+$")
]
AdditionalCategories = Annotated[
    list[Category],
    Field(
        max_length=4,
        description="Further SR categories the SR covers, besides the primary one.",
    ),
]


class _ServiceRequestCreate(InputSchema):
    profile_id: uuid.UUID
    category: Category = Field(
        description="The primary category: os_bug, rrt or an ELP category."
    )
    additional_categories: AdditionalCategories = Field(default_factory=list)
    contact_reason: Reason = Field(description="Why the customer made contact.")
    resolution_needed: Reason = Field(description="What is needed to resolve it.")
    triage_id: uuid.UUID | None = Field(
        default=None, description="The triage this SR came from."
    )
    related_sr_id: uuid.UUID | None = Field(
        default=None,
        description="A closed SR this one follows up, past its reopen window.",
    )


class SocialMediaServiceRequestCreate(_ServiceRequestCreate):
    customer_type: Literal["social_media"]
    channel: SocialChannel = Field(description="The channel the SR was escalated from.")
    channel_details: ShortText | None = Field(
        default=None, description="Required when the channel is `other`."
    )
    post_url: PostUrl
    public_comments: LongText = Field(
        description="What the customer wrote in public. Personal data is removed before storage."
    )
    msa: MicrosoftAccount | None = None
    community_level: Label
    follower_count: FollowerCount
    software_version: Version
    firmware_version: Version
    escalate: Literal[True] = Field(
        default=True, description="A social-media SR is always escalated at creation."
    )

    @model_validator(mode="after")
    def _other_needs_details(self) -> "SocialMediaServiceRequestCreate":
        if self.channel is SocialChannel.other and not self.channel_details:
            raise ValueError("channel_details is required when channel is 'other'")
        return self


class _ShopServiceRequestCreate(_ServiceRequestCreate):
    software_version: Version | None = None
    firmware_version: Version | None = None
    escalate: bool = Field(
        default=True, description="False keeps the SR Open; open_reason then says why."
    )
    open_reason: Reason | None = Field(
        default=None, description="Required when escalate is false."
    )

    @model_validator(mode="after")
    def _open_needs_reason(self) -> "_ShopServiceRequestCreate":
        if not self.escalate and not self.open_reason:
            raise ValueError("open_reason is required when escalate is false")
        if self.escalate and self.open_reason:
            raise ValueError("open_reason is only for an SR kept Open (escalate false)")
        return self


class StoreServiceRequestCreate(_ShopServiceRequestCreate):
    customer_type: Literal["store"]


class SalesServiceRequestCreate(_ShopServiceRequestCreate):
    customer_type: Literal["sales"]


ServiceRequestCreate = Annotated[
    SocialMediaServiceRequestCreate
    | StoreServiceRequestCreate
    | SalesServiceRequestCreate,
    Field(discriminator="customer_type"),
]


class ServiceRequestUpdate(InputSchema):
    """Editable fields. Status, owner and customer type change only through their own endpoints."""

    category: Category | None = None
    additional_categories: AdditionalCategories | None = None
    contact_reason: Reason | None = None
    resolution_needed: Reason | None = None
    channel_details: ShortText | None = None
    post_url: PostUrl | None = None
    public_comments: LongText | None = None
    msa: MicrosoftAccount | None = None
    community_level: Label | None = None
    follower_count: FollowerCount | None = None
    software_version: Version | None = None
    firmware_version: Version | None = None
    open_reason: Reason | None = None


class ServiceRequestRead(OutputSchema):
    id: uuid.UUID
    number: str = Field(description="Human-readable SR number, such as SR-00000042.")
    version: int = Field(
        description="Increases with every change; the ETag carries it."
    )
    status: Status
    held_by: HeldBy
    customer_type: CustomerType
    category: Category
    additional_categories: list[Category]
    contact_reason: str
    resolution_needed: str
    channel: SocialChannel | None
    channel_details: str | None
    post_url: str | None
    public_comments: str | None
    public_comments_redacted: list[str] = Field(
        description="Kinds of personal data removed from the public comments: email, phone, imei."
    )
    msa: str | None
    community_level: str | None
    follower_count: int | None
    software_version: str | None
    firmware_version: str | None
    profile_id: uuid.UUID
    owner_id: uuid.UUID
    assignee_id: uuid.UUID | None
    queue: str
    triage_id: uuid.UUID | None
    related_sr_id: uuid.UUID | None
    open_reason: str | None
    resolution: str | None
    closing_note: str | None
    priority: int = Field(description="1 is the most urgent.")
    sla_first_action_due_at: datetime | None
    sla_resolution_due_at: datetime | None
    first_tier2_action_at: datetime | None
    created_at: datetime
    updated_at: datetime
    status_changed_at: datetime
    closed_at: datetime | None
    pii_erased_at: datetime | None = Field(
        default=None,
        description="When the customer's personal data was erased from this SR.",
    )
    allowed_events: list[str] = Field(
        description="The lifecycle events the caller may fire now, each a POST to /service-requests/{id}/{event}."
    )


class HistoryRecord(OutputSchema):
    id: int
    at: datetime
    actor_id: uuid.UUID
    event: str
    from_status: Status | None
    to_status: Status | None
    reason: str | None
    fields: list[str]
    details: dict[str, Any]


class HistoryPage(OutputSchema):
    items: list[HistoryRecord]
    next_cursor: str | None


class NoteCreate(InputSchema):
    body: LongText


class NoteRead(OutputSchema):
    id: uuid.UUID
    service_request_id: uuid.UUID
    author_id: uuid.UUID
    created_at: datetime
    body: str


class NotePage(OutputSchema):
    items: list[NoteRead]
    next_cursor: str | None


class TransitionsRead(OutputSchema):
    status: Status
    allowed_events: list[str]
