"""The policy's JSON Schema, for editor completion and validation in other tools."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from onwatch.policy.models import Policy
from onwatch.policy.types import format_duration


class _PolicySchemaGenerator(GenerateJsonSchema):
    """Defaults spelt as a policy writes them (``7d``, not pydantic's ``P7D``)."""

    def encode_default(self, dft: Any) -> Any:
        if isinstance(dft, timedelta):
            return format_duration(dft)
        if isinstance(dft, time):
            return dft.strftime("%H:%M")
        return super().encode_default(dft)


def policy_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a policy file, keyed as people write it."""
    schema = Policy.model_json_schema(
        by_alias=True, mode="validation", schema_generator=_PolicySchemaGenerator
    )
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "onwatch policy (apiVersion: onwatch/v1)"
    return schema
