"""Agents and their API tokens."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.domain.ids import new_id
from app.domain.sqltypes import UtcDateTime, enum_type, utcnow
from app.domain.vocabulary import Tier, Tier1Kind


class Agent(SQLModel, table=True):
    __tablename__ = "agent"
    __table_args__ = (
        sa.CheckConstraint(
            "(tier = 'tier1') = (tier1_kind IS NOT NULL)", name="tier1_kind_iff_tier1"
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(max_length=120)
    tier: Tier = Field(sa_type=enum_type(Tier, "tier"))
    tier1_kind: Tier1Kind | None = Field(
        default=None, sa_type=enum_type(Tier1Kind, "tier1_kind")
    )
    default_queue: str = Field(max_length=64)
    time_zone: str = Field(max_length=64)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    deactivated_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ApiToken(SQLModel, table=True):
    """A bearer token. Only its SHA-256 hash is stored."""

    __tablename__ = "api_token"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    agent_id: uuid.UUID = Field(foreign_key="agent.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    label: str = Field(default="", max_length=120)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    expires_at: datetime = Field(sa_type=UtcDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
