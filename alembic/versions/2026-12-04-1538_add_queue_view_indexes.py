"""Add the indexes behind the Tier 2 queue sorted by age and the dashboard.

The Tier 2 views sorted oldest or newest first read (status, created_at, id).
The dashboard counts open work per status and queue from an index, and it finds
the SRs created in a window by their "created" history records.

Revision ID: 0743f3fa9ddf
Revises: 9a82169fff1f
Create Date: 2026-12-04 15:38:33.101436
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0743f3fa9ddf"
down_revision: str | None = "9a82169fff1f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.create_index(
            "ix_service_request_status_created",
            ["status", "created_at", "id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_service_request_status_queue",
            ["status", "queue", "created_at"],
            unique=False,
        )

    with op.batch_alter_table("service_request_history", schema=None) as batch_op:
        batch_op.create_index(
            "ix_service_request_history_event_at", ["event", "at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("service_request", schema=None) as batch_op:
        batch_op.drop_index("ix_service_request_status_queue")
        batch_op.drop_index("ix_service_request_status_created")

    with op.batch_alter_table("service_request_history", schema=None) as batch_op:
        batch_op.drop_index("ix_service_request_history_event_at")
