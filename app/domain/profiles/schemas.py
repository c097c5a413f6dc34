"""Profile schemas."""

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from app.domain.schemas import InputSchema, Name, OutputSchema, ShortText, single_line
from app.domain.vocabulary import ContactChannel, ProfilePath

CountryCode = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, to_upper=True, max_length=2, pattern=r"^[A-Za-z]{2}$"
    ),
    Field(description="ISO 3166-1 alpha-2 country code, such as `BR`."),
]
Email = Annotated[str, single_line(320)]
Phone = Annotated[str, single_line(32)]
Imei = Annotated[str, single_line(20)]
Handle = Annotated[str, single_line(100)]


class Address(InputSchema):
    line1: ShortText
    line2: ShortText | None = None
    city: Annotated[str, single_line(100)]
    region: Annotated[str, single_line(100)] | None = Field(
        default=None, description="State, province or area, where the country uses one."
    )
    postal_code: Annotated[str, single_line(20)] | None = Field(
        default=None, description="Required where the country has postal codes."
    )
    country: CountryCode


class ProfileCreate(InputSchema):
    first_name: Name
    last_name: Name
    address: Address
    email: Email | None = None
    phone: Phone | None = Field(
        default=None,
        description="With its country code, or national in the address's country.",
    )
    imei: Imei | None = Field(
        default=None, description="15 digits with a valid Luhn check digit."
    )
    msa: Email | None = Field(
        default=None, description="The customer's Microsoft account."
    )
    social_handle: Handle | None = None
    collected_via: ContactChannel = Field(
        description="The private channel the details came through. `public_post` is rejected."
    )
    confirmed_different_person: bool = Field(
        default=False,
        description=(
            "Set after checking the candidates of a possible-duplicate answer: the customer "
            "shares a phone number or IMEI with them but is a different person."
        ),
    )


class ProfileUpdate(InputSchema):
    """Fields to change. Changing personal data needs the channel it came through."""

    first_name: Name | None = None
    last_name: Name | None = None
    address: Address | None = None
    email: Email | None = None
    phone: Phone | None = None
    imei: Imei | None = None
    msa: Email | None = None
    social_handle: Handle | None = None
    collected_via: ContactChannel = Field(
        description="The private channel the new details came through."
    )
    confirmed_different_person: bool = False


class AddressRead(OutputSchema):
    line1: str | None
    line2: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str | None


class ProfileRead(OutputSchema):
    id: uuid.UUID
    version: int
    first_name: str | None = Field(description="Null once the profile is erased.")
    last_name: str | None = Field(description="Null once the profile is erased.")
    address: AddressRead
    email: str | None
    phone: str | None = Field(description="E.164.")
    imei: str | None
    msa: str | None
    social_handle: str | None
    creation_path: ProfilePath
    collected_via: ContactChannel
    created_by: uuid.UUID
    created_at: datetime
    updated_at: datetime
    erased_at: datetime | None = Field(
        description="When a supervisor erased the customer's personal data."
    )


class ProfileSearchResult(OutputSchema):
    items: list[ProfileRead]


class ProfileCandidate(OutputSchema):
    profile_id: uuid.UUID
    matched_on: list[str]
