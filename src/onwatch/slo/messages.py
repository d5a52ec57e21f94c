"""Alert texts that name the page and the numbers, never "SLO burn rate high".

A latency alert says which page took how long and where the time went, what
was agreed and how much budget is left::

    Checkout (https://shop.example/checkout) took 80.2 s to load (DNS 0.01 s,
    connect 0.02 s, TLS 0.05 s, first byte 80.0 s). Agreed: 99% of loads under
    3 s. 41% of this month's budget left.

An availability alert says how many recent checks failed and why, what was
agreed, how fast the budget burns and what is left of it::

    Checkout is failing: 12 of the last 60 checks failed (connection refused
    ×12). Agreed: 99.9% available over 30 days. Burning budget 14.4× too fast:
    31 minutes of downtime left this month.

Everything here is pure: the evaluation, the objective's latest results and
the monitors' URLs in, one paragraph out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from onwatch.agreement.phrases import spoken_duration, spoken_percent
from onwatch.probes.base import CheckResult, FailureClass
from onwatch.slo.budget import budget_words, format_span
from onwatch.slo.model import Evaluation, ObjectiveSpec, WindowSpec
from onwatch.slo.sources import is_good

__all__ = ["alert_message", "failure_words", "seconds_words"]

_FAILURES = {
    FailureClass.DNS: "DNS lookup failed",
    FailureClass.REFUSED: "connection refused",
    FailureClass.CONNECT_TIMEOUT: "connect timed out",
    FailureClass.TLS: "TLS handshake failed",
    FailureClass.TIMEOUT: "timed out",
    FailureClass.ASSERTION: "wrong content",
    FailureClass.SLOW: "too slow",
    FailureClass.PROTOCOL: "broken answer",
    FailureClass.ERROR: "check error",
}
_PHASES = (("dns_ms", "DNS"), ("connect_ms", "connect"), ("tls_ms", "TLS"))


def seconds_words(milliseconds: float) -> str:
    """``80200`` → ``80.2 s``; ``10`` → ``0.01 s``: two decimals under a tenth of a second."""
    seconds = milliseconds / 1000
    return f"{seconds:.2f} s" if seconds < 0.1 else f"{seconds:.1f} s"


def failure_words(result: CheckResult) -> str:
    """Why one check failed, for people: ``connection refused``, ``HTTP 503``."""
    if result.failure == FailureClass.STATUS:
        return f"HTTP {result.status_code}" if result.status_code else "wrong HTTP status"
    return _FAILURES.get(result.failure, "failed") if result.failure else "passed"


def _where(spec: ObjectiveSpec, result: CheckResult, urls: Mapping[str, str | None]) -> str:
    title = spec.title or spec.service
    url = urls.get(result.monitor)
    return f"{title} ({url})" if url else f"{title} ({result.monitor})"


def agreed_sentence(spec: ObjectiveSpec) -> str:
    """``Agreed: 99% of loads under 3 s.``: the objective as alert messages quote it."""
    if spec.kind == "availability":
        return f"Agreed: {spoken_percent(spec.target)} available {_over(spec.window)}."
    threshold = spec.threshold_ms or 0.0
    limit = f"{threshold:g} ms" if threshold < 1000 else format_span(threshold / 1000)
    what = "responses starting" if spec.phase == "first_byte" else "loads"
    return f"Agreed: {spoken_percent(spec.target)} of {what} under {limit}."


def _over(window: WindowSpec) -> str:
    if window.kind == "rolling":
        return f"over {spoken_duration(window.seconds)}"
    return f"each calendar {window.kind}"


def _budget_share(evaluation: Evaluation) -> str:
    standing = evaluation.standing
    window = standing.window
    whose = (
        f"this {window.kind}'s"
        if window.kind != "rolling"
        else f"the {spoken_duration(window.seconds)}"
    )
    if standing.budget_remaining is None:
        return "No checks counted yet."
    if standing.budget_remaining < 0:
        return f"{budget_words(evaluation, evaluation.spec).capitalize()}."
    return f"{standing.budget_remaining * 100:.0f}% of {whose} budget left."


def _latency_text(
    spec: ObjectiveSpec, evaluation: Evaluation, latest: CheckResult, urls: Mapping[str, str | None]
) -> str:
    took = latest.first_byte_ms if spec.phase == "first_byte" else latest.total_ms
    where = _where(spec, latest, urls)
    if took is None or not (latest.ok or latest.failure == FailureClass.SLOW):
        what = f"{where} failed: {failure_words(latest)}."
    else:
        phases = [
            f"{label} {seconds_words(value)}"
            for name, label in _PHASES
            if (value := getattr(latest, name)) is not None
        ]
        if latest.first_byte_ms is not None:
            phases.append(f"first byte {seconds_words(latest.first_byte_ms)}")
        verb = "to send its first byte" if spec.phase == "first_byte" else "to load"
        detail = f" ({', '.join(phases)})" if phases else ""
        what = f"{where} took {seconds_words(took)} {verb}{detail}."
    return f"{what} {agreed_sentence(spec)} {_budget_share(evaluation)}"


def _availability_text(
    spec: ObjectiveSpec, evaluation: Evaluation, recent: Sequence[CheckResult]
) -> str:
    title = spec.title or spec.service
    failed = [result for result in recent if not is_good(spec, result)]
    causes = Counter(failure_words(result) for result in failed)
    listed = ", ".join(f"{cause} ×{count}" for cause, count in causes.most_common())
    state = (
        f"{title} is failing: {len(failed)} of the last {len(recent)} checks failed ({listed})."
        if failed
        else f"{title} is burning its budget."
    )
    left = budget_words(evaluation, spec)
    firing = evaluation.firing
    burn = firing[0].long_burn if firing else None
    if burn is not None:
        budget = f"Burning budget {burn:.1f}× too fast: {left}."
    else:
        budget = f"{left[0].upper()}{left[1:]}."
    return f"{state} {agreed_sentence(spec)} {budget}"


def alert_message(
    evaluation: Evaluation, recent: Sequence[CheckResult], urls: Mapping[str, str | None]
) -> str:
    """The alert text of ``evaluation``'s objective.

    ``recent`` are its latest results outside maintenance, oldest first (the
    newest bad one is described for latency); ``urls`` maps monitor names to
    the page they load.
    """
    spec = evaluation.spec
    if spec.kind == "latency":
        bad = [result for result in recent if not is_good(spec, result)]
        if bad:
            return _latency_text(spec, evaluation, bad[-1], urls)
        title = spec.title or spec.service
        return f"{title} is loading slowly. {agreed_sentence(spec)} {_budget_share(evaluation)}"
    return _availability_text(spec, evaluation, recent)
