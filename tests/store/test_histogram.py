"""LogHistogram: percentile accuracy, exact merges, encoding and bad input."""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import operator
import random
import struct
from bisect import bisect_right

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onwatch.store.histogram import MAX_TRACKABLE_MS, MIN_TRACKABLE_MS, LogHistogram

PERCENTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999)
GAMMA = (1 + LogHistogram.RELATIVE_ACCURACY) / (1 - LogHistogram.RELATIVE_ACCURACY)

seeds = st.integers(min_value=0, max_value=2**32 - 1)
sizes = st.integers(min_value=1, max_value=3000)
latencies = st.floats(min_value=0.0, max_value=1e12, allow_nan=False)
counts = st.one_of(st.integers(1, 300), st.integers(1, 2**40), st.integers(1, 2**58))


def lower_quantile(ordered: list[float], q: float) -> float:
    return ordered[math.floor(q * (len(ordered) - 1))]


def assert_percentiles_within(values: list[float], tolerance: float) -> None:
    histogram = LogHistogram.from_values(values)
    ordered = sorted(values)
    for q in PERCENTILES:
        exact = lower_quantile(ordered, q)
        estimate = histogram.quantile(q)
        assert estimate is not None
        if exact < MIN_TRACKABLE_MS:
            assert estimate == 0.0
        else:
            assert abs(estimate - exact) <= tolerance * exact, (q, exact, estimate)


@st.composite
def histograms(draw: st.DrawFn) -> LogHistogram:
    histogram = LogHistogram()
    for value, count in draw(st.lists(st.tuples(latencies, counts), max_size=20)):
        histogram.add(value, count)
    return histogram


@given(seed=seeds, n=sizes, mu=st.floats(0.0, 9.0), sigma=st.floats(0.1, 1.5))
def test_it_keeps_every_percentile_within_two_percent_on_lognormal_samples(
    seed: int, n: int, mu: float, sigma: float
) -> None:
    rng = random.Random(seed)
    assert_percentiles_within([rng.lognormvariate(mu, sigma) for _ in range(n)], 0.02)


@given(
    seed=seeds,
    n=sizes,
    fast=st.floats(0.0, 4.0),
    gap=st.floats(3.0, 6.0),
    slow_share=st.floats(0.01, 0.99),
)
def test_it_keeps_every_percentile_within_two_percent_on_bimodal_samples(
    seed: int, n: int, fast: float, gap: float, slow_share: float
) -> None:
    rng = random.Random(seed)
    values = [
        rng.lognormvariate(fast + gap if rng.random() < slow_share else fast, 0.3) for _ in range(n)
    ]
    assert_percentiles_within(values, 0.02)


@given(seed=seeds, n=sizes, scale=st.floats(0.1, 50.0), alpha=st.floats(1.0, 3.0))
def test_it_keeps_every_percentile_within_two_percent_on_heavy_tailed_samples(
    seed: int, n: int, scale: float, alpha: float
) -> None:
    rng = random.Random(seed)
    assert_percentiles_within([scale * rng.paretovariate(alpha) for _ in range(n)], 0.02)


@given(st.lists(latencies, min_size=1, max_size=200))
def test_it_keeps_every_percentile_within_its_relative_accuracy_on_any_sample(
    values: list[float],
) -> None:
    assert_percentiles_within(values, LogHistogram.RELATIVE_ACCURACY * (1 + 1e-9))


def test_it_reports_latencies_below_a_microsecond_as_zero() -> None:
    histogram = LogHistogram.from_values([0.0, MIN_TRACKABLE_MS / 2, 5.0])
    assert histogram.quantile(0.0) == 0.0
    assert histogram.quantile(0.5) == 0.0
    assert histogram.quantile(1.0) == pytest.approx(5.0, rel=0.01)


@given(seed=seeds, n=st.integers(0, 600), cuts=st.lists(st.integers(0, 600), max_size=6))
def test_merging_minute_rollups_gives_exactly_the_hour_built_from_raw_samples(
    seed: int, n: int, cuts: list[int]
) -> None:
    rng = random.Random(seed)
    values = [rng.lognormvariate(5.0, 1.0) for _ in range(n)]
    edges = [0, *sorted(min(cut, n) for cut in cuts), n]
    minutes = [LogHistogram.from_values(values[a:b]) for a, b in itertools.pairwise(edges)]
    rng.shuffle(minutes)
    hour = LogHistogram()
    for minute in minutes:
        hour.merge(minute)
    whole = LogHistogram.from_values(values)
    assert hour == whole
    assert hour.count == n
    assert functools.reduce(operator.add, reversed(minutes), LogHistogram()) == whole
    assert [hour.quantile(q) for q in PERCENTILES] == [whole.quantile(q) for q in PERCENTILES]


def test_adding_two_histograms_leaves_both_untouched() -> None:
    left, right = LogHistogram.from_values([1.0, 2.0]), LogHistogram.from_values([300.0])
    total = left + right
    assert total.count == 3
    assert left == LogHistogram.from_values([1.0, 2.0])
    assert right == LogHistogram.from_values([300.0])


@given(histograms())
def test_it_decodes_exactly_what_it_encoded(histogram: LogHistogram) -> None:
    data = histogram.to_bytes()
    assert data[0] == 1
    decoded = LogHistogram.from_bytes(data)
    assert decoded == histogram
    assert decoded.count == histogram.count


@pytest.mark.parametrize(
    "values",
    [[], [0.0], [42.0], [0.01, 1e9], [float(ms) for ms in range(1, 5000, 7)]],
    ids=["empty", "zero", "one", "sparse", "dense"],
)
def test_it_round_trips_sparse_and_dense_shapes(values: list[float]) -> None:
    histogram = LogHistogram.from_values(values)
    assert LogHistogram.from_bytes(histogram.to_bytes()) == histogram


def test_it_encodes_a_minute_of_traffic_in_a_few_hundred_bytes() -> None:
    rng = random.Random(7)
    assert len(LogHistogram.from_values([120.0]).to_bytes()) <= 10
    busy = LogHistogram.from_values(rng.lognormvariate(5.3, 0.6) for _ in range(6000))
    assert len(busy.to_bytes()) < 500


@given(st.lists(histograms(), max_size=8))
def test_merging_encoded_histograms_equals_merging_them_one_by_one(
    parts: list[LogHistogram],
) -> None:
    merged = LogHistogram.merge_encoded(part.to_bytes() for part in parts)
    assert merged == functools.reduce(operator.add, parts, LogHistogram())
    assert merged.count == sum(part.count for part in parts)


@pytest.mark.parametrize("count", [255, 65535, 2**32 - 1, 2**64 - 1])
def test_merging_more_encoded_histograms_than_fit_one_pass_never_carries(count: int) -> None:
    dense, sparse = LogHistogram(), LogHistogram()
    for value in (10.0, 10.2, 10.4):  # neighbouring buckets: a carry would show
        dense.add(value, count)
    sparse.add(1.0, count)
    sparse.add(1e6, count)
    repeats = 70_000
    merged = LogHistogram.merge_encoded(
        [dense.to_bytes()] * repeats + [sparse.to_bytes()] * repeats
    )
    expected = LogHistogram()
    for value in (10.0, 10.2, 10.4, 1.0, 1e6):
        expected.add(value, count * repeats)
    assert merged == expected


@given(st.lists(latencies, max_size=300), st.lists(latencies, min_size=1, max_size=20))
def test_it_counts_values_under_a_threshold_within_its_documented_bound(
    values: list[float], thresholds: list[float]
) -> None:
    histogram = LogHistogram.from_values(values)
    ordered = sorted(values)

    def exact(threshold: float) -> int:
        return bisect_right(ordered, threshold)

    for threshold in thresholds:
        estimate = histogram.count_at_most(threshold)
        if threshold < MIN_TRACKABLE_MS:
            assert estimate == sum(value < MIN_TRACKABLE_MS for value in values)
            continue
        slack = 1 + 1e-9  # rounding at bucket edges
        assert exact(threshold / GAMMA / slack) <= estimate <= exact(threshold * GAMMA * slack)


@given(st.lists(latencies, max_size=300), st.lists(latencies, min_size=2, max_size=40))
def test_it_never_counts_fewer_values_under_a_higher_threshold(
    values: list[float], thresholds: list[float]
) -> None:
    histogram = LogHistogram.from_values(values)
    estimates = [histogram.count_at_most(threshold) for threshold in sorted(thresholds)]
    assert estimates == sorted(estimates)
    assert histogram.count_at_most(-1.0) == 0.0
    assert histogram.count_at_most(math.inf) == len(values)
    assert histogram.count_at_most(max(values, default=0.0) * GAMMA) == len(values)


def test_it_interpolates_linearly_inside_the_bucket_that_holds_the_threshold() -> None:
    histogram = LogHistogram()
    histogram.add(1000.0, 100)
    representative = histogram.quantile(0.5)
    assert representative is not None
    high = representative * (GAMMA + 1) / 2  # the bucket is (high / GAMMA, high]
    low = high / GAMMA
    assert histogram.count_at_most(low * (1 - 1e-9)) == 0.0
    assert histogram.count_at_most(low + (high - low) / 4) == pytest.approx(25.0)
    assert histogram.count_at_most((low + high) / 2) == pytest.approx(50.0)
    assert histogram.count_at_most(high) == pytest.approx(100.0)


def test_an_empty_histogram_has_no_percentiles_and_counts_nothing() -> None:
    empty = LogHistogram()
    assert empty.count == 0
    assert all(empty.quantile(q) is None for q in (0.0, 0.5, 1.0))
    assert empty.count_at_most(1000.0) == 0.0
    assert empty == LogHistogram.from_values([])
    assert LogHistogram.from_bytes(empty.to_bytes()) == empty
    assert LogHistogram.merge_encoded([]) == empty
    full = LogHistogram.from_values([3.0])
    full.merge(empty)
    assert full == LogHistogram.from_values([3.0])


def test_it_compares_only_to_histograms_and_is_not_hashable() -> None:
    assert LogHistogram() != 0
    assert LogHistogram.from_values([1.0]) != LogHistogram.from_values([2.0])
    with pytest.raises(TypeError):
        hash(LogHistogram())


@pytest.mark.parametrize(
    "value", [-1.0, -1e-9, math.nan, math.inf, -math.inf, MAX_TRACKABLE_MS * 2]
)
def test_it_refuses_latencies_that_cannot_be_real(value: float) -> None:
    with pytest.raises(ValueError, match="latency must be between 0"):
        LogHistogram().add(value)
    with pytest.raises(ValueError, match="latency must be between 0"):
        LogHistogram.from_values([1.0, value])


@pytest.mark.parametrize("count", [0, -3, 1.5])
def test_it_refuses_counts_that_are_not_positive_whole_numbers(count: int) -> None:
    with pytest.raises(ValueError, match="count must be"):
        LogHistogram().add(1.0, count)


@pytest.mark.parametrize("q", [-0.01, 1.01, math.nan])
def test_it_refuses_quantiles_outside_zero_to_one(q: float) -> None:
    with pytest.raises(ValueError, match="quantile must be between 0 and 1"):
        LogHistogram.from_values([1.0]).quantile(q)


def test_it_refuses_a_nan_threshold() -> None:
    with pytest.raises(ValueError, match="NaN"):
        LogHistogram().count_at_most(math.nan)


def _sparse_blob(indices: list[int]) -> bytes:
    header = struct.pack("<BBBHH", 1, 1, 1, len(indices), 0)
    return header + struct.pack(f"<{len(indices)}H", *indices) + bytes([1] * len(indices))


GOOD = LogHistogram.from_values([1.0, 5.0, 9.0]).to_bytes()
CORRUPT: dict[str, tuple[bytes, str]] = {
    "empty": (b"", "too short"),
    "unknown version": (b"\x02" + GOOD[1:], "unknown latency histogram format version 2"),
    "bad width": (GOOD[:2] + b"\x03" + GOOD[3:], "count width 3"),
    "bad layout": (GOOD[:1] + b"\x07" + GOOD[2:], "layout 7"),
    "truncated": (GOOD[:-1], "header says"),
    "padded": (GOOD + b"\x00", "header says"),
    "out of order": (_sparse_blob([400, 300]), "out of order"),
    "out of range": (_sparse_blob([300, 60_000]), "out of order or range"),
}


@pytest.mark.parametrize(("data", "message"), CORRUPT.values(), ids=CORRUPT.keys())
def test_it_refuses_corrupt_or_unknown_encodings_clearly(data: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LogHistogram.from_bytes(data)


@pytest.mark.parametrize(
    "data", [data for data, _ in CORRUPT.values() if data != _sparse_blob([400, 300])]
)
def test_merging_encoded_histograms_refuses_corrupt_ones(data: bytes) -> None:
    with pytest.raises(ValueError, match="latency histogram"):
        LogHistogram.merge_encoded([GOOD, data])


@settings(max_examples=300)
@given(st.binary(max_size=64))
def test_it_decodes_arbitrary_bytes_or_raises_value_error(data: bytes) -> None:
    try:
        decoded = LogHistogram.from_bytes(data)
    except ValueError:
        with contextlib.suppress(ValueError):  # the fast path skips the order check
            LogHistogram.merge_encoded([data])
        return
    assert LogHistogram.merge_encoded([data]) == decoded
    assert LogHistogram.from_bytes(decoded.to_bytes()) == decoded


def test_counts_that_outgrow_four_bytes_stay_exact_when_added_and_merged() -> None:
    edge = 2**32 - 1  # the largest count held in the compact form
    added, merged = LogHistogram(), LogHistogram.from_values([10.0, 10.2] * 3)
    for value in (10.0, 10.2):
        added.add(value, edge)
        added.add(value, 2)  # over the edge in place
    merged.merge(added)  # over the edge by merging
    merged.merge(added)
    expected = LogHistogram()
    for value in (10.0, 10.2):
        expected.add(value, 3 + 2 * (edge + 2))
    assert added.count == 2 * (edge + 2)
    assert merged == expected
    assert merged.count == 2 * (3 + 2 * (edge + 2))
    assert LogHistogram.from_bytes(merged.to_bytes()) == merged
