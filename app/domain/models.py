"""Every table, imported in one place so that the metadata is complete."""

import sqlalchemy as sa
from sqlmodel import SQLModel

from app.domain import sqltypes as sqltypes
from app.domain.agents.models import Agent, ApiToken
from app.domain.follow_ups.models import FollowUp
from app.domain.idempotency.models import IdempotencyRecord
from app.domain.profiles.models import Profile, ProfileHistory, ProfileSearch
from app.domain.service_requests.models import (
    CaseNote,
    ServiceRequest,
    ServiceRequestHistory,
    ServiceRequestNumber,
)
from app.domain.triage.models import Triage, TriageOutcome

metadata = SQLModel.metadata

SR_NUMBER_SEQUENCE = sa.Sequence("service_request_number_seq", metadata=metadata)
"""SR numbers on PostgreSQL. SQLite has no sequences and uses `ServiceRequestNumber`."""

__all__ = [
    "SR_NUMBER_SEQUENCE",
    "Agent",
    "ApiToken",
    "CaseNote",
    "FollowUp",
    "IdempotencyRecord",
    "Profile",
    "ProfileHistory",
    "ProfileSearch",
    "ServiceRequest",
    "ServiceRequestHistory",
    "ServiceRequestNumber",
    "Triage",
    "TriageOutcome",
    "metadata",
]
