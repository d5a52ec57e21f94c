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

# -- incidents and notifications (migration 0004) -----------------------------------
# Times are Unix seconds (float where sub-second order matters for delivery).

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True),
    # what it is about: a monitor name, an objective "service/name", or a service (a group)
    Column("subject_kind", String(16), nullable=False),  # monitor | objective | service
    Column("subject", String(300), nullable=False),
    Column("condition", String(64), nullable=False),  # down | slow | flapping | page-1h ...
    Column("severity", String(16), nullable=False),  # page | ticket
    Column("service", String(200)),
    Column("state", String(16), nullable=False),  # triggered | acknowledged | resolved
    Column("title", Text, nullable=False),
    Column("members", Text, nullable=False),  # JSON list of monitor names (grouping)
    Column("opened_at", Float, nullable=False),
    Column("acknowledged_at", Float),
    Column("acknowledged_by", String(200)),
    Column("resolved_at", Float),
    Column("resolved_by", String(200)),
    Column("in_maintenance", Boolean, nullable=False),  # recorded, notifications muted
    Column("escalation", String(200)),  # the escalation policy's name
    Column("escalation_snapshot", Text),  # JSON: the steps as they were at open
    Column("next_step", Integer, nullable=False),  # index into the snapshot's steps
    Column("next_step_at", Float),  # null: nothing more to send
    Column("round", Integer, nullable=False),  # how many times the chain has repeated
    Column("epoch", BigInteger, nullable=False),  # the Leader's epoch that opened it
)
# One open incident per (subject, condition) is enforced by the code that opens them
# (a conditional insert inside one transaction); this index makes that lookup cheap.
Index("ix_incidents_open", incidents.c.subject, incidents.c.condition, incidents.c.state)
Index("ix_incidents_opened", incidents.c.opened_at)

incident_events = Table(
    "incident_events",
    metadata,
    Column("id", Id64, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("at", Float, nullable=False),
    # triggered | repeated | acknowledged | resolved | escalated | notified | muted | note
    Column("kind", String(32), nullable=False),
    Column("actor", String(200)),  # who (a user, a token, "onwatch")
    Column("via", String(32)),  # cli | api | link | dashboard | auto
    Column("detail", Text, nullable=False),
)
Index("ix_incident_events_incident", incident_events.c.incident_id, incident_events.c.at)

mutes = Table(
    "mutes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("monitor", String(200), nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expires_at", Float, nullable=False),
    Column("ended_at", Float),  # ended early (unmute)
    Column("ended_by", String(200)),
)
Index("ix_mutes_monitor", mutes.c.monitor, mutes.c.expires_at)

oncall_overrides = Table(
    "oncall_overrides",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("rotation", String(200), nullable=False),
    Column("contact", String(200), nullable=False),
    Column("starts_at", Float, nullable=False),
    Column("ends_at", Float, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("cancelled_at", Float),
    Column("cancelled_by", String(200)),
)
Index("ix_oncall_overrides_rotation", oncall_overrides.c.rotation, oncall_overrides.c.ends_at)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Id64, primary_key=True),
    # unique per message: a repeat after a crash carries the same key, so receivers drop it
    Column("idempotency_key", String(100), nullable=False, unique=True),
    Column("incident_id", Integer, ForeignKey("incidents.id")),  # null for test messages
    Column("step", Integer),  # escalation step index
    Column("contact", String(200), nullable=False),
    Column("channel", String(200), nullable=False),  # the contact's channel name
    Column("title", Text, nullable=False),
    Column("body_short", Text, nullable=False),  # SMS
    Column("body_full", Text, nullable=False),  # email, chat
    Column("payload", Text, nullable=False),  # JSON for signed webhooks
    Column("created_at", Float, nullable=False),
    Column("due_at", Float, nullable=False),  # not before (backoff moves it)
    Column("state", String(16), nullable=False),  # pending | sending | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("claimed_epoch", BigInteger),
    Column("claimed_until", Float),  # a claim older than this may be taken again
    Column("sent_at", Float),
    Column("last_error", Text),
)
Index("ix_outbox_due", outbox.c.state, outbox.c.due_at)

delivery_attempts = Table(
    "delivery_attempts",
    metadata,
    Column("id", Id64, primary_key=True),
    Column("outbox_id", Id64, ForeignKey("outbox.id"), nullable=False),
    Column("started_at", Float, nullable=False),
    Column("elapsed_ms", Float, nullable=False),
    Column("ok", Boolean, nullable=False),
    Column("error", Text),  # the failure as a value; never a secret
    Column("epoch", BigInteger, nullable=False),
)
Index("ix_delivery_attempts_outbox", delivery_attempts.c.outbox_id)
