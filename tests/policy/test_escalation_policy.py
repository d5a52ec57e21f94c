"""``teams``, ``oncall``, ``escalation`` and ``routes``, and monitors' ``confirm``, ``recovery``
and ``flapping``: loaded as written, each mistake reported at its key."""

from __future__ import annotations

from datetime import date, time, timedelta
from textwrap import dedent

import pytest

from onwatch.policy import Policy, PolicyError, parse_policy

# Sections given to load() and problems() start on line 11.
HEAD = """\
apiVersion: onwatch/v1
settings: {timezone: Europe/Brussels}
services:
  - name: checkout
contacts:
  - {name: alice, channels: {sms: "json://sms.example/alice", call: "json://call.example/a"}}
  - {name: bob, channels: {sms: "json://sms.example/bob", email: "mailto://bob@x.example"}}
  - {name: carol, channels: {sms: "json://sms.example/carol", email: "mailto://c@x.example"}}
monitors:
  - {name: checkout-page, type: http, service: checkout, url: "https://shop.example/"}
"""

GOOD = """\
teams:
  - {name: platform, members: [bob, carol]}
oncall:
  - name: primary
    members: [alice, bob, carol]
    handover: {day: monday, at: "09:00", every: 1w}
    start: 2026-11-02
escalation:
  - name: default
    steps:
      - {after: 0m, notify: [alice.sms]}
      - {after: 5m, notify: [bob.sms, alice.call]}
      - {after: 15m, notify: [platform.email, primary.sms]}
    repeat: 2
    quiet_hours: {from: "00:00", to: "07:00", only: page}
  - name: tickets
    steps: [{after: 0m, notify: [platform.email]}]
routes:
  - {severity: ticket, service: checkout, escalation: tickets}
"""


def load(body: str) -> Policy:
    return parse_policy(HEAD + dedent(body))


def problems(body: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load(body)
    return [str(issue) for issue in caught.value.issues]


def test_teams_rotations_escalations_and_routes_load_as_written() -> None:
    policy = load(GOOD)
    assert policy.team("platform") is not None
    rotation = policy.rotation("primary")
    assert rotation is not None
    assert rotation.members == ["alice", "bob", "carol"]
    assert (rotation.handover.day, rotation.handover.at, rotation.handover.days) == (
        "monday",
        time(9),
        7,
    )
    assert rotation.start == date(2026, 11, 2)
    assert rotation.timezone == "Europe/Brussels"  # from settings
    default = policy.escalation_policy("default")
    assert default is not None
    assert [step.after for step in default.steps] == [
        timedelta(0),
        *(timedelta(minutes=m) for m in (5, 15)),
    ]
    assert default.quiet_hours is not None
    assert default.quiet_hours.timezone == "Europe/Brussels"
    assert (default.quiet_hours.start, default.quiet_hours.end) == (time(0), time(7))
    assert policy.routes[0].escalation == "tickets"


def test_a_chain_repeats_at_the_spacing_of_its_last_two_steps() -> None:
    default = load(GOOD).escalation_policy("default")
    assert default is not None
    minutes = [(delay.total_seconds() / 60, index) for delay, index in default.schedule()]
    assert minutes == [
        (0, 0), (5, 1), (15, 2), (25, 0), (30, 1), (40, 2), (50, 0), (55, 1), (65, 2),
    ]  # fmt: skip


def test_a_one_step_chain_repeats_no_faster_than_every_five_minutes() -> None:
    policy = load(
        """\
        escalation:
          - {name: default, repeat: 1, steps: [{after: 0m, notify: [alice.sms]}]}
        """
    )
    (chain,) = policy.escalation
    assert [delay for delay, _ in chain.schedule()] == [timedelta(0), timedelta(minutes=5)]


def test_monitors_take_confirm_recovery_and_flapping_with_defaults() -> None:
    policy = load(
        """\
        pools:
          - name: api-pool
            targets: ["http://10.0.0.1/", "http://10.0.0.2/"]
            confirm: {consecutive: 3, locations: 2}
            recovery: {consecutive: 4}
            flapping: {changes: 3, within: 10m}
        """
    )
    (monitor,) = policy.monitors
    assert (monitor.confirm.consecutive, monitor.confirm.locations) == (2, None)
    assert monitor.recovery.consecutive == 2
    assert (monitor.flapping.changes, monitor.flapping.within) == (6, timedelta(minutes=30))
    (pool,) = policy.pools
    assert (pool.confirm.consecutive, pool.confirm.locations, pool.recovery.consecutive) == (
        3,
        2,
        4,
    )
    assert (pool.flapping.changes, pool.flapping.within) == (3, timedelta(minutes=10))


def test_confirm_locations_must_be_at_least_one() -> None:
    assert problems(
        """\
        pools:
          - name: api-pool
            targets: ["http://10.0.0.1/", "http://10.0.0.2/"]
            confirm: {consecutive: 0, locations: 0}
        """
    ) == [
        "onwatch.yaml:14:28: pools[0].confirm.consecutive: must be at least 1, got 0",
        "onwatch.yaml:14:42: pools[0].confirm.locations: must be at least 1, got 0",
    ]


def test_a_step_naming_an_unknown_contact_team_or_rotation_gets_a_suggestion() -> None:
    assert problems(
        """\
        teams: [{name: platform, members: [bob]}]
        escalation:
          - name: default
            steps:
              - {after: 0m, notify: [alicee.sms, platfrom.sms, nobody]}
        """
    ) == [
        'onwatch.yaml:15:30: escalation[0].steps[0].notify[0]: "alicee" is not a contact, '
        'team or rotation (did you mean "alice"?)',
        'onwatch.yaml:15:42: escalation[0].steps[0].notify[1]: "platfrom" is not a contact, '
        'team or rotation (did you mean "platform"?)',
        'onwatch.yaml:15:56: escalation[0].steps[0].notify[2]: "nobody" is not name.channel '
        "(a contact, team or rotation and a channel, e.g. alice.sms)",
    ]


def test_a_channel_the_contact_lacks_names_the_channels_they_have() -> None:
    assert problems(
        """\
        escalation:
          - name: default
            steps:
              - {after: 0m, notify: [alice.fax, alice.cal]}
        """
    ) == [
        'onwatch.yaml:14:30: escalation[0].steps[0].notify[0]: alice has no channel "fax"; '
        "alice's channels: sms, call",
        'onwatch.yaml:14:41: escalation[0].steps[0].notify[1]: alice has no channel "cal" '
        '(did you mean "call"?); alice\'s channels: sms, call',
    ]


def test_a_team_or_rotation_channel_must_reach_every_member() -> None:
    assert problems(
        """\
        teams: [{name: platform, members: [bob, alice]}]
        oncall: [{name: primary, members: [carol, alice], start: 2026-11-02}]
        escalation:
          - name: default
            steps: [{after: 0m, notify: [platform.email, primary.email]}]
        """
    ) == [
        "onwatch.yaml:15:34: escalation[0].steps[0].notify[0]: team platform reaches every "
        'member on "email", but alice has no such channel (alice\'s channels: sms, call)',
        "onwatch.yaml:15:50: escalation[0].steps[0].notify[1]: rotation primary reaches every "
        'member on "email", but alice has no such channel (alice\'s channels: sms, call)',
    ]


def test_a_step_that_goes_backwards_is_refused_at_its_delay() -> None:
    assert problems(
        """\
        escalation:
          - name: default
            steps:
              - {after: 10m, notify: [alice.sms]}
              - {after: 5m, notify: [bob.sms]}
        """
    ) == [
        "onwatch.yaml:15:17: escalation[0].steps[1].after: 5m goes backwards: the step before "
        "runs at 10m; list steps in the order they run",
    ]


def test_empty_steps_and_empty_notify_are_refused() -> None:
    found = problems(
        """\
        escalation:
          - {name: default, steps: []}
          - {name: other, steps: [{after: 0m, notify: []}]}
        """
    )
    assert [issue.split(": ")[:2] for issue in found] == [
        ["onwatch.yaml:12:28", "escalation[0].steps"],
        ["onwatch.yaml:13:47", "escalation[1].steps[0].notify"],
    ]
    assert all("at least 1" in issue for issue in found)


def test_members_must_be_contacts() -> None:
    assert problems(
        """\
        teams: [{name: platform, members: [bob, karol]}]
        oncall: [{name: primary, members: [alise], start: 2026-11-02}]
        """
    ) == [
        'onwatch.yaml:11:41: teams[0].members[1]: "karol" is not a contact (did you mean "carol"?)',
        'onwatch.yaml:12:36: oncall[0].members[0]: "alise" is not a contact (did you mean "alice"?)',
    ]


def test_contacts_teams_and_rotations_share_one_name_space() -> None:
    assert problems(
        """\
        teams: [{name: alice, members: [bob]}, {name: ops, members: [bob]}]
        oncall:
          - {name: ops, members: [bob], start: 2026-11-02}
          - {name: night, members: [bob], start: 2026-11-02}
          - {name: night, members: [carol], start: 2026-11-02}
        """
    ) == [
        'onwatch.yaml:11:16: teams[0].name: "alice" is already the name of a contact on line 6; '
        "contacts, teams and rotations share names so that a target means one thing",
        'onwatch.yaml:13:12: oncall[0].name: "ops" is already the name of a team on line 11; '
        "contacts, teams and rotations share names so that a target means one thing",
        'onwatch.yaml:15:12: oncall[2].name: "night" is already used on line 14; '
        "names must be unique",
    ]


def test_routes_name_known_escalations_and_services() -> None:
    assert problems(
        """\
        escalation: [{name: default, steps: [{after: 0m, notify: [alice.sms]}]}]
        routes:
          - {severity: page, service: chekout, escalation: defualt}
        """
    ) == [
        'onwatch.yaml:13:31: routes[0].service: "chekout" is not a service '
        '(did you mean "checkout"?)',
        'onwatch.yaml:13:52: routes[0].escalation: "defualt" is not an escalation policy '
        '(did you mean "default"?)',
    ]


def test_without_a_default_every_incident_needs_a_route() -> None:
    text = HEAD.replace(
        "  - name: checkout\n",
        "  - name: checkout\n    objectives: {availability: {target: 99.9%}}\n",
    )
    with pytest.raises(PolicyError) as caught:
        parse_policy(
            text
            + dedent(
                """\
                escalation: [{name: pages, steps: [{after: 0m, notify: [alice.sms]}]}]
                routes:
                  - {severity: page, escalation: pages}
                """
            )
        )
    assert [str(issue) for issue in caught.value.issues] == [
        "onwatch.yaml:5:32: services[0].objectives.availability: its ticket incidents of "
        'service checkout match no route, and no escalation policy is named "default": '
        "add one, or a route for them",
    ]


def test_a_policy_without_escalation_needs_no_default() -> None:
    assert load("teams: [{name: platform, members: [bob]}]\n").escalation == []


def test_routes_cover_every_incident_without_a_default() -> None:
    policy = load(
        """\
        escalation: [{name: pages, steps: [{after: 0m, notify: [alice.sms]}]}]
        routes: [{escalation: pages}]
        """
    )
    assert policy.routes[0].matches("ticket", None)


def test_bad_quiet_hours_are_refused_at_their_keys() -> None:
    assert problems(
        """\
        escalation:
          - name: default
            steps: [{after: 0m, notify: [alice.sms]}]
            quiet_hours: {from: "07:00", to: "07:00", timezone: Europe/Brusels, only: warn}
            repeat: -1
        """
    ) == [
        "onwatch.yaml:14:38: escalation[0].quiet_hours.to: the range 07:00 to 07:00 is empty; "
        "from and to must differ (a range may cross midnight, e.g. 22:00 to 07:00)",
        'onwatch.yaml:14:57: escalation[0].quiet_hours.timezone: "Europe/Brusels" is not an '
        'IANA time zone (did you mean "Europe/Brussels"?)',
        'onwatch.yaml:14:79: escalation[0].quiet_hours.only: "warn" is not allowed; '
        "expected 'page' or 'ticket'",
        "onwatch.yaml:15:13: escalation[0].repeat: must be at least 0, got -1",
    ]


def test_a_handover_day_needs_weeks_and_must_match_the_start() -> None:
    assert problems(
        """\
        oncall:
          - {name: daily, members: [bob], handover: {day: monday, every: 2d}, start: 2026-11-02}
          - {name: weekly, members: [bob], handover: {day: monday}, start: 2026-11-03}
          - {name: hourly, members: [bob], handover: {every: 12h}, start: 2026-11-03}
        """
    ) == [
        "onwatch.yaml:12:51: oncall[0].handover.day: a handover day needs every in whole weeks "
        "(e.g. 1w), not 2d",
        "onwatch.yaml:13:68: oncall[1].start: 2026-11-03 is a tuesday, but handovers are on "
        "monday: start on a monday",
        "onwatch.yaml:14:54: oncall[2].handover.every: 12h is not whole days or weeks "
        "(e.g. 1d, 1w, 2w)",
    ]
