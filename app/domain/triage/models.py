"""Recorded triages. No personal data: only channel, locale, categories and outcomes."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.domain.ids import new_id
from app.domain.sqltypes import UtcDateTime, enum_type, utcnow
from app.domain.vocabulary import Category


class Triage(SQLModel, table=True):
    __tablename__ = "triage"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    agent_id: uuid.UUID = Field(foreign_key="agent.id", index=True)
    created_at: datetime = Field(
        default_factory=utcnow, sa_type=UtcDateTime, index=True
    )
    channel: str = Field(max_length=32)
    locale: str | None = Field(default=None, max_length=35)
    problem_count: int
    service_request_count: int


class TriageOutcome(SQLModel, table=True):
    """One problem of a triaged contact and what it gets."""

    __tablename__ = "triage_outcome"
    __table_args__ = (sa.Index("ix_triage_outcome_report", "created_at", "outcome"),)

    id: int | None = Field(default=None, primary_key=True)
    triage_id: uuid.UUID = Field(foreign_key="triage.id", index=True)
    position: int
    """The problem's index in the contact, from 0."""
    category: Category = Field(sa_type=enum_type(Category, "category"))
    outcome: str = Field(max_length=32)
    target: str | None = Field(default=None, max_length=200)
    """The redirect address or the transfer team."""
    related_group: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    channel: str = Field(max_length=32)
