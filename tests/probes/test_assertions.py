"""What a good HTTP answer looks like: status codes and classes, keywords, JSON paths."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onwatch.policy.monitors import HttpExpect, JsonAssertion
from onwatch.probes.assertions import find_path, judge_body, judge_json, judge_status


def expect(**fields: Any) -> HttpExpect:
    return HttpExpect.model_validate(fields)


DOCUMENT = {"status": "degraded", "version": 3, "up": True, "checks": [{"name": "db", "ok": True}]}
BODY = json.dumps(DOCUMENT).encode()


def test_by_default_any_2xx_or_3xx_status_is_good() -> None:
    default = expect().status

    assert judge_status(200, default) is None
    assert judge_status(204, default) is None
    assert judge_status(302, default) is None


def test_a_status_outside_the_expected_ones_names_the_code_its_phrase_and_what_was_expected() -> (
    None
):
    assert (
        judge_status(503, expect().status) == "status: 503 Service Unavailable, expected 2xx or 3xx"
    )


def test_exact_codes_and_classes_can_be_mixed() -> None:
    wanted = expect(status=[200, "4xx"]).status

    assert judge_status(200, wanted) is None
    assert judge_status(404, wanted) is None
    assert judge_status(201, wanted) == "status: 201 Created, expected 200 or 4xx"


def test_a_status_code_without_a_known_phrase_is_shown_bare() -> None:
    assert judge_status(299, [200]) == "status: 299, expected 200"


@given(code=st.integers(min_value=100, max_value=599), family=st.integers(min_value=1, max_value=5))
def test_a_status_class_matches_exactly_the_codes_of_its_hundred(code: int, family: int) -> None:
    assert (judge_status(code, [f"{family}xx"]) is None) == (code // 100 == family)


def test_a_body_with_the_keyword_passes() -> None:
    assert judge_body(b"Thanks for your order", expect(keyword="Thanks")) is None


def test_a_missing_keyword_is_named() -> None:
    detail = judge_body(b"Sorry, try again", expect(keyword="Thanks"))

    assert detail == 'assertion: keyword "Thanks" not found'


def test_text_that_must_be_absent_fails_when_present() -> None:
    detail = judge_body(b"Fatal error in line 3", expect(absent="Fatal error"))

    assert detail == 'assertion: "Fatal error" is present, expected absent'


def test_the_body_is_read_in_its_declared_charset() -> None:
    body = "Café ouvert".encode("latin-1")

    assert judge_body(body, expect(keyword="Café"), charset="latin-1") is None


def test_undecodable_bytes_and_unknown_charsets_never_break_the_check() -> None:
    assert judge_body(b"\xff\xfe ok", expect(keyword="ok"), charset="no-such-charset") is None


def test_a_json_value_that_differs_shows_what_was_there_and_what_was_expected() -> None:
    detail = judge_body(BODY, expect(json=[{"path": "$.status", "equals": "ok"}]))

    assert detail == 'assertion: $.status is "degraded", expected "ok"'


def test_a_json_path_that_is_missing_says_so() -> None:
    detail = judge_body(BODY, expect(json=[{"path": "$.checks[3].name"}]))

    assert detail == "assertion: $.checks[3].name is missing"


def test_a_json_path_without_equals_only_needs_to_exist() -> None:
    assert judge_body(BODY, expect(json=[{"path": "$.checks[0].ok"}])) is None


def test_the_first_broken_json_assertion_is_reported() -> None:
    rules = [
        {"path": "$.version", "equals": 3},
        {"path": "$.up", "equals": False},
        {"path": "$.status", "equals": "ok"},
    ]

    assert judge_body(BODY, expect(json=rules)) == "assertion: $.up is true, expected false"


def test_a_body_that_is_not_json_fails_a_json_assertion() -> None:
    detail = judge_body(b"<html>Down for maintenance</html>", expect(json=[{"path": "$.a"}]))

    assert detail == 'assertion: body is not JSON (starts "<html>Down for maintenance</html>")'


@pytest.mark.parametrize(
    ("found", "equals", "holds"),
    [
        (3, 3, True),
        (3.0, 3, True),
        ("3", 3, False),
        (1, True, False),
        (True, True, True),
        (True, "true", False),
        ("ok", "ok", True),
    ],
)
def test_json_values_compare_strictly_by_type(found: object, equals: Any, holds: bool) -> None:
    broken = judge_json({"v": found}, JsonAssertion(path="$.v", equals=equals))

    assert (broken is None) is holds


def test_a_long_value_is_cut_so_the_detail_stays_one_short_line() -> None:
    detail = judge_json({"v": "x" * 500}, JsonAssertion(path="$.v", equals="y"))

    assert detail is not None
    assert len(detail) < 200
    assert detail.endswith('expected "y"')


def test_paths_walk_keys_and_indexes() -> None:
    document = {"a": {"b-c": [10, {"d": None}]}}

    assert find_path(document, "$") == document
    assert find_path(document, "$.a.b-c[0]") == 10
    assert find_path(document, "$.a.b-c[1].d") is None


def test_a_path_through_the_wrong_kind_of_value_is_missing() -> None:
    assert judge_json({"a": [1]}, JsonAssertion(path="$.a.b")) == "assertion: $.a.b is missing"
    assert (
        judge_json({"a": {"0": 1}}, JsonAssertion(path="$.a[0]")) == "assertion: $.a[0] is missing"
    )


def test_body_rules_are_judged_keyword_then_absent_then_json() -> None:
    rules = expect(keyword="nowhere", absent="degraded", json=[{"path": "$.missing"}])

    assert judge_body(BODY, rules) == 'assertion: keyword "nowhere" not found'


def test_no_body_rules_means_the_body_is_not_even_decoded() -> None:
    assert judge_body(b"\x00" * 10, expect()) is None
