"""Who a step reaches: contacts, teams and the on-call person; routes; quiet hours."""

from __future__ import annotations

from datetime import UTC, datetime

from onwatch.notify.oncall import Override
from onwatch.notify.recipients import Recipient, in_quiet_hours, recipients, route, send_at
from onwatch.policy import Policy, parse_policy

POLICY = """\
apiVersion: onwatch/v1
settings: {timezone: Europe/Brussels}
services: [{name: checkout}, {name: blog}]
contacts:
  - {name: alice, channels: {sms: "json://sms.example/a", email: "mailto://a@x.example"}}
  - {name: bob, channels: {sms: "json://sms.example/b", email: "mailto://b@x.example"}}
  - {name: carol, channels: {sms: "json://sms.example/c", email: "mailto://c@x.example"}}
teams:
  - {name: platform, members: [bob, alice]}
oncall:
  - {name: primary, members: [carol, bob], handover: {every: 1w}, start: 2026-11-02}
escalation:
  - name: default
    steps: [{after: 0m, notify: [alice.sms]}]
    quiet_hours: {from: "22:00", to: "07:00", only: page}
  - name: checkout-oncall
    steps: [{after: 0m, notify: [primary.sms]}]
  - name: tickets
    steps: [{after: 0m, notify: [platform.email]}]
routes:
  - {severity: page, service: checkout, escalation: checkout-oncall}
  - {severity: ticket, escalation: tickets}
"""


def policy() -> Policy:
    return parse_policy(POLICY)


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()


MONDAY_NOON = utc(2026, 11, 2, 11)  # carol's first week


def test_a_contact_target_is_that_contacts_channel() -> None:
    assert recipients(policy(), ["alice.sms"], MONDAY_NOON, []) == [Recipient("alice", "sms")]


def test_a_team_target_reaches_every_member_in_order() -> None:
    assert recipients(policy(), ["platform.email"], MONDAY_NOON, []) == [
        Recipient("bob", "email"),
        Recipient("alice", "email"),
    ]


def test_a_rotation_target_reaches_whoever_is_on_call_then() -> None:
    assert recipients(policy(), ["primary.sms"], MONDAY_NOON, []) == [Recipient("carol", "sms")]
    next_week = MONDAY_NOON + 7 * 86400
    assert recipients(policy(), ["primary.sms"], next_week, []) == [Recipient("bob", "sms")]
    cover = Override("primary", "alice", MONDAY_NOON - 60, MONDAY_NOON + 60)
    assert recipients(policy(), ["primary.sms"], MONDAY_NOON, [cover]) == [
        Recipient("alice", "sms")
    ]


def test_repeats_are_dropped_and_the_order_is_kept() -> None:
    found = recipients(
        policy(), ["bob.email", "platform.email", "primary.sms", "carol.sms"], MONDAY_NOON, []
    )
    assert found == [
        Recipient("bob", "email"),
        Recipient("alice", "email"),
        Recipient("carol", "sms"),
    ]


def test_the_first_matching_route_wins_else_the_default() -> None:
    rules = policy()
    chosen = [
        route(rules, severity="page", service="checkout"),
        route(rules, severity="ticket", service="checkout"),
        route(rules, severity="page", service="blog"),
        route(rules, severity="page", service=None),
    ]
    assert [c.name if c else None for c in chosen] == [
        "checkout-oncall",
        "tickets",
        "default",
        "default",
    ]


def test_without_a_default_an_unrouted_incident_has_no_policy() -> None:
    rules = parse_policy(POLICY.replace("name: default", "name: nightly"))
    assert route(rules, severity="page", service="blog") is None


def test_quiet_hours_cross_midnight_in_their_zone() -> None:
    default = policy().escalation_policy("default")
    assert default is not None
    # 22:00 to 07:00 in Brussels (CET, UTC+1 in November).
    assert not in_quiet_hours(default, utc(2026, 11, 2, 20, 59))
    assert in_quiet_hours(default, utc(2026, 11, 2, 21, 0))
    assert in_quiet_hours(default, utc(2026, 11, 3, 5, 59))
    assert not in_quiet_hours(default, utc(2026, 11, 3, 6, 0))
    tickets = policy().escalation_policy("tickets")
    assert tickets is not None
    assert not in_quiet_hours(tickets, utc(2026, 11, 3, 2))


def test_in_quiet_hours_pages_go_at_once_and_tickets_wait_for_the_morning() -> None:
    default = policy().escalation_policy("default")
    assert default is not None
    night = utc(2026, 11, 2, 23)
    assert send_at(default, severity="page", at=night) == night
    assert send_at(default, severity="ticket", at=night) == utc(2026, 11, 3, 6)
    before_midnight = utc(2026, 11, 2, 21, 30)
    assert send_at(default, severity="ticket", at=before_midnight) == utc(2026, 11, 3, 6)
    day = utc(2026, 11, 3, 9)
    assert send_at(default, severity="ticket", at=day) == day
