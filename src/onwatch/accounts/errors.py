"""Account errors: each message says what is wrong and never quotes a password or token.

::

    OnwatchError
    └── AccountError
        ├── DuplicateUserError     a user of that name exists
        ├── UnknownUserError       no user of that name
        ├── WeakPasswordError      the password is too short (or otherwise refused)
        ├── InvalidNameError       a user or token name with characters we refuse
        ├── LastAdminError         removing the only admin would lock everyone out
        ├── DuplicateTokenError    a token of that name exists (revoked ones too)
        └── UnknownTokenError      no token of that name
"""

from __future__ import annotations

from onwatch.errors import OnwatchError


class AccountError(OnwatchError):
    """A user or token operation was refused."""


class DuplicateUserError(AccountError):
    """A user of that name already exists."""


class UnknownUserError(AccountError):
    """No user of that name."""


class WeakPasswordError(AccountError):
    """The password does not meet the minimum rules."""


class InvalidNameError(AccountError):
    """A user or token name that is empty, too long or has characters we refuse."""


class LastAdminError(AccountError):
    """The operation would leave no admin, so nobody could manage users any more."""


class DuplicateTokenError(AccountError):
    """A token of that name already exists (names of revoked tokens stay taken)."""


class UnknownTokenError(AccountError):
    """No token of that name."""
