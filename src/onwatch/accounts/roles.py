"""Roles: what a user or token may do, ordered viewer < editor < admin."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A role; each one may do everything the roles below it may do.

    - ``viewer`` reads dashboards and the JSON API;
    - ``editor`` also changes operational state (mutes, maintenance windows);
    - ``admin`` also manages users and API tokens.
    """

    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """0 for viewer, 1 for editor, 2 for admin."""
        return _RANKS[self]

    def allows(self, required: Role) -> bool:
        """Whether this role may do what ``required`` may do."""
        return self.rank >= Role(required).rank


_RANKS = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}
