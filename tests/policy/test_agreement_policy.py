"""``agreement:``: who agreed to the numbers, on which day, and when they are due for review."""

from __future__ import annotations

from datetime import date, timedelta
from textwrap import dedent, indent

import pytest

from onwatch.policy import Policy, PolicyError, parse_policy

HEAD = "apiVersion: onwatch/v1\nagreement:\n"  # the block's keys start on line 3


def load(body: str) -> Policy:
    return parse_policy(HEAD + indent(dedent(body), "  "))


def problems(body: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load(body)
    return [str(issue) for issue in caught.value.issues]


def test_a_policy_without_an_agreement_has_none() -> None:
    assert parse_policy("apiVersion: onwatch/v1\n").agreement is None


def test_an_agreement_names_people_and_a_day_and_is_reviewed_every_90_days_by_default() -> None:
    agreement = load(
        """\
          agreed_by:
            - {name: Alice Martin, role: CTO}
            - {name: Bob Peeters}
          agreed_on: 2026-11-02
        """
    ).agreement
    assert agreement is not None
    assert [(p.name, p.role) for p in agreement.agreed_by] == [
        ("Alice Martin", "CTO"),
        ("Bob Peeters", None),
    ]
    assert agreement.agreed_on == date(2026, 11, 2)
    assert agreement.review_every == timedelta(days=90)
    assert agreement.review_due() == date(2027, 1, 31)


def test_a_quoted_date_and_a_review_period_in_weeks_are_read() -> None:
    agreement = load(
        """\
          agreed_by: [{name: Alice Martin, role: CTO}]
          agreed_on: "2026-02-27"
          review_every: 2w
        """
    ).agreement
    assert agreement is not None
    assert agreement.review_due() == date(2026, 3, 13)


def test_each_mistake_is_reported_at_its_key() -> None:
    assert problems(
        """\
          agreed_by: []
          agreed_on: "2026-02-30"
          review_every: 36h
        """
    ) == [
        "onwatch.yaml:3:14: agreement.agreed_by: needs at least 1 entry, got 0",
        'onwatch.yaml:4:14: agreement.agreed_on: "2026-02-30" is not a day of the calendar',
        "onwatch.yaml:5:17: agreement.review_every: is counted in whole days (e.g. 90d, 12w)",
    ]


def test_a_signatory_needs_a_name_and_a_date_needs_its_form() -> None:
    assert problems(
        """\
          agreed_by:
            - {name: " ", role: CTO}
            - {role: Head of Sales}
          agreed_on: 02/11/2026
        """
    ) == [
        "onwatch.yaml:4:14: agreement.agreed_by[0].name: must not be empty",
        'onwatch.yaml:5:7: agreement.agreed_by[1].name: missing required key "name"',
        'onwatch.yaml:6:14: agreement.agreed_on: "02/11/2026" is not a date (YYYY-MM-DD, '
        "e.g. 2026-11-02)",
    ]
