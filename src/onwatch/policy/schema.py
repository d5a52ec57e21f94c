"""The policy's JSON Schema, for editor completion and validation in other tools."""

from __future__ import annotations

from typing import Any

from onwatch.policy.models import Policy


def policy_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a policy file, keyed as people write it."""
    schema = Policy.model_json_schema(by_alias=True, mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "onwatch policy (apiVersion: onwatch/v1)"
    return schema
