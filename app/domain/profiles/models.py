"""Customer profiles, their audit trail and the audit of searches."""

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from app.domain.ids import new_id
from app.domain.sqltypes import UtcDateTime, enum_type, utcnow
from app.domain.vocabulary import ContactChannel, ProfilePath


class Profile(SQLModel, table=True):
    """A customer's device profile. Every column but ids, paths and times is personal data."""

    __tablename__ = "profile"
    __table_args__ = (
        sa.CheckConstraint(
            "erased_at IS NOT NULL OR email IS NOT NULL OR phone IS NOT NULL",
            name="email_or_phone",
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    version: int = 1
    first_name: str = Field(max_length=100)
    last_name: str = Field(max_length=100)
    address_line1: str = Field(max_length=200)
    address_line2: str | None = Field(default=None, max_length=200)
    city: str = Field(max_length=100)
    region: str | None = Field(default=None, max_length=100)
    postal_code: str | None = Field(default=None, max_length=20)
    country: str = Field(max_length=2)
    email: str | None = Field(default=None, max_length=320)
    email_key: str | None = Field(default=None, max_length=320, unique=True)
    """The normalised email in lower case: one profile per customer email."""
    phone: str | None = Field(default=None, max_length=16, index=True)
    """E.164."""
    imei: str | None = Field(default=None, max_length=15, index=True)
    msa: str | None = Field(default=None, max_length=320)
    social_handle: str | None = Field(default=None, max_length=100)
    creation_path: ProfilePath = Field(sa_type=enum_type(ProfilePath, "profile_path"))
    collected_via: ContactChannel = Field(
        sa_type=enum_type(ContactChannel, "contact_channel")
    )
    created_by: uuid.UUID = Field(foreign_key="agent.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    erased_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class ProfileHistory(SQLModel, table=True):
    """What happened to a profile, by whom. Records field names, never their values."""

    __tablename__ = "profile_history"

    id: int | None = Field(default=None, primary_key=True)
    profile_id: uuid.UUID = Field(foreign_key="profile.id", index=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    actor_id: uuid.UUID = Field(foreign_key="agent.id")
    event: str = Field(max_length=32)
    fields: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    related_profile_ids: list[str] = Field(default_factory=list, sa_type=sa.JSON)
    """Profiles the agent confirmed to be a different person."""


class ProfileSearch(SQLModel, table=True):
    """One profile search: who searched, by which kind of identifier, how many matched."""

    __tablename__ = "profile_search"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime)
    actor_id: uuid.UUID = Field(foreign_key="agent.id", index=True)
    identifier: str = Field(max_length=16)
    matches: int
