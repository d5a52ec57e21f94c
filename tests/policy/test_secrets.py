"""Secrets by reference only: ${ENV_VAR} or *_file, resolved at the moment of use, never shown."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest

from onwatch.errors import SecretError
from onwatch.policy import Policy, PolicyError, SecretRef, parse_policy

TOKEN = "s3cr3t-t0ken-value"


def policy_with_channel(channel: str) -> str:
    return dedent(
        f"""\
        apiVersion: onwatch/v1
        contacts:
          - name: alice
            channels:
              hook: {channel}
        """
    )


def channel_problems(channel: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(policy_with_channel(channel))
    return [str(issue) for issue in caught.value.issues]


def test_a_reference_resolves_from_the_environment_it_is_given() -> None:
    ref = SecretRef("json://${HOOK_USER}:${HOOK_TOKEN}@hooks.example.com/alerts")
    environ = {"HOOK_USER": "onwatch", "HOOK_TOKEN": TOKEN}
    assert ref.variables == ["HOOK_USER", "HOOK_TOKEN"]
    assert ref.unresolved(environ) == []
    assert ref.resolve(environ) == f"json://onwatch:{TOKEN}@hooks.example.com/alerts"


def test_a_missing_variable_is_named_without_showing_the_other_values() -> None:
    ref = SecretRef("json://${HOOK_USER}:${HOOK_TOKEN}@hooks.example.com")
    environ = {"HOOK_USER": TOKEN}
    assert ref.unresolved(environ) == ["HOOK_TOKEN"]
    with pytest.raises(SecretError) as caught:
        ref.resolve(environ)
    assert str(caught.value) == (
        "environment variable HOOK_TOKEN is not set (referenced as ${HOOK_TOKEN})"
    )
    assert TOKEN not in str(caught.value)


def test_a_file_reference_reads_the_file_only_when_resolved(tmp_path: Path) -> None:
    secret_file = tmp_path / "hook_url"
    ref = SecretRef(file=secret_file)
    assert ref.unresolved({}) == [str(secret_file)]
    secret_file.write_text(f"json://hooks.example.com/{TOKEN}\n", encoding="utf-8")
    assert ref.unresolved({}) == []
    assert ref.resolve({}) == f"json://hooks.example.com/{TOKEN}"


def test_an_unreadable_secret_file_names_the_file(tmp_path: Path) -> None:
    ref = SecretRef(file=tmp_path / "absent")
    with pytest.raises(SecretError, match=r"secret file .*absent cannot be read"):
        ref.resolve({})


def test_text_and_repr_show_the_reference_never_the_resolved_value(tmp_path: Path) -> None:
    env_ref = SecretRef("json://${HOOK_TOKEN}@hooks.example.com")
    assert env_ref.resolve({"HOOK_TOKEN": TOKEN})
    assert str(env_ref) == "json://${HOOK_TOKEN}@hooks.example.com"
    assert repr(env_ref) == "SecretRef(json://${HOOK_TOKEN}@hooks.example.com)"

    secret_file = tmp_path / "token"
    secret_file.write_text(TOKEN, encoding="utf-8")
    file_ref = SecretRef(file=secret_file)
    assert file_ref.resolve() == TOKEN
    assert str(file_ref) == f"(file {secret_file})"
    assert TOKEN not in repr(file_ref)


def test_a_loaded_policy_never_holds_a_resolved_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOOK_TOKEN", TOKEN)
    secret_file = tmp_path / "chat_url"
    secret_file.write_text(f"json://chat.example.com/{TOKEN}", encoding="utf-8")
    policy = parse_policy(
        dedent(
            f"""\
            apiVersion: onwatch/v1
            contacts:
              - name: alice
                channels:
                  hook: json://bot:${{HOOK_TOKEN}}@hooks.example.com
                  chat:
                    url_file: {secret_file}
            """
        )
    )
    channels = policy.contacts[0].channels
    assert channels["hook"].url.resolve() == f"json://bot:{TOKEN}@hooks.example.com"
    assert channels["chat"].url.resolve() == f"json://chat.example.com/{TOKEN}"
    for shown in (repr(policy), str(policy), policy.model_dump_json(), str(policy.model_dump())):
        assert TOKEN not in shown
    assert policy.model_dump(mode="json")["contacts"][0]["channels"]["hook"] == {
        "url": "json://bot:${HOOK_TOKEN}@hooks.example.com"
    }


def test_a_literal_password_in_a_channel_url_is_refused_without_repeating_it() -> None:
    found = channel_problems(f"json://bot:{TOKEN}@hooks.example.com/alerts")
    assert found == [
        "onwatch.yaml:5:13: contacts[0].channels.hook: holds a password in plain text; "
        "put it in an environment variable and write ${VAR} in its place, "
        "or give url_file: /path"
    ]
    assert all(TOKEN not in line for line in found)


def test_a_port_before_a_query_with_an_address_is_not_taken_for_a_password() -> None:
    for url in (
        "mailto://127.0.0.1:2525?to=alice@example.com",
        "mailto://mail.example.com:587/?to=a@example.com&from=b@example.com",
    ):
        policy = parse_policy(policy_with_channel(url))
        assert policy.contacts[0].channels["hook"].url is not None


def test_a_literal_password_is_refused_even_beside_other_errors() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(
            policy_with_channel(f"json://bot:{TOKEN}@hooks.example.com")
            + "settings: {timezone: Moon/Base}\n"
        )
    assert len(caught.value.issues) == 2
    assert TOKEN not in str(caught.value)


def test_a_password_given_as_a_reference_is_accepted() -> None:
    policy = parse_policy(
        policy_with_channel("mailto://${SMTP_USER}:${SMTP_PASSWORD}@mail.example.com")
    )
    url = policy.contacts[0].channels["hook"].url
    assert url.variables == ["SMTP_USER", "SMTP_PASSWORD"]


def test_a_scheme_apprise_does_not_know_is_refused() -> None:
    assert channel_problems("pigeon://loft.example.com") == [
        'onwatch.yaml:5:13: contacts[0].channels.hook: "pigeon://" is not a notification '
        "service Apprise knows"
    ]


def test_text_that_is_no_url_is_refused_without_repeating_it() -> None:
    found = channel_problems(f"just-a-token-{TOKEN}")
    assert found == [
        "onwatch.yaml:5:13: contacts[0].channels.hook: is not an Apprise URL "
        "(scheme://..., e.g. mailto://, twilio://, slack://, json://)"
    ]


@pytest.mark.parametrize("channel", ["json://${1ST}@host", "json://${HOOK_TOKEN@host"])
def test_a_malformed_reference_is_refused(channel: str) -> None:
    (problem,) = channel_problems(channel)
    assert problem.endswith(
        "has a malformed ${...} reference; write ${NAME} with letters, digits and _"
    )


def test_a_channel_given_both_as_url_and_url_file_is_refused() -> None:
    found = channel_problems("{url: 'json://hooks.example.com', url_file: /run/secrets/hook}")
    assert found == [
        "onwatch.yaml:5:13: contacts[0].channels.hook: give either url or url_file, not both"
    ]


def test_the_file_form_needs_a_path() -> None:
    found = channel_problems('{url_file: ""}')
    assert found == ["onwatch.yaml:5:13: contacts[0].channels.hook: url_file must be a file path"]


def test_the_long_form_of_a_channel_equals_the_shorthand() -> None:
    short = parse_policy(policy_with_channel("json://hooks.example.com/a"))
    long = parse_policy(policy_with_channel("{url: 'json://hooks.example.com/a'}"))
    assert isinstance(short, Policy)
    assert short == long
