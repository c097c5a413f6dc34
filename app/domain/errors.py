"""Typed refusals. Each class fixes its HTTP status and its problem type.

The API renders every one of them as RFC 9457 problem details. Messages name
fields by their JSON path and never repeat a submitted value.
"""

from typing import Any, ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"
    description: ClassVar[str] = "The request is not valid."

    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class Unauthenticated(DomainError):
    status = 401
    slug = "unauthenticated"
    title = "Unauthenticated"
    description = (
        "The request has no bearer token, or its token is unknown, expired or revoked, "
        "or its agent is deactivated. Send `Authorization: Bearer <token>`."
    )


class RoleForbidden(DomainError):
    status = 403
    slug = "role-forbidden"
    title = "Not allowed for this tier"
    description = "The caller's tier may never perform this operation."


class ActorForbidden(DomainError):
    status = 403
    slug = "actor-forbidden"
    title = "Not allowed on this object"
    description = (
        "The caller's tier may perform this operation, but not on this object: "
        "for example a Tier 1 agent who does not own the SR, or Tier 2 closing a "
        "social-media SR."
    )


class NotFound(DomainError):
    status = 404
    slug = "not-found"
    title = "Not found"
    description = "No such object, or the caller may not see it."


class InvalidInput(DomainError):
    """A body that is well-formed but breaks a desk rule, with the offending JSON paths."""

    status = 422
    slug = "invalid-input"
    title = "Invalid input"
    description = (
        "One or more values break a rule; `errors` lists each with its JSON path."
    )

    def __init__(
        self, detail: str, errors: list[dict[str, str]] | None = None, **ext: Any
    ) -> None:
        # An entry without a location names a body field by its JSON pointer.
        located = [{"location": "body", **entry} for entry in errors or []]
        super().__init__(detail, errors=located, **ext)


def invalid_field(pointer: str, message: str) -> InvalidInput:
    """Build a 422 for a single field, `pointer` being a JSON pointer such as `/address/postal_code`."""
    return InvalidInput(message, errors=[{"pointer": pointer, "detail": message}])


class CategoryGetsNoServiceRequest(InvalidInput):
    slug = "category-gets-no-sr"
    title = "This category gets no SR"
    description = (
        "Only OS bugs, RRT cases and ELP escalations become SRs. The response names "
        "the redirect, transfer, decline or request for details that applies instead."
    )


class PersonalDataFromPublicChannel(InvalidInput):
    slug = "pii-from-public-channel"
    title = "Personal data from a public channel"
    description = (
        "Personal data is collected only over a private channel (the social network's "
        "private messages, email or a phone call), never from a public post."
    )


class IdempotencyKeyReused(InvalidInput):
    slug = "idempotency-key-reused"
    title = "Idempotency key reused"
    description = (
        "The `Idempotency-Key` was already used with a different request body."
    )


class PreconditionRequired(DomainError):
    status = 428
    slug = "precondition-required"
    title = "If-Match required"
    description = (
        "Edits and lifecycle events need `If-Match` with the ETag of the SR last read."
    )


class PreconditionFailed(DomainError):
    status = 412
    slug = "precondition-failed"
    title = "Version changed"
    description = (
        "The SR changed since the caller read it: `If-Match` does not match its ETag. "
        "Read the SR again, then retry with the new ETag."
    )


class DuplicateProfile(DomainError):
    status = 409
    slug = "duplicate-profile"
    title = "Profile exists"
    description = (
        "A profile with the same email already exists; use it instead of a new one."
    )


class PossibleDuplicateProfile(DomainError):
    status = 409
    slug = "possible-duplicate-profile"
    title = "Possible duplicate profile"
    description = (
        "Profiles with the same phone number or IMEI exist. Check the candidates; if the "
        "customer is a different person, send the request again with "
        "`confirmed_different_person: true`."
    )


class InvalidTransition(DomainError):
    status = 409
    slug = "invalid-transition"
    title = "Not allowed in this state"
    description = (
        "The lifecycle event is not possible from the SR's current status; "
        "`allowed_events` lists what the caller may do now."
    )


class ReopenWindowClosed(InvalidTransition):
    slug = "reopen-window-closed"
    title = "Reopen window closed"
    description = (
        "The SR was closed longer ago than the reopen window allows. Create a new SR "
        "with `related_sr_id` set to the closed one."
    )


class Conflict(DomainError):
    status = 409
    slug = "conflict"
    title = "Conflict"
    description = "The request conflicts with the current state of the object."


class RateLimited(DomainError):
    status = 429
    slug = "rate-limited"
    title = "Too many requests"
    description = "The token sent too many requests; wait for `Retry-After` seconds."


def problem_types() -> list[type[DomainError]]:
    """Every concrete problem class, for the documentation endpoint."""
    found: list[type[DomainError]] = []
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: (cls.status, cls.slug))
