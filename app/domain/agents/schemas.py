"""Agent and token schemas."""

import uuid
from datetime import datetime, timedelta

from pydantic import Field, StrictInt, model_validator

from app.domain.schemas import InputSchema, Label, Name, OutputSchema, TimeZoneName
from app.domain.vocabulary import Tier, Tier1Kind


class AgentCreate(InputSchema):
    name: Name
    tier: Tier
    tier1_kind: Tier1Kind | None = Field(
        default=None, description="Required for Tier 1 agents, absent for the others."
    )
    default_queue: Label
    time_zone: TimeZoneName = Field(
        description="IANA time zone, such as `Europe/Lisbon`."
    )

    @model_validator(mode="after")
    def _kind_matches_tier(self) -> "AgentCreate":
        if self.tier is Tier.tier1 and self.tier1_kind is None:
            raise ValueError("tier1_kind is required for a Tier 1 agent")
        if self.tier is not Tier.tier1 and self.tier1_kind is not None:
            raise ValueError("tier1_kind is only for Tier 1 agents")
        return self


class AgentUpdate(InputSchema):
    name: Name | None = None
    default_queue: Label | None = None
    time_zone: TimeZoneName | None = None


class AgentRead(OutputSchema):
    id: uuid.UUID
    name: str
    tier: Tier
    tier1_kind: Tier1Kind | None
    default_queue: str
    time_zone: str
    active: bool
    created_at: datetime
    deactivated_at: datetime | None


class AgentPage(OutputSchema):
    items: list[AgentRead]
    next_cursor: str | None = None


class TokenCreate(InputSchema):
    label: Label | None = None
    ttl_days: StrictInt | None = Field(
        default=None,
        ge=1,
        le=366,
        description="Lifetime in days; the service default if absent.",
    )

    def ttl(self, default: timedelta) -> timedelta:
        return default if self.ttl_days is None else timedelta(days=self.ttl_days)


class TokenRead(OutputSchema):
    id: uuid.UUID
    agent_id: uuid.UUID
    label: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None


class TokenIssued(TokenRead):
    token: str = Field(description="The bearer token. Shown only in this response.")


class AgentDeactivate(InputSchema):
    reassign_to: uuid.UUID | None = Field(
        default=None,
        description=(
            "An active agent of the same tier who takes over the agent's open SRs "
            "(as Tier 1 owner or Tier 2 assignee). Required while the agent still holds SRs."
        ),
    )
