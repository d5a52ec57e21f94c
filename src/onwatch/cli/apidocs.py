"""``onwatch api-docs``: write the HTTP API reference (docs/api.md) from the OpenAPI document."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from onwatch.cli.common import err, out

app = typer.Typer()

DEFAULT_OUTPUT = Path("docs/api.md")


@app.command("api-docs")
def api_docs(
    output: Annotated[
        Path,
        typer.Option("--output", "-o", help="Where to write the Markdown; - for standard output."),
    ] = DEFAULT_OUTPUT,
    check: Annotated[
        bool,
        typer.Option("--check", help="Write nothing; exit 1 if the file is not up to date."),
    ] = False,
) -> None:
    """Render the HTTP API reference from the OpenAPI document the web app serves."""
    from onwatch.web.apidoc import openapi_document, render_markdown

    text = render_markdown(openapi_document())
    if str(output) == "-":
        sys.stdout.write(text)
        return
    current = output.read_text(encoding="utf-8") if output.is_file() else None
    if check:
        if current != text:
            err.print(f"{output} is out of date: run onwatch api-docs --output {output}")
            raise typer.Exit(1)
        out.print(f"{output} is up to date", highlight=False)
        return
    output.write_text(text, encoding="utf-8")
    state = "unchanged" if current == text else "written"
    out.print(f"{output} {state} ({text.count(chr(10))} lines)", highlight=False)
