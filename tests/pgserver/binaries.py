"""Finding the PostgreSQL server binaries (``initdb``, ``pg_ctl``, ``postgres``) on this machine.

Order: ``$ONWATCH_PG_BINDIR``, then ``pg_config --bindir``, then the highest
``/usr/lib/postgresql/<version>/bin``, then ``$PATH``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from .errors import PostgresError

BINDIR_ENV = "ONWATCH_PG_BINDIR"
REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
MISSING_MESSAGE = "PostgreSQL binaries not found: ran the SQLite half only"


def _has_binaries(directory: Path) -> bool:
    return all(
        (directory / name).is_file() and os.access(directory / name, os.X_OK)
        for name in REQUIRED_BINARIES
    )


def _version_key(bindir: Path) -> tuple[int, ...]:
    """``/usr/lib/postgresql/15/bin`` sorts by ``(15,)``; ``9.6`` by ``(9, 6)``."""
    return tuple(int(part) for part in re.findall(r"\d+", bindir.parent.name))


def _pg_config_bindir() -> Path | None:
    pg_config = shutil.which("pg_config")
    if pg_config is None:
        return None
    try:
        done = subprocess.run(
            [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(done.stdout.strip())


def find_postgres_bindir() -> Path | None:
    """Return the directory holding ``initdb``, ``pg_ctl`` and ``postgres``, or None.

    Looks at ``$ONWATCH_PG_BINDIR`` (an error if it is set but wrong), ``pg_config
    --bindir`` (skipped when it names a client-only install), the highest
    ``/usr/lib/postgresql/<version>/bin``, and finally ``initdb`` on ``$PATH``.
    """
    explicit = os.environ.get(BINDIR_ENV)
    if explicit:
        if not _has_binaries(Path(explicit)):
            raise PostgresError(
                f"${BINDIR_ENV}={explicit} does not hold all of {', '.join(REQUIRED_BINARIES)}"
            )
        return Path(explicit)
    candidates: list[Path] = []
    if (from_pg_config := _pg_config_bindir()) is not None:
        candidates.append(from_pg_config)
    versions = Path("/usr/lib/postgresql").glob("*/bin")
    candidates.extend(sorted(versions, key=_version_key, reverse=True))
    if (initdb := shutil.which("initdb")) is not None:
        candidates.extend([Path(initdb).resolve().parent, Path(initdb).parent])
    return next((path for path in candidates if _has_binaries(path)), None)
