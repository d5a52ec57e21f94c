"""Secrets by reference: ``${ENV_VAR}`` inside a value, or a ``*_file: /path`` key.

A policy never holds a secret itself, only where to find it. :class:`SecretRef`
keeps that reference; its text form is the reference (safe to log, store or
show in an error) and :meth:`SecretRef.resolve` is the single place where the
secret's value is read, at the moment of use, never earlier.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    GetJsonSchemaHandler,
    PlainSerializer,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from onwatch.errors import SecretError

_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_BROKEN_REFERENCE = re.compile(r"\$\{(?![A-Za-z_][A-Za-z0-9_]*\})")


@dataclass(frozen=True)
class SecretRef:
    """Text with ``${VAR}`` references, or the path of a file that holds the text."""

    template: str = ""
    file: Path | None = None

    def __str__(self) -> str:
        return f"(file {self.file})" if self.file else self.template

    def __repr__(self) -> str:
        return f"SecretRef({self!s})"

    @property
    def variables(self) -> list[str]:
        """Names of the environment variables the template refers to."""
        return _REFERENCE.findall(self.template)

    def unresolved(self, environ: Mapping[str, str] | None = None) -> list[str]:
        """What :meth:`resolve` would miss right now (variable names or the file)."""
        env = os.environ if environ is None else environ
        if self.file is not None:
            return [] if self.file.is_file() else [str(self.file)]
        return [name for name in self.variables if name not in env]

    def resolve(self, environ: Mapping[str, str] | None = None) -> str:
        """The secret's value; raises :class:`SecretError` naming what is missing."""
        env = os.environ if environ is None else environ
        if self.file is not None:
            try:
                return self.file.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise SecretError(
                    f"secret file {self.file} cannot be read: {exc.strerror}"
                ) from None

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                raise SecretError(
                    f"environment variable {name} is not set (referenced as ${{{name}}})"
                )
            return env[name]

        return _REFERENCE.sub(substitute, self.template)


def parse_secret_ref(value: Any) -> SecretRef:
    """Accept reference text; reject a malformed ``${...}``."""
    if isinstance(value, SecretRef):
        return value
    if not isinstance(value, str):
        raise ValueError("expected text (use ${ENV_VAR} for the secret part)")
    if _BROKEN_REFERENCE.search(value):
        raise ValueError(
            "has a malformed ${...} reference; write ${NAME} with letters, digits and _"
        )
    return SecretRef(template=value)


SecretText = Annotated[
    SecretRef,
    BeforeValidator(parse_secret_ref),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "examples": ["${SLACK_TOKEN}"]}),
]
"""A text field that may hold ``${VAR}`` references; also settable as ``<key>_file``."""


class PolicyModel(BaseModel):
    """Base of every policy model: frozen, unknown keys are errors, ``*_file`` secrets.

    For a field typed :data:`SecretText` named ``url``, the policy may instead say
    ``url_file: /run/secrets/x``; the file is read only when the secret is used.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _secret_files(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        result = dict(data)
        for name, info in cls.model_fields.items():
            file_key = f"{name}_file"
            if file_key not in result or not _holds_secret(info.annotation):
                continue
            path = result.pop(file_key)
            if name in result:
                raise ValueError(f"give either {name} or {file_key}, not both")
            if not isinstance(path, str) or not path:
                raise ValueError(f"{file_key} must be a file path")
            result[name] = SecretRef(file=Path(path))
        return result

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Offer ``<name>_file`` beside each secret field, as validation accepts it."""
        json_schema = handler.resolve_ref_schema(
            super().__get_pydantic_json_schema__(core_schema, handler)
        )
        properties = json_schema.setdefault("properties", {})
        required: list[str] = json_schema.get("required", [])
        either: list[JsonSchemaValue] = []
        for name, info in cls.model_fields.items():
            if not _holds_secret(info.annotation):
                continue
            file_key = f"{name}_file"
            properties[file_key] = {
                "type": "string",
                "description": f"Path of a file holding {name}; read only when it is used",
                "examples": [f"/run/secrets/{name}"],
            }
            if name in required:
                required.remove(name)
                either.append({"oneOf": [{"required": [name]}, {"required": [file_key]}]})
        if "required" in json_schema and not required:
            del json_schema["required"]
        if len(either) == 1:
            json_schema.update(either[0])
        elif either:
            json_schema["allOf"] = either
        return json_schema


def _holds_secret(annotation: Any) -> bool:
    """Whether a field's type is SecretRef, possibly optional."""
    return annotation is SecretRef or SecretRef in get_args(annotation)


def secret_references(model: BaseModel, where: str = "") -> Iterator[tuple[str, SecretRef]]:
    """Every :class:`SecretRef` inside a policy model, with a readable path to it."""
    for name in type(model).model_fields:
        yield from _references_in(getattr(model, name), f"{where}.{name}" if where else name)


def _references_in(value: Any, where: str) -> Iterator[tuple[str, SecretRef]]:
    if isinstance(value, SecretRef):
        yield where, value
    elif isinstance(value, BaseModel):
        label = getattr(value, "name", None)
        yield from secret_references(
            value, f"{where}[{label}]" if isinstance(label, str) else where
        )
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _references_in(item, f"{where}.{key}")
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _references_in(item, where)
