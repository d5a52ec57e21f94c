"""Server-rendered SVG charts: pure functions from numbers to escaped markup strings.

- :func:`sparkline`: p50 and p95 latency over hourly points, missing hours as gaps;
- :func:`latency_chart`: recent results' total latency as bars by outcome, with axes;
- :func:`phase_bar`: one result's phases as one stacked bar (DNS → transfer);
- :func:`waterfall_bar`: one phase's place in the request, for a phase table row.

Colours come from CSS classes (``p50``, ``p95``, ``up``, ``slow``, ``down``,
``ph-dns`` …) so the page's light and dark themes apply; every chart carries a
``<title>`` (and where useful a ``<desc>``) that says in words what it shows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from itertools import groupby
from typing import Literal

from onwatch.probes.slow import format_ms

SVG_NS = "http://www.w3.org/2000/svg"

PHASES: tuple[tuple[str, str], ...] = (
    ("dns", "DNS"),
    ("connect", "connect"),
    ("tls", "TLS"),
    ("first_byte", "first byte"),
    ("transfer", "transfer"),
)
"""Phase keys and how people say them, in the order a request lives through them."""

Outcome = Literal["up", "slow", "down"]


def _n(value: float) -> str:
    """A coordinate with at most one decimal, no trailing zeros."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _open(css: str, width: float, height: float, title: str, desc: str = "") -> str:
    """The opening tag of a chart without text: it may stretch to any box."""
    described = f"<desc>{escape(desc)}</desc>" if desc else ""
    return (
        f'<svg xmlns="{SVG_NS}" class="{css}" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'width="{_n(width)}" height="{_n(height)}" role="img" preserveAspectRatio="none">'
        f"<title>{escape(title)}</title>{described}"
    )


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """Consecutive stretches of points that have a value: each a list of (index, value)."""
    stretches = groupby(enumerate(values), key=lambda item: item[1] is not None)
    return [[(i, v) for i, v in run if v is not None] for known, run in stretches if known]


def sparkline(
    p50: Sequence[float | None],
    p95: Sequence[float | None],
    *,
    label: str,
    width: float = 120,
    height: float = 28,
) -> str:
    """p50 and p95 lines over evenly spaced points (ms); a missing point leaves a gap.

    Both series share one linear scale from 0 to the largest value. A point with
    no neighbour on either side is drawn as a dot, so a lone hour still shows.
    """
    if len(p50) != len(p95):
        raise ValueError(f"p50 has {len(p50)} points but p95 has {len(p95)}")
    known = [value for value in (*p50, *p95) if value is not None]
    missing = sum(a is None and b is None for a, b in zip(p50, p95, strict=True))
    if not known:
        title = f"{label}: no latency measured"
        return _open("spark empty", width, height, title) + (
            f'<line class="none" x1="2" y1="{_n(height - 2)}" x2="{_n(width - 2)}" '
            f'y2="{_n(height - 2)}"/></svg>'
        )
    top = max(known) or 1.0
    pad = 2.0
    step = (width - 2 * pad) / max(len(p50) - 1, 1)

    def x(index: int) -> float:
        return pad + index * step

    def y(value: float) -> float:
        return pad + (height - 2 * pad) * (1 - value / top)

    medians = [value for value in p50 if value is not None]
    highs = [value for value in p95 if value is not None]
    desc = f"{len(p50)} points"
    if medians:
        desc += f"; p50 from {format_ms(min(medians))} to {format_ms(max(medians))}"
    if highs:
        desc += f"; p95 up to {format_ms(max(highs))}"
    if missing:
        desc += f"; no data for {missing} of {len(p50)}"
    parts = [_open("spark", width, height, f"{label}: p50 and p95 latency", desc)]
    for css, series in (("p95", p95), ("p50", p50)):
        for run in _runs(series):
            if len(run) == 1:
                index, value = run[0]
                parts.append(
                    f'<circle class="{css}" cx="{_n(x(index))}" cy="{_n(y(value))}" r="2"/>'
                )
                continue
            path = " ".join(
                f"{'M' if i == 0 else 'L'}{_n(x(index))} {_n(y(value))}"
                for i, (index, value) in enumerate(run)
            )
            parts.append(f'<path class="{css}" d="{path}"/>')
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class ChartPoint:
    """One result on the latency chart."""

    at: float
    """Unix seconds."""
    total_ms: float | None
    """``None`` when the check failed before it could be timed (refused, DNS)."""
    outcome: Outcome
    label: str
    """What a person reads on hover: time, outcome, latency, failure."""


def scale(value: float, lines: int = 4) -> tuple[float, float]:
    """(top, step) of an axis from 0 past ``value`` in at most ``lines`` round steps.

    Steps are 1, 2, 2.5 or 5 times a power of ten, so every grid line reads as a
    round number (250 ms, 500 ms, 750 ms, 1 s).
    """
    if value <= 0:
        return 1.0, 0.25
    raw = value / lines
    power = math.pow(10, math.floor(math.log10(raw)))
    step = next(f * power for f in (1, 2, 2.5, 5, 10) if raw <= f * power * (1 + 1e-9))
    return step * math.ceil(value / step - 1e-9), step


def _pct(value: float) -> str:
    """A horizontal position or width as a percentage of the chart's width."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def latency_chart(
    points: Sequence[ChartPoint],
    *,
    since: float,
    until: float,
    time_label: Callable[[float], str],
    title: str,
    limit_ms: float | None = None,
    height: float = 220,
) -> str:
    """Bars of total latency by time, coloured and named by outcome, with labelled axes.

    The chart fills the width of its box at a fixed height: horizontal positions
    are percentages and vertical ones pixels, so its text keeps its size on a
    phone and on a wide screen. Latency labels sit on their grid lines at the
    left edge. A failed check without a latency is a cross on the time axis;
    ``limit_ms`` draws the agreed threshold as a dashed line; ``time_label``
    formats the time axis (the caller knows the time zone).
    """
    top_pad, bottom = 16.0, 22.0
    plot_h = height - top_pad - bottom
    timed = [p.total_ms for p in points if p.total_ms is not None]
    top, step = scale(max([*timed, limit_ms or 0.0, 1.0]))
    span = max(until - since, 1e-9)
    counts = {o: sum(p.outcome == o for p in points) for o in ("up", "slow", "down")}
    desc = f"{len(points)} checks: {counts['up']} up, {counts['slow']} slow, {counts['down']} down"
    if timed:
        desc += f"; fastest {format_ms(min(timed))}, slowest {format_ms(max(timed))}"
    described = f"<desc>{escape(desc)}</desc>"
    parts = [
        f'<svg xmlns="{SVG_NS}" class="latency" width="100%" height="{_n(height)}" '
        f'role="img"><title>{escape(title)}</title>{described}'
    ]

    def x(at: float) -> float:
        """Percent of the width: 1% to 99%, so edge bars stay whole."""
        return 1 + 98 * min(max((at - since) / span, 0.0), 1.0)

    def y(value: float) -> float:
        return top_pad + plot_h * (1 - min(value, top) / top)

    baseline = top_pad + plot_h
    ticks = [step * i for i in range(round(top / step) + 1)]  # from 0 to the top
    parts.extend(
        f'<line class="grid" x1="0" y1="{_n(y(v))}" x2="100%" y2="{_n(y(v))}"/>' for v in ticks
    )
    bar = max(0.15, min(1.2, 70 / max(len(points), 1)))
    for point in points:
        cx = x(point.at)
        label = f"<title>{escape(point.label)}</title>"
        if point.total_ms is None:
            parts.append(
                f'<text class="{point.outcome} cross" x="{_pct(cx)}" y="{_n(baseline - 2)}" '
                f'text-anchor="middle">×{label}</text>'
            )
            continue
        top_y = y(point.total_ms)
        parts.append(
            f'<rect class="{point.outcome}" x="{_pct(cx - bar / 2)}" y="{_n(top_y)}" '
            f'width="{_pct(bar)}" height="{_n(max(baseline - top_y, 1.0))}">{label}</rect>'
        )
    if limit_ms is not None:
        parts.append(
            f'<line class="limit" x1="0" y1="{_n(y(limit_ms))}" x2="100%" '
            f'y2="{_n(y(limit_ms))}"/><text class="axis limit-label" x="100%" '
            f'y="{_n(y(limit_ms) - 4)}" text-anchor="end">'
            f"{escape('agreed ' + format_ms(limit_ms))}</text>"
        )
    parts.extend(
        f'<text class="axis" x="2" y="{_n(y(v) - 4)}">{escape(format_ms(v))}</text>'
        for v in ticks[1:]
    )
    for i in range(5):  # time axis: five moments across the range
        at = since + span * i / 4
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        parts.append(
            f'<text class="axis" x="{_pct(x(at) if 0 < i < 4 else i * 25)}" '
            f'y="{_n(height - 5)}" text-anchor="{anchor}">{escape(time_label(at))}</text>'
        )
    parts.append(
        f'<line class="axis-line" x1="0" y1="{_n(baseline)}" x2="100%" y2="{_n(baseline)}"/></svg>'
    )
    return "".join(parts)


def phase_bar(
    phases: Sequence[tuple[str, float | None]],
    total_ms: float | None,
    *,
    width: float = 120,
    height: float = 10,
) -> str:
    """One stacked bar: each phase (key, ms) in turn, to scale against the total.

    Time the phases do not account for (``total`` minus their sum) is drawn as
    ``other`` at the end.
    """
    measured = [(key, ms) for key, ms in phases if ms is not None and ms > 0]
    spent = sum(ms for _, ms in measured)
    total = max(total_ms or 0.0, spent)
    labels = dict(PHASES)
    words = ", ".join(f"{labels.get(key, key)} {format_ms(ms)}" for key, ms in measured)
    if total <= 0:
        return _open("phases empty", width, height, "no phases measured") + "</svg>"
    title = f"total {format_ms(total)}: {words}" if words else f"total {format_ms(total)}"
    parts = [_open("phases", width, height, title)]
    offset = 0.0
    other = total - spent
    for key, ms in [*measured, *([("other", other)] if other > total * 0.005 else [])]:
        x, w = width * offset / total, max(width * ms / total, 0.5)
        parts.append(
            f'<rect class="ph-{escape(key)}" x="{_n(x)}" y="0" width="{_n(w)}" '
            f'height="{_n(height)}"/>'
        )
        offset += ms
    parts.append("</svg>")
    return "".join(parts)


def waterfall_bar(
    start_ms: float,
    length_ms: float,
    total_ms: float,
    *,
    phase: str,
    width: float = 200,
    height: float = 12,
) -> str:
    """One phase of a waterfall: a bar starting at ``start_ms`` of ``total_ms``, to scale."""
    total = max(total_ms, start_ms + length_ms, 1e-9)
    x = width * start_ms / total
    w = max(width * length_ms / total, 1.0)
    title = f"{dict(PHASES).get(phase, phase)}: {format_ms(length_ms)} from {format_ms(start_ms)}"
    return (
        _open("waterfall", width, height, title)
        + f'<rect class="track" x="0" y="0" width="{_n(width)}" height="{_n(height)}"/>'
        + f'<rect class="ph-{escape(phase)}" x="{_n(min(x, width - w))}" y="0" '
        f'width="{_n(w)}" height="{_n(height)}"/></svg>'
    )
