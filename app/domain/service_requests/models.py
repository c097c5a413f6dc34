"""Service requests, their history and their case notes."""

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.domain.ids import new_id
from app.domain.sqltypes import UtcDateTime, enum_type, utcnow
from app.domain.vocabulary import Category, CustomerType, HeldBy, SocialChannel, Status


class ServiceRequest(SQLModel, table=True):
    __tablename__ = "service_request"
    __table_args__ = (
        sa.CheckConstraint("follower_count >= 0", name="follower_count_not_negative"),
        sa.CheckConstraint("version >= 1", name="version_positive"),
        sa.CheckConstraint("priority BETWEEN 1 AND 99", name="priority_range"),
        sa.CheckConstraint(
            "customer_type <> 'social_media' OR pii_erased_at IS NOT NULL OR ("
            "channel IS NOT NULL AND post_url IS NOT NULL AND community_level IS NOT NULL "
            "AND follower_count IS NOT NULL AND software_version IS NOT NULL "
            "AND firmware_version IS NOT NULL AND public_comments IS NOT NULL)",
            name="social_media_fields",
        ),
        sa.CheckConstraint(
            "channel IS NULL OR channel <> 'other' OR channel_details IS NOT NULL "
            "OR pii_erased_at IS NOT NULL",
            name="other_channel_details",
        ),
        sa.Index(
            "ix_service_request_queue_tier2", "status", "priority", "created_at", "id"
        ),
        sa.Index(
            "ix_service_request_queue_owner", "owner_id", "held_by", "created_at", "id"
        ),
        sa.Index(
            "ix_service_request_owner_status", "owner_id", "status", "created_at", "id"
        ),
        sa.Index("ix_service_request_status_created", "status", "created_at", "id"),
        sa.Index("ix_service_request_status_queue", "status", "queue", "created_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    number: str = Field(max_length=16, unique=True)
    version: int = 1
    status: Status = Field(sa_type=enum_type(Status, "status"))
    held_by: HeldBy = Field(sa_type=enum_type(HeldBy, "held_by"))
    customer_type: CustomerType = Field(
        sa_type=enum_type(CustomerType, "customer_type")
    )
    category: Category = Field(sa_type=enum_type(Category, "category"))
    additional_categories: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    contact_reason: str = Field(sa_type=sa.Text)
    resolution_needed: str = Field(sa_type=sa.Text)

    channel: SocialChannel | None = Field(
        default=None, sa_type=enum_type(SocialChannel, "social_channel")
    )
    channel_details: str | None = Field(default=None, max_length=200)
    post_url: str | None = Field(default=None, max_length=2048)
    public_comments: str | None = Field(default=None, sa_type=sa.Text)
    public_comments_redacted: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    """Kinds of personal data removed from the public comments before storage."""
    msa: str | None = Field(default=None, max_length=320)
    community_level: str | None = Field(default=None, max_length=64)
    follower_count: int | None = None
    software_version: str | None = Field(default=None, max_length=64)
    firmware_version: str | None = Field(default=None, max_length=64)

    profile_id: uuid.UUID = Field(foreign_key="profile.id", index=True)
    owner_id: uuid.UUID = Field(foreign_key="agent.id")
    """The Tier 1 owner: the creator, unless a supervisor reassigns it."""
    assignee_id: uuid.UUID | None = Field(
        default=None, foreign_key="agent.id", index=True
    )
    """The Tier 2 agent working the SR, once one takes it."""
    queue: str = Field(max_length=64)
    triage_id: uuid.UUID | None = Field(
        default=None, foreign_key="triage.id", index=True
    )
    related_sr_id: uuid.UUID | None = Field(
        default=None, foreign_key="service_request.id"
    )
    """The earlier SR this one follows up, when a closed SR could no longer be reopened."""

    open_reason: str | None = Field(default=None, max_length=500)
    """Why a store or sales SR stays Open instead of being escalated."""
    resolution: str | None = Field(default=None, sa_type=sa.Text)
    closing_note: str | None = Field(default=None, sa_type=sa.Text)

    priority: int
    sla_first_action_due_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    sla_resolution_due_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    first_tier2_action_at: datetime | None = Field(default=None, sa_type=UtcDateTime)

    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    status_changed_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    pii_erased_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ServiceRequestHistory(SQLModel, table=True):
    """The audit trail: one row per create, edit, note, transition or assignment."""

    __tablename__ = "service_request_history"
    __table_args__ = (sa.Index("ix_service_request_history_event_at", "event", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    service_request_id: uuid.UUID = Field(foreign_key="service_request.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    actor_id: uuid.UUID = Field(foreign_key="agent.id")
    event: str = Field(max_length=32)
    from_status: Status | None = Field(
        default=None, sa_type=enum_type(Status, "from_status")
    )
    to_status: Status | None = Field(
        default=None, sa_type=enum_type(Status, "to_status")
    )
    reason: str | None = Field(default=None, sa_type=sa.Text)
    fields: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    """Names of the fields an edit changed."""
    details: dict[str, Any] = Field(default_factory=dict, sa_type=sa.JSON)
    """Ids an event refers to (agents, follow-ups, notes); never personal data."""


class CaseNote(SQLModel, table=True):
    """An append-only note on an SR."""

    __tablename__ = "case_note"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    service_request_id: uuid.UUID = Field(foreign_key="service_request.id", index=True)
    author_id: uuid.UUID = Field(foreign_key="agent.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    body: str = Field(sa_type=sa.Text)


class ServiceRequestNumber(SQLModel, table=True):
    """The SR number counter on SQLite; PostgreSQL uses a sequence instead."""

    __tablename__ = "service_request_number"

    name: str = Field(primary_key=True, max_length=32)
    value: int
