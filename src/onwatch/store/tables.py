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
    UniqueConstraint,
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

# -- objectives (migration 0003) -------------------------------------------------
# Times are Unix seconds. Lists are JSON text, so both backends store them alike.

maintenance_windows = Table(
    "maintenance_windows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(16), nullable=False),  # policy | runtime
    Column("name", String(200)),  # the policy's name; null for runtime windows
    Column("reason", Text, nullable=False),
    Column("services", Text, nullable=False),  # JSON list of service names
    Column("monitors", Text, nullable=False),  # JSON list of monitor names
    Column("start_local", String(32), nullable=False),  # ISO, naive, in ``timezone``
    Column("timezone", String(64), nullable=False),
    Column("duration_s", BigInteger, nullable=False),
    Column("rrule", Text),  # RFC 5545, e.g. FREQ=WEEKLY;BYDAY=SU
    Column("created_by", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("cancelled_at", BigInteger),
    Column("cancelled_by", String(200)),
    # NULLs never collide, so this only binds policy windows: one row per policy name.
    UniqueConstraint("source", "name", name="uq_maintenance_windows_source_name"),
)

alert_events = Table(
    "alert_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("objective", String(200), nullable=False),  # service/name
    Column("tier", String(32), nullable=False),  # page-1h
    Column("severity", String(16), nullable=False),  # page | ticket
    Column("opened_at", BigInteger, nullable=False),
    Column("resolved_at", BigInteger),
    Column("message", Text, nullable=False),
    Column("details", Text, nullable=False),  # JSON: burn rates, budget
    Column("epoch", BigInteger, nullable=False),  # the Leader's epoch that opened it
)
Index("ix_alert_events_objective", alert_events.c.objective, alert_events.c.resolved_at)
Index("ix_alert_events_opened", alert_events.c.opened_at)

agreement_changes = Table(
    "agreement_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("changed_at", BigInteger, nullable=False),
    Column("policy_hash", String(64), nullable=False),  # SHA-256 of the policy file, hex
    Column("author", String(300)),  # from git, when the policy lives in a work tree
    Column("item", String(300), nullable=False),  # checkout/availability target
    Column("old_value", Text),
    Column("new_value", Text),
)
Index("ix_agreement_changes_item", agreement_changes.c.item, agreement_changes.c.changed_at)

agreement_links = Table(
    "agreement_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),  # SHA-256, hex
    Column("prefix", String(16), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger),
    Column("revoked_at", BigInteger),
)
