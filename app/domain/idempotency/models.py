"""Remembered responses to creates sent with an `Idempotency-Key`."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.domain.sqltypes import UtcDateTime, utcnow


class IdempotencyRecord(SQLModel, table=True):
    __tablename__ = "idempotency_record"

    agent_id: uuid.UUID = Field(foreign_key="agent.id", primary_key=True)
    key: str = Field(max_length=255, primary_key=True)
    operation: str = Field(max_length=64)
    request_hash: str = Field(max_length=64)
    status_code: int
    response_body: str = Field(sa_type=sa.Text)
    resource_id: uuid.UUID | None = Field(default=None, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime, index=True)
