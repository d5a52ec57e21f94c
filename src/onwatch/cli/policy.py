"""Commands about the policy file and the instance settings: check, schema, settings."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from onwatch.cli.common import err, out
from onwatch.policy import PolicyError, load_policy, policy_json_schema
from onwatch.policy.secrets import secret_references
from onwatch.settings import load_settings
from onwatch.slo.advice import policy_advice

app = typer.Typer()


@app.command()
def check(
    policy_file: Annotated[Path, typer.Argument(help="The policy file to validate.")],
) -> None:
    """Validate a policy file: every error with file:line:col; exit 0 when valid, 1 when not."""
    try:
        policy = load_policy(policy_file)
    except PolicyError as exc:
        for issue in exc.issues:
            err.print(str(issue), highlight=False, markup=False, soft_wrap=True)
        count = len(exc.issues)
        err.print(
            f"{policy_file}: {count} problem{'s' * (count != 1)}", style="bold red", highlight=False
        )
        raise typer.Exit(1) from None
    counts = {
        "services": len(policy.services),
        "contacts": len(policy.contacts),
        "monitors": len(policy.monitors),
        "pools": len(policy.pools),
    }
    summary = ", ".join(f"{section}: {count}" for section, count in counts.items() if count)
    out.print(f"[green]✓[/green] {policy_file}: valid ({summary or 'empty'})", highlight=False)
    missing: dict[str, list[str]] = {}
    for where, reference in secret_references(policy):
        for name in reference.unresolved():
            missing.setdefault(name, []).append(where)
    for name, users in missing.items():
        err.print(
            f"note: {name} is not available here (used by {', '.join(users)}); "
            "the onwatch server needs it",
            style="yellow",
            highlight=False,
            markup=False,
        )
    for advice in policy_advice(policy):
        err.print(f"warning: {advice}", style="yellow", highlight=False, markup=False)


@app.command()
def schema(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file instead of stdout.")
    ] = None,
) -> None:
    """Print the policy's JSON Schema (for editor completion and CI validation)."""
    text = json.dumps(policy_json_schema(), indent=2, ensure_ascii=False) + "\n"
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}", highlight=False)


@app.command()
def settings(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="onwatch.toml to read (default: ONWATCH_CONFIG, else ./onwatch.toml)."
        ),
    ] = None,
) -> None:
    """Print the effective instance settings, secrets masked."""
    effective = load_settings(config_path=config)
    table = Table("setting", "environment variable", "value", title="onwatch instance settings")
    for name, env_var, value in effective.describe():
        table.add_row(name, env_var, value)
    out.print(table)
