"""Incidents and notifications: incidents and their timelines, mutes, on-call overrides,
the durable outbox and every delivery attempt.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"

Id64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("condition", sa.String(64), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("service", sa.String(200)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("members", sa.Text, nullable=False),
        sa.Column("opened_at", sa.Float, nullable=False),
        sa.Column("acknowledged_at", sa.Float),
        sa.Column("acknowledged_by", sa.String(200)),
        sa.Column("resolved_at", sa.Float),
        sa.Column("resolved_by", sa.String(200)),
        sa.Column("in_maintenance", sa.Boolean, nullable=False),
        sa.Column("escalation", sa.String(200)),
        sa.Column("escalation_snapshot", sa.Text),
        sa.Column("next_step", sa.Integer, nullable=False),
        sa.Column("next_step_at", sa.Float),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("epoch", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "incident_events",
        sa.Column("id", Id64, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("at", sa.Float, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200)),
        sa.Column("via", sa.String(32)),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_table(
        "mutes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("monitor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expires_at", sa.Float, nullable=False),
        sa.Column("ended_at", sa.Float),
        sa.Column("ended_by", sa.String(200)),
    )
    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("rotation", sa.String(200), nullable=False),
        sa.Column("contact", sa.String(200), nullable=False),
        sa.Column("starts_at", sa.Float, nullable=False),
        sa.Column("ends_at", sa.Float, nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("cancelled_at", sa.Float),
        sa.Column("cancelled_by", sa.String(200)),
    )
    op.create_table(
        "outbox",
        sa.Column("id", Id64, primary_key=True),
        sa.Column("idempotency_key", sa.String(100), nullable=False, unique=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id")),
        sa.Column("step", sa.Integer),
        sa.Column("contact", sa.String(200), nullable=False),
        sa.Column("channel", sa.String(200), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("body_short", sa.Text, nullable=False),
        sa.Column("body_full", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("due_at", sa.Float, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("claimed_epoch", sa.BigInteger),
        sa.Column("claimed_until", sa.Float),
        sa.Column("sent_at", sa.Float),
        sa.Column("last_error", sa.Text),
    )
    op.create_table(
        "delivery_attempts",
        sa.Column("id", Id64, primary_key=True),
        sa.Column("outbox_id", Id64, sa.ForeignKey("outbox.id"), nullable=False),
        sa.Column("started_at", sa.Float, nullable=False),
        sa.Column("elapsed_ms", sa.Float, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("epoch", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_incidents_open", "incidents", ["subject", "condition", "state"])
    op.create_index("ix_incidents_opened", "incidents", ["opened_at"])
    op.create_index("ix_incident_events_incident", "incident_events", ["incident_id", "at"])
    op.create_index("ix_mutes_monitor", "mutes", ["monitor", "expires_at"])
    op.create_index("ix_oncall_overrides_rotation", "oncall_overrides", ["rotation", "ends_at"])
    op.create_index("ix_outbox_due", "outbox", ["state", "due_at"])
    op.create_index("ix_delivery_attempts_outbox", "delivery_attempts", ["outbox_id"])


def downgrade() -> None:
    op.drop_table("delivery_attempts")
    op.drop_table("outbox")
    op.drop_table("oncall_overrides")
    op.drop_table("mutes")
    op.drop_table("incident_events")
    op.drop_table("incidents")
