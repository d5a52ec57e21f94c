"""Turn pydantic's validation errors into policy issues a person can act on.

pydantic reports a location made of field names, list indexes and internal
type tags, and a message meant for programmers. Here the location is matched
against the document (to find ``line:col``) and the message is rewritten to say
what was expected, with a did-you-mean for unknown keys. Values of secret fields
are never echoed.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterator
from typing import Annotated, Any, Literal, Union, cast, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from onwatch.policy.issues import Issue
from onwatch.policy.secrets import _holds_secret
from onwatch.policy.source import DataPath, Document

_TYPE_WORDS = {
    "string_type": "expected text",
    "int_type": "expected a whole number",
    "int_parsing": "expected a whole number",
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "bool_type": "expected true or false",
    "bool_parsing": "expected true or false",
    "list_type": "expected a list",
    "dict_type": "expected a mapping of keys to values",
    "model_type": "expected a mapping of keys to values",
    "model_attributes_type": "expected a mapping of keys to values",
}


_BOUNDS = {
    "greater_than": "greater than",
    "greater_than_equal": "at least",
    "less_than": "less than",
    "less_than_equal": "at most",
}


def _quote(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return repr(value)


def _data_path(document: Document, loc: tuple[int | str, ...]) -> DataPath:
    """Follow ``loc`` through the data, dropping pydantic's type tags.

    A last part that names a key absent from its mapping (a missing key) is kept.
    """
    path: list[str | int] = []
    node: Any = document.data
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            path.append(part)
            node = cast(Any, node)[part]
        elif last and isinstance(node, dict) and isinstance(part, str):
            path.append(part)
            break
    return tuple(path)


def _unwrap(annotation: Any) -> Iterator[Any]:
    """The concrete types inside Optional/Union/Annotated/list/dict annotations."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        for arg in get_args(annotation):
            yield from _unwrap(arg)
    elif origin is not None and get_args(annotation):
        args = get_args(annotation)
        # Annotated[T, ...] → T; list[T] → T; dict[K, V] → V
        yield from _unwrap(args[-1] if origin is dict else args[0])
    else:
        yield annotation


def _is_dict(annotation: Any) -> bool:
    """Whether an annotation is a dict, possibly inside Optional or Annotated."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        return any(_is_dict(arg) for arg in get_args(annotation))
    if origin is Annotated:
        return _is_dict(get_args(annotation)[0])
    return origin is dict


def _model_at(root: type[BaseModel], path: DataPath, data: Any = None) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``path``.

    Where a field holds one of several models (``monitors:`` entries told apart by
    ``type``), the one whose tag the data at that place carries is chosen.
    """
    current: Any = root
    node: Any = data
    key_next = False  # the part after a dict[str, Model] field is a key, not a field
    for part in path:
        if key_next:
            key_next = False
        elif isinstance(part, str):
            model = _pick_model(current, node)
            if model is None:
                return None
            field = next((f for n, f in model.model_fields.items() if part in (n, f.alias)), None)
            if field is None:
                return None
            current = field.annotation
            key_next = _is_dict(current)
        found = isinstance(node, dict) and part in node
        found = found or (isinstance(node, list) and isinstance(part, int) and part < len(node))
        node = cast(Any, node)[part] if found else None
    return _pick_model(current, node)


def _pick_model(annotation: Any, node: Any) -> type[BaseModel] | None:
    """The model inside ``annotation`` that validates ``node``, by tag when there are several."""
    models = [t for t in _unwrap(annotation) if isinstance(t, type) and issubclass(t, BaseModel)]
    if len(models) > 1 and isinstance(node, dict):
        tagged = [model for model in models if _carries_tag(model, node)]
        models = tagged or models
    return models[0] if models else None


def _carries_tag(model: type[BaseModel], node: dict[str, Any]) -> bool:
    """Whether ``node`` holds one of the values of a ``Literal`` field of ``model``."""
    return any(
        get_origin(field.annotation) is Literal
        and node.get(field.alias or name) in get_args(field.annotation)
        for name, field in model.model_fields.items()
    )


def _known_keys(model: type[BaseModel]) -> list[str]:
    keys = [field.alias or name for name, field in model.model_fields.items()]
    keys += [
        f"{name}_file" for name, f in model.model_fields.items() if _holds_secret(f.annotation)
    ]
    return keys


def _message(error: ErrorDetails, root: type[BaseModel], path: DataPath, data: Any = None) -> str:
    kind = error["type"]
    value = error.get("input")
    if kind == "extra_forbidden":
        key = str(path[-1]) if path else "?"
        model = _model_at(root, path[:-1], data)
        known = _known_keys(model) if model else []
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        allowed = f"; known keys: {', '.join(sorted(known))}" if known and not close else ""
        return f'unknown key "{key}"{hint}{allowed}'
    if kind == "missing":
        return f'missing required key "{path[-1]}"' if path else "missing required key"
    if kind in ("value_error", "assertion_error"):
        ctx = error.get("ctx") or {}
        reason = str(ctx.get("error", error["msg"]))
        return reason
    if kind == "union_tag_invalid":
        ctx = error.get("ctx") or {}
        options = [o.strip(" '") for o in str(ctx.get("expected_tags", "")).split(",")]
        tag = str(ctx.get("tag", value))
        close = difflib.get_close_matches(tag, options, n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        return f'"{tag}" is not a known {ctx.get("discriminator", "type").strip(chr(39))}{hint}; expected one of: {", ".join(options)}'
    if kind == "union_tag_not_found":
        ctx = error.get("ctx") or {}
        return f"missing required key {ctx.get('discriminator', 'type')}".replace("'", '"')
    if kind in _BOUNDS:
        limit = next(iter((error.get("ctx") or {}).values()), "?")
        return f"must be {_BOUNDS[kind]} {limit}, got {_quote(value)}"
    if kind == "string_pattern_mismatch":
        return f"{_quote(value)} does not have the expected form ({(error.get('ctx') or {}).get('pattern')})"
    if kind == "literal_error":
        expected = (error.get("ctx") or {}).get("expected", "")
        return f"{_quote(value)} is not allowed; expected {expected}"
    if kind in ("too_short", "too_long"):
        ctx = error.get("ctx") or {}
        if kind == "too_short":
            return f"needs at least {ctx.get('min_length', 1)} entry, got {ctx.get('actual_length', 0)}"
        return f"allows at most {ctx.get('max_length')} entries, got {ctx.get('actual_length')}"
    if kind in _TYPE_WORDS:
        return f"{_TYPE_WORDS[kind]}, got {_quote(value)}"
    return error["msg"]


def issues_from_validation(
    error: ValidationError, document: Document, root: type[BaseModel]
) -> list[Issue]:
    """One :class:`Issue` per pydantic error, placed at its key or value in the file."""
    issues: list[Issue] = []
    for detail in error.errors(include_url=False):
        loc = tuple(detail["loc"])
        if detail["type"] in ("union_tag_invalid", "union_tag_not_found"):
            discriminator = str((detail.get("ctx") or {}).get("discriminator", "type")).strip("'")
            loc = (*loc, discriminator)
        path = _data_path(document, loc)
        message = _message(detail, root, path, document.data)
        # A missing key has no position of its own: Document falls back to its mapping.
        unknown_key = detail["type"] == "extra_forbidden"
        issues.append(document.issue(path, message, prefer_key=unknown_key))
    return issues
