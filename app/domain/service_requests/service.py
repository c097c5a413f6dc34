"""Service requests: create, read, edit, notes and history."""

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.db import Row, Tx
from app.domain import permissions
from app.domain.concurrency import check_version, parse_if_match, version_conflict
from app.domain.errors import (
    CategoryGetsNoServiceRequest,
    InvalidInput,
    NotFound,
    invalid_field,
)
from app.domain.ids import new_id
from app.domain.permissions import Actor, Operation
from app.domain.policy import Policy
from app.domain.profiles.models import Profile
from app.domain.service_requests import numbers, redaction
from app.domain.service_requests.models import (
    CaseNote,
    ServiceRequest,
    ServiceRequestHistory,
)
from app.domain.service_requests.priority import priority, sla_due
from app.domain.service_requests.schemas import (
    HistoryRecord,
    NoteCreate,
    NoteRead,
    ServiceRequestCreate,
    ServiceRequestRead,
    ServiceRequestUpdate,
    SocialMediaServiceRequestCreate,
)
from app.domain.triage import rules as triage_rules
from app.domain.triage.models import Triage
from app.domain.vocabulary import (
    SR_CATEGORIES,
    Category,
    CustomerType,
    Status,
    Tier1Kind,
)
from app.workflows.service_request import HELD_BY, LIFECYCLE, TransitionContext

sr_table = ServiceRequest.__table__  # type: ignore[attr-defined]
history_table = ServiceRequestHistory.__table__  # type: ignore[attr-defined]
note_table = CaseNote.__table__  # type: ignore[attr-defined]
profile_table = Profile.__table__  # type: ignore[attr-defined]
triage_table = Triage.__table__  # type: ignore[attr-defined]

CUSTOMER_TYPE_OF_KIND = {
    Tier1Kind.social_media: CustomerType.social_media,
    Tier1Kind.community: CustomerType.social_media,
    Tier1Kind.store: CustomerType.store,
    Tier1Kind.sales: CustomerType.sales,
}

SELECT_SR = sa.select(sr_table).where(sr_table.c.id == sa.bindparam("id"))
SELECT_SR_BY_NUMBER = sa.select(sr_table).where(
    sr_table.c.number == sa.bindparam("number")
)
SELECT_SR_EXISTS = sa.select(sr_table.c.id, sr_table.c.status).where(
    sr_table.c.id == sa.bindparam("id")
)
SELECT_PROFILE_STATE = sa.select(
    profile_table.c.id, profile_table.c.erased_at, profile_table.c.country
).where(profile_table.c.id == sa.bindparam("id"))
SELECT_PROFILE_COUNTRY = sa.select(profile_table.c.country).where(
    profile_table.c.id == sa.bindparam("id")
)
SELECT_TRIAGE_EXISTS = sa.select(triage_table.c.id).where(
    triage_table.c.id == sa.bindparam("id")
)
INSERT_SR = sa.insert(sr_table)
INSERT_HISTORY = sa.insert(history_table)
INSERT_NOTE = sa.insert(note_table)
SELECT_HISTORY = (
    sa.select(history_table)
    .where(
        history_table.c.service_request_id == sa.bindparam("sr_id"),
        history_table.c.id > sa.bindparam("after"),
    )
    .order_by(history_table.c.id)
    .limit(sa.bindparam("limit"))
)
SELECT_NOTES = (
    sa.select(note_table)
    .where(
        note_table.c.service_request_id == sa.bindparam("sr_id"),
        note_table.c.id > sa.bindparam("after"),
    )
    .order_by(note_table.c.id)
    .limit(sa.bindparam("limit"))
)
"""Note ids are UUIDv7, so their order is the order the notes were written in."""

SOCIAL_MEDIA_REQUIRED = (
    "post_url",
    "public_comments",
    "community_level",
    "follower_count",
    "software_version",
    "firmware_version",
)


def transition_context(
    actor: Actor, row: Mapping[str, Any], policy: Policy, now: datetime
) -> TransitionContext:
    return TransitionContext(
        actor=actor,
        subject=RowFacts(row),
        closed_at=row["closed_at"],
        now=now,
        reopen_window=policy.reopen_window,
    )


class RowFacts:
    """An SR row seen through the attributes the permission rules read."""

    __slots__ = ("assignee_id", "customer_type", "owner_id", "queue")

    def __init__(self, row: Mapping[str, Any]) -> None:
        self.owner_id = row["owner_id"]
        self.queue = row["queue"]
        self.customer_type = row["customer_type"]
        self.assignee_id = row["assignee_id"]


def to_read(
    row: Mapping[str, Any], actor: Actor, policy: Policy, now: datetime
) -> ServiceRequestRead:
    """Build the response for this caller, with the events it may fire now."""
    allowed = LIFECYCLE.allowed_events(
        row["status"], transition_context(actor, row, policy, now)
    )
    values = {
        name: row[name]
        for name in ServiceRequestRead.model_fields
        if name != "allowed_events"
    }
    # The JSON column stores the category values as plain strings; the schema
    # serialises enum members, and warns on a plain string.
    values["additional_categories"] = [
        Category(category) for category in row["additional_categories"]
    ]
    return ServiceRequestRead.model_construct(**values, allowed_events=allowed)


def record(
    tx: Tx,
    sr_id: uuid.UUID,
    actor: Actor,
    event: str,
    now: datetime,
    *,
    from_status: Status | None = None,
    to_status: Status | None = None,
    reason: str | None = None,
    fields: list[str] | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one history record in the caller's transaction."""
    tx.execute(
        INSERT_HISTORY,
        service_request_id=sr_id,
        at=now,
        actor_id=actor.id,
        event=event,
        from_status=from_status,
        to_status=to_status,
        reason=reason,
        fields=fields or [],
        details=details or {},
    )


def _require_sr_categories(data: Any) -> None:
    for pointer, category in [("/category", data.category)] + [
        (f"/additional_categories/{index}", extra)
        for index, extra in enumerate(data.additional_categories or [])
    ]:
        if category not in SR_CATEGORIES:
            instead = triage_rules.describe_alternative(category)
            raise CategoryGetsNoServiceRequest(
                f"Category '{category.value}' gets no SR: {instead}.",
                errors=[
                    {"pointer": pointer, "detail": f"'{category.value}' gets no SR"}
                ],
                outcome=triage_rules.RULES[category].outcome.value,
                instead=instead,
            )
    listed = {data.category}
    for index, extra in enumerate(data.additional_categories or []):
        if extra in listed:
            raise invalid_field(
                f"/additional_categories/{index}",
                f"additional_categories lists '{extra.value}' again: name each "
                "category once, and the primary category only as category.",
            )
        listed.add(extra)


def _check_references(tx: Tx, data: Any) -> str | None:
    """Check the ids the SR refers to; return the customer's country code."""
    profile = tx.one(SELECT_PROFILE_STATE, id=data.profile_id)
    if profile is None:
        raise invalid_field(
            "/profile_id", "profile_id names no profile. Create the profile first."
        )
    if profile["erased_at"] is not None:
        raise invalid_field(
            "/profile_id", "profile_id names a profile whose data was erased."
        )
    if (
        data.triage_id is not None
        and tx.one(SELECT_TRIAGE_EXISTS, id=data.triage_id) is None
    ):
        raise invalid_field("/triage_id", "triage_id names no triage.")
    if data.related_sr_id is not None:
        related = tx.one(SELECT_SR_EXISTS, id=data.related_sr_id)
        if related is None:
            raise invalid_field("/related_sr_id", "related_sr_id names no SR.")
    return profile["country"]  # type: ignore[no-any-return]


def _public_comments(
    data: SocialMediaServiceRequestCreate | ServiceRequestUpdate, region: str | None
) -> tuple[str | None, list[str]]:
    if data.public_comments is None:
        return None, []
    return redaction.redact(data.public_comments, region)


def create_service_request(
    tx: Tx,
    actor: Actor,
    data: ServiceRequestCreate,
    policy: Policy,
    now: datetime,
    *,
    is_sqlite: bool,
) -> ServiceRequestRead:
    """Create an SR owned by the caller; with escalate it leaves Escalated, in one transaction."""
    permissions.grant_for(actor, Operation.sr_create)
    expected_type = CUSTOMER_TYPE_OF_KIND[actor.tier1_kind]  # type: ignore[index]
    if data.customer_type != expected_type:
        raise invalid_field(
            "/customer_type",
            f"customer_type must be '{expected_type.value}' for a "
            f"{actor.tier1_kind.value if actor.tier1_kind else ''} agent.",
        )
    _require_sr_categories(data)
    # Phone numbers written without a country code are found in the customer's country.
    country = _check_references(tx, data)

    row: dict[str, Any] = dict.fromkeys(
        (
            "channel",
            "channel_details",
            "post_url",
            "public_comments",
            "msa",
            "community_level",
            "follower_count",
            "open_reason",
            "resolution",
            "closing_note",
            "sla_first_action_due_at",
            "sla_resolution_due_at",
            "first_tier2_action_at",
            "closed_at",
            "pii_erased_at",
            "assignee_id",
        )
    )
    row["public_comments_redacted"] = []
    if isinstance(data, SocialMediaServiceRequestCreate):
        comments, redacted = _public_comments(data, region=country)
        row.update(
            channel=data.channel,
            channel_details=data.channel_details,
            post_url=str(data.post_url),
            public_comments=comments,
            public_comments_redacted=redacted,
            msa=data.msa,
            community_level=data.community_level,
            follower_count=data.follower_count,
        )
    else:
        row["open_reason"] = data.open_reason

    sr_priority = priority(data.category, row["follower_count"], policy)
    row.update(
        id=new_id(),
        number=numbers.next_number(tx, is_sqlite),
        version=1,
        status=LIFECYCLE.initial_state,
        held_by=HELD_BY[LIFECYCLE.initial_state],
        customer_type=CustomerType(data.customer_type),
        category=data.category,
        additional_categories=[
            category.value for category in data.additional_categories
        ],
        contact_reason=data.contact_reason,
        resolution_needed=data.resolution_needed,
        software_version=data.software_version,
        firmware_version=data.firmware_version,
        profile_id=data.profile_id,
        owner_id=actor.id,
        queue=actor.default_queue,
        triage_id=data.triage_id,
        related_sr_id=data.related_sr_id,
        priority=sr_priority,
        created_at=now,
        updated_at=now,
        status_changed_at=now,
    )

    escalation = None
    if data.escalate:
        escalation = LIFECYCLE.fire(
            row["status"], "escalate", transition_context(actor, row, policy, now)
        )
        first_action_due, resolution_due = sla_due(sr_priority, now, policy)
        row.update(
            status=escalation.target,
            held_by=HELD_BY[escalation.target],
            sla_first_action_due_at=first_action_due,
            sla_resolution_due_at=resolution_due,
        )

    tx.execute(INSERT_SR, **row)
    record(
        tx,
        row["id"],
        actor,
        "created",
        now,
        to_status=LIFECYCLE.initial_state,
        reason=row["open_reason"],
        details=_creation_details(data, row),
    )
    if escalation is not None:
        record(
            tx,
            row["id"],
            actor,
            escalation.event,
            now,
            from_status=escalation.source,
            to_status=escalation.target,
        )
    return to_read(row, actor, policy, now)


def _creation_details(data: Any, row: Mapping[str, Any]) -> dict[str, Any]:
    details: dict[str, Any] = {"number": row["number"], "priority": row["priority"]}
    if data.triage_id is not None:
        details["triage_id"] = str(data.triage_id)
    if data.related_sr_id is not None:
        details["related_sr_id"] = str(data.related_sr_id)
    if row["public_comments_redacted"]:
        details["public_comments_redacted"] = row["public_comments_redacted"]
    return details


def load(tx: Tx, reference: uuid.UUID | str) -> Row:
    """Load an SR by id or SR number, or raise 404."""
    if isinstance(reference, uuid.UUID):
        row = tx.one(SELECT_SR, id=reference)
    else:
        row = tx.one(SELECT_SR_BY_NUMBER, number=reference)
    if row is None:
        raise NotFound(f"No service request {reference}.")
    return row


def load_visible(
    tx: Tx,
    actor: Actor,
    reference: uuid.UUID | str,
    operation: Operation = Operation.sr_read,
) -> Row:
    """Load an SR the actor may read; an SR it may not read is answered as not found."""
    row = load(tx, reference)
    if not permissions.may(actor, operation, RowFacts(row)):
        raise NotFound(f"No service request {reference}.")
    return row


def get_service_request(
    tx: Tx, actor: Actor, reference: uuid.UUID | str, policy: Policy, now: datetime
) -> ServiceRequestRead:
    return to_read(load_visible(tx, actor, reference), actor, policy, now)


def update_service_request(
    tx: Tx,
    actor: Actor,
    reference: uuid.UUID | str,
    data: ServiceRequestUpdate,
    if_match: str | None,
    policy: Policy,
    now: datetime,
) -> ServiceRequestRead:
    """Apply an edit. The version check is part of the UPDATE statement.

    Refusals come in the API's order: the edit rules (422) before If-Match
    (428, 412) before the ownership rule (403).
    """
    row = load_visible(tx, actor, reference)
    sent = set(data.model_fields_set)
    changes: dict[str, Any] = {name: getattr(data, name) for name in sent}
    if row["customer_type"] == CustomerType.social_media:
        for name in sorted(sent & set(SOCIAL_MEDIA_REQUIRED)):
            if changes[name] is None:
                raise invalid_field(
                    f"/{name}", f"{name} is required on a social-media SR."
                )
        if (
            "channel_details" in sent
            and changes["channel_details"] is None
            and row["channel"] == "other"
        ):
            raise invalid_field(
                "/channel_details",
                "channel_details is required when channel is 'other'.",
            )
    else:
        for name in (
            "channel_details",
            "post_url",
            "public_comments",
            "community_level",
            "follower_count",
            "msa",
        ):
            if name in sent and changes[name] is not None:
                raise invalid_field(
                    f"/{name}", f"{name} is recorded on social-media SRs only."
                )
    for name in ("contact_reason", "resolution_needed", "category"):
        if name in sent and changes[name] is None:
            raise invalid_field(f"/{name}", f"{name} cannot be removed.")
    if "open_reason" in sent and row["status"] != Status.open:
        raise invalid_field(
            "/open_reason", "open_reason applies only while the SR is Open."
        )
    if (
        "open_reason" in sent
        and changes["open_reason"] is None
        and row["status"] == Status.open
    ):
        raise invalid_field("/open_reason", "An SR kept Open needs its reason.")
    if "category" in sent or "additional_categories" in sent:
        _require_sr_categories(
            _Categories(
                changes.get("category", row["category"]),
                changes.get("additional_categories") or [],
            )
        )
    expected_version = parse_if_match(if_match)
    check_version(row["version"], expected_version)
    permissions.require(actor, Operation.sr_update, RowFacts(row))

    if "additional_categories" in sent:
        changes["additional_categories"] = [
            category.value for category in changes["additional_categories"] or []
        ]
    if "post_url" in sent:
        changes["post_url"] = str(changes["post_url"])
    if "public_comments" in sent:
        changes["public_comments"], changes["public_comments_redacted"] = (
            _public_comments(
                data, region=tx.value(SELECT_PROFILE_COUNTRY, id=row["profile_id"])
            )
        )
    if "category" in sent or "follower_count" in sent:
        changes["priority"] = priority(
            changes.get("category", row["category"]),
            changes.get("follower_count", row["follower_count"]),
            policy,
        )
    changed_fields = sorted(name for name in sent if changes.get(name) != row[name])
    if not changed_fields:
        return to_read(row, actor, policy, now)

    changes["updated_at"] = now
    statement = (
        sa.update(sr_table)
        .where(sr_table.c.id == row["id"], sr_table.c.version == expected_version)
        .values(version=sr_table.c.version + 1, **changes)
    )
    if tx.apply(statement) != 1:
        raise version_conflict("service request")
    record(tx, row["id"], actor, "edited", now, fields=changed_fields)
    return to_read(load(tx, row["id"]), actor, policy, now)


class _Categories:
    def __init__(self, category: Category, additional: list[Category]) -> None:
        self.category = category
        self.additional_categories = additional


def add_note(
    tx: Tx, actor: Actor, reference: uuid.UUID | str, data: NoteCreate, now: datetime
) -> NoteRead:
    """Append a note. Notes are never edited or deleted, and need no If-Match."""
    row = load_visible(tx, actor, reference)
    permissions.require(actor, Operation.note_create, RowFacts(row))
    note = {
        "id": new_id(),
        "service_request_id": row["id"],
        "author_id": actor.id,
        "created_at": now,
        "body": data.body,
    }
    tx.execute(INSERT_NOTE, **note)
    record(
        tx, row["id"], actor, "note_added", now, details={"note_id": str(note["id"])}
    )
    return NoteRead.model_validate(note)


def list_notes(
    tx: Tx, actor: Actor, reference: uuid.UUID | str, *, after: uuid.UUID, limit: int
) -> list[NoteRead]:
    row = load_visible(tx, actor, reference, Operation.note_read)
    notes = tx.all(SELECT_NOTES, sr_id=row["id"], after=after, limit=limit)
    return [NoteRead.model_validate(note) for note in notes]


def list_history(
    tx: Tx, actor: Actor, reference: uuid.UUID | str, *, after: int, limit: int
) -> list[HistoryRecord]:
    row = load_visible(tx, actor, reference, Operation.sr_history)
    records = tx.all(SELECT_HISTORY, sr_id=row["id"], after=after, limit=limit)
    return [HistoryRecord.model_validate(record) for record in records]


def require_edit_allowed(data: ServiceRequestUpdate) -> None:
    if not data.model_fields_set:
        raise InvalidInput("The edit changes nothing: send at least one field.")
