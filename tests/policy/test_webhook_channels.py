"""A contact's channel may be a signed webhook (``webhook`` + ``secret``) instead of an Apprise URL."""

from __future__ import annotations

from pathlib import Path

import pytest

from onwatch.policy import PolicyError, parse_policy

HEAD = """\
apiVersion: onwatch/v1
contacts:
  - name: ops
    channels:
"""


def problems(body: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(HEAD + body)
    return [str(issue) for issue in caught.value.issues]


def test_a_webhook_channel_holds_its_url_and_a_secret_reference() -> None:
    policy = parse_policy(
        HEAD
        + """\
      hook: {webhook: "https://hooks.example/x", secret: "${WEBHOOK_SECRET}"}
      sms: json://sms.example/ops
"""
    )
    hook = policy.contacts[0].channels["hook"]
    assert hook.url is None
    assert hook.webhook == "https://hooks.example/x"
    assert hook.secret is not None
    assert hook.secret.resolve({"WEBHOOK_SECRET": "s3cret"}) == "s3cret"
    assert "s3cret" not in policy.model_dump_json()
    dumped = policy.model_dump(mode="json")["contacts"][0]["channels"]
    assert dumped["hook"] == {"webhook": "https://hooks.example/x", "secret": "${WEBHOOK_SECRET}"}
    assert dumped["sms"] == {"url": "json://sms.example/ops"}  # the shorthand still works


def test_the_secret_may_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "hook-secret"
    secret.write_text("from-a-file\n", encoding="utf-8")
    hook = (
        parse_policy(
            HEAD + f'      hook: {{webhook: "http://127.0.0.1:9000/in", secret_file: "{secret}"}}\n'
        )
        .contacts[0]
        .channels["hook"]
    )
    assert hook.secret is not None
    assert hook.secret.resolve() == "from-a-file"


def test_a_webhook_without_a_secret_is_refused() -> None:
    assert problems('      hook: {webhook: "https://hooks.example/x"}\n') == [
        "onwatch.yaml:5:13: contacts[0].channels.hook.secret: a webhook needs a signing secret "
        "(e.g. secret: ${WEBHOOK_SECRET}), so receivers can tell its messages from forgeries",
    ]


def test_a_secret_in_plain_text_is_refused_without_being_echoed() -> None:
    (issue,) = problems('      hook: {webhook: "https://hooks.example/x", secret: hunter2}\n')
    assert issue.startswith("onwatch.yaml:5:58: contacts[0].channels.hook.secret: holds the secret")
    assert "hunter2" not in issue


def test_a_channel_is_either_apprise_or_a_webhook() -> None:
    assert problems(
        '      both: {url: "json://a.example/x", webhook: "https://b.example/", secret: "${S}"}\n'
        "      none: {}\n"
        '      stray: {url: "json://a.example/x", secret: "${S}"}\n'
    ) == [
        "onwatch.yaml:5:13: contacts[0].channels.both: give either url (Apprise) or webhook "
        "(signed), not both",
        "onwatch.yaml:6:13: contacts[0].channels.none: give url (an Apprise URL such as "
        "twilio://...) or webhook (https://...) with a secret",
        "onwatch.yaml:7:50: contacts[0].channels.stray.secret: signs webhooks only; an Apprise "
        "url takes its secrets inside it",
    ]


def test_a_webhook_must_be_an_http_url_and_an_apprise_url_must_parse() -> None:
    found = problems(
        '      hook: {webhook: "ftp://hooks.example/x", secret: "${S}"}\n      sms: nonsense\n'
    )
    assert found == [
        'onwatch.yaml:5:23: contacts[0].channels.hook.webhook: "ftp://hooks.example/x" is not '
        "an http:// or https:// URL with a host",
        "onwatch.yaml:6:12: contacts[0].channels.sms: is not an Apprise URL (scheme://..., "
        "e.g. mailto://, twilio://, slack://, json://)",
    ]
