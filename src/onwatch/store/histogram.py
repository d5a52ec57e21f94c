"""Sparse log-bucketed latency histograms for the minute and hour rollups.

Rollups keep one histogram of total latency and one of first-byte latency per
check and period, stored as a LargeBinary column. Buckets follow the DDSketch
mapping: a value ``x`` (milliseconds) goes to key ``ceil(log(x) / log(gamma))``
with ``gamma = (1 + a) / (1 - a)``, and every bucket is reported as
``2 * gamma**key / (gamma + 1)``, which is within a relative error ``a`` of every
value it holds. With ``a = 1%`` any quantile is within 1% of the exact one,
leaving margin on the 2% the policy promises.

Histograms only ever add bucket counts, so merging minutes into an hour gives
exactly the histogram built from the hour's raw samples, in any order.
"""

from __future__ import annotations

import math
import struct
import sys
from array import array
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from itertools import accumulate, compress, islice, repeat
from itertools import count as numbers
from operator import add, lt
from typing import ClassVar

__all__ = ["MAX_TRACKABLE_MS", "MIN_TRACKABLE_MS", "LogHistogram"]

MIN_TRACKABLE_MS = 0.001  # 1 µs: anything faster is reported as 0 ms
MAX_TRACKABLE_MS = 1e15  # ~31,700 years: larger latencies are corrupt input

_A = 0.01
_GAMMA = (1 + _A) / (1 - _A)
_INV_LOG_GAMMA = 1 / math.log(_GAMMA)
_MID = 2 / (_GAMMA + 1)
# Bucket index 0 is the zero bucket; index i >= 1 holds key i - _OFFSET. Indices
# are small non-negative ints, so they double as list positions when merging.
_OFFSET = 1 - math.ceil(math.log(MIN_TRACKABLE_MS) * _INV_LOG_GAMMA)
_MAX_INDEX = math.ceil(math.log(MAX_TRACKABLE_MS) * _INV_LOG_GAMMA) + _OFFSET

# Encoding, little-endian: header (version, layout, count width in bytes, slot
# count, first index), then either DENSE counts for indices first, first+1, ...
# or SPARSE uint16 indices followed by their counts. to_bytes picks the smaller.
_VERSION = 1
_DENSE, _SPARSE = 0, 1
_HEADER = struct.Struct("<BBBHH")
_TYPECODES = {array(code).itemsize: code for code in "QLIHB"}  # width -> typecode
_SWAP = sys.byteorder == "big"


def _index(value: float) -> int:
    if not 0.0 <= value <= MAX_TRACKABLE_MS:  # also rejects NaN
        raise ValueError(f"latency must be between 0 and {MAX_TRACKABLE_MS:g} ms, got {value!r}")
    if value < MIN_TRACKABLE_MS:
        return 0
    return math.ceil(math.log(value) * _INV_LOG_GAMMA) + _OFFSET


def _value(index: int) -> float:
    return 0.0 if index == 0 else _GAMMA ** (index - _OFFSET) * _MID


def _width(top: int) -> int:
    """Bytes per count in an encoding whose largest count is ``top``."""
    for width in (1, 2, 4, 8):
        if top >> (8 * width) == 0:
            return width
    raise ValueError(f"bucket count {top} does not fit the encoding")


def _pack(typecode: str, values: Iterable[int]) -> bytes:
    packed = array(typecode, values)
    if _SWAP:
        packed.byteswap()
    return packed.tobytes()


def _unpack(typecode: str, data: bytes) -> array[int]:
    unpacked = array(typecode)
    unpacked.frombytes(data)  # unlike array(typecode, data), right for memoryviews too
    if _SWAP:
        unpacked.byteswap()
    return unpacked


def _frame(data: bytes) -> tuple[int, int, int, int]:
    """Check the header and length of an encoded histogram; (layout, slots, first, width)."""
    if len(data) < _HEADER.size:
        raise ValueError(f"latency histogram too short: {len(data)} bytes")
    version, layout, width, slots, first = _HEADER.unpack_from(data)
    if version != _VERSION:
        raise ValueError(f"unknown latency histogram format version {version}")
    if width not in (1, 2, 4, 8):
        raise ValueError(f"corrupt latency histogram: count width {width}")
    if layout == _DENSE and first + slots <= _MAX_INDEX + 1:
        size = _HEADER.size + slots * width
    elif layout == _SPARSE and first == 0:
        size = _HEADER.size + slots * (2 + width)
    else:
        raise ValueError(f"corrupt latency histogram: layout {layout}, first index {first}")
    if len(data) != size:
        raise ValueError(f"corrupt latency histogram: {len(data)} bytes, header says {size}")
    return layout, slots, first, width


class LogHistogram:
    """Counts of latencies (ms) in log buckets of relative width ``RELATIVE_ACCURACY``.

    Held as one list of counts for the consecutive bucket indices from the lowest
    to the highest one in use (both ends non-zero): a latency histogram covers a
    narrow band of buckets, so this takes a fraction of the memory of a dict, and
    encoding, decoding and merging run mostly in C.
    """

    RELATIVE_ACCURACY: ClassVar[float] = _A  # fixed: part of encoding version 1
    __hash__ = None  # type: ignore[assignment]  # mutable
    __slots__ = ("_count", "_counts", "_first")

    def __init__(self) -> None:
        self._first = 0  # the bucket index of _counts[0] (0 when empty)
        self._counts: list[int] = []
        self._count = 0

    @classmethod
    def _of(cls, buckets: dict[int, int]) -> LogHistogram:
        histogram = cls()
        if buckets:
            first = min(buckets)
            span = range(first, max(buckets) + 1)
            histogram._first = first
            histogram._counts = list(map(buckets.get, span, repeat(0)))
            histogram._count = sum(histogram._counts)
        return histogram

    @classmethod
    def _of_span(cls, first: int, counts: list[int]) -> LogHistogram:
        """The histogram whose bucket ``first + i`` holds ``counts[i]`` (zeros at the ends trimmed)."""
        histogram = cls()
        low = next(compress(numbers(), counts), None)
        if low is not None:
            high = len(counts) - next(compress(numbers(), reversed(counts)))
            histogram._first = first + low
            histogram._counts = counts[low:high] if low or high < len(counts) else counts
            histogram._count = sum(histogram._counts)
        return histogram

    @classmethod
    def from_values(cls, values: Iterable[float]) -> LogHistogram:
        """Histogram of ``values`` (ms); ValueError on negative, NaN or inf."""
        return cls._of(Counter(map(_index, values)))

    def add(self, value_ms: float, count: int = 1) -> None:
        """Record ``count`` latencies of ``value_ms``; ValueError on negative, NaN or inf."""
        if not isinstance(count, int) or count < 1:
            raise ValueError(f"count must be a whole number of at least 1, got {count!r}")
        index = _index(value_ms)
        counts = self._counts
        offset = index - self._first
        if 0 <= offset < len(counts):
            counts[offset] += count
        elif not counts:
            self._first, self._counts = index, [count]
        elif offset < 0:
            self._first, self._counts = index, [count, *repeat(0, -offset - 1), *counts]
        else:
            counts.extend(repeat(0, offset - len(counts)))
            counts.append(count)
        self._count += count

    def merge(self, other: LogHistogram) -> None:
        """Add ``other``'s counts to this histogram (exact)."""
        theirs = other._counts
        if not theirs:
            return
        if not self._counts:
            self._first, self._counts, self._count = other._first, theirs.copy(), other._count
            return
        if other._first < self._first:
            self._counts[:0] = repeat(0, self._first - other._first)
            self._first = other._first
        counts = self._counts
        low = other._first - self._first
        high = low + len(theirs)
        if high > len(counts):
            counts.extend(repeat(0, high - len(counts)))
        counts[low:high] = map(add, counts[low:high], theirs)
        self._count += other._count

    def __add__(self, other: LogHistogram) -> LogHistogram:
        if not isinstance(other, LogHistogram):
            return NotImplemented
        result = LogHistogram()
        result.merge(self)
        result.merge(other)
        return result

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LogHistogram):
            return NotImplemented
        return self._first == other._first and self._counts == other._counts

    def __repr__(self) -> str:
        return f"LogHistogram(count={self._count}, median={self.quantile(0.5)})"

    @property
    def count(self) -> int:
        return self._count

    def quantile(self, q: float) -> float | None:
        """The lower ``q``-quantile: the element of 0-based rank ``floor(q * (n - 1))``.

        Within ``RELATIVE_ACCURACY`` of that element of the sorted raw sample (values
        below ``MIN_TRACKABLE_MS`` come back as 0.0). None when the histogram is empty.
        """
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantile must be between 0 and 1, got {q!r}")
        if not self._count:
            return None
        rank = math.floor(q * (self._count - 1))
        # The first bucket whose running total passes the rank holds that element.
        return _value(self._first + bisect_right(list(accumulate(self._counts)), rank))

    def count_at_most(self, threshold_ms: float) -> float:
        """Estimated number of values <= ``threshold_ms``.

        Buckets below the threshold's bucket count in full; that bucket, spanning
        ``(gamma**(k-1), gamma**k]``, counts in proportion to where the threshold lies
        in it. So the estimate is off by less than the count of that single bucket,
        and lies between the exact counts at ``threshold / gamma`` and
        ``threshold * gamma`` (``gamma = (1+a)/(1-a)``, about 1.0202): the objective
        is judged as if its threshold moved by at most about 2%. Thresholds below
        ``MIN_TRACKABLE_MS`` count the whole zero bucket. Monotone in the threshold.
        """
        if math.isnan(threshold_ms):
            raise ValueError("threshold must be a number, got NaN")
        if threshold_ms < 0:
            return 0.0
        if threshold_ms > MAX_TRACKABLE_MS:
            return float(self._count)
        target = _index(threshold_ms)
        offset = target - self._first
        below = sum(self._counts[: max(0, offset)])
        inside = self._counts[offset] if 0 <= offset < len(self._counts) else 0
        if target == 0 or not inside:
            return float(below + inside)
        low, high = _GAMMA ** (target - 1 - _OFFSET), _GAMMA ** (target - _OFFSET)
        # Clamp: rounding in log() can put a threshold at an edge one bucket over.
        share = min(1.0, max(0.0, (threshold_ms - low) / (high - low)))
        return below + inside * share

    def to_bytes(self) -> bytes:
        """Compact encoding; the first byte is the format version."""
        counts = self._counts
        try:
            packed: bytes | None = bytes(counts)  # one byte a count: the usual case, and fast
            width = 1
        except ValueError:  # a count over 255
            packed, width = None, _width(max(counts))
        span = len(counts)
        used = span - counts.count(0)
        if span * width <= used * (2 + width):
            if packed is None:
                packed = _pack(_TYPECODES[width], counts)
            return _HEADER.pack(_VERSION, _DENSE, width, span, self._first) + packed
        header = _HEADER.pack(_VERSION, _SPARSE, width, used, 0)
        indices = _pack("H", compress(numbers(self._first), counts))
        return header + indices + _pack(_TYPECODES[width], filter(None, counts))

    @classmethod
    def from_bytes(cls, data: bytes) -> LogHistogram:
        """Decode ``to_bytes`` output; ValueError on corrupt or unknown-version data."""
        layout, slots, first, width = _frame(data)
        start = _HEADER.size
        if layout == _DENSE:
            return cls._of_span(first, _unpack(_TYPECODES[width], data[start:]).tolist())
        indices = _unpack("H", data[start : start + 2 * slots])
        start += 2 * slots
        ordered = all(map(lt, indices, indices[1:]))
        if not ordered or (slots and indices[-1] > _MAX_INDEX):
            raise ValueError("corrupt latency histogram: bucket indices out of order or range")
        counts = _unpack(_TYPECODES[width], data[start:])
        return cls._of(dict(compress(zip(indices, counts, strict=True), counts)))

    @staticmethod
    def merge_encoded(blobs: Iterable[bytes]) -> LogHistogram:
        """Merge many encoded histograms without building each one (30-day queries).

        Checks each blob's header and length like ``from_bytes``, but not the order of
        sparse bucket indices: that costs as much as the merge itself.
        """
        totals = [0] * (_MAX_INDEX + 1)  # one slot per bucket index
        pending = iter(blobs)
        while chunk := list(islice(pending, _CHUNK)):
            _add_chunk(chunk, totals)
        return LogHistogram._of_span(0, totals)


_CHUNK = 1 << 16  # lanes have 2 spare bytes, so 2**16 counts summed in one never carry


def _add_chunk(blobs: list[bytes], totals: list[int]) -> None:
    """Add up to ``_CHUNK`` encoded histograms to ``totals``.

    Dense counts are spread into little-endian lanes 2 bytes wider than the counts
    and read as one big int, so a blob costs a few C-level calls rather than a
    Python-level addition per bucket; blobs starting at the same index share a sum.
    """
    packed: dict[tuple[int, int], int] = {}  # (first index, lane bytes) -> lane sums
    start = _HEADER.size
    for blob in blobs:
        layout, slots, first, width = _frame(blob)
        if layout == _DENSE:
            lane = width + 2
            spread = bytearray(lane * slots)
            for byte in range(width):
                spread[byte::lane] = blob[start + byte :: width]
            key = (first, lane)
            packed[key] = packed.get(key, 0) + int.from_bytes(spread, "little")
            continue
        middle = start + 2 * slots
        indices = _unpack("H", blob[start:middle])
        counts = _unpack(_TYPECODES[width], blob[middle:])
        try:
            for index, count in zip(indices, counts, strict=True):
                totals[index] += count
        except IndexError:
            raise ValueError("corrupt latency histogram: bucket index out of range") from None
    for (first, lane), sums in packed.items():
        used = -(-sums.bit_length() // (8 * lane))  # lanes up to the highest non-zero one
        raw = sums.to_bytes(used * lane, "little")
        lanes = [int.from_bytes(raw[i : i + lane], "little") for i in range(0, len(raw), lane)]
        totals[first : first + len(lanes)] = map(add, totals[first : first + len(lanes)], lanes)
