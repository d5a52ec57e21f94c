"""The onwatch exception tree.

Every error onwatch raises on purpose derives from :class:`OnwatchError`, so the
CLI can print one clear sentence instead of a traceback. Third-party errors are
mapped to these at the boundary where they occur::

    OnwatchError
    ├── PolicyError        the policy file is not valid (carries every issue)
    ├── SettingsError      an instance setting is missing or malformed
    ├── SecretError        a secret reference cannot be resolved
    └── StoreError         the database cannot be used
        ├── DatabaseUnavailableError   it does not connect (URL shown masked)
        └── SchemaTooNewError          it was migrated by a newer onwatch
"""

from __future__ import annotations


class OnwatchError(Exception):
    """Base of every error onwatch raises deliberately."""


class SecretError(OnwatchError):
    """A secret reference (``${VAR}`` or ``*_file``) cannot be resolved.

    The message names the reference, never a value.
    """


class StoreError(OnwatchError):
    """The database cannot be used."""


class DatabaseUnavailableError(StoreError):
    """The database URL does not connect; the message masks the password."""


class SchemaTooNewError(StoreError):
    """The database schema is newer than this version of onwatch understands."""
