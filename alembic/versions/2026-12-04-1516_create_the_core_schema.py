"""Create the core schema: agents, profiles, SRs, history, notes, triage, follow-ups.

SR numbers come from a sequence on PostgreSQL and from a counter row on SQLite,
which has no sequences.

Revision ID: 9a82169fff1f
Revises:
Create Date: 2026-12-04 15:16:56.828000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel

import app.domain.sqltypes
from alembic import op

SR_NUMBER_SEQUENCE = sa.Sequence("service_request_number_seq")

revision: str = "9a82169fff1f"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column(
            "tier",
            sa.Enum(
                "tier1",
                "tier2",
                "supervisor",
                name="tier",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "tier1_kind",
            sa.Enum(
                "social_media",
                "community",
                "store",
                "sales",
                name="tier1_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "default_queue", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column(
            "time_zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "deactivated_at",
            app.domain.sqltypes.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.CheckConstraint(
            "(tier = 'tier1') = (tier1_kind IS NOT NULL)",
            name=op.f("ck_agent_tier1_kind_iff_tier1"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent")),
    )
    op.create_table(
        "service_request_number",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_service_request_number")),
    )
    op.create_table(
        "api_token",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column(
            "token_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column(
            "label", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False
        ),
        sa.Column(
            "created_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "revoked_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_api_token_agent_id_agent")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_token")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_token_token_hash")),
    )
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_api_token_agent_id"), ["agent_id"], unique=False
        )

    op.create_table(
        "idempotency_record",
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column(
            "operation", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column(
            "request_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.Text(), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "expires_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agent.id"],
            name=op.f("fk_idempotency_record_agent_id_agent"),
        ),
        sa.PrimaryKeyConstraint("agent_id", "key", name=op.f("pk_idempotency_record")),
    )
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_idempotency_record_expires_at"), ["expires_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_idempotency_record_resource_id"),
            ["resource_id"],
            unique=False,
        )

    op.create_table(
        "profile",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "first_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False
        ),
        sa.Column(
            "last_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False
        ),
        sa.Column(
            "address_line1",
            sqlmodel.sql.sqltypes.AutoString(length=200),
            nullable=False,
        ),
        sa.Column(
            "address_line2", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
        sa.Column("city", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column(
            "region", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True
        ),
        sa.Column(
            "postal_code", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True
        ),
        sa.Column(
            "country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False
        ),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column(
            "email_key", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True
        ),
        sa.Column("phone", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("imei", sqlmodel.sql.sqltypes.AutoString(length=15), nullable=True),
        sa.Column("msa", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column(
            "social_handle", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True
        ),
        sa.Column(
            "creation_path",
            sa.Enum(
                "hardware",
                "subscription",
                name="profile_path",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "collected_via",
            sa.Enum(
                "private_message",
                "email",
                "phone_call",
                "public_post",
                name="contact_channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "erased_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=True
        ),
        sa.CheckConstraint(
            "erased_at IS NOT NULL OR email IS NOT NULL OR phone IS NOT NULL",
            name=op.f("ck_profile_email_or_phone"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["agent.id"], name=op.f("fk_profile_created_by_agent")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile")),
        sa.UniqueConstraint("email_key", name=op.f("uq_profile_email_key")),
    )
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_profile_imei"), ["imei"], unique=False)
        batch_op.create_index(batch_op.f("ix_profile_phone"), ["phone"], unique=False)

    op.create_table(
        "profile_search",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column(
            "identifier", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False
        ),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["agent.id"], name=op.f("fk_profile_search_actor_id_agent")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_search")),
    )
    with op.batch_alter_table("profile_search", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_profile_search_actor_id"), ["actor_id"], unique=False
        )

    op.create_table(
        "triage",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False
        ),
        sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=35), nullable=True),
        sa.Column("problem_count", sa.Integer(), nullable=False),
        sa.Column("service_request_count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_triage_agent_id_agent")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage")),
    )
    with op.batch_alter_table("triage", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_triage_agent_id"), ["agent_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_triage_created_at"), ["created_at"], unique=False
        )

    op.create_table(
        "profile_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("related_profile_ids", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["agent.id"], name=op.f("fk_profile_history_actor_id_agent")
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profile.id"],
            name=op.f("fk_profile_history_profile_id_profile"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_profile_history")),
    )
    with op.batch_alter_table("profile_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_profile_history_profile_id"), ["profile_id"], unique=False
        )

    op.create_table(
        "service_request",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "number", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "open",
                "escalated",
                "on_hold",
                "resolved",
                "de_escalated",
                "closed",
                "cancelled",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "held_by",
            sa.Enum(
                "tier1",
                "tier2",
                "nobody",
                name="held_by",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "customer_type",
            sa.Enum(
                "social_media",
                "store",
                "sales",
                name="customer_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "category",
            sa.Enum(
                "os_bug",
                "rrt",
                "elp_executive",
                "elp_legal",
                "elp_press",
                "solved_on_contact",
                "hardware",
                "accounts_and_billing",
                "documented_technical",
                "warranty_repair",
                "out_of_warranty_repair",
                "ms_complete",
                "misrouted",
                "non_microsoft_product",
                "unsupported_microsoft_product",
                "unsupported_region",
                "line_quality_no_details",
                name="category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("additional_categories", sa.JSON(), nullable=False),
        sa.Column("contact_reason", sa.Text(), nullable=False),
        sa.Column("resolution_needed", sa.Text(), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "facebook",
                "twitter",
                "vkontakte",
                "yandex",
                "sina_weibo",
                "community",
                "other",
                name="social_channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "channel_details",
            sqlmodel.sql.sqltypes.AutoString(length=200),
            nullable=True,
        ),
        sa.Column(
            "post_url", sqlmodel.sql.sqltypes.AutoString(length=2048), nullable=True
        ),
        sa.Column("public_comments", sa.Text(), nullable=True),
        sa.Column("public_comments_redacted", sa.JSON(), nullable=False),
        sa.Column("msa", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=True),
        sa.Column(
            "community_level",
            sqlmodel.sql.sqltypes.AutoString(length=64),
            nullable=True,
        ),
        sa.Column("follower_count", sa.Integer(), nullable=True),
        sa.Column(
            "software_version",
            sqlmodel.sql.sqltypes.AutoString(length=64),
            nullable=True,
        ),
        sa.Column(
            "firmware_version",
            sqlmodel.sql.sqltypes.AutoString(length=64),
            nullable=True,
        ),
        sa.Column("profile_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("assignee_id", sa.Uuid(), nullable=True),
        sa.Column("queue", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("triage_id", sa.Uuid(), nullable=True),
        sa.Column("related_sr_id", sa.Uuid(), nullable=True),
        sa.Column(
            "open_reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True
        ),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("closing_note", sa.Text(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column(
            "sla_first_action_due_at",
            app.domain.sqltypes.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "sla_resolution_due_at",
            app.domain.sqltypes.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "first_tier2_action_at",
            app.domain.sqltypes.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "created_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "updated_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "status_changed_at",
            app.domain.sqltypes.UtcDateTime(timezone=True),
            nullable=False,
        ),
        sa.Column(
            "closed_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column(
            "pii_erased_at",
            app.domain.sqltypes.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.CheckConstraint(
            "channel IS NULL OR channel <> 'other' OR channel_details IS NOT NULL OR pii_erased_at IS NOT NULL",
            name=op.f("ck_service_request_other_channel_details"),
        ),
        sa.CheckConstraint(
            "customer_type <> 'social_media' OR pii_erased_at IS NOT NULL OR (channel IS NOT NULL AND post_url IS NOT NULL AND community_level IS NOT NULL AND follower_count IS NOT NULL AND software_version IS NOT NULL AND firmware_version IS NOT NULL AND public_comments IS NOT NULL)",
            name=op.f("ck_service_request_social_media_fields"),
        ),
        sa.CheckConstraint(
            "follower_count >= 0",
            name=op.f("ck_service_request_follower_count_not_negative"),
        ),
        sa.CheckConstraint(
            "priority BETWEEN 1 AND 99", name=op.f("ck_service_request_priority_range")
        ),
        sa.CheckConstraint(
            "version >= 1", name=op.f("ck_service_request_version_positive")
        ),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["agent.id"],
            name=op.f("fk_service_request_assignee_id_agent"),
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["agent.id"], name=op.f("fk_service_request_owner_id_agent")
        ),
        sa.ForeignKeyConstraint(
            ["profile_id"],
            ["profile.id"],
            name=op.f("fk_service_request_profile_id_profile"),
        ),
        sa.ForeignKeyConstraint(
            ["related_sr_id"],
            ["service_request.id"],
            name=op.f("fk_service_request_related_sr_id_service_request"),
        ),
        sa.ForeignKeyConstraint(
            ["triage_id"],
            ["triage.id"],
            name=op.f("fk_service_request_triage_id_triage"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_request")),
        sa.UniqueConstraint("number", name=op.f("uq_service_request_number")),
    )
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_request_assignee_id"), ["assignee_id"], unique=False
        )
        batch_op.create_index(
            "ix_service_request_owner_status",
            ["owner_id", "status", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_service_request_profile_id"), ["profile_id"], unique=False
        )
        batch_op.create_index(
            "ix_service_request_queue_owner",
            ["owner_id", "held_by", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_service_request_queue_tier2",
            ["status", "priority", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_service_request_triage_id"), ["triage_id"], unique=False
        )

    op.create_table(
        "triage_outcome",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("triage_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "category",
            sa.Enum(
                "os_bug",
                "rrt",
                "elp_executive",
                "elp_legal",
                "elp_press",
                "solved_on_contact",
                "hardware",
                "accounts_and_billing",
                "documented_technical",
                "warranty_repair",
                "out_of_warranty_repair",
                "ms_complete",
                "misrouted",
                "non_microsoft_product",
                "unsupported_microsoft_product",
                "unsupported_region",
                "line_quality_no_details",
                name="category",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "outcome", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False
        ),
        sa.Column(
            "target", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True
        ),
        sa.Column(
            "related_group", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True
        ),
        sa.Column(
            "created_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "channel", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["triage_id"],
            ["triage.id"],
            name=op.f("fk_triage_outcome_triage_id_triage"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_triage_outcome")),
    )
    with op.batch_alter_table("triage_outcome", schema=None) as batch_op:
        batch_op.create_index(
            "ix_triage_outcome_report", ["created_at", "outcome"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_triage_outcome_triage_id"), ["triage_id"], unique=False
        )

    op.create_table(
        "case_note",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_request_id", sa.Uuid(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["agent.id"], name=op.f("fk_case_note_author_id_agent")
        ),
        sa.ForeignKeyConstraint(
            ["service_request_id"],
            ["service_request.id"],
            name=op.f("fk_case_note_service_request_id_service_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_note")),
    )
    with op.batch_alter_table("case_note", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_case_note_service_request_id"),
            ["service_request_id"],
            unique=False,
        )

    op.create_table(
        "follow_up",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_request_id", sa.Uuid(), nullable=False),
        sa.Column("agent_id", sa.Uuid(), nullable=False),
        sa.Column(
            "due_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "time_zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False
        ),
        sa.Column(
            "channel",
            sa.Enum(
                "private_message",
                "email",
                "phone_call",
                name="follow_up_channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "completed",
                "cancelled",
                name="follow_up_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False
        ),
        sa.Column(
            "completed_at",
            app.domain.sqltypes.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.Column(
            "cancelled_at",
            app.domain.sqltypes.UtcDateTime(timezone=True),
            nullable=True,
        ),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agent.id"], name=op.f("fk_follow_up_agent_id_agent")
        ),
        sa.ForeignKeyConstraint(
            ["service_request_id"],
            ["service_request.id"],
            name=op.f("fk_follow_up_service_request_id_service_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up")),
    )
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.create_index(
            "ix_follow_up_agent_due",
            ["agent_id", "status", "due_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_follow_up_service_request_id"),
            ["service_request_id"],
            unique=False,
        )

    op.create_table(
        "service_request_history",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("service_request_id", sa.Uuid(), nullable=False),
        sa.Column("at", app.domain.sqltypes.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Uuid(), nullable=False),
        sa.Column("event", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column(
            "from_status",
            sa.Enum(
                "open",
                "escalated",
                "on_hold",
                "resolved",
                "de_escalated",
                "closed",
                "cancelled",
                name="from_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column(
            "to_status",
            sa.Enum(
                "open",
                "escalated",
                "on_hold",
                "resolved",
                "de_escalated",
                "closed",
                "cancelled",
                name="to_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=True,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["agent.id"],
            name=op.f("fk_service_request_history_actor_id_agent"),
        ),
        sa.ForeignKeyConstraint(
            ["service_request_id"],
            ["service_request.id"],
            name=op.f("fk_service_request_history_service_request_id_service_request"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_service_request_history")),
    )
    with op.batch_alter_table("service_request_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_service_request_history_service_request_id"),
            ["service_request_id"],
            unique=False,
        )

    op.bulk_insert(
        sa.table("service_request_number", sa.column("name"), sa.column("value")),
        [{"name": "service_request", "value": 0}],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.CreateSequence(SR_NUMBER_SEQUENCE))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(sa.schema.DropSequence(SR_NUMBER_SEQUENCE))
    with op.batch_alter_table("service_request_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_request_history_service_request_id"))

    op.drop_table("service_request_history")
    with op.batch_alter_table("follow_up", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_follow_up_service_request_id"))
        batch_op.drop_index("ix_follow_up_agent_due")

    op.drop_table("follow_up")
    with op.batch_alter_table("case_note", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_note_service_request_id"))

    op.drop_table("case_note")
    with op.batch_alter_table("triage_outcome", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_outcome_triage_id"))
        batch_op.drop_index("ix_triage_outcome_report")

    op.drop_table("triage_outcome")
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_service_request_triage_id"))
        batch_op.drop_index("ix_service_request_queue_tier2")
        batch_op.drop_index("ix_service_request_queue_owner")
        batch_op.drop_index(batch_op.f("ix_service_request_profile_id"))
        batch_op.drop_index("ix_service_request_owner_status")
        batch_op.drop_index(batch_op.f("ix_service_request_assignee_id"))

    op.drop_table("service_request")
    with op.batch_alter_table("profile_history", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profile_history_profile_id"))

    op.drop_table("profile_history")
    with op.batch_alter_table("triage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_triage_created_at"))
        batch_op.drop_index(batch_op.f("ix_triage_agent_id"))

    op.drop_table("triage")
    with op.batch_alter_table("profile_search", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profile_search_actor_id"))

    op.drop_table("profile_search")
    with op.batch_alter_table("profile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_profile_phone"))
        batch_op.drop_index(batch_op.f("ix_profile_imei"))

    op.drop_table("profile")
    with op.batch_alter_table("idempotency_record", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_record_resource_id"))
        batch_op.drop_index(batch_op.f("ix_idempotency_record_expires_at"))

    op.drop_table("idempotency_record")
    with op.batch_alter_table("api_token", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_token_agent_id"))

    op.drop_table("api_token")
    op.drop_table("service_request_number")
    op.drop_table("agent")
