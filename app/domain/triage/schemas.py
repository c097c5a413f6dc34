"""Triage schemas: a contact with its problems in, the plan for each problem out."""

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from app.domain.schemas import InputSchema, Label, OutputSchema, Reason
from app.domain.vocabulary import Category


class TriageChannel(StrEnum):
    """The channel a contact came through: a social channel, or a store or sales counter."""

    facebook = "facebook"
    twitter = "twitter"
    vkontakte = "vkontakte"
    yandex = "yandex"
    sina_weibo = "sina_weibo"
    community = "community"
    other = "other"
    store = "store"
    sales = "sales"


Locale = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        max_length=35,
        pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$",
    ),
    Field(description="The customer's BCP 47 locale, such as `pt-BR`."),
]


class Problem(InputSchema):
    category: Category
    summary: Reason | None = Field(
        default=None,
        description="What the customer reported. Echoed in the plan, never stored.",
    )
    related_group: Label | None = Field(
        default=None,
        description="Problems sharing this label are related and share one SR.",
    )
    transfer_team: Label | None = Field(
        default=None,
        description="The team that handles a `misrouted` problem; required for that category only.",
    )

    @model_validator(mode="after")
    def _team_only_for_misrouted(self) -> "Problem":
        if self.category is Category.misrouted and not self.transfer_team:
            raise ValueError("transfer_team is required for a misrouted problem")
        if self.category is not Category.misrouted and self.transfer_team:
            raise ValueError("transfer_team is only for a misrouted problem")
        return self


class TriageCreate(InputSchema):
    channel: TriageChannel
    locale: Locale | None = None
    problems: list[Problem] = Field(min_length=1, max_length=20)


class ProblemOutcome(OutputSchema):
    """The outcome of one problem that gets no SR."""

    problem: int = Field(description="The problem's index in the request, from 0.")
    category: Category
    summary: str | None
    instruction: str


class Redirect(ProblemOutcome):
    address: str


class Transfer(ProblemOutcome):
    team: str


class PlannedServiceRequest(OutputSchema):
    """One SR to create: a group of related problems, or one unrelated problem."""

    problems: list[int] = Field(description="Indexes of the problems the SR covers.")
    related_group: str | None
    category: Category = Field(description="The primary category.")
    additional_categories: list[Category]
    instruction: str


class TriagePlan(OutputSchema):
    id: uuid.UUID = Field(description="Send it as `triage_id` when creating the SRs.")
    created_at: datetime
    agent_id: uuid.UUID
    channel: TriageChannel
    locale: str | None
    solved_on_contact: list[ProblemOutcome]
    service_requests: list[PlannedServiceRequest]
    redirects: list[Redirect]
    transfers: list[Transfer]
    declines: list[ProblemOutcome]
    requests_for_details: list[ProblemOutcome]


class ChannelCounts(OutputSchema):
    triages: int
    problems: int
    service_requests: int


class TriageReport(OutputSchema):
    """Triage counts over whole UTC days, `from` to `to` inclusive."""

    from_date: date
    to_date: date
    triages: int
    problems: int
    service_requests: int = Field(description="SRs the triages planned.")
    deflected: int = Field(
        description="Problems that got no SR: solved, redirected, transferred, declined or waiting for details."
    )
    by_outcome: dict[str, int] = Field(description="Problems per outcome.")
    by_category: dict[str, int] = Field(description="Problems per category.")
    by_channel: dict[str, ChannelCounts]
