"""The getting-started and operations pages stay true: their policy loads, their links resolve.

A reader copies the policy from docs/getting-started.md first thing, so it is
checked like the examples; every relative link of both pages and of the README
must name a file that exists.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from onwatch.policy import parse_policy

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "docs" / "getting-started.md", ROOT / "docs" / "operations.md", ROOT / "README.md"]
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"\]\(([^)#\s]+)(#[^)]*)?\)")


def blocks(page: Path, language: str) -> list[str]:
    text = page.read_text(encoding="utf-8")
    return [m.group(2) for m in _FENCE.finditer(text) if m.group(1) == language]


def test_the_getting_started_policy_is_a_valid_policy() -> None:
    (policy,) = blocks(ROOT / "docs" / "getting-started.md", "yaml")
    loaded = parse_policy(policy, "getting-started.md")
    assert [m.name for m in loaded.monitors] == ["home", "api-health"]


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_relative_link_names_a_file_that_exists(page: Path) -> None:
    targets = {m.group(1) for m in _LINK.finditer(page.read_text(encoding="utf-8"))}
    local = sorted(t for t in targets if "://" not in t and not t.startswith("mailto:"))
    assert local, "a page with no links at all is suspicious"
    missing = [t for t in local if not (page.parent / t).exists()]
    assert missing == []


def test_the_readme_starts_with_the_two_commands_and_shows_the_demo() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (first, *_) = blocks(ROOT / "README.md", "sh")
    assert [line.split()[:2] for line in first.splitlines()] == [["make", "run"], ["make", "test"]]
    assert text.index("docs/screenshots/dashboard.png") < text.index("## What works today")
    assert "`onwatch demo" in text
