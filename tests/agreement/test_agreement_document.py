"""The agreement document and its Markdown and HTML, from a policy and real trackers."""

from __future__ import annotations

from onwatch.agreement.document import build_document
from onwatch.agreement.render import html, markdown
from onwatch.policy import parse_policy
from onwatch.slo.specs import objective_specs
from onwatch.slo.tracker import ObjectiveTracker

NOW = 1_790_006_400.0  # 2026-09-21 16:00 UTC
POLICY = """\
apiVersion: onwatch/v1
services:
  - name: checkout
    title: Checkout
    objectives:
      availability:
        target: 99.9%
        lenient: [{from: "00:00", to: "02:00", target: 99%}]
  - name: blog
monitors:
  - {name: checkout-page, type: http, url: "https://shop.example/checkout", service: checkout}
"""


def evaluated() -> dict[str, object]:
    policy = parse_policy(POLICY)
    [spec] = objective_specs(policy)
    tracker = ObjectiveTracker(spec, start=NOW - 7200)
    for minute in range(120):
        at = NOW - 7200 + minute * 60
        if minute < 30:
            tracker.observe_excluded(at, 60.0)
        else:
            tracker.observe(at, good=minute != 100, seconds=60.0)
    return {"policy": policy, "evaluations": {spec.key: tracker.evaluate(NOW)}}


def test_excluded_time_is_shown_with_the_maintenance_reason_and_apart_from_lenient_time() -> None:
    made = evaluated()
    document = build_document(
        made["policy"],  # type: ignore[arg-type]
        made["evaluations"],  # type: ignore[arg-type]
        NOW,
        excluded_for={"checkout/availability": ["Database upgrade"]},
    )
    text = markdown(document)
    [row] = [line for line in text.splitlines() if line.startswith("| Checkout is available")]
    cells = [cell.strip() for cell in row.strip("|").split(" | ")]
    assert cells[1] == "98.888% over 30d"  # 89 good of the 90 counted checks
    # no check fell in the lenient night (the clock is at 16:00 UTC): only maintenance shows
    assert cells[3] == "maintenance: 30 min excluded (Database upgrade)"
    page = html(document)
    assert "maintenance: 30 min excluded (Database upgrade)" in page
    assert "No objectives agreed for this service yet." in page  # the blog


def test_without_an_agreement_block_the_document_says_nobody_signed() -> None:
    made = evaluated()
    document = build_document(made["policy"], {}, NOW)  # type: ignore[arg-type]
    assert document.review is None
    assert "Nobody has signed these numbers yet" in markdown(document)
    assert "no checks counted yet" in markdown(document)
