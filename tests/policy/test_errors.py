"""What a broken policy reports: every problem at once, each as file:line:col, key path, message."""

from __future__ import annotations

from datetime import time
from textwrap import dedent

import pytest
from pydantic import Field, ValidationError

from onwatch.policy import Issue, PolicyError, parse_policy
from onwatch.policy.messages import issues_from_validation
from onwatch.policy.secrets import PolicyModel
from onwatch.policy.source import parse_yaml
from onwatch.policy.types import ClockTime, Percent


def problems(text: str, filename: str = "onwatch.yaml") -> list[str]:
    """The printed issues of a policy that must fail."""
    with pytest.raises(PolicyError) as caught:
        parse_policy(dedent(text), filename)
    return [str(issue) for issue in caught.value.issues]


def test_it_suggests_the_closest_key_for_an_unknown_one() -> None:
    assert problems(
        """\
        apiVersion: onwatch/v1
        setings:
          timezone: UTC
        """
    ) == ['onwatch.yaml:2:1: setings: unknown key "setings" (did you mean "settings"?)']


def test_it_lists_the_known_keys_when_nothing_is_close() -> None:
    assert problems(
        """\
        apiVersion: onwatch/v1
        services:
          - name: shop
            colour: blue
        """
    ) == [
        "onwatch.yaml:4:5: services[0].colour: unknown key "
        '"colour"; known keys: description, name, objectives, owner, title'
    ]


def test_it_suggests_keys_inside_a_channel_including_the_file_form() -> None:
    found = problems(
        """\
        apiVersion: onwatch/v1
        contacts:
          - name: alice
            channels:
              chat:
                url_fil: /run/secrets/chat
        """
    )
    assert (
        'onwatch.yaml:6:9: contacts[0].channels.chat.url_fil: unknown key "url_fil" '
        '(did you mean "url_file"?)'
    ) in found


def test_it_names_the_place_and_the_expected_form_of_a_bad_duration() -> None:
    assert problems(
        """\
        apiVersion: onwatch/v1
        settings:
          retention:
            raw: 5x
        """
    ) == ['onwatch.yaml:4:10: settings.retention.raw: "5x" is not a duration (e.g. 30s, 5m, 1h)']


def test_it_asks_for_a_unit_when_a_duration_is_a_bare_number() -> None:
    assert problems(
        """\
        apiVersion: onwatch/v1
        settings:
          retention: {minute: 10}
        """
    ) == [
        "onwatch.yaml:3:23: settings.retention.minute: "
        "10 has no unit; write a duration such as 10s (e.g. 30s, 5m, 1h)"
    ]


def test_it_suggests_the_closest_time_zone_for_a_typo() -> None:
    assert problems(
        """\
        apiVersion: onwatch/v1
        settings:
          timezone: Europe/Brusels
        """
    ) == [
        'onwatch.yaml:3:13: settings.timezone: "Europe/Brusels" is not an IANA time zone '
        '(did you mean "Europe/Brussels"?)'
    ]


class _Window(PolicyModel):
    """A stand-in section with the value types no released section uses yet."""

    target: Percent
    starts: ClockTime = time(0, 0)


class _Policy(PolicyModel):
    windows: list[_Window] = Field(default_factory=list)


def model_problems(text: str) -> list[str]:
    document = parse_yaml(dedent(text), "objectives.yaml")
    with pytest.raises(ValidationError) as caught:
        _Policy.model_validate(document.data)
    return [str(issue) for issue in issues_from_validation(caught.value, document, _Policy)]


def test_it_places_a_bad_percentage_and_a_bad_clock_time_at_their_values() -> None:
    assert model_problems(
        """\
        windows:
          - target: 99.9
            starts: "24:00"
          - target: 101%
            starts: 7:30
        """
    ) == [
        "objectives.yaml:2:13: windows[0].target: "
        "99.9 needs a % sign; write it as a percentage such as 99.9%",
        'objectives.yaml:3:13: windows[0].starts: "24:00" is not a clock time '
        "(HH:MM, 24-hour, e.g. 00:00 or 23:30)",
        'objectives.yaml:4:13: windows[1].target: "101%" must lie between 0% and 100%',
        'objectives.yaml:5:13: windows[1].starts: "7:30" is not a clock time '
        "(HH:MM, 24-hour, e.g. 00:00 or 23:30)",
    ]


def test_it_places_a_missing_key_at_the_mapping_that_lacks_it() -> None:
    assert problems(
        """\
        apiVersion: onwatch/v1
        services:
          - name: shop
          - title: Nameless
            owner: alice
        """
    ) == ['onwatch.yaml:4:5: services[1].name: missing required key "name"']


def test_it_says_how_to_write_a_missing_api_version() -> None:
    assert problems("services: []\n") == [
        'onwatch.yaml:1:1: apiVersion: missing required key "apiVersion" '
        "(write apiVersion: onwatch/v1)"
    ]


def test_it_names_the_only_api_version_it_accepts() -> None:
    assert problems("apiVersion: onwatch/v2\n") == [
        "onwatch.yaml:1:13: apiVersion: \"onwatch/v2\" is not allowed; expected 'onwatch/v1'"
    ]


def test_it_says_what_shape_was_expected_for_a_value_of_the_wrong_type() -> None:
    assert problems(
        """\
        apiVersion: onwatch/v1
        services: shop
        settings: [UTC]
        contacts:
          - name: alice
            channels: 12
        """
    ) == [
        'onwatch.yaml:2:11: services: expected a list, got "shop"',
        "onwatch.yaml:3:11: settings: expected a mapping of keys to values, got a list",
        "onwatch.yaml:6:15: contacts[0].channels: expected a mapping of keys to values, got 12",
    ]


def test_it_rejects_a_name_that_is_not_an_identifier() -> None:
    assert problems(
        """\
        apiVersion: onwatch/v1
        services:
          - name: Web Shop
        """
    ) == [
        'onwatch.yaml:3:11: services[0].name: "Web Shop" is not a valid name: use lowercase '
        "letters, digits, - and _ (at most 63, starting with a letter or digit)"
    ]


def test_it_reports_every_duplicate_key_not_only_the_first() -> None:
    assert problems(
        """\
        apiVersion: onwatch/v1
        settings:
          timezone: UTC
          retention:
            raw: 7d
            raw: 8d
          timezone: Europe/Brussels
        services:
          - name: shop
            title: Shop
            title: Web shop
        """
    ) == [
        'onwatch.yaml:6:5: settings.retention.raw: duplicate key "raw" (first given on line 5)',
        'onwatch.yaml:7:3: settings.timezone: duplicate key "timezone" (first given on line 3)',
        'onwatch.yaml:11:5: services[0].title: duplicate key "title" (first given on line 10)',
    ]


def test_it_reports_duplicate_names_together_with_field_errors_in_one_error() -> None:
    found = problems(
        """\
        apiVersion: onwatch/v1
        settings:
          retention:
            hour: forever
        services:
          - name: shop
          - name: shop
            titel: Shop again
        contacts:
          - name: alice
            channels: {sms: "twilio://${SID}:${TOKEN}@15551230001/15551230002"}
          - name: alice
            channels: {}
        """
    )
    assert found == [
        'onwatch.yaml:4:11: settings.retention.hour: "forever" is not a duration '
        "(e.g. 30s, 5m, 1h)",
        'onwatch.yaml:7:11: services[1].name: "shop" is already used on line 6; '
        "names must be unique",
        'onwatch.yaml:8:5: services[1].titel: unknown key "titel" (did you mean "title"?)',
        'onwatch.yaml:12:11: contacts[1].name: "alice" is already used on line 10; '
        "names must be unique",
        "onwatch.yaml:13:15: contacts[1].channels: needs at least 1 entry, got 0",
    ]


def test_it_runs_the_cross_checks_even_when_a_whole_section_fails() -> None:
    found = problems(
        """\
        apiVersion: onwatch/v1
        settings: nonsense
        services:
          - name: api
          - name: api
        """
    )
    assert found == [
        'onwatch.yaml:2:11: settings: expected a mapping of keys to values, got "nonsense"',
        'onwatch.yaml:5:11: services[1].name: "api" is already used on line 4; '
        "names must be unique",
    ]


def test_it_orders_the_issues_by_their_place_in_the_file() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(
            dedent(
                """\
                zzz: 1
                apiVersion: onwatch/v1
                settings: {timezone: Nowhere/City}
                aaa: 2
                """
            ),
            "p.yaml",
        )
    places = [(issue.line, issue.col) for issue in caught.value.issues]
    assert places == sorted(places)
    assert len(places) == 3


def test_the_error_message_is_every_issue_one_per_line() -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy("apiVersion: onwatch/v1\nfoo: 1\nbar: 2\n", "p.yaml")
    assert str(caught.value).splitlines() == [str(issue) for issue in caught.value.issues]


def test_an_issue_without_a_key_path_prints_only_the_place_and_the_message() -> None:
    assert str(Issue("p.yaml", 3, 1, (), "is not UTF-8 text")) == "p.yaml:3:1: is not UTF-8 text"
    assert str(Issue("p.yaml", 2, 9, ("monitors", 2, "interval"), "bad")) == (
        "p.yaml:2:9: monitors[2].interval: bad"
    )
