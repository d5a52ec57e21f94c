"""The database tables, as SQLAlchemy Core metadata shared by SQLite and PostgreSQL.

Times are integers so both databases compare and index them the same way:
check results use Unix milliseconds, rollups the Unix second their period starts.
Migrations in :mod:`onwatch.store.migrations` create exactly these tables; a
test compares the two.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()

# SQLite only auto-increments INTEGER PRIMARY KEY, PostgreSQL wants BIGINT for the volume.
Id64 = BigInteger().with_variant(Integer(), "sqlite")

monitors = Table(
    "monitors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("created_at", BigInteger, nullable=False),
)

check_results = Table(
    "check_results",
    metadata,
    Column("id", Id64, primary_key=True),
    Column("monitor_id", Integer, ForeignKey("monitors.id"), nullable=False),
    Column("started_at", BigInteger, nullable=False),  # Unix ms
    Column("ok", Boolean, nullable=False),
    Column("failure", String(32)),
    Column("total_ms", Float),
    Column("dns_ms", Float),
    Column("connect_ms", Float),
    Column("tls_ms", Float),
    Column("first_byte_ms", Float),
    Column("transfer_ms", Float),
    Column("status_code", Integer),
    Column("bytes_read", BigInteger),
    Column("detail", Text),
    Column("location", String(100)),
)
Index("ix_check_results_monitor_time", check_results.c.monitor_id, check_results.c.started_at)
Index("ix_check_results_time", check_results.c.started_at)


def _rollup_table(name: str) -> Table:
    """Minute and hour rollups share one shape, so they merge column by column."""
    table = Table(
        name,
        metadata,
        Column("monitor_id", Integer, ForeignKey("monitors.id"), primary_key=True),
        Column("bucket_start", BigInteger, primary_key=True),  # Unix s
        Column("total", Integer, nullable=False),
        Column("good", Integer, nullable=False),
        Column("failures", Text, nullable=False),  # JSON {class: count}
        # integer µs: sums exactly in any merge order
        Column("latency_sum_us", BigInteger, nullable=False),
        Column("latency_hist", LargeBinary, nullable=False),
        Column("first_byte_hist", LargeBinary, nullable=False),
    )
    Index(f"ix_{name}_time", table.c.bucket_start)
    return table


rollups_minute = _rollup_table("rollups_minute")
rollups_hour = _rollup_table("rollups_hour")

ROLLUP_TABLES = {60: rollups_minute, 3600: rollups_hour}
"""Rollup tables by period length in seconds."""

# -- accounts (migration 0002) ---------------------------------------------------
# Times are Unix seconds. Only hashes are stored: never a password or a token.

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),  # scrypt$n$r$p$salt$hash
    Column("role", String(16), nullable=False),  # viewer | editor | admin
    Column("created_at", BigInteger, nullable=False),
    # Part of every session cookie: bumping it (password reset) ends all of the user's sessions.
    Column("session_version", Integer, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256, hex
    Column("prefix", String(16), nullable=False),  # first characters, to recognise a token
    Column("role", String(16), nullable=False),
    Column("created_by", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger),
    Column("revoked_at", BigInteger),
    Column("last_used_at", BigInteger),
)
