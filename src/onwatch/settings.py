"""Instance settings: how this onwatch installation runs (docs/settings.md).

Each value comes from the last of: built-in default, ``onwatch.toml``,
``ONWATCH_*`` environment variable. :func:`load_settings` is the only reader;
it takes the file and the environment as arguments and records each origin.
Secrets are masked (:mod:`onwatch.redact`) in ``repr``, in ``describe()`` and
in every :class:`SettingsError`; only ``effective_secret_key()`` returns one.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import secrets
import tomllib
from collections.abc import Iterator, Mapping
from email.utils import parseaddr
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, PrivateAttr, SecretStr, ValidationError, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from onwatch.errors import OnwatchError
from onwatch.redact import mask_secret, mask_url_password

__all__ = [
    "CONFIG_ENV_VAR",
    "InstanceSettings",
    "Origin",
    "SettingsError",
    "env_var",
    "load_settings",
]

ENV_PREFIX = "ONWATCH_"
CONFIG_ENV_VAR = "ONWATCH_CONFIG"
DEFAULT_CONFIG_FILE = Path("onwatch.toml")
MIN_SECRET_KEY_CHARS = 32
Origin = Literal["default", "file", "env"]

_HOSTNAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9.\-]*[A-Za-z0-9])?")


class SettingsError(OnwatchError):
    """An instance setting is missing or malformed; the message names where it was set."""


def _invalid(message: str, **ctx: Any) -> PydanticCustomError:
    return PydanticCustomError("onwatch_setting", message, ctx or None)


def _echo_url(value: str) -> str:
    # Only quote values that parse as URLs; anything else may be a bare "user:pw@host".
    return f'"{mask_url_password(value)}"' if "://" in value else "the value"


def _public_url(value: str) -> str:
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # e.g. an unclosed "[" or a port that is not a number
        ok = False
    if not ok:
        raise _invalid(
            f"{_echo_url(value)} is not an http(s) URL (e.g. https://status.example.com)"
        )
    if parts.username is not None or parts.query or parts.fragment:
        # It is pasted into emails and pages, so it must not carry credentials.
        raise _invalid(f"{_echo_url(value)} must be scheme://host[:port][/path] only")
    return value.rstrip("/")


def _secret_key(value: SecretStr) -> SecretStr:
    if (length := len(value.get_secret_value())) < MIN_SECRET_KEY_CHARS:
        raise _invalid(
            f"the key is too short ({length} chars; use at least {MIN_SECRET_KEY_CHARS}, e.g. from "
            "python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    return value


def _database_url(value: str) -> str:
    scheme, sep, _ = value.partition("://")
    if not sep or scheme.split("+")[0] not in ("sqlite", "postgresql"):
        raise _invalid(
            f"{_echo_url(value)} is not a SQLite or PostgreSQL URL (e.g. "
            "sqlite:///./onwatch.db or postgresql+psycopg://user:pass@host/onwatch)"
        )
    return value


def _listen(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        try:
            ok = ipaddress.IPv6Address(host[1:-1]).version == 6
        except ValueError:
            ok = False
    else:  # a bare IPv6 address would be ambiguous with the port separator
        ok = _HOSTNAME.fullmatch(host) is not None
    if not (sep and ok and port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise _invalid(f'"{value}" is not host:port (e.g. 127.0.0.1:8080 or [::1]:8080)')
    return value


def _smtp_sender(value: str) -> str:
    # Line breaks would let the value inject extra mail headers.
    if "\n" in value or "\r" in value or "@" not in parseaddr(value)[1]:
        raise _invalid(f"{value!r} is not an email address (e.g. onwatch <alerts@example.com>)")
    return value


def _smtp_url(value: str) -> str:
    if not re.match(r"smtps?://[^/?#]*[^/?#@:]", value):
        raise _invalid(f"{_echo_url(value)} is not smtp://host[:port] or smtps://host[:port]")
    return value


class InstanceSettings(BaseSettings):
    """The effective settings of one onwatch process (frozen once loaded)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, frozen=True, extra="forbid")

    # Meanings, defaults and examples: docs/settings.md.
    public_url: Annotated[str, AfterValidator(_public_url)] = "http://127.0.0.1:8080"
    secret_key: Annotated[SecretStr, AfterValidator(_secret_key)] | None = None
    secret_key_file: Path | None = None
    database_url: Annotated[str, AfterValidator(_database_url)] = "sqlite:///./onwatch.db"
    listen: Annotated[str, AfterValidator(_listen)] = "127.0.0.1:8080"
    policy_path: Path = Path("onwatch.yaml")
    smtp_sender: Annotated[str, AfterValidator(_smtp_sender)] | None = None
    smtp_url: Annotated[str, AfterValidator(_smtp_url)] | None = None
    metrics_public: bool = False

    _origins: dict[str, Origin] = PrivateAttr(default_factory=dict)
    _config_file: Path | None = PrivateAttr(default=None)
    _ephemeral_key: str = PrivateAttr(default="")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # load_settings() merges file and environment itself, so that it knows each
        # value's origin and tests never depend on the process environment.
        return (init_settings,)

    @model_validator(mode="before")
    @classmethod
    def _read_secret_key_file(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not data.get("secret_key_file"):
            return data
        if data.get("secret_key"):
            raise _invalid(
                "both set the secret key; keep only one", both=("secret_key", "secret_key_file")
            )
        path = Path(str(data["secret_key_file"]))
        try:
            key = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise _invalid(f"cannot read {path}: {reason}", setting="secret_key_file") from None
        if not key:
            raise _invalid(f"{path} is empty", setting="secret_key_file")
        return {**data, "secret_key": key}

    def model_post_init(self, context: Any, /) -> None:
        # One key per settings object; the process loads its settings once.
        self._ephemeral_key = secrets.token_urlsafe(48)

    def __repr_args__(self) -> Iterator[tuple[str | None, Any]]:
        for name, value in super().__repr_args__():
            if name in ("database_url", "smtp_url", "public_url") and isinstance(value, str):
                value = mask_url_password(value)
            yield name, value

    @property
    def config_file(self) -> Path | None:
        """The onwatch.toml that was read, if any."""
        return self._config_file

    @property
    def secret_key_is_ephemeral(self) -> bool:
        """True when no key is configured: sessions end at restart, nodes disagree."""
        return self.secret_key is None

    @property
    def listen_address(self) -> tuple[str, int]:
        """``listen`` as (host, port) for a server; IPv6 hosts without brackets."""
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)

    def effective_secret_key(self) -> str:
        """The configured key, else a random one (see :attr:`secret_key_is_ephemeral`)."""
        key = self.secret_key
        return self._ephemeral_key if key is None else key.get_secret_value()

    def origin(self, setting: str) -> Origin:
        """Where ``setting`` got its value: ``default``, ``file`` or ``env``."""
        if setting not in type(self).model_fields:
            raise KeyError(setting)
        return self._origins.get(setting, "default")

    def describe(self) -> list[tuple[str, str, str]]:
        """Rows of (setting, env var, effective value) with every secret masked."""
        rows: list[tuple[str, str, str]] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if name == "secret_key":
                shown = mask_secret(value and value.get_secret_value())
                shown += " - using a random key until restart" if value is None else ""
            elif value is None:
                shown = "(not set)"
            else:
                shown = mask_url_password(str(value))
            rows.append((name, env_var(name), shown))
        return rows


def env_var(setting: str) -> str:
    """The environment variable that sets ``setting``, e.g. ``ONWATCH_LISTEN``."""
    return ENV_PREFIX + setting.upper()


def load_settings(
    config_path: Path | None = None, environ: Mapping[str, str] | None = None
) -> InstanceSettings:
    """Read onwatch.toml and ``ONWATCH_*`` variables into validated settings.

    ``config_path`` wins over ``$ONWATCH_CONFIG``, which wins over
    ``./onwatch.toml`` when that exists. ``environ`` defaults to the process
    environment; empty variables count as unset. Raises :class:`SettingsError`.
    """
    env = os.environ if environ is None else environ
    path = _find_config_file(config_path, env)
    values: dict[str, Any] = {}
    origins: dict[str, Origin] = {}
    if path is not None:
        values = _read_config_file(path)
        origins = dict.fromkeys(values, "file")
    for name in InstanceSettings.model_fields:
        if env.get(env_var(name)):
            values[name] = env[env_var(name)]
            origins[name] = "env"
    try:
        settings = InstanceSettings.model_validate(values)
    except ValidationError as exc:
        # "from None": pydantic's own message would quote the rejected input.
        raise SettingsError(_explain(exc, origins, path)) from None
    if settings.secret_key_file is not None:
        origins["secret_key"] = origins["secret_key_file"]
    settings._origins = origins
    settings._config_file = path
    return settings


def _find_config_file(explicit: Path | None, env: Mapping[str, str]) -> Path | None:
    named = explicit or (Path(env[CONFIG_ENV_VAR]) if env.get(CONFIG_ENV_VAR) else None)
    if named is None:  # the default file is optional; a named one must exist
        return DEFAULT_CONFIG_FILE if DEFAULT_CONFIG_FILE.is_file() else None
    if not named.is_file():
        via = "" if explicit else f"{CONFIG_ENV_VAR}: "
        raise SettingsError(f"{via}config file {named} not found")
    return named


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None
    known = list(InstanceSettings.model_fields)
    for key in data:
        if key not in known:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; known: {', '.join(known)}"
            raise SettingsError(f"{path}: unknown setting {key!r}{hint}")
    return data


def _explain(exc: ValidationError, origins: Mapping[str, Origin], path: Path | None) -> str:
    def place(setting: str) -> str:
        where = origins.get(setting, "default")
        if where == "env":
            return env_var(setting)
        return f"{path}: {setting}" if where == "file" else setting

    lines: list[str] = []
    for error in exc.errors(include_url=False, include_input=False):
        ctx = error.get("ctx") or {}
        if ctx.get("both"):
            where = " and ".join(place(name) for name in ctx["both"])
        else:
            where = place(str(error["loc"][0]) if error["loc"] else str(ctx.get("setting")))
        lines.append(f"{where}: {error['msg']}")
    return "\n".join(lines)
