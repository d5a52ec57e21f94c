"""How the throwaway server's processes are run: as the postgres OS user when we are root,
in a directory that user can reach, with an environment that points nowhere else.

PostgreSQL refuses to run as root, so as root ``initdb``, ``postgres`` and
``pg_ctl`` run as the ``postgres`` OS user and the directory's parents must let
that user through.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path
from typing import Any

from .errors import PostgresError


def run_as(os_user: str) -> dict[str, Any]:
    """subprocess keyword arguments that drop root to ``os_user`` (none when not root)."""
    if os.geteuid() != 0:
        return {}
    try:
        entry = pwd.getpwnam(os_user)
    except KeyError:
        raise PostgresError(
            f"running as root, and PostgreSQL refuses to run as root: create the {os_user!r} "
            "OS user (Debian's postgresql package does) or run the tests as another user"
        ) from None
    return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}


def check_reachable(path: Path, uid: int, gid: int, os_user: str) -> None:
    """Raise unless every parent of ``path`` lets ``uid``/``gid`` through."""
    for parent in path.parents:
        mode = parent.stat()
        if mode.st_uid == uid:
            searchable = mode.st_mode & 0o100
        elif mode.st_gid == gid:
            searchable = mode.st_mode & 0o010
        else:
            searchable = mode.st_mode & 0o001
        if not searchable:
            raise PostgresError(
                f"the {os_user!r} user cannot reach {path} because {parent} is closed to it; "
                "point TMPDIR at a directory it can reach"
            )


def child_env() -> dict[str, str]:
    """Our environment minus PG* variables that could point the tools elsewhere."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PG")}
    env["LC_ALL"] = "C"
    return env
