"""The dashboard's SVG charts: well-formed, accessible, to scale, with gaps where data is missing."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from onwatch.web.charts import (
    ChartPoint,
    latency_chart,
    phase_bar,
    scale,
    sparkline,
    waterfall_bar,
)

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314  (our own markup, not untrusted input)


def paths(svg: ET.Element, css: str) -> list[list[tuple[float, float]]]:
    """The points of each ``<path class=css>``: ``M x y L x y ...``."""
    found = []
    for path in svg.findall("svg:path", NS):
        if path.get("class") != css:
            continue
        numbers = path.get("d", "").replace("M", " ").replace("L", " ").split()
        values = [float(n) for n in numbers]
        found.append(list(zip(values[::2], values[1::2], strict=True)))
    return found


def pct(value: str | None) -> float:
    assert value is not None
    assert value.endswith("%")
    return float(value[:-1])


def test_a_sparkline_is_well_formed_svg_with_a_title_and_a_description() -> None:
    svg = parse(sparkline([100.0, 120.0, 110.0], [200.0, 260.0, 230.0], label="checkout"))
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert svg.get("role") == "img"
    assert svg.findtext("svg:title", namespaces=NS) == "checkout: p50 and p95 latency"
    desc = svg.findtext("svg:desc", namespaces=NS) or ""
    assert "p50 from 100 ms to 120 ms" in desc
    assert "p95 up to 260 ms" in desc
    assert len(paths(svg, "p50")) == 1
    assert len(paths(svg, "p95")) == 1


def test_a_missing_hour_breaks_the_line_into_two_pieces() -> None:
    p50 = [10.0, 20.0, None, 30.0, 40.0]
    p95 = [15.0, 25.0, None, 35.0, 45.0]
    svg = parse(sparkline(p50, p95, label="api"))
    pieces = paths(svg, "p50")
    assert [len(piece) for piece in pieces] == [2, 2]
    left, right = pieces
    assert left[-1][0] < right[0][0]
    assert "no data for 1 of 5" in (svg.findtext("svg:desc", namespaces=NS) or "")


def test_a_lone_hour_between_gaps_is_drawn_as_a_dot() -> None:
    svg = parse(sparkline([None, 50.0, None], [None, 80.0, None], label="api"))
    assert not paths(svg, "p50")
    dots = [c for c in svg.findall("svg:circle", NS) if c.get("class") == "p50"]
    assert len(dots) == 1
    assert float(dots[0].get("cx", "0")) == pytest.approx(60)


def test_sparkline_values_scale_from_zero_at_the_bottom_to_the_largest_at_the_top() -> None:
    svg = parse(sparkline([0.0, 50.0], [100.0, 100.0], label="x", width=102, height=104))
    (p50,) = paths(svg, "p50")
    (p95,) = paths(svg, "p95")
    pad = 2
    assert p50[0] == (pad, 104 - pad)  # 0 ms on the bottom edge
    assert p50[1] == (102 - pad, 52)  # half of the largest value, half-way up
    assert p95[0][1] == pad  # the largest value on the top edge


def test_a_sparkline_without_any_data_says_so() -> None:
    svg = parse(sparkline([None] * 24, [None] * 24, label="new"))
    assert svg.findtext("svg:title", namespaces=NS) == "new: no latency measured"
    assert not svg.findall("svg:path", NS)


def test_sparkline_series_must_have_the_same_length() -> None:
    with pytest.raises(ValueError, match="p50 has 2 points but p95 has 3"):
        sparkline([1.0, 2.0], [1.0, 2.0, 3.0], label="x")


def test_labels_are_escaped() -> None:
    markup = sparkline([1.0, 2.0], [3.0, 4.0], label='<script>"&')
    assert "<script>" not in markup
    assert parse(markup).findtext("svg:title", namespaces=NS) == '<script>"&: p50 and p95 latency'


def chart(points: list[ChartPoint], limit_ms: float | None = None) -> ET.Element:
    return parse(
        latency_chart(
            points,
            since=0,
            until=100,
            time_label=lambda at: f"t{at:g}",
            title="checkout: total latency",
            limit_ms=limit_ms,
            height=238,  # 16 above and 22 below a 200-pixel plot
        )
    )


def bars(svg: ET.Element) -> list[ET.Element]:
    return svg.findall("svg:rect", NS)


def test_the_latency_chart_draws_each_result_as_a_bar_named_and_coloured_by_outcome() -> None:
    svg = chart(
        [
            ChartPoint(0, 100.0, "up", "10:00 up, 100 ms"),
            ChartPoint(50, 400.0, "slow", "10:01 slow, 400 ms"),
            ChartPoint(100, 200.0, "down", "10:02 down, 200 ms (status: 503)"),
        ]
    )
    assert svg.findtext("svg:title", namespaces=NS) == "checkout: total latency"
    assert svg.findtext("svg:desc", namespaces=NS) == (
        "3 checks: 1 up, 1 slow, 1 down; fastest 100 ms, slowest 400 ms"
    )
    drawn = bars(svg)
    assert [bar.get("class") for bar in drawn] == ["up", "slow", "down"]
    assert [bar.findtext("svg:title", namespaces=NS) for bar in drawn] == [
        "10:00 up, 100 ms",
        "10:01 slow, 400 ms",
        "10:02 down, 200 ms (status: 503)",
    ]


def test_latency_bars_scale_with_the_value_and_their_time() -> None:
    svg = chart([ChartPoint(0, 100.0, "up", "a"), ChartPoint(100, 400.0, "up", "b")])
    first, second = bars(svg)
    # The scale tops out at 400 ms over a 200-pixel plot: 100 ms is 50 pixels high.
    assert float(first.get("height", "0")) == pytest.approx(50)
    assert float(second.get("height", "0")) == pytest.approx(200)
    assert float(second.get("y", "0")) == pytest.approx(16)
    centre = [pct(b.get("x")) + pct(b.get("width")) / 2 for b in (first, second)]
    assert centre == [pytest.approx(1), pytest.approx(99)]


def test_the_latency_chart_labels_both_axes() -> None:
    svg = chart([ChartPoint(0, 700.0, "up", "a")])
    labels = [text.text for text in svg.findall("svg:text", NS) if text.get("class") == "axis"]
    assert labels[:4] == ["200 ms", "400 ms", "600 ms", "800 ms"]
    assert labels[4:] == ["t0", "t25", "t50", "t75", "t100"]


def test_a_check_that_failed_before_it_was_timed_is_a_cross_on_the_time_axis() -> None:
    svg = chart([ChartPoint(50, None, "down", "refused: connection refused")])
    assert not bars(svg)
    (cross,) = [t for t in svg.findall("svg:text", NS) if "cross" in (t.get("class") or "")]
    assert cross.text == "×"
    assert cross.findtext("svg:title", namespaces=NS) == "refused: connection refused"
    assert pct(cross.get("x")) == pytest.approx(50)


def test_the_agreed_limit_is_a_labelled_line() -> None:
    svg = chart([ChartPoint(0, 100.0, "up", "a")], limit_ms=1000.0)
    (limit,) = [line for line in svg.findall("svg:line", NS) if line.get("class") == "limit"]
    assert float(limit.get("y1", "0")) == pytest.approx(16)  # the scale reaches the limit
    texts = [t.text for t in svg.findall("svg:text", NS)]
    assert "agreed 1 s" in texts


@pytest.mark.parametrize(
    ("value", "top", "step"),
    [
        (0, 1, 0.25),
        (1, 1, 0.25),
        (700, 800, 200),
        (800, 800, 200),
        (801, 1000, 250),
        (2206, 3000, 1000),
        (9, 10, 2.5),
        (1234, 1500, 500),
    ],
)
def test_the_latency_scale_climbs_in_round_steps(value: float, top: float, step: float) -> None:
    assert scale(value) == (pytest.approx(top), pytest.approx(step))


def test_the_phase_bar_splits_its_width_in_proportion_to_the_phases() -> None:
    svg = parse(
        phase_bar(
            [("dns", 10.0), ("connect", 10.0), ("tls", None), ("first_byte", 60.0)],
            100.0,
            width=100,
        )
    )
    segments = [
        (r.get("class"), float(r.get("x", "0")), float(r.get("width", "0"))) for r in bars(svg)
    ]
    assert segments == [
        ("ph-dns", 0, 10),
        ("ph-connect", 10, 10),
        ("ph-first_byte", 20, 60),
        ("ph-other", 80, 20),  # time no phase accounts for
    ]
    title = svg.findtext("svg:title", namespaces=NS)
    assert title == "total 100 ms: DNS 10 ms, connect 10 ms, first byte 60 ms"


def test_a_waterfall_bar_starts_where_the_phase_starts() -> None:
    svg = parse(waterfall_bar(25.0, 50.0, 100.0, phase="first_byte", width=200))
    track, phase = bars(svg)
    assert track.get("class") == "track"
    assert (phase.get("class"), phase.get("x"), phase.get("width")) == (
        "ph-first_byte",
        "50",
        "100",
    )
    assert svg.findtext("svg:title", namespaces=NS) == "first byte: 50 ms from 25 ms"
