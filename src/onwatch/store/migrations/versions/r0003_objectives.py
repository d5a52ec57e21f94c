"""Objectives: maintenance windows, alert events, the agreement's history and share links.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "maintenance_windows",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200)),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("services", sa.Text, nullable=False),
        sa.Column("monitors", sa.Text, nullable=False),
        sa.Column("start_local", sa.String(32), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("duration_s", sa.BigInteger, nullable=False),
        sa.Column("rrule", sa.Text),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("cancelled_at", sa.BigInteger),
        sa.Column("cancelled_by", sa.String(200)),
        sa.UniqueConstraint("source", "name", name="uq_maintenance_windows_source_name"),
    )
    op.create_table(
        "alert_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("objective", sa.String(200), nullable=False),
        sa.Column("tier", sa.String(32), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("opened_at", sa.BigInteger, nullable=False),
        sa.Column("resolved_at", sa.BigInteger),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("epoch", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_alert_events_objective", "alert_events", ["objective", "resolved_at"])
    op.create_index("ix_alert_events_opened", "alert_events", ["opened_at"])
    op.create_table(
        "agreement_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("changed_at", sa.BigInteger, nullable=False),
        sa.Column("policy_hash", sa.String(64), nullable=False),
        sa.Column("author", sa.String(300)),
        sa.Column("item", sa.String(300), nullable=False),
        sa.Column("old_value", sa.Text),
        sa.Column("new_value", sa.Text),
    )
    op.create_index("ix_agreement_changes_item", "agreement_changes", ["item", "changed_at"])
    op.create_table(
        "agreement_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(200), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger),
        sa.Column("revoked_at", sa.BigInteger),
    )


def downgrade() -> None:
    for name in ("agreement_links", "agreement_changes", "alert_events", "maintenance_windows"):
        op.drop_table(name)
