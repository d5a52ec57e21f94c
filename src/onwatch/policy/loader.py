"""Load a policy file: YAML → positions → validated :class:`Policy`, or every issue at once."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from onwatch.policy.checks import run_cross_checks
from onwatch.policy.issues import Issue, PolicyError
from onwatch.policy.messages import issues_from_validation
from onwatch.policy.models import API_VERSION, Policy
from onwatch.policy.source import parse_yaml


def parse_policy(text: str, filename: str = "onwatch.yaml") -> Policy:
    """Validate policy text; raise :class:`PolicyError` with every issue found."""
    document = parse_yaml(text, filename)
    issues: list[Issue] = list(document.issues)
    policy: Policy | None = None
    if "apiVersion" not in document.data:
        issues.append(
            document.issue(
                ("apiVersion",),
                f'missing required key "apiVersion" (write apiVersion: {API_VERSION})',
            )
        )
        document.data.setdefault("apiVersion", API_VERSION)  # still validate the rest
    try:
        policy = Policy.model_validate(document.data)
    except ValidationError as exc:
        issues.extend(issues_from_validation(exc, document, Policy))
    issues.extend(run_cross_checks(document))
    if issues or policy is None:
        raise PolicyError(issues)
    return policy


def load_policy(path: str | Path) -> Policy:
    """Read and validate a policy file; errors name ``file:line:col``."""
    filename = str(path)
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise PolicyError([Issue(filename, 1, 1, (), "no such file")]) from None
    except IsADirectoryError:
        raise PolicyError(
            [Issue(filename, 1, 1, (), "is a directory, not a policy file")]
        ) from None
    except OSError as exc:
        raise PolicyError([Issue(filename, 1, 1, (), f"cannot be read: {exc.strerror}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PolicyError([Issue(filename, line, 1, (), "is not UTF-8 text")]) from None
    return parse_policy(text, filename)
