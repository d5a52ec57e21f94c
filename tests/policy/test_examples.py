"""The shipped example policies and the policy reference are test fixtures, so they never go stale.

Every ``examples/*.yaml`` must load and satisfy the exported JSON Schema; every
YAML block in ``docs/policy.md`` must load too (a top-level section alone gets
``apiVersion`` put in front), except blocks that start with ``# broken``, which
must fail with exactly the errors the page shows under them.
"""

from __future__ import annotations

import re
from pathlib import Path
from textwrap import dedent
from typing import Any

import pytest

from onwatch.policy import PolicyError, load_policy, parse_policy, policy_json_schema
from onwatch.policy.source import parse_yaml

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
DOCS = ROOT / "docs" / "policy.md"
_FENCE = re.compile(r"^( *)```(\w*)\n(.*?)^\1```\n", re.MULTILINE | re.DOTALL)


def doc_blocks() -> list[tuple[int, str, str]]:
    """``(line, language, text)`` of every fenced block in the policy reference."""
    source = DOCS.read_text(encoding="utf-8")
    return [
        (source.count("\n", 0, m.start()) + 1, m.group(2), dedent(m.group(3)))
        for m in _FENCE.finditer(source)
    ]


def yaml_blocks() -> list[Any]:
    """Each YAML block with the block after it (the output a broken example shows)."""
    blocks = doc_blocks()
    return [
        pytest.param(text, blocks[i + 1][2] if i + 1 < len(blocks) else "", id=f"policy.md:{line}")
        for i, (line, language, text) in enumerate(blocks)
        if language == "yaml"
    ]


def as_policy(text: str) -> str:
    """A block that shows only some sections, made a whole policy."""
    if re.search(r"^apiVersion:", text, re.MULTILINE):
        return text
    return "apiVersion: onwatch/v1\n" + text


def test_there_is_at_least_one_example() -> None:
    assert EXAMPLES, "examples/*.yaml is empty"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_policy_loads(path: Path) -> None:
    policy = load_policy(path)
    assert policy.services, "an example should show at least one service"


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_policy_explains_itself_in_comments(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("#"), "start an example with a comment saying what it shows"
    assert sum(line.lstrip().startswith("#") for line in lines) >= 5


@pytest.mark.parametrize(("text", "after"), yaml_blocks())
def test_every_yaml_block_in_the_policy_reference_is_checked(text: str, after: str) -> None:
    if not text.startswith("# broken"):
        parse_policy(as_policy(text), "policy.md")
        return
    with pytest.raises(PolicyError) as caught:
        parse_policy(text, "onwatch.yaml")
    shown = [line for line in after.splitlines() if re.match(r"onwatch\.yaml:\d+:\d+: ", line)]
    assert [str(issue) for issue in caught.value.issues] == shown


def keys_under(node: Any, root: dict[str, Any]) -> set[str]:
    """Every property name reachable from a schema node."""
    if not isinstance(node, dict):
        return set()
    keys: set[str] = set()
    if "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        keys |= keys_under(target, root)
    for name, sub in node.get("properties", {}).items():
        keys |= {name} | keys_under(sub, root)
    for keyword in ("items", "additionalProperties"):
        keys |= keys_under(node.get(keyword), root)
    for keyword in ("anyOf", "oneOf", "allOf"):
        for option in node.get(keyword, []):
            keys |= keys_under(option, root)
    return keys


def documented(key: str, text: str) -> bool:
    """``key`` appears in backticks, alone or as the last part of a path."""
    return re.search(rf"`([\w.\[\]<>]*\.)?{re.escape(key)}`", text) is not None


def test_the_policy_reference_names_every_section() -> None:
    text = DOCS.read_text(encoding="utf-8")
    sections = policy_json_schema()["properties"]
    assert [key for key in sections if not documented(key, text)] == []


def test_every_section_with_a_heading_documents_all_its_keys() -> None:
    text = DOCS.read_text(encoding="utf-8")
    schema = policy_json_schema()
    headed = re.findall(r"^## `(\w+)`$", text, re.MULTILINE)
    assert {"apiVersion", "settings", "services", "contacts"} <= set(headed)
    missing = {
        section: sorted(
            k for k in keys_under(schema["properties"][section], schema) if not documented(k, text)
        )
        for section in headed
        if section in schema["properties"]
    }
    assert {section: keys for section, keys in missing.items() if keys} == {}


# --- the JSON Schema accepts every example -------------------------------------------

_ANNOTATIONS = {
    "title",
    "description",
    "examples",
    "default",
    "$schema",
    "$defs",
    "discriminator",
    "format",
    "deprecated",
}
_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "null": type(None),
    "boolean": bool,
    "integer": int,
    "number": int | float,
}
_BOUNDS: dict[str, Any] = {
    "minimum": lambda v, r: v >= r,
    "maximum": lambda v, r: v <= r,
    "exclusiveMinimum": lambda v, r: v > r,
    "exclusiveMaximum": lambda v, r: v < r,
}
_SIZES: dict[str, Any] = {
    "minItems": (list, lambda v, r: len(v) >= r),
    "maxItems": (list, lambda v, r: len(v) <= r),
    "minLength": (str, lambda v, r: len(v) >= r),
    "maxLength": (str, lambda v, r: len(v) <= r),
}


def schema_errors(value: Any, schema: dict[str, Any], root: dict[str, Any], at: str) -> list[str]:
    """A small JSON Schema check covering exactly the keywords the policy schema uses.

    jsonschema is no dependency; an unknown keyword fails loudly so this never
    passes by ignoring a rule.
    """
    errors: list[str] = []
    for keyword, rule in schema.items():
        if keyword in _ANNOTATIONS:
            continue
        if keyword == "$ref":
            target: Any = root
            for part in rule.removeprefix("#/").split("/"):
                target = target[part]
            errors += schema_errors(value, target, root, at)
        elif keyword == "type":
            if not isinstance(value, _TYPES[rule]) or (
                rule != "boolean" and isinstance(value, bool)
            ):
                errors.append(f"{at}: expected {rule}")
        elif keyword == "const":
            if value != rule:
                errors.append(f"{at}: expected {rule!r}")
        elif keyword == "enum":
            if value not in rule:
                errors.append(f"{at}: expected one of {rule!r}")
        elif keyword in _BOUNDS:
            number = isinstance(value, int | float) and not isinstance(value, bool)
            if number and not _BOUNDS[keyword](value, rule):
                errors.append(f"{at}: {value!r} breaks {keyword} {rule}")
        elif keyword in _SIZES:
            kind, holds = _SIZES[keyword]
            if isinstance(value, kind) and not holds(value, rule):
                errors.append(f"{at}: breaks {keyword} {rule}")
        elif keyword == "pattern":
            if isinstance(value, str) and not re.search(rule, value):
                errors.append(f"{at}: {value!r} does not match {rule}")
        elif keyword in ("properties", "additionalProperties", "required", "minProperties"):
            if isinstance(value, dict):
                errors += _object_errors(keyword, rule, value, schema, root, at)
        elif keyword == "propertyNames":
            if isinstance(value, dict):
                for key in value:
                    errors += schema_errors(key, rule, root, f"{at}.{key}")
        elif keyword == "items":
            if isinstance(value, list):
                for index, item in enumerate(value):
                    errors += schema_errors(item, rule, root, f"{at}[{index}]")
        elif keyword in ("anyOf", "oneOf"):
            passing = sum(not schema_errors(value, option, root, at) for option in rule)
            if passing == 0 or (keyword == "oneOf" and passing > 1):
                errors.append(f"{at}: {passing} of the {keyword} choices match")
        elif keyword == "allOf":
            for option in rule:
                errors += schema_errors(value, option, root, at)
        else:
            raise AssertionError(f"the test's schema check does not know {keyword!r}")
    return errors


def _object_errors(
    keyword: str,
    rule: Any,
    value: dict[str, Any],
    schema: dict[str, Any],
    root: dict[str, Any],
    at: str,
) -> list[str]:
    errors: list[str] = []
    if keyword == "properties":
        for key, sub in rule.items():
            if key in value:
                errors += schema_errors(value[key], sub, root, f"{at}.{key}")
    elif keyword == "additionalProperties":
        for key in value.keys() - schema.get("properties", {}).keys():
            if rule is False:
                errors.append(f"{at}: {key!r} is not allowed")
            else:
                errors += schema_errors(value[key], rule, root, f"{at}.{key}")
    elif keyword == "required":
        errors += [f"{at}: {key!r} is required" for key in rule if key not in value]
    elif len(value) < rule:
        errors.append(f"{at}: needs at least {rule} keys")
    return errors


def example_data(path: Path) -> Any:
    return parse_yaml(path.read_text(encoding="utf-8"), path.name).data


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_the_json_schema_accepts_every_example(path: Path) -> None:
    schema = policy_json_schema()
    assert schema_errors(example_data(path), schema, schema, "$") == []


def test_the_json_schema_refuses_what_the_loader_refuses() -> None:
    schema = policy_json_schema()
    broken = parse_yaml(
        "apiVersion: onwatch/v2\n"
        "setings: {}\n"
        "settings: {retention: {raw: 5x}}\n"
        "services: [{title: Nameless}]\n"
        "contacts: [{name: a, channels: {}}, {name: b, channels: {x: {url_fil: /p}}}]\n",
        "broken.yaml",
    ).data
    assert sorted(schema_errors(broken, schema, schema, "$")) == [
        "$.apiVersion: expected 'onwatch/v1'",
        "$.contacts[0].channels: needs at least 1 keys",
        "$.contacts[1].channels.x: 0 of the anyOf choices match",
        "$.services[0]: 'name' is required",
        "$.settings.retention.raw: '5x' does not match ^(\\d+(\\.\\d+)?(ms|s|m|h|d|w))+$",
        "$: 'setings' is not allowed",
    ]


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_jsonschema_agrees_when_it_is_installed(path: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    jsonschema.Draft202012Validator(policy_json_schema()).validate(example_data(path))
