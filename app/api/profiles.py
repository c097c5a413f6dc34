"""Customer profiles."""

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import Field, model_validator

from app.api.deps import (
    Caller,
    IdempotencyKey,
    IfMatch,
    ProfileCaller,
    caller,
    profile_caller,
)
from app.api.responses import errors
from app.api.routing import ProblemRoute
from app.api.stored import created_response
from app.db import Tx
from app.domain.concurrency import etag
from app.domain.idempotency import service as idempotency
from app.domain.permissions import Operation
from app.domain.profiles import erasure, service
from app.domain.profiles.schemas import (
    Email,
    Imei,
    Phone,
    ProfileCreate,
    ProfileRead,
    ProfileSearchResult,
    ProfileUpdate,
)
from app.domain.schemas import InputSchema

router = APIRouter(tags=["profiles"], route_class=ProblemRoute)

Creator = Annotated[Caller, Depends(caller(Operation.profile_create))]
Reader = Annotated[Caller, Depends(caller(Operation.profile_read))]
Editor = Annotated[ProfileCaller, Depends(profile_caller(Operation.profile_update))]
Searcher = Annotated[Caller, Depends(caller(Operation.profile_search))]
Eraser = Annotated[Caller, Depends(caller(Operation.profile_erase))]


class ProfileSearch(InputSchema):
    """Exactly one identifier. Searching by body keeps personal data out of URLs and logs."""

    email: Email | None = None
    phone: Phone | None = Field(default=None, description="With its country code.")
    imei: Imei | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> "ProfileSearch":
        if sum(value is not None for value in (self.email, self.phone, self.imei)) != 1:
            raise ValueError("send exactly one of email, phone and imei")
        return self

    def identifier(self) -> tuple[Literal["email", "phone", "imei"], str]:
        if self.email is not None:
            return "email", self.email
        if self.phone is not None:
            return "phone", self.phone
        assert self.imei is not None
        return "imei", self.imei


@router.post(
    "/profiles",
    status_code=201,
    response_model=ProfileRead,
    responses=errors(403, 409, body=True),
)
async def create_profile(
    data: ProfileCreate, call: Creator, idempotency_key: IdempotencyKey = None
) -> Response:
    """Create a customer profile from details collected over a private channel."""
    ctx, actor, now = call.ctx, call.actor, call.ctx.now()

    def create(tx: Tx) -> tuple[ProfileRead, uuid.UUID]:
        profile = service.create_profile(tx, actor, data, now)
        return profile, profile.id

    stored = await ctx.db.write(
        idempotency.run,
        actor,
        idempotency_key,
        "profile.create",
        data,
        now,
        ctx.policy.idempotency_ttl,
        create,
    )
    return created_response(stored, location_prefix="/profiles/")


@router.post("/profiles/search", responses=errors(403, body=True))
async def search_profiles(data: ProfileSearch, call: Searcher) -> ProfileSearchResult:
    """Find profiles by one exact email, phone number or IMEI. Searches are audited and rate-limited."""
    call.ctx.search_limiter.check(f"search:{call.actor.token_id}")
    kind, value = data.identifier()
    found = await call.ctx.db.write(
        service.search_profiles, call.actor, kind, value, call.ctx.now()
    )
    return ProfileSearchResult(items=found)


@router.get("/profiles/{profile_id}", responses=errors(403, 404))
async def read_profile(
    profile_id: uuid.UUID, call: Reader, response: Response
) -> ProfileRead:
    """Return a profile, with its version as the ETag."""
    profile = await call.ctx.db.read(service.get_profile, call.actor, profile_id)
    response.headers["ETag"] = etag(profile.version)
    return profile


@router.patch(
    "/profiles/{profile_id}", responses=errors(403, 404, 409, 412, 428, body=True)
)
async def update_profile(
    data: ProfileUpdate,
    call: Editor,
    response: Response,
    if_match: IfMatch = None,
) -> ProfileRead:
    """Change profile fields. Needs If-Match; new personal data names its private channel."""
    profile = await call.ctx.db.write(
        service.update_profile,
        call.actor,
        call.profile["id"],
        data,
        if_match,
        call.ctx.now(),
    )
    response.headers["ETag"] = etag(profile.version)
    return profile


@router.post("/profiles/{profile_id}/erase", responses=errors(403, 404))
async def erase_profile(
    profile_id: uuid.UUID, call: Eraser, response: Response
) -> ProfileRead:
    """Erase a customer's personal data on their request (supervisors only).

    The profile keeps its id and country. Its SRs and their history remain, with the
    MSA, post URL and public comments removed. The customer's data is scrubbed from
    free text, case notes and stored idempotent responses. Erasing twice changes nothing.
    """
    profile = await call.ctx.db.write(
        erasure.erase_profile, call.actor, profile_id, call.ctx.now()
    )
    response.headers["ETag"] = etag(profile.version)
    return profile
