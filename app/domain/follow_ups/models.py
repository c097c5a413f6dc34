"""Follow-ups scheduled with customers."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.domain.ids import new_id
from app.domain.sqltypes import UtcDateTime, enum_type, utcnow
from app.domain.vocabulary import FollowUpChannel, FollowUpStatus


class FollowUp(SQLModel, table=True):
    __tablename__ = "follow_up"
    __table_args__ = (
        sa.Index("ix_follow_up_agent_due", "agent_id", "status", "due_at", "id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    service_request_id: uuid.UUID = Field(foreign_key="service_request.id", index=True)
    agent_id: uuid.UUID = Field(foreign_key="agent.id")
    """The agent who follows up: the one who scheduled it."""
    due_at: datetime = Field(sa_type=UtcDateTime)
    time_zone: str = Field(max_length=64)
    """The zone the due time was given in."""
    channel: FollowUpChannel = Field(
        sa_type=enum_type(FollowUpChannel, "follow_up_channel")
    )
    note: str = Field(default="", sa_type=sa.Text)
    status: FollowUpStatus = Field(
        default=FollowUpStatus.scheduled,
        sa_type=enum_type(FollowUpStatus, "follow_up_status"),
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
