"""Initial schema: monitors, raw check results, minute and hour rollups.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None

_ID64 = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "monitors",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "check_results",
        sa.Column("id", _ID64, primary_key=True),
        sa.Column("monitor_id", sa.Integer, sa.ForeignKey("monitors.id"), nullable=False),
        sa.Column("started_at", sa.BigInteger, nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
        sa.Column("failure", sa.String(32)),
        sa.Column("total_ms", sa.Float),
        sa.Column("dns_ms", sa.Float),
        sa.Column("connect_ms", sa.Float),
        sa.Column("tls_ms", sa.Float),
        sa.Column("first_byte_ms", sa.Float),
        sa.Column("transfer_ms", sa.Float),
        sa.Column("status_code", sa.Integer),
        sa.Column("bytes_read", sa.BigInteger),
        sa.Column("detail", sa.Text),
        sa.Column("location", sa.String(100)),
    )
    op.create_index("ix_check_results_monitor_time", "check_results", ["monitor_id", "started_at"])
    op.create_index("ix_check_results_time", "check_results", ["started_at"])
    for name in ("rollups_minute", "rollups_hour"):
        op.create_table(
            name,
            sa.Column("monitor_id", sa.Integer, sa.ForeignKey("monitors.id"), primary_key=True),
            sa.Column("bucket_start", sa.BigInteger, primary_key=True),
            sa.Column("total", sa.Integer, nullable=False),
            sa.Column("good", sa.Integer, nullable=False),
            sa.Column("failures", sa.Text, nullable=False),
            sa.Column("latency_sum_us", sa.BigInteger, nullable=False),
            sa.Column("latency_hist", sa.LargeBinary, nullable=False),
            sa.Column("first_byte_hist", sa.LargeBinary, nullable=False),
        )
        op.create_index(f"ix_{name}_time", name, ["bucket_start"])


def downgrade() -> None:
    for name in ("rollups_hour", "rollups_minute", "check_results", "monitors"):
        op.drop_table(name)
