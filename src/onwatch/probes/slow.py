"""Judging "too slow": compare a check's phase timings with the agreed thresholds.

Shared by every probe kind (http, tcp, dns, tls). A phase over its threshold
makes the check a failure of class ``slow``, because the user waited longer
than the team promised. The detail names every phase that was over, by how
much, in the order a request lives through them::

    slow: first byte took 1.42 s, over the 1 s agreed (+0.42 s)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from onwatch.policy.monitors import SlowThresholds

# Phase key → how people say it; also the order of the detail (total last).
PHASE_LABELS: dict[str, str] = {
    "dns": "DNS",
    "connect": "connect",
    "tls": "TLS handshake",
    "first_byte": "first byte",
    "transfer": "transfer",
    "total": "total",
}


def format_ms(ms: float, *, seconds: bool | None = None) -> str:
    """A duration for people: ``0.4 ms``, ``250 ms``, ``1 s``, ``1.42 s``.

    ``seconds`` forces the unit, so one sentence speaks one unit (``+0.42 s``
    next to ``1.42 s``); by default a second or more is told in seconds.
    """
    if seconds is None:
        seconds = ms >= 1000
    if seconds:
        text = f"{ms / 1000:.3f}".rstrip("0").rstrip(".")
        if text != "0" or ms == 0:
            return f"{text} s"
    if ms < 10:
        return f"{ms:.1f}".rstrip("0").rstrip(".") + " ms"
    return f"{ms:.0f} ms"


def judge_slow(phases: Mapping[str, float | None], thresholds: SlowThresholds) -> str | None:
    """The ``slow: ...`` detail when any phase exceeded its threshold, else ``None``.

    ``phases`` maps phase keys (``dns``, ``connect``, ``tls``, ``first_byte``,
    ``transfer``, ``total``) to milliseconds; a missing or ``None`` phase did not
    happen and is not judged. A phase equal to its threshold is within it.
    """
    overs: list[str] = []
    for key, label in PHASE_LABELS.items():
        took = phases.get(key)
        limit = getattr(thresholds, key)
        if took is None or limit is None:
            continue
        limit_ms = limit / timedelta(milliseconds=1)  # exact: timedeltas count microseconds
        if took > limit_ms:
            unit = took >= 1000  # the unit of what was measured, for the whole sentence
            overs.append(
                f"{label} took {format_ms(took, seconds=unit)},"
                f" over the {format_ms(limit_ms, seconds=unit)} agreed"
                f" (+{format_ms(took - limit_ms, seconds=unit)})"
            )
    return "slow: " + "; ".join(overs) if overs else None
