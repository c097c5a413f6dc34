"""Customer profiles: create without duplicates, read, edit and search."""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa

from app.db import Row, Tx, UniqueViolation
from app.domain import permissions
from app.domain.concurrency import check_version, parse_if_match, version_conflict
from app.domain.errors import (
    DuplicateProfile,
    InvalidInput,
    NotFound,
    PersonalDataFromPublicChannel,
    PossibleDuplicateProfile,
)
from app.domain.ids import new_id
from app.domain.permissions import Actor, Operation, ProfileFacts
from app.domain.profiles import validation
from app.domain.profiles.models import Profile, ProfileHistory, ProfileSearch
from app.domain.profiles.schemas import (
    Address,
    AddressRead,
    ProfileCandidate,
    ProfileCreate,
    ProfileRead,
    ProfileUpdate,
)
from app.domain.service_requests.models import ServiceRequest
from app.domain.vocabulary import ContactChannel, ProfilePath

profile_table = Profile.__table__  # type: ignore[attr-defined]
history_table = ProfileHistory.__table__  # type: ignore[attr-defined]
search_table = ProfileSearch.__table__  # type: ignore[attr-defined]
sr_table = ServiceRequest.__table__  # type: ignore[attr-defined]

PERSONAL_FIELDS = (
    "first_name",
    "last_name",
    "address",
    "email",
    "phone",
    "imei",
    "msa",
    "social_handle",
)

SELECT_PROFILE = sa.select(profile_table).where(
    profile_table.c.id == sa.bindparam("id")
)
SELECT_BY_EMAIL_KEY = sa.select(profile_table.c.id).where(
    profile_table.c.email_key == sa.bindparam("email_key")
)
SELECT_BY_PHONE = sa.select(profile_table.c.id).where(
    profile_table.c.phone == sa.bindparam("phone")
)
SELECT_BY_IMEI = sa.select(profile_table.c.id).where(
    profile_table.c.imei == sa.bindparam("imei")
)
SELECT_FULL_BY_EMAIL_KEY = sa.select(profile_table).where(
    profile_table.c.email_key == sa.bindparam("value")
)
SELECT_FULL_BY_PHONE = sa.select(profile_table).where(
    profile_table.c.phone == sa.bindparam("value")
)
SELECT_FULL_BY_IMEI = sa.select(profile_table).where(
    profile_table.c.imei == sa.bindparam("value")
)
SELECT_SR_HOLDERS = (
    sa.select(sr_table.c.owner_id, sr_table.c.queue)
    .where(sr_table.c.profile_id == sa.bindparam("profile_id"))
    .distinct()
)
INSERT_PROFILE = sa.insert(profile_table)
INSERT_HISTORY = sa.insert(history_table)
INSERT_SEARCH = sa.insert(search_table)


@dataclass(frozen=True)
class NormalizedIdentity:
    email: str | None
    email_key: str | None
    phone: str | None
    imei: str | None
    msa: str | None
    postal_code: str | None


def _normalize(
    *,
    address: Address | None,
    country: str | None,
    email: str | None,
    phone: str | None,
    imei: str | None,
    msa: str | None,
    present: set[str],
) -> NormalizedIdentity:
    """Normalise identifiers with their libraries, collecting every error with its pointer."""
    errors: list[dict[str, str]] = []
    values: dict[str, str | None] = {
        "email": None,
        "phone": None,
        "imei": None,
        "msa": None,
    }

    normalizers = {
        "email": validation.normalize_email,
        "imei": validation.normalize_imei,
        "msa": validation.normalize_email,
        "phone": lambda value: validation.normalize_phone(value, country),
    }
    raw = {"email": email, "phone": phone, "imei": imei, "msa": msa}
    for name, normalizer in normalizers.items():
        if name in present and raw[name] is not None:
            try:
                values[name] = normalizer(raw[name])
            except ValueError as error:
                errors.append({"pointer": f"/{name}", "detail": f"{name} is {error}"})

    postal_code = None
    if address is not None:
        address_problems, postal_code = validation.address_errors(
            line1=address.line1,
            city=address.city,
            region=address.region,
            postal_code=address.postal_code,
            country=address.country,
        )
        errors.extend(
            {"pointer": f"/address/{field}", "detail": message}
            for field, message in address_problems.items()
        )
    if errors:
        raise InvalidInput("The profile has invalid values; see errors.", errors=errors)
    return NormalizedIdentity(
        email=values["email"],
        email_key=None
        if values["email"] is None
        else validation.email_key(values["email"]),
        phone=values["phone"],
        imei=values["imei"],
        msa=values["msa"],
        postal_code=postal_code,
    )


def _require_private_channel(channel: ContactChannel) -> None:
    if not channel.is_private:
        raise PersonalDataFromPublicChannel(
            "Personal data must not be taken from a public post. Move the conversation to "
            "the network's private messages, email or a phone call, and send the details "
            "collected there.",
            errors=[
                {
                    "pointer": "/collected_via",
                    "detail": "collected_via must be a private channel",
                }
            ],
        )


def _check_duplicates(
    tx: Tx,
    *,
    email_key: str | None,
    phone: str | None,
    imei: str | None,
    confirmed_different_person: bool,
    exclude: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """Raise 409 for a profile with this email, or for phone or IMEI matches not yet confirmed.

    Return the ids the agent confirmed to be a different person.
    """
    if email_key is not None:
        existing = tx.value(SELECT_BY_EMAIL_KEY, email_key=email_key)
        if existing is not None and existing != exclude:
            raise DuplicateProfile(
                f"A profile with this email already exists: {existing}. "
                "Use it for the customer's SR instead of creating another.",
                existing_profile_id=str(existing),
            )

    matches: dict[uuid.UUID, list[str]] = {}
    for name, value, statement in (
        ("phone", phone, SELECT_BY_PHONE),
        ("imei", imei, SELECT_BY_IMEI),
    ):
        if value is None:
            continue
        for row in tx.all(statement, **{name: value}):
            if row["id"] != exclude:
                matches.setdefault(row["id"], []).append(name)
    if matches and not confirmed_different_person:
        candidates = [
            ProfileCandidate(profile_id=profile_id, matched_on=fields).model_dump(
                mode="json"
            )
            for profile_id, fields in sorted(
                matches.items(), key=lambda item: str(item[0])
            )
        ]
        raise PossibleDuplicateProfile(
            f"{len(candidates)} profile(s) share this phone number or IMEI. Check whether one "
            "of them is this customer; if not, send again with confirmed_different_person "
            "set to true.",
            candidates=candidates,
        )
    return sorted(matches, key=str)


def _creation_path(email: str | None) -> ProfilePath:
    return ProfilePath.subscription if email is not None else ProfilePath.hardware


def to_read(row: Mapping[str, Any]) -> ProfileRead:
    erased = row["erased_at"] is not None

    def personal(name: str) -> Any:
        # Erasure blanks required columns to ""; the API shows them as null.
        return None if erased else row[name]

    return ProfileRead(
        id=row["id"],
        version=row["version"],
        first_name=personal("first_name"),
        last_name=personal("last_name"),
        address=AddressRead(
            line1=personal("address_line1"),
            line2=row["address_line2"],
            city=personal("city"),
            region=row["region"],
            postal_code=row["postal_code"],
            country=row["country"],
        ),
        email=row["email"],
        phone=row["phone"],
        imei=row["imei"],
        msa=row["msa"],
        social_handle=row["social_handle"],
        creation_path=row["creation_path"],
        collected_via=row["collected_via"],
        created_by=row["created_by"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        erased_at=row["erased_at"],
    )


def _record(
    tx: Tx,
    profile_id: uuid.UUID,
    actor: Actor,
    event: str,
    now: datetime,
    fields: list[str] | None = None,
    related: list[uuid.UUID] | None = None,
) -> None:
    tx.execute(
        INSERT_HISTORY,
        profile_id=profile_id,
        at=now,
        actor_id=actor.id,
        event=event,
        fields=fields or [],
        related_profile_ids=[str(profile_id) for profile_id in related or []],
    )


def create_profile(
    tx: Tx, actor: Actor, data: ProfileCreate, now: datetime
) -> ProfileRead:
    """Create a profile, rejecting duplicates; see DOMAIN rules on email, phone and IMEI."""
    permissions.grant_for(actor, Operation.profile_create)
    _require_private_channel(data.collected_via)
    if data.email is None and data.phone is None:
        raise InvalidInput(
            "A profile needs an email address, a phone number, or both.",
            errors=[
                {"pointer": "/email", "detail": "email or phone is required"},
                {"pointer": "/phone", "detail": "email or phone is required"},
            ],
        )
    identity = _normalize(
        address=data.address,
        country=data.address.country,
        email=data.email,
        phone=data.phone,
        imei=data.imei,
        msa=data.msa,
        present=set(data.model_fields_set) | {"email", "phone", "imei", "msa"},
    )
    confirmed = _check_duplicates(
        tx,
        email_key=identity.email_key,
        phone=identity.phone,
        imei=identity.imei,
        confirmed_different_person=data.confirmed_different_person,
    )

    row = {
        "id": new_id(),
        "version": 1,
        "first_name": data.first_name,
        "last_name": data.last_name,
        "address_line1": data.address.line1,
        "address_line2": data.address.line2,
        "city": data.address.city,
        "region": data.address.region,
        "postal_code": identity.postal_code,
        "country": data.address.country,
        "email": identity.email,
        "email_key": identity.email_key,
        "phone": identity.phone,
        "imei": identity.imei,
        "msa": identity.msa,
        "social_handle": data.social_handle,
        "creation_path": _creation_path(identity.email),
        "collected_via": data.collected_via,
        "created_by": actor.id,
        "created_at": now,
        "updated_at": now,
        "erased_at": None,
    }
    try:
        tx.execute(INSERT_PROFILE, **row)
    except UniqueViolation as error:
        if "email_key" not in error.constraint:
            raise
        # Another transaction committed the same email after our check.
        raise DuplicateProfile(
            "A profile with this email was created a moment ago. Search by email and use it.",
        ) from error
    _record(tx, row["id"], actor, "created", now, fields=_present_personal_fields(row))
    if confirmed:
        _record(
            tx, row["id"], actor, "confirmed_different_person", now, related=confirmed
        )
    return to_read(row)


ADDRESS_COLUMNS = (
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
)


def _changed_personal_fields(changes: Mapping[str, Any]) -> list[str]:
    names = {"address" if name in ADDRESS_COLUMNS else name for name in changes}
    return sorted(names & set(PERSONAL_FIELDS))


def _present_personal_fields(row: Mapping[str, Any]) -> list[str]:
    present = [name for name in PERSONAL_FIELDS if name != "address" and row.get(name)]
    return ["address", *present] if row.get("address_line1") else present


def load_profile(tx: Tx, profile_id: uuid.UUID) -> Row:
    row = tx.one(SELECT_PROFILE, id=profile_id)
    if row is None:
        raise NotFound(f"No profile with id {profile_id}.")
    return row


def profile_facts(tx: Tx, row: Mapping[str, Any]) -> ProfileFacts:
    holders = tx.all(SELECT_SR_HOLDERS, profile_id=row["id"])
    return ProfileFacts(
        created_by=row["created_by"],
        sr_owner_ids=frozenset(holder["owner_id"] for holder in holders),
        sr_queues=frozenset(holder["queue"] for holder in holders),
    )


def load_visible_profile(
    tx: Tx, actor: Actor, profile_id: uuid.UUID, operation: Operation
) -> Row:
    """Load a profile the actor may access through `operation`; others are not found."""
    permissions.grant_for(actor, operation)
    row = load_profile(tx, profile_id)
    if not permissions.may(actor, operation, profile_facts(tx, row)):
        raise NotFound(f"No profile with id {profile_id}.")
    return row


def get_profile(tx: Tx, actor: Actor, profile_id: uuid.UUID) -> ProfileRead:
    return to_read(load_visible_profile(tx, actor, profile_id, Operation.profile_read))


def update_profile(
    tx: Tx,
    actor: Actor,
    profile_id: uuid.UUID,
    data: ProfileUpdate,
    if_match: str | None,
    now: datetime,
) -> ProfileRead:
    """Apply the fields sent; the version check happens in the UPDATE itself.

    Refusals come in the API's order: invalid values (422) before If-Match
    (428, 412) before duplicates (409).
    """
    row = load_visible_profile(tx, actor, profile_id, Operation.profile_update)
    _require_private_channel(data.collected_via)
    if row["erased_at"] is not None:
        raise InvalidInput(
            "This profile's personal data was erased; it can no longer be edited."
        )

    sent = data.model_fields_set - {"collected_via", "confirmed_different_person"}
    for name in ("first_name", "last_name", "address"):
        if name in sent and getattr(data, name) is None:
            raise InvalidInput(
                f"{name} cannot be removed.",
                errors=[{"pointer": f"/{name}", "detail": "required"}],
            )
    address = data.address
    country = address.country if address is not None else row["country"]
    identity = _normalize(
        address=address,
        country=country,
        email=data.email,
        phone=data.phone,
        imei=data.imei,
        msa=data.msa,
        present=sent,
    )

    changes: dict[str, Any] = {}
    for name in ("first_name", "last_name", "social_handle"):
        if name in sent:
            changes[name] = getattr(data, name)
    if address is not None:
        changes.update(
            address_line1=address.line1,
            address_line2=address.line2,
            city=address.city,
            region=address.region,
            postal_code=identity.postal_code,
            country=address.country,
        )
    for name in ("email", "phone", "imei", "msa"):
        if name in sent:
            changes[name] = getattr(identity, name)
    if "email" in sent:
        changes["email_key"] = identity.email_key

    email = changes.get("email", row["email"])
    phone = changes.get("phone", row["phone"])
    if email is None and phone is None:
        raise InvalidInput(
            "A profile needs an email address, a phone number, or both.",
            errors=[{"pointer": "/email", "detail": "email or phone is required"}],
        )
    expected_version = parse_if_match(if_match)
    check_version(row["version"], expected_version)
    confirmed = _check_duplicates(
        tx,
        email_key=changes.get("email_key") if "email" in sent else None,
        phone=changes.get("phone") if "phone" in sent else None,
        imei=changes.get("imei") if "imei" in sent else None,
        confirmed_different_person=data.confirmed_different_person,
        exclude=profile_id,
    )
    if not changes:
        return to_read(row)

    changes.update(updated_at=now, collected_via=data.collected_via)
    statement = (
        sa.update(profile_table)
        .where(
            profile_table.c.id == profile_id,
            profile_table.c.version == expected_version,
        )
        .values(version=profile_table.c.version + 1, **changes)
    )
    try:
        changed = tx.apply(statement)
    except UniqueViolation as error:
        raise DuplicateProfile(
            "A profile with this email was created a moment ago. Search by email and use it."
        ) from error
    if changed != 1:
        raise version_conflict("profile")
    _record(
        tx, profile_id, actor, "updated", now, fields=_changed_personal_fields(changes)
    )
    if confirmed:
        _record(
            tx, profile_id, actor, "confirmed_different_person", now, related=confirmed
        )
    return to_read(load_profile(tx, profile_id))


SearchKind = Literal["email", "phone", "imei"]


def search_profiles(
    tx: Tx, actor: Actor, kind: SearchKind, value: str, now: datetime
) -> list[ProfileRead]:
    """Find the profiles the actor may read by one exact identifier; every search is audited.

    The identifier is normalised as on create. The audit records the kind of identifier
    and the number of profiles returned, never the value searched for.
    """
    permissions.grant_for(actor, Operation.profile_search)
    try:
        if kind == "email":
            key = validation.email_key(validation.normalize_email(value))
            statement = SELECT_FULL_BY_EMAIL_KEY
        elif kind == "phone":
            key = validation.normalize_phone(value, None)
            statement = SELECT_FULL_BY_PHONE
        else:
            key = validation.normalize_imei(value)
            statement = SELECT_FULL_BY_IMEI
    except ValueError as error:
        raise InvalidInput(
            f"The {kind} to search for is {error}.",
            errors=[{"pointer": f"/{kind}", "detail": f"{kind} is {error}"}],
        ) from None

    rows = [
        row
        for row in tx.all(statement, value=key)
        if permissions.may(actor, Operation.profile_search, profile_facts(tx, row))
    ]
    tx.execute(
        INSERT_SEARCH, at=now, actor_id=actor.id, identifier=kind, matches=len(rows)
    )
    return [to_read(row) for row in sorted(rows, key=lambda row: row["created_at"])]
