"""Reading a policy file: YAML 1.2 into validated, immutable data, or one clear sentence."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from textwrap import dedent

import pytest
from pydantic import ValidationError

from onwatch.policy import Policy, PolicyError, load_policy, parse_policy

MINIMAL = "apiVersion: onwatch/v1\n"


def write(tmp_path: Path, text: str | bytes, name: str = "onwatch.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(dedent(text), encoding="utf-8")
    return path


def only_problem(path: Path) -> str:
    """The single issue a file that is no policy at all must produce."""
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert len(caught.value.issues) == 1, caught.value.issues
    text = str(caught.value.issues[0])
    assert "\n" not in text
    assert "Traceback" not in text
    return text


def test_it_loads_a_policy_file_into_typed_values(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        apiVersion: onwatch/v1
        settings:
          timezone: Europe/Brussels
          retention: {raw: 3d, minute: 1w, hour: 1h30m}
        services:
          - name: shop
            title: Web shop
            owner: alice
            description: The storefront.
        contacts:
          - name: alice
            channels:
              sms: twilio://${TWILIO_SID}:${TWILIO_TOKEN}@15551230001/15551230002
              chat:
                url_file: /run/secrets/chat
        """,
    )
    policy = load_policy(path)
    assert policy.api_version == "onwatch/v1"
    assert policy.settings.timezone == "Europe/Brussels"
    assert policy.settings.retention.raw == timedelta(days=3)
    assert policy.settings.retention.minute == timedelta(weeks=1)
    assert policy.settings.retention.hour == timedelta(hours=1, minutes=30)
    shop = policy.service("shop")
    assert shop is not None
    assert (shop.title, shop.owner, shop.description) == ("Web shop", "alice", "The storefront.")
    assert shop.display_name == "Web shop"
    alice = policy.contact("alice")
    assert alice is not None
    assert list(alice.channels) == ["sms", "chat"]
    assert alice.channels["sms"].url.variables == ["TWILIO_SID", "TWILIO_TOKEN"]
    assert alice.channels["chat"].url.file == Path("/run/secrets/chat")


def test_a_policy_of_only_the_api_version_gets_the_documented_defaults() -> None:
    policy = parse_policy(MINIMAL)
    assert policy.settings.timezone == "UTC"
    assert policy.settings.retention.raw == timedelta(days=7)
    assert policy.settings.retention.minute == timedelta(days=35)
    assert policy.settings.retention.hour == timedelta(days=400)
    assert policy.services == []
    assert policy.contacts == []
    assert policy.service("shop") is None


def test_a_service_without_a_title_is_shown_by_its_name() -> None:
    policy = parse_policy(MINIMAL + "services: [{name: api}]\n")
    assert policy.services[0].display_name == "api"
    assert policy.services[0].description == ""


def test_a_loaded_policy_cannot_be_changed() -> None:
    policy = parse_policy(MINIMAL)
    with pytest.raises(ValidationError):
        policy.settings.timezone = "Europe/Paris"  # type: ignore[misc]


def test_it_reads_yaml_1_2_so_no_and_clock_like_values_stay_text() -> None:
    policy = parse_policy(
        dedent(
            """\
            apiVersion: onwatch/v1
            services:
              - name: no
                title: 12:30
                owner: off
                description: yes
            """
        )
    )
    service = policy.services[0]
    assert (service.name, service.title, service.owner, service.description) == (
        "no",
        "12:30",
        "off",
        "yes",
    )


def test_it_expands_merge_keys_and_lets_own_keys_win() -> None:
    policy = parse_policy(
        dedent(
            """\
            apiVersion: onwatch/v1
            services:
              - &storefront
                name: shop
                owner: alice
                description: Customers buy here.
              - <<: *storefront
                name: shop-eu
                owner: bob
            """
        )
    )
    copy = policy.services[1]
    assert (copy.name, copy.owner, copy.description) == ("shop-eu", "bob", "Customers buy here.")


def test_with_several_merged_mappings_the_first_to_give_a_key_wins() -> None:
    policy = parse_policy(
        dedent(
            """\
            apiVersion: onwatch/v1
            services:
              - &a {name: a, owner: alice, title: A}
              - &b {name: b, owner: bob, description: B}
              - <<: [*a, *b]
                name: c
            """
        )
    )
    merged = policy.services[2]
    assert (merged.owner, merged.title, merged.description) == ("alice", "A", "B")


def test_a_merged_mapping_may_itself_merge_another() -> None:
    policy = parse_policy(
        dedent(
            """\
            apiVersion: onwatch/v1
            services:
              - &base {name: base, owner: alice}
              - &mid {<<: *base, name: mid, title: Middle}
              - {<<: *mid, name: leaf}
            """
        )
    )
    leaf = policy.services[2]
    assert (leaf.name, leaf.owner, leaf.title) == ("leaf", "alice", "Middle")


def test_merging_something_other_than_a_mapping_is_an_error() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(MINIMAL + "services:\n  - <<: 5\n    name: x\n")
    assert [str(i) for i in caught.value.issues] == [
        "onwatch.yaml:3:9: services[0]: << merges mappings only (<<: *name)"
    ]


def test_it_names_the_file_it_was_given_in_every_issue(tmp_path: Path) -> None:
    path = write(tmp_path, "apiVersion: onwatch/v1\nextra: 1\n", name="team.yaml")
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    assert str(caught.value.issues[0]).startswith(f"{path}:2:1: extra: ")


def test_it_accepts_a_byte_order_mark(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xef\xbb\xbfapiVersion: onwatch/v1\n")
    assert isinstance(load_policy(path), Policy)


# --- input that is no policy at all: one clear sentence, never a traceback ---


def test_text_that_is_not_yaml_is_reported_at_the_place_it_breaks(tmp_path: Path) -> None:
    path = write(tmp_path, "apiVersion: [onwatch/v1\nservices: x\n")
    assert only_problem(path) == f"{path}:2:9: not valid YAML: expected ',' or ']', but got ':'"


def test_a_tab_in_the_indentation_is_reported_as_not_yaml(tmp_path: Path) -> None:
    path = write(tmp_path, "apiVersion: onwatch/v1\nsettings:\n\ttimezone: UTC\n")
    assert only_problem(path).startswith(f"{path}:3:1: not valid YAML: ")


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "# only a comment\n", "---\n"],
    ids=["empty", "blank", "comment", "document-marker"],
)
def test_an_empty_file_is_one_clear_sentence(tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    assert only_problem(path) == (
        f"{path}:1:1: the file is empty; a policy starts with apiVersion: onwatch/v1"
    )


def test_a_list_is_one_clear_sentence(tmp_path: Path) -> None:
    path = write(tmp_path, "- apiVersion: onwatch/v1\n- services: []\n")
    assert only_problem(path) == (
        f"{path}:1:1: the policy is a list; it must be a mapping of sections "
        "(apiVersion, services, ...)"
    )


def test_a_single_value_is_one_clear_sentence(tmp_path: Path) -> None:
    path = write(tmp_path, "onwatch\n")
    assert "the policy is a single value" in only_problem(path)


def test_several_documents_are_reported_where_the_second_one_starts(tmp_path: Path) -> None:
    path = write(tmp_path, "apiVersion: onwatch/v1\n---\napiVersion: onwatch/v1\n")
    assert only_problem(path) == (
        f"{path}:3:1: the file holds several YAML documents; keep one policy per file"
    )


def test_a_file_that_is_not_utf8_names_the_line_of_the_first_bad_byte(tmp_path: Path) -> None:
    path = write(tmp_path, b"apiVersion: onwatch/v1\nservices:\n  - name: caf\xe9\n")
    assert only_problem(path) == f"{path}:3:1: is not UTF-8 text"


def test_a_missing_file_is_one_clear_sentence(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    assert only_problem(path) == f"{path}:1:1: no such file"


def test_a_directory_is_one_clear_sentence(tmp_path: Path) -> None:
    assert only_problem(tmp_path) == f"{tmp_path}:1:1: is a directory, not a policy file"


def test_a_value_its_tag_cannot_read_is_one_clear_sentence(tmp_path: Path) -> None:
    path = write(tmp_path, "apiVersion: onwatch/v1\nsettings:\n  retention:\n    raw: !!int 7d\n")
    assert only_problem(path) == (
        f"{path}:4:10: settings.retention.raw: not valid YAML: the value cannot be read as !!int"
    )


def test_an_alias_inside_itself_is_one_clear_sentence(tmp_path: Path) -> None:
    path = write(tmp_path, "apiVersion: onwatch/v1\nservices: &loop\n  - *loop\n")
    assert only_problem(path) == (
        f"{path}:2:11: services[0]: not valid YAML: "
        "an alias refers to a collection that contains it"
    )


def test_absurdly_deep_nesting_is_one_clear_sentence(tmp_path: Path) -> None:
    path = write(tmp_path, "apiVersion: onwatch/v1\nx: " + "[" * 400 + "]" * 400 + "\n")
    # A low limit reaches Python's recursion guard quickly (the YAML scanner is slow
    # on thousands of open brackets); the default limit is reached the same way.
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(300)
    try:
        problem = only_problem(path)
    finally:
        sys.setrecursionlimit(limit)
    assert problem == f"{path}:1:1: the YAML is nested too deeply to be a policy"
