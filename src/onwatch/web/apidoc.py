"""docs/api.md from the OpenAPI document, so the API reference never drifts from the code.

:func:`openapi_document` builds the same routes as the running app (every
router of :data:`~onwatch.web.app.ROUTERS`) without a service behind them;
:func:`render_markdown` turns the document into Markdown: one section per
operation (parameters, responses), then every schema those use. Operations that
answer HTML (dashboard pages) are not API and are left out. The output depends
only on the document, so a test can regenerate it and compare
(``onwatch api-docs`` writes it).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from importlib import import_module
from typing import Any

from fastapi import APIRouter, FastAPI

from onwatch import __version__
from onwatch.web.app import ROUTERS

JSON = Mapping[str, Any]

INTRO = """\
<!-- Generated from the OpenAPI document by `onwatch api-docs`: edit the code, not this file. -->

# HTTP API

A running `onwatch serve` publishes its OpenAPI document at `/api/openapi.json`
and an interactive view at `/api/docs`; this page is rendered from the same
document. Every route below needs a viewer token (`Authorization: Bearer ow_…`,
see `onwatch token create`) or a logged-in session, except `/healthz`, and
`/metrics` when the instance setting `metrics_public` is true.

Conventions: times are ISO 8601 in UTC, durations seconds, latencies
milliseconds; a field that does not apply is `null`, never left out. A bad
parameter is answered with 422 and `detail[].loc` naming it (e.g.
`["query", "window"]`); an unknown monitor with 404 and a `detail` sentence.
Pool backends are monitors named `pool#1`, `pool#2`: write `#` as `%23` in
paths (`/api/v1/monitors/api%231/results`).
"""


def openapi_document() -> dict[str, Any]:
    """The OpenAPI document of the app's routes (the same as ``/api/openapi.json``)."""
    app = FastAPI(title="onwatch", version=__version__, openapi_url="/api/openapi.json")
    for name in ROUTERS:
        router: APIRouter = import_module(f"onwatch.web.{name}").router
        app.include_router(router)
    return app.openapi()


def _schema_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _type(schema: JSON) -> str:
    """A schema as a short Markdown phrase: ``string``, ``array of [Result](#result)``."""
    if "$ref" in schema:
        name = _schema_name(schema["$ref"])
        return f"[{name}](#{name.lower()})"
    if "anyOf" in schema:
        return " or ".join(_type(option) for option in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(f"`{value}`" for value in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if kind == "object" and isinstance(schema.get("additionalProperties"), Mapping):
        return f"object of {_type(schema['additionalProperties'])}"
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return str(kind)


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _limits(schema: JSON) -> str:
    words = []
    for key, word in (("minimum", "at least"), ("maximum", "at most"), ("pattern", "matching")):
        if key in schema:
            words.append(f"{word} `{schema[key]}`")
    return ", ".join(words)


def _parameters(operation: JSON) -> Iterator[str]:
    parameters = operation.get("parameters", [])
    if not parameters:
        return
    yield "Parameters:\n"
    yield "| name | in | type | required | default | description |"
    yield "| --- | --- | --- | --- | --- | --- |"
    for parameter in parameters:
        schema = parameter.get("schema", {})
        kind = ", ".join(part for part in (_type(schema), _limits(schema)) if part)
        default = f"`{schema['default']}`" if "default" in schema else ""
        required = "yes" if parameter.get("required") else "no"
        yield (
            f"| `{parameter['name']}` | {parameter['in']} | {kind} | {required} "
            f"| {default} | {_cell(parameter.get('description', ''))} |"
        )
    yield ""


def _responses(operation: JSON) -> Iterator[str]:
    yield "Responses:\n"
    yield "| status | body | description |"
    yield "| --- | --- | --- |"
    for status, response in operation.get("responses", {}).items():
        bodies = [
            f"`{media}`" + (f": {_type(content['schema'])}" if content.get("schema") else "")
            for media, content in response.get("content", {}).items()
        ]
        body = "<br>".join(bodies) or "none"
        yield f"| {status} | {body} | {_cell(response.get('description', ''))} |"
    yield ""


def _is_page(operation: JSON) -> bool:
    content = operation.get("responses", {}).get("200", {}).get("content", {})
    return bool(content) and set(content) == {"text/html"}


def _operations(document: JSON) -> Iterator[tuple[str, str, JSON]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if not _is_page(operation):
                yield method.upper(), path, operation


def _references(value: Any) -> Iterator[str]:
    if isinstance(value, Mapping):
        if isinstance(value.get("$ref"), str):
            yield _schema_name(value["$ref"])
        for item in value.values():
            yield from _references(item)
    elif isinstance(value, list):
        for item in value:
            yield from _references(item)


def _used_schemas(document: JSON) -> list[str]:
    """Names of the schemas the documented operations use, directly or through others."""
    schemas = document.get("components", {}).get("schemas", {})
    pending = [name for _, _, op in _operations(document) for name in _references(op)]
    used: set[str] = set()
    while pending:
        name = pending.pop()
        if name not in used and name in schemas:
            used.add(name)
            pending.extend(_references(schemas[name]))
    return sorted(used)


def _schema(name: str, schema: JSON) -> Iterator[str]:
    yield f"### {name}\n"
    if schema.get("description"):
        yield " ".join(schema["description"].split()) + "\n"
    properties = schema.get("properties")
    if not properties:
        yield f"{_type(schema).capitalize()}.\n"
        return
    required = set(schema.get("required", []))
    yield "| field | type | description |"
    yield "| --- | --- | --- |"
    for field, spec in properties.items():
        optional = "" if field in required else " (optional)"
        yield f"| `{field}` | {_type(spec)}{optional} | {_cell(spec.get('description', ''))} |"
    yield ""


def render_markdown(document: JSON) -> str:
    """The Markdown reference of ``document``; the same document always gives the same text."""
    lines = [INTRO]
    operations = list(_operations(document))
    lines += ["| method | path | what |", "| --- | --- | --- |"]
    lines += [f"| {m} | `{p}` | {_cell(op.get('summary', ''))} |" for m, p, op in operations]
    lines.append("")
    for method, path, operation in operations:
        lines.append(f"## {method} `{path}`\n")
        if operation.get("summary"):
            lines.append(f"**{operation['summary']}**\n")
        if operation.get("description"):
            lines.append(" ".join(operation["description"].split()) + "\n")
        lines += [*_parameters(operation), *_responses(operation)]
    lines.append("## Schemas\n")
    schemas = document.get("components", {}).get("schemas", {})
    for name in _used_schemas(document):
        lines += list(_schema(name, schemas[name]))
    return "\n".join(lines).rstrip() + "\n"
