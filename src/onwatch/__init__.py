"""onwatch: reliability promises as running machinery.

The public API is what this module exports; everything else is private and may
change between releases.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from onwatch.errors import (
        DatabaseUnavailableError,
        OnwatchError,
        SchemaTooNewError,
        SecretError,
        StoreError,
    )
    from onwatch.leader import Leader, Leadership, SingleNodeLeader
    from onwatch.policy import Policy, PolicyError, SecretRef, load_policy, parse_policy
    from onwatch.probes import CheckResult, FailureClass
    from onwatch.settings import InstanceSettings, SettingsError, load_settings
    from onwatch.store.database import Database, open_database
    from onwatch.store.histogram import LogHistogram
    from onwatch.store.writer import Writer

# Imported on first use, so `onwatch --help` does not pay for the database stack.
_HOMES = {
    "onwatch.errors": [
        "DatabaseUnavailableError",
        "OnwatchError",
        "SchemaTooNewError",
        "SecretError",
        "StoreError",
    ],
    "onwatch.leader": ["Leader", "Leadership", "SingleNodeLeader"],
    "onwatch.policy": ["Policy", "PolicyError", "SecretRef", "load_policy", "parse_policy"],
    "onwatch.probes": ["CheckResult", "FailureClass"],
    "onwatch.settings": ["InstanceSettings", "SettingsError", "load_settings"],
    "onwatch.store.database": ["Database", "open_database"],
    "onwatch.store.histogram": ["LogHistogram"],
    "onwatch.store.writer": ["Writer"],
}
_HOME_OF = {name: module for module, names in _HOMES.items() for name in names}


def __getattr__(name: str) -> Any:
    if name in _HOME_OF:
        value = getattr(import_module(_HOME_OF[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'onwatch' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


__version__ = "0.1.0"

__all__ = [
    "CheckResult",
    "Database",
    "DatabaseUnavailableError",
    "FailureClass",
    "InstanceSettings",
    "Leader",
    "Leadership",
    "LogHistogram",
    "OnwatchError",
    "Policy",
    "PolicyError",
    "SchemaTooNewError",
    "SecretError",
    "SecretRef",
    "SettingsError",
    "SingleNodeLeader",
    "StoreError",
    "Writer",
    "__version__",
    "load_policy",
    "load_settings",
    "open_database",
    "parse_policy",
]
