"""docs/api.md is the rendering of the OpenAPI document the running app serves, never stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from running_service import running

from onwatch.web.apidoc import openapi_document, render_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "api.md"
ONWATCH = Path(sys.executable).parent / "onwatch"


def test_docs_api_md_is_up_to_date_with_the_code() -> None:
    rendered = render_markdown(openapi_document())

    assert DOCS.read_text(encoding="utf-8") == rendered, (
        "docs/api.md is stale: run `onwatch api-docs --output docs/api.md`"
    )


@pytest.mark.anyio
@pytest.mark.parametrize("anyio_backend", ["asyncio"])
async def test_the_documented_routes_are_those_the_running_app_serves(
    tmp_path: Path, anyio_backend: str
) -> None:
    async with running(f"sqlite:///{tmp_path / 'onwatch.db'}") as api:
        served = (await api.get("/api/openapi.json")).json()

    documented = openapi_document()
    assert served["paths"] == documented["paths"]
    assert served["components"] == documented["components"]


def test_the_reference_leaves_out_html_pages_and_links_the_schemas_it_uses() -> None:
    document = {
        "paths": {
            "/page": {"get": {"responses": {"200": {"content": {"text/html": {}}}}}},
            "/api/thing": {
                "get": {
                    "summary": "A thing",
                    "parameters": [
                        {"name": "n", "in": "query", "schema": {"type": "integer", "minimum": 1}}
                    ],
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/T"}}
                            },
                        }
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "T": {"properties": {"u": {"$ref": "#/components/schemas/U"}}, "required": ["u"]},
                "U": {"enum": ["a", "b"]},
                "Unused": {"type": "string"},
            }
        },
    }

    text = render_markdown(document)

    assert "/page" not in text
    assert "| `n` | query | integer, at least `1` | no |" in text
    assert "| 200 | `application/json`: [T](#t) | ok |" in text
    assert "| `u` | [U](#u) |" in text
    assert "### U\n\nOne of `a`, `b`." in text
    assert "Unused" not in text


def test_the_api_docs_command_writes_the_file_and_check_tells_when_it_is_stale(
    tmp_path: Path,
) -> None:
    target = tmp_path / "api.md"

    def onwatch(*args: str) -> subprocess.CompletedProcess[str]:
        command = [str(ONWATCH), "api-docs", "--output", str(target), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)

    written = onwatch()
    fresh = onwatch("--check")
    target.write_text(target.read_text(encoding="utf-8") + "edited by hand\n", encoding="utf-8")
    stale = onwatch("--check")

    assert written.returncode == 0, written.stderr
    assert target.read_text(encoding="utf-8").startswith(DOCS.read_text(encoding="utf-8"))
    assert (fresh.returncode, stale.returncode) == (0, 1)
    assert "is out of date: run onwatch api-docs" in stale.stderr
