"""A process that writes check results through the store's Writer until it is killed.

Used by ``test_durability.py``, which starts it as a real subprocess and kills it
with SIGKILL at a random moment::

    python tests/store/writer_child.py DB_URL START_SEQ

It opens the database, starts a :class:`~onwatch.store.writer.Writer` with small,
frequent batches, and submits results forever, numbered from ``START_SEQ``. Every
result is identified by its sequence number (see :func:`identity`), and for each
committed batch it prints one flushed line to stdout::

    committed <first seq> <last seq> <count>

The writer takes results from a FIFO queue, so a batch is always a contiguous run
of sequence numbers. A line is printed only after the batch's transaction has
committed, so everything the parent reads must be in the database afterwards.
"""

from __future__ import annotations

import asyncio
import sys

from onwatch.probes.base import CheckResult, FailureClass
from onwatch.store.database import open_database
from onwatch.store.writer import CommittedBatch, Writer

MONITORS = ("alpha", "bravo", "charlie", "delta", "echo")
BASE_MS = 1_790_000_000_000  # an hour boundary in 2026 (Unix ms)
RUN_STRIDE = 1_000_000  # START_SEQ is a multiple of this: one block of numbers per run
SPACING_MS = 40  # results of one run are this far apart; runs interleave inside the gap
MAX_RUNS = SPACING_MS  # run r writes at offset r ms, so (monitor, time) stays unique

SUBMIT_CHUNK = 100  # results submitted per tick
SUBMIT_PAUSE = 0.01  # seconds between ticks: about 10,000 results/s at most
MAX_QUEUED = 2_000  # stop submitting while the writer is this far behind


def identity(seq: int) -> tuple[str, int]:
    """The monitor and ``started_at`` (Unix ms) of result number ``seq``.

    Every run covers the same minutes, so later runs merge into rollup rows that
    earlier, killed runs left behind; the run number (``seq // RUN_STRIDE``) is
    added in milliseconds, which keeps every (monitor, time) pair distinct.
    """
    run, index = divmod(seq, RUN_STRIDE)
    if not 0 <= run < MAX_RUNS:
        raise ValueError(f"sequence {seq} is outside the {MAX_RUNS} runs this encoding allows")
    return MONITORS[index % len(MONITORS)], BASE_MS + index * SPACING_MS + run


def make_result(seq: int) -> CheckResult:
    """Result number ``seq``: mostly good, every 13th a timeout, latencies varied."""
    monitor, started_ms = identity(seq)
    latency = 20.0 + (seq * 7919 % 997) / 3.0
    if seq % 13 == 0:
        return CheckResult(
            monitor=monitor,
            started_at=started_ms / 1000,
            ok=False,
            failure=FailureClass.TIMEOUT,
            total_ms=latency * 10,
        )
    return CheckResult(
        monitor=monitor,
        started_at=started_ms / 1000,
        ok=True,
        total_ms=latency,
        first_byte_ms=latency * 0.6,
    )


def report(batch: CommittedBatch) -> None:
    """Print the committed batch's sequence numbers, flushed at once."""
    first, last = (
        sequence_of(round(r.started_at * 1000)) for r in (batch.results[0], batch.results[-1])
    )
    print(f"committed {first} {last} {len(batch.results)}", flush=True)


def sequence_of(started_ms: int) -> int:
    """Invert :func:`identity`: the sequence number of the result started at ``started_ms``."""
    run, index = (started_ms - BASE_MS) % SPACING_MS, (started_ms - BASE_MS) // SPACING_MS
    return run * RUN_STRIDE + index


async def write_forever(url: str, start_seq: int) -> None:
    """Submit numbered results to a Writer until the process is killed."""
    database = open_database(url)
    writer = Writer(database, max_batch=400, max_delay=0.01, on_commit=report)
    writer.start()
    seq = start_seq
    while True:
        if writer.queue_depth < MAX_QUEUED:
            for _ in range(SUBMIT_CHUNK):
                writer.submit(make_result(seq))
                seq += 1
        await asyncio.sleep(SUBMIT_PAUSE)


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(f"usage: {argv[0]} DB_URL START_SEQ", file=sys.stderr)
        return 2
    asyncio.run(write_forever(argv[1], int(argv[2])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
