"""Open the database: one engine per URL, tuned per backend, migrated at start.

SQLite runs in WAL mode with a busy timeout, so readers never block the single
writer; PostgreSQL is used as it comes. Connection failures become
:class:`DatabaseUnavailableError` with the password masked; a schema written by a
newer onwatch becomes :class:`SchemaTooNewError` before anything is touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from onwatch.errors import DatabaseUnavailableError, SchemaTooNewError
from onwatch.redact import mask_url_password

DEFAULT_DATABASE_URL = "sqlite:///./onwatch.db"
SQLITE_BUSY_TIMEOUT_MS = 30_000


@dataclass(frozen=True)
class Database:
    """An open, migrated database."""

    engine: Engine
    url: str  # as given, for messages: always shown through mask_url_password

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    def dispose(self) -> None:
        self.engine.dispose()


def _set_sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # NORMAL is durable across process crashes in WAL mode (only an OS crash can lose the tail).
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise DatabaseUnavailableError(
            f"{mask_url_password(url)} is not a database URL "
            "(e.g. sqlite:///./onwatch.db or postgresql+psycopg://user@host/onwatch)"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise DatabaseUnavailableError(
            f"{mask_url_password(url)}: onwatch supports sqlite and postgresql, not {backend}"
        )
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if backend == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                folder = Path(parsed.database).parent
                if not folder.is_dir():
                    raise DatabaseUnavailableError(
                        f"{mask_url_password(url)}: folder {folder} does not exist"
                    )
            engine = create_engine(parsed, poolclass=NullPool if not parsed.database else None)
            event.listen(engine, "connect", _set_sqlite_pragmas)
            return engine
        return create_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)
    except NoSuchModuleError as exc:
        raise DatabaseUnavailableError(
            f"{mask_url_password(url)}: unknown driver ({exc})"
        ) from None


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(resources.files("onwatch.store") / "migrations"))
    return config


def _driver_reason(exc: SQLAlchemyError, url: str) -> str:
    """The database driver's own words, without SQLAlchemy's wrapping or the password."""
    original = getattr(exc, "orig", None)
    reason = str(original if original is not None else exc).strip()
    reason = reason.splitlines()[0] if reason else type(exc).__name__
    try:
        password = make_url(url).password
    except ArgumentError:
        password = None
    return reason.replace(str(password), "***") if password else reason


def check_schema_version(engine: Engine, config: Config | None = None) -> str | None:
    """The database's schema revision; refuse one that this code does not know."""
    config = config or _alembic_config()
    known = {script.revision for script in ScriptDirectory.from_config(config).walk_revisions()}
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current is not None and current not in known:
        raise SchemaTooNewError(
            f"the database is at schema revision {current}, which this onwatch does not know "
            f"(it knows up to {ScriptDirectory.from_config(config).get_current_head()}): "
            "it was upgraded by a newer onwatch. Run that version, or restore a backup."
        )
    return current


def open_database(url: str = DEFAULT_DATABASE_URL, *, migrate: bool = True) -> Database:
    """Connect, check the schema is not newer than this code, and apply migrations."""
    engine = _engine(url)
    config = _alembic_config()
    try:
        check_schema_version(engine, config)
        if migrate:
            with engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
    except SchemaTooNewError:
        engine.dispose()
        raise
    except (OperationalError, SQLAlchemyError) as exc:
        engine.dispose()
        raise DatabaseUnavailableError(
            f"cannot open {mask_url_password(url)}: {_driver_reason(exc, url)}"
        ) from None
    return Database(engine=engine, url=url)


def ping(database: Database) -> None:
    """Raise :class:`DatabaseUnavailableError` unless the database answers now."""
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise DatabaseUnavailableError(
            f"{mask_url_password(database.url)} does not answer: {_driver_reason(exc, database.url)}"
        ) from None
