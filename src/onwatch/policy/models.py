"""The policy's sections as validated, immutable models.

Adding a section is one model (in its own module once it grows) plus one field
on :class:`Policy`; cross-references between sections are registered in
:mod:`onwatch.policy.checks`. Nothing else needs editing: the loader, the error
messages and the JSON Schema all follow from the models.
"""

from __future__ import annotations

import re
from datetime import timedelta
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field

from onwatch.policy.agreement import Agreement
from onwatch.policy.maintenance import MaintenanceWindow
from onwatch.policy.monitors import Monitor, Pool
from onwatch.policy.names import Name
from onwatch.policy.objectives import Objectives
from onwatch.policy.secrets import PolicyModel, SecretRef, SecretText
from onwatch.policy.types import Duration, TimeZoneName

API_VERSION = "onwatch/v1"


@lru_cache(maxsize=1)
def _known_apprise_schemes() -> frozenset[str]:
    from apprise.manager_plugins import NotificationManager

    manager: Any = NotificationManager()  # type: ignore[no-untyped-call]
    schemes: list[str] = manager.schemas()
    return frozenset(schemes)


_INLINE_PASSWORD = re.compile(r"^[a-z0-9+.-]+://[^/@]*:(?P<password>[^/@]+)@", re.IGNORECASE)


def _check_channel_url(ref: SecretRef) -> SecretRef:
    """An Apprise URL with its secrets given as ``${VAR}`` references."""
    if ref.file is not None:
        return ref  # read only at send time; the file holds the whole URL
    scheme, sep, _ = ref.template.partition("://")
    if not sep or not re.fullmatch(r"[a-z0-9+.-]+", scheme, re.IGNORECASE):
        raise ValueError(
            "is not an Apprise URL (scheme://..., e.g. mailto://, twilio://, slack://, json://)"
        )
    if scheme.lower() not in _known_apprise_schemes():
        raise ValueError(f'"{scheme}://" is not a notification service Apprise knows')
    match = _INLINE_PASSWORD.match(ref.template)
    if match and not re.fullmatch(r"(\$\{[A-Za-z_][A-Za-z0-9_]*\})+", match.group("password")):
        # Never echo the URL: it holds the password we are refusing.
        raise ValueError(
            "holds a password in plain text; put it in an environment variable "
            "and write ${VAR} in its place, or give url_file: /path"
        )
    return ref


def _channel_shorthand(value: Any) -> Any:
    """``sms: twilio://...`` is short for ``sms: {url: twilio://...}``."""
    return {"url": value} if isinstance(value, str) else value


class Channel(PolicyModel):
    """One way to reach a contact: an Apprise URL (secrets as ``${VAR}``) or ``url_file``."""

    url: Annotated[SecretText, AfterValidator(_check_channel_url)]


class Contact(PolicyModel):
    """A person or team and the channels that reach them, in order of preference."""

    name: Name
    channels: Annotated[
        dict[
            Name,
            Annotated[
                Channel,
                BeforeValidator(_channel_shorthand, json_schema_input_type=SecretText | Channel),
            ],
        ],
        Field(min_length=1),
    ]


class Service(PolicyModel):
    """Something the company promises to keep working (``checkout``, ``api``)."""

    name: Name
    title: str | None = Field(default=None, description="Human name shown on pages")
    owner: str | None = Field(default=None, description="Who answers for it (a contact or team)")
    description: str = ""
    objectives: Objectives = Objectives()

    @property
    def display_name(self) -> str:
        return self.title or self.name


class Retention(PolicyModel):
    """How long each kind of stored data is kept."""

    raw: Duration = timedelta(days=7)
    minute: Duration = timedelta(days=35)
    hour: Duration = timedelta(days=400)


class PolicySettings(PolicyModel):
    """Policy-wide settings."""

    timezone: TimeZoneName = "UTC"
    retention: Retention = Retention()


class Policy(PolicyModel):
    """A whole policy file (``apiVersion: onwatch/v1``)."""

    api_version: Literal["onwatch/v1"] = Field(alias="apiVersion")
    settings: PolicySettings = PolicySettings()
    services: list[Service] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    monitors: list[Monitor] = Field(default_factory=list)
    pools: list[Pool] = Field(default_factory=list)
    maintenance: list[MaintenanceWindow] = Field(default_factory=list)
    agreement: Agreement | None = None

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)

    def contact(self, name: str) -> Contact | None:
        return next((c for c in self.contacts if c.name == name), None)
