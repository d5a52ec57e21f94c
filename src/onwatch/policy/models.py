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

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    SerializerFunctionWrapHandler,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from onwatch.policy import escalation_checks  # noqa: F401  (registers its cross checks)
from onwatch.policy.agreement import Agreement
from onwatch.policy.escalation import Escalation, Rotation, Route, Team, with_default_zones
from onwatch.policy.maintenance import MaintenanceWindow
from onwatch.policy.monitors import HttpUrl, Monitor, Pool
from onwatch.policy.names import Name
from onwatch.policy.objectives import Objectives
from onwatch.policy.secrets import PolicyModel, SecretRef, SecretText, parse_secret_ref
from onwatch.policy.types import Duration, TimeZoneName

API_VERSION = "onwatch/v1"


@lru_cache(maxsize=1)
def _known_apprise_schemes() -> frozenset[str]:
    from apprise.manager_plugins import NotificationManager

    manager: Any = NotificationManager()  # type: ignore[no-untyped-call]
    schemes: list[str] = manager.schemas()
    return frozenset(schemes)


def refresh_apprise_schemes() -> None:
    """Read Apprise's schemes again, after a custom notification plugin was registered."""
    _known_apprise_schemes.cache_clear()


# user:password@ before the host; a query (mailto://host:25?to=a@b) is not a password.
_INLINE_PASSWORD = re.compile(r"^[a-z0-9+.-]+://[^/@?#]*:(?P<password>[^/@?#]+)@", re.IGNORECASE)


def _check_channel_url(ref: SecretRef | None) -> SecretRef | None:
    """An Apprise URL with its secrets given as ``${VAR}`` references."""
    if ref is None or ref.file is not None:
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


OptionalSecretText = Annotated[
    SecretRef | None,
    BeforeValidator(lambda value: None if value is None else parse_secret_ref(value)),
    PlainSerializer(lambda ref: None if ref is None else str(ref)),
    WithJsonSchema({"type": "string", "examples": ["${WEBHOOK_SECRET}"]}),
]
"""Like :data:`SecretText`, but may be left out (``<key>_file`` still works)."""


class Channel(PolicyModel):
    """One way to reach a contact: an Apprise URL (secrets as ``${VAR}``) or ``url_file``;
    or a ``webhook`` URL that onwatch posts to itself, signed with ``secret``."""

    url: Annotated[OptionalSecretText, AfterValidator(_check_channel_url)] = None
    webhook: HttpUrl | None = Field(
        default=None, description="An http(s) URL onwatch posts signed JSON to (instead of url)"
    )
    secret: OptionalSecretText = Field(
        default=None,
        validate_default=True,
        description="The HMAC-SHA256 signing key of a webhook, as ${VAR} or secret_file",
    )

    @field_validator("secret")
    @classmethod
    def _signs_a_webhook(cls, secret: SecretRef | None, info: ValidationInfo) -> SecretRef | None:
        webhook = info.data.get("webhook")
        if webhook is None and "webhook" in info.data and secret is not None:
            raise ValueError("signs webhooks only; an Apprise url takes its secrets inside it")
        if webhook is not None and secret is None:
            raise ValueError(
                "a webhook needs a signing secret (e.g. secret: ${WEBHOOK_SECRET}), "
                "so receivers can tell its messages from forgeries"
            )
        if secret is not None and secret.file is None and not secret.variables:
            raise ValueError(
                "holds the secret in plain text; put it in an environment variable "
                "and write ${VAR} in its place, or give secret_file: /path"
            )
        return secret

    @model_serializer(mode="wrap")
    def _without_absent_keys(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """Dump only the keys the channel uses (``{url: ...}`` for an Apprise channel)."""
        return {key: value for key, value in handler(self).items() if value is not None}

    @model_validator(mode="after")
    def _one_way(self) -> Channel:
        if self.url is not None and self.webhook is not None:
            raise ValueError("give either url (Apprise) or webhook (signed), not both")
        if self.url is None and self.webhook is None:
            raise ValueError(
                "give url (an Apprise URL such as twilio://...) or webhook (https://...) "
                "with a secret"
            )
        return self

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Editors learn that a channel is one of: url, url_file, or webhook with its secret."""
        json_schema = super().__get_pydantic_json_schema__(core_schema, handler)
        json_schema["properties"]["url"]["examples"] = [
            "twilio://${SID}:${TOKEN}@15551230001/15551230002"
        ]
        json_schema["oneOf"] = [
            {"required": ["url"]},
            {"required": ["url_file"]},
            {"required": ["webhook"]},
        ]
        return json_schema


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
    teams: list[Team] = Field(default_factory=list)
    oncall: list[Rotation] = Field(default_factory=list)
    escalation: list[Escalation] = Field(default_factory=list)
    routes: list[Route] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _default_zones(cls, data: Any) -> Any:
        return with_default_zones(data)

    def service(self, name: str) -> Service | None:
        return next((s for s in self.services if s.name == name), None)

    def contact(self, name: str) -> Contact | None:
        return next((c for c in self.contacts if c.name == name), None)

    def team(self, name: str) -> Team | None:
        return next((t for t in self.teams if t.name == name), None)

    def rotation(self, name: str) -> Rotation | None:
        return next((r for r in self.oncall if r.name == name), None)

    def escalation_policy(self, name: str) -> Escalation | None:
        return next((e for e in self.escalation if e.name == name), None)
