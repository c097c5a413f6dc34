"""Erasure of a customer's personal data on request, while their SRs and audit trail remain.

Erasing a profile blanks its personal columns and, on every SR of the profile,
removes the MSA, the post URL and the public comments. Free text that stays
(SR fields, case notes, follow-up notes, history reasons) loses every known value of the
profile and every email address, phone number and IMEI the redactor finds.
Stored idempotent responses about the profile and its SRs are rewritten the
same way, so a replay cannot bring the data back.
"""

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import structlog

from app.db import Tx
from app.domain import permissions
from app.domain.follow_ups.models import FollowUp
from app.domain.idempotency import service as idempotency
from app.domain.permissions import Actor, Operation
from app.domain.profiles.models import ProfileHistory
from app.domain.profiles.schemas import ProfileRead
from app.domain.profiles.service import (
    load_profile,
    profile_table,
    to_read,
)
from app.domain.service_requests import redaction
from app.domain.service_requests.models import (
    CaseNote,
    ServiceRequest,
    ServiceRequestHistory,
)

log = structlog.get_logger(component="profiles")

sr_table = ServiceRequest.__table__  # type: ignore[attr-defined]
note_table = CaseNote.__table__  # type: ignore[attr-defined]
follow_up_table = FollowUp.__table__  # type: ignore[attr-defined]
sr_history_table = ServiceRequestHistory.__table__  # type: ignore[attr-defined]
profile_history_table = ProfileHistory.__table__  # type: ignore[attr-defined]

ERASED = "[erased]"

KNOWN_VALUE_COLUMNS = (
    "first_name",
    "last_name",
    "address_line1",
    "address_line2",
    "city",
    "postal_code",
    "email",
    "phone",
    "imei",
    "msa",
    "social_handle",
)
"""Profile columns whose values are searched for, and replaced, in free text."""

BLANKED_PROFILE_COLUMNS = {
    "first_name": "",
    "last_name": "",
    "address_line1": "",
    "address_line2": None,
    "city": "",
    "region": None,
    "postal_code": None,
    "email": None,
    "email_key": None,
    "phone": None,
    "imei": None,
    "msa": None,
    "social_handle": None,
}
"""The country is kept because it does not identify a person on its own, and the column is required."""

REMOVED_SR_FIELDS = ("msa", "post_url", "public_comments")
SCRUBBED_SR_FIELDS = (
    "contact_reason",
    "resolution_needed",
    "open_reason",
    "resolution",
    "closing_note",
    "channel_details",
)

SELECT_SRS = sa.select(sr_table).where(sr_table.c.profile_id == sa.bindparam("id"))
INSERT_PROFILE_HISTORY = sa.insert(profile_history_table)
INSERT_SR_HISTORY = sa.insert(sr_history_table)


@dataclass(frozen=True)
class Scrubber:
    """Removes one customer's personal data from free text."""

    known: re.Pattern[str] | None
    region: str | None

    @classmethod
    def for_profile(cls, row: Mapping[str, Any]) -> "Scrubber":
        values = sorted(
            {
                str(row[name]).strip()
                for name in KNOWN_VALUE_COLUMNS
                if row[name] and len(str(row[name]).strip()) >= 2
            },
            key=len,
            reverse=True,
        )
        known = (
            re.compile(
                "|".join(rf"(?<!\w){re.escape(value)}(?!\w)" for value in values),
                re.IGNORECASE,
            )
            if values
            else None
        )
        return cls(known, row["country"] or None)

    def __call__(self, text: str | None) -> str | None:
        if not text:
            return text
        if self.known is not None:
            text = self.known.sub(ERASED, text)
        scrubbed, _ = redaction.redact(text, self.region)
        return scrubbed


@dataclass(frozen=True)
class ErasureCounts:
    service_requests: int
    notes: int
    history_records: int
    stored_responses: int


def erase_profile(
    tx: Tx, actor: Actor, profile_id: uuid.UUID, now: datetime
) -> ProfileRead:
    """Erase the profile's personal data everywhere it was copied; erasing twice changes nothing."""
    permissions.grant_for(actor, Operation.profile_erase)
    row = load_profile(tx, profile_id)
    if row["erased_at"] is not None:
        return to_read(row)

    scrub = Scrubber.for_profile(row)
    erased_fields = sorted(
        {
            "address" if name.startswith("address") else name
            for name in KNOWN_VALUE_COLUMNS
            if row[name] and name not in ("city", "postal_code")
        }
    )
    tx.apply(
        sa.update(profile_table)
        .where(profile_table.c.id == profile_id)
        .values(
            **BLANKED_PROFILE_COLUMNS,
            version=profile_table.c.version + 1,
            updated_at=now,
            erased_at=now,
        )
    )
    tx.execute(
        INSERT_PROFILE_HISTORY,
        profile_id=profile_id,
        at=now,
        actor_id=actor.id,
        event="erased",
        fields=erased_fields,
        related_profile_ids=[],
    )

    srs = tx.all(SELECT_SRS, id=profile_id)
    sr_ids = [sr["id"] for sr in srs]
    for sr in srs:
        _erase_service_request(tx, actor, sr, scrub, now)
    notes = _scrub_column(tx, note_table, note_table.c.body, sr_ids, scrub)
    notes += _scrub_column(tx, follow_up_table, follow_up_table.c.note, sr_ids, scrub)
    reasons = _scrub_column(
        tx, sr_history_table, sr_history_table.c.reason, sr_ids, scrub
    )

    erased = to_read(load_profile(tx, profile_id))
    erased_body = erased.model_dump(mode="json")
    stored = idempotency.scrub(tx, [profile_id], lambda _body: erased_body)
    stored += idempotency.scrub(tx, sr_ids, _sr_body_redactor(scrub))

    counts = ErasureCounts(len(srs), notes, reasons, stored)
    log.info(
        "profile.erased",
        profile_id=str(profile_id),
        service_requests=counts.service_requests,
        notes=counts.notes,
        history_records=counts.history_records,
        stored_responses=counts.stored_responses,
    )
    return erased


def _erase_service_request(
    tx: Tx, actor: Actor, sr: Mapping[str, Any], scrub: Scrubber, now: datetime
) -> None:
    changes: dict[str, Any] = dict.fromkeys(REMOVED_SR_FIELDS)
    for name in SCRUBBED_SR_FIELDS:
        changes[name] = scrub(sr[name])
    tx.apply(
        sa.update(sr_table)
        .where(sr_table.c.id == sr["id"])
        .values(
            **changes,
            version=sr_table.c.version + 1,
            updated_at=now,
            pii_erased_at=now,
        )
    )
    tx.execute(
        INSERT_SR_HISTORY,
        service_request_id=sr["id"],
        at=now,
        actor_id=actor.id,
        event="pii_erased",
        from_status=None,
        to_status=None,
        reason=None,
        fields=sorted(
            name for name in (*REMOVED_SR_FIELDS, *SCRUBBED_SR_FIELDS) if sr[name]
        ),
        details={"profile_id": str(sr["profile_id"])},
    )


def _scrub_column(
    tx: Tx,
    table: sa.Table,
    column: sa.Column[Any],
    sr_ids: list[uuid.UUID],
    scrub: Scrubber,
) -> int:
    """Rewrite one text column on the rows of these SRs; return how many rows changed."""
    if not sr_ids:
        return 0
    rows = tx.query(
        sa.select(table.c.id, column).where(table.c.service_request_id.in_(sr_ids))
    )
    changed = 0
    for row in rows:
        scrubbed = scrub(row[column.name])
        if scrubbed != row[column.name]:
            tx.apply(
                sa.update(table)
                .where(table.c.id == row["id"])
                .values({column.name: scrubbed})
            )
            changed += 1
    return changed


def _sr_body_redactor(scrub: Scrubber) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def redact(body: dict[str, Any]) -> dict[str, Any]:
        redacted = dict(body)
        for name in REMOVED_SR_FIELDS:
            if name in redacted:
                redacted[name] = None
        for name in SCRUBBED_SR_FIELDS:
            if isinstance(redacted.get(name), str):
                redacted[name] = scrub(redacted[name])
        return redacted

    return redact
