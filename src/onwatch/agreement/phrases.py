"""Objectives as the sentences people agree to ("checkout loads in under 3 s for 99 of 100 visits").

Every function here is pure: an :class:`~onwatch.slo.model.ObjectiveSpec` (or a
duration) in, plain English out. Amounts are spoken in words ("43 minutes",
"1 hour 30 minutes"), never in policy spelling, because the readers are the
whole company, not the people who write the policy.
"""

from __future__ import annotations

from fractions import Fraction

from onwatch.slo.model import LenientRange, ObjectiveSpec, WindowSpec

_MONTH_SECONDS = 30 * 86400  # "per month" promises are spoken for a 30-day month
_QUARTER_SECONDS = 91 * 86400


def spoken_duration(seconds: float) -> str:
    """``2592`` → ``43 minutes``; ``5400`` → ``1 hour 30 minutes``; ``26`` → ``26 seconds``.

    Under a minute in seconds, under an hour in whole minutes, beyond that in
    two units (days and hours, hours and minutes): a promise reads better as
    "43 minutes" than as "43 minutes 12 seconds".
    """
    if seconds <= 0:
        return "no time"
    if seconds < 1:
        return f"{seconds * 1000:.0f} milliseconds"
    if seconds < 59.5:
        shown = f"{round(seconds, 1) if seconds < 10 else round(seconds):g}"
        return f"{shown} second{'' if shown == '1' else 's'}"
    if seconds < 3570:
        return _plural(round(seconds / 60), "minute")
    big, small = (
        (("day", 86400), ("hour", 3600)) if seconds >= 86400 else (("hour", 3600), ("minute", 60))
    )
    count, rest = divmod(round(seconds / small[1]) * small[1], big[1])
    words = [_plural(int(count), big[0])]
    if rest:
        words.append(_plural(int(rest // small[1]), small[0]))
    return " ".join(words)


def _plural(count: int, unit: str) -> str:
    return f"{count} {unit}{'' if count == 1 else 's'}"


def spoken_percent(fraction: float) -> str:
    """``0.999`` → ``99.9%`` (never rounded up to 100%)."""
    return f"{fraction * 100:.10g}%"


def out_of(fraction: float) -> str:
    """``0.99`` → ``99 of 100``; ``0.999`` → ``999 of 1,000``; ``0.95`` → ``95 of 100``."""
    ratio = Fraction(fraction).limit_denominator(100_000)
    total = 100
    while total < 100_000 and (ratio * total).denominator != 1:
        total *= 10
    return f"{int(ratio * total):,} of {total:,}"


def window_words(window: WindowSpec) -> str:
    """``per 30 days``, ``per calendar month``, ``per calendar quarter``."""
    if window.kind == "month":
        return "per calendar month"
    if window.kind == "quarter":
        return "per calendar quarter"
    return f"per {spoken_duration(window.seconds)}"


def nominal_seconds(window: WindowSpec) -> int:
    """A window's length for promises: rolling as written, a month as 30 days, a quarter 91."""
    if window.kind == "month":
        return _MONTH_SECONDS
    if window.kind == "quarter":
        return _QUARTER_SECONDS
    return window.seconds


def zone_words(zone: str) -> str:
    """``Europe/Brussels`` → ``Brussels time``; ``UTC`` stays ``UTC``."""
    if "/" not in zone:
        return zone
    return f"{zone.rsplit('/', 1)[1].replace('_', ' ')} time"


def lenient_sentence(spec: ObjectiveSpec, lenient: LenientRange) -> str:
    """``00:00 to 02:00 Brussels time is lenient: up to 10 minutes a night do not count``."""
    span = f"{lenient.start:%H:%M} to {lenient.end:%H:%M} {zone_words(spec.timezone)}"
    if lenient.allowance_seconds is not None:
        amount = spoken_duration(lenient.allowance_seconds)
        return f"{span} is lenient: up to {amount} a night do not count"
    assert lenient.target is not None  # the policy guarantees one of the two
    return f"{span} is lenient: {spoken_percent(lenient.target)} is enough there"


def promise(spec: ObjectiveSpec) -> str:
    """The objective as one sentence, lenient ranges included."""
    who = spec.title or spec.service
    if spec.kind == "availability":
        allowed = (1 - spec.target) * nominal_seconds(spec.window)
        text = (
            f"{who} is available {spoken_percent(spec.target)} of the time: "
            f"at most {spoken_duration(allowed)} of downtime {window_words(spec.window)}"
        )
    else:
        threshold = spoken_duration((spec.threshold_ms or 0) / 1000)
        verb = "starts answering" if spec.phase == "first_byte" else "loads"
        noun = "checks" if spec.phase == "first_byte" else "visits"
        text = (
            f"{who} {verb} in under {threshold} for {out_of(spec.target)} {noun} "
            f"({window_words(spec.window)})"
        )
    lenient = "; ".join(lenient_sentence(spec, item) for item in spec.lenient)
    return f"{text}; {lenient}." if lenient else f"{text}."


def recovery_promise(title: str, data_loss: float | None, restore_time: float | None) -> str | None:
    """``We accept losing at most 15 minutes of Checkout data and can restore within 1 hour.``"""
    if data_loss is None and restore_time is None:
        return None
    parts = []
    if data_loss is not None:
        parts.append(f"we accept losing at most {spoken_duration(data_loss)} of {title} data")
    if restore_time is not None:
        parts.append(f"can restore {title} within {spoken_duration(restore_time)}")
    sentence = " and ".join(parts) if len(parts) == 2 else parts[0]
    if data_loss is None:
        sentence = f"we {sentence}"
    return sentence[0].upper() + sentence[1:] + "."
