"""Store benchmark: results written per second, and 30-day percentile queries.

Run it with ``.venv/bin/python bench/store.py`` (2–3 minutes) or ``--quick``
(under a minute, smaller sizes). It prints the figures recorded in BENCHMARKS.md:

(a) Write throughput. Pre-built check results for many monitors are submitted to
    the real :class:`~onwatch.store.writer.Writer`, which batches them into the
    database; the clock runs from the first submit until ``flush()`` returns, i.e.
    until every result and its minute and hour rollups are committed. Once into a
    SQLite file in a temporary directory, once into PostgreSQL (a throwaway server
    started from the machine's binaries with ``tests/pgserver.py``, run with
    fsync, synchronous_commit and full_page_writes *on*: durable, unlike the test
    suite's server). Without PostgreSQL binaries that half is skipped with a note.

(b) Percentile queries over 30 days of rollups. Rollup rows are generated and
    bulk-inserted directly (pushing 43 million raw results through the writer
    would take hours): minute rollups come from a pool of histograms of synthetic
    log-normal latencies, and every stored hour row is exactly the merge of the
    sixty minute rollups it covers. The range does not start on an hour, so the
    query reads hour rows for the whole hours and minute rows for both edge hours,
    as :func:`~onwatch.store.queries.summarize` does for any real range. What is
    stored is printed: one monitor has every minute of the 30 days; the others
    have the rows such a query reads. Times are medians of several repetitions.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable
from sqlalchemy import Table, func, insert, select, text

from onwatch.probes.base import CheckResult, FailureClass
from onwatch.store.database import Database, open_database
from onwatch.store.queries import latency_percentiles, monitor_ids, summarize
from onwatch.store.rollups import HOUR, MINUTE, Rollup
from onwatch.store.tables import check_results, monitors, rollups_hour, rollups_minute
from onwatch.store.writer import CommittedBatch, Writer

REPO = Path(__file__).resolve().parents[1]
QUANTILES = (0.5, 0.95, 0.99)
DAYS = 30
CHECK_INTERVAL = 30.0  # seconds between two checks of one monitor in the write benchmark
# The queried range ends at 10:17 on a day in 2026 and starts 30 days earlier, also at
# xx:17, so it covers 719 whole hours plus 43 + 17 minutes in two partial edge hours.
UNTIL = 1_790_000_000 // HOUR * HOUR + 17 * MINUTE
SINCE = UNTIL - DAYS * 86_400
DURABLE_POSTGRES = {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
INSERT_CHUNK = 5_000
BACKENDS = ("SQLite", "PostgreSQL")

T = TypeVar("T")
console = Console(highlight=False, soft_wrap=True)


@dataclass(frozen=True)
class Sizes:
    """How much work one run does."""

    results: int  # written through the Writer, per backend
    write_monitors: int
    write_reps: int  # each into a fresh database; the median run is reported
    query_monitors: int
    samples_per_minute: int
    reps_one: int
    reps_many: int


FULL = Sizes(200_000, 1_000, 3, 1_000, 60, 9, 5)
QUICK = Sizes(40_000, 1_000, 1, 200, 20, 5, 3)


# --- machine ----------------------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024**2:.0f} GiB"
    except OSError:
        pass
    return "?"


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews the figures."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "?"


def filesystem_of(path: Path) -> str:
    """The type of the filesystem holding ``path`` (from /proc/mounts), or ``?``."""
    best, kind = "", "?"
    try:
        for line in Path("/proc/mounts").read_text().splitlines():
            _device, mount, fstype, *_ = line.split()
            inside = str(path).startswith(mount.rstrip("/") + "/") or str(path) == mount
            if inside and len(mount) >= len(best):
                best, kind = mount, fstype
    except OSError:
        pass
    return kind


# --- helpers ----------------------------------------------------------------------------


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def median_seconds(action: Callable[[], object], repetitions: int) -> tuple[float, float, float]:
    """Median, fastest and slowest wall time of ``repetitions`` calls, after one warm-up."""
    action()
    times = []
    for _ in range(repetitions):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times), max(times)


@contextlib.contextmanager
def postgres_server() -> Iterator[tuple[Any, str]]:
    """A throwaway durable PostgreSQL server and a description of it.

    The server is None, with the reason as description, when there are no binaries.
    """
    sys.path.insert(0, str(REPO / "tests"))
    from pgserver import PostgresError, ThrowawayPostgres, find_postgres_bindir

    try:
        bindir = find_postgres_bindir()
    except PostgresError as exc:
        yield None, f"skipped: {exc}"
        return
    if bindir is None:
        yield None, "skipped: PostgreSQL binaries not found (install postgresql)"
        return
    with ThrowawayPostgres(bindir, settings=DURABLE_POSTGRES) as server:
        with server.connect() as conn:
            row = conn.execute("SHOW server_version").fetchone()
            version = str(row[0]) if row else "?"
        yield (
            server,
            (
                f"PostgreSQL {version}, throwaway server on loopback, "
                "fsync on, synchronous_commit on, full_page_writes on"
            ),
        )


@contextlib.contextmanager
def fresh_database(backend: str, folder: str, server: Any, purpose: str) -> Iterator[str | None]:
    """The URL of an empty database for one measurement (None: backend unavailable)."""
    if backend == "SQLite":
        yield f"sqlite:///{folder}/{purpose}.db"
    elif server is None:
        yield None
    else:
        with server.temporary_database(f"bench_{purpose}") as url:
            yield url


# --- (a) write throughput ---------------------------------------------------------------


def make_results(count: int, monitor_count: int) -> list[CheckResult]:
    """``count`` results: every monitor checked every 30 s, 2% timeouts, log-normal latency."""
    rng = random.Random(1)
    start = UNTIL - count // monitor_count * CHECK_INTERVAL
    results = []
    for i in range(count):
        round_, monitor = divmod(i, monitor_count)
        at = start + round_ * CHECK_INTERVAL + monitor * CHECK_INTERVAL / monitor_count
        latency = rng.lognormvariate(4.5, 0.6)
        name = f"web-{monitor:04d}"
        if rng.random() < 0.02:
            result = CheckResult(
                monitor=name,
                started_at=at,
                ok=False,
                failure=FailureClass.TIMEOUT,
                total_ms=10_000.0,
                detail="timed out after 10 s",
            )
        else:
            result = CheckResult(
                monitor=name,
                started_at=at,
                ok=True,
                total_ms=latency,
                dns_ms=latency * 0.05,
                connect_ms=latency * 0.1,
                tls_ms=latency * 0.2,
                first_byte_ms=latency * 0.7,
                transfer_ms=latency * 0.3,
                status_code=200,
                bytes_read=14_000,
            )
        results.append(result)
    return results


@dataclass(frozen=True)
class WriteFigures:
    results: int
    seconds: float
    cpu_seconds: float  # of this process (all threads): the SQLite work, not PostgreSQL's
    batches: int

    @property
    def per_second(self) -> float:
        return self.results / self.seconds


async def write_through_writer(
    url: str, results: Sequence[CheckResult], label: str
) -> WriteFigures:
    """Submit ``results`` to a Writer and time until all are committed."""
    database = open_database(url)
    batches = 0
    try:
        with progress_bar() as progress:
            task = progress.add_task(f"writing into {label}", total=len(results))

            def on_commit(batch: CommittedBatch) -> None:
                nonlocal batches
                batches += 1
                progress.advance(task, len(batch.results))

            writer = Writer(database, on_commit=on_commit)
            started, cpu_started = time.perf_counter(), time.process_time()
            writer.start()
            for chunk in chunked(results, 1_000):
                for result in chunk:
                    writer.submit(result)
                await asyncio.sleep(0)
            await writer.flush()
            seconds = time.perf_counter() - started
            cpu_seconds = time.process_time() - cpu_started
            await writer.stop()
        with database.engine.connect() as connection:
            stored = connection.execute(select(func.count()).select_from(check_results)).scalar()
        if stored != len(results):
            raise RuntimeError(f"{label}: wrote {len(results)} results, found {stored}")
    finally:
        database.dispose()
    return WriteFigures(len(results), seconds, cpu_seconds, batches)


# --- (b) 30-day percentile queries ------------------------------------------------------


def minute_pool(rng: random.Random, size: int, samples: int) -> list[Rollup]:
    """Minute rollups of ``samples`` synthetic checks each (log-normal latency, ~1% failures)."""
    pool = []
    for _ in range(size):
        rollup = Rollup()
        scale = rng.uniform(3.8, 5.2)  # minutes differ: some fast, some slow
        for _ in range(samples):
            latency = rng.lognormvariate(scale, 0.5)
            if rng.random() < 0.01:
                rollup.add(
                    CheckResult("x", 0.0, ok=False, failure=FailureClass.SLOW, total_ms=latency)
                )
            else:
                rollup.add(
                    CheckResult("x", 0.0, ok=True, total_ms=latency, first_byte_ms=latency * 0.7)
                )
        pool.append(rollup)
    return pool


def merged(rollups: Iterable[Rollup]) -> Rollup:
    total = Rollup()
    for rollup in rollups:
        total.merge(rollup)
    return total


@dataclass
class Fill:
    """Generated rollup rows for the query benchmark, and what they cover."""

    names: list[str]
    minute_rows: int = 0
    hour_rows: int = 0
    description: str = ""


def hour_starts(first_hour: int, last_hour: int) -> range:
    return range(first_hour, last_hour + HOUR, HOUR)


def fill_rollups(database: Database, sizes: Sizes) -> Fill:
    """Insert monitors and rollup rows; monitor 0 gets every minute, the others what a query reads.

    Every hour row is the merge of the sixty minute rollups of that hour: stored ones
    for monitor 0 and the edge hours; for the others' whole hours, one of 128 hour
    templates, each the merge of sixty pool minutes (the minutes themselves are not
    stored, as the query does not read them).
    """
    rng = random.Random(2)
    names = [f"api-{i:04d}" for i in range(sizes.query_monitors)]
    pool = minute_pool(rng, 512, sizes.samples_per_minute)
    pool_rows = [rollup.to_row() for rollup in pool]
    templates = [merged(rng.choices(pool, k=60)).to_row() for _ in range(128)]
    first_edge, last_edge = SINCE // HOUR * HOUR, UNTIL // HOUR * HOUR
    all_hours = hour_starts(first_edge, last_edge)
    fill = Fill(names)

    with database.engine.begin() as connection:
        now_ms = int(time.time() * 1000)
        connection.execute(insert(monitors), [{"name": n, "created_at": now_ms} for n in names])
        ids = monitor_ids(connection, names)

    def full_hours(
        monitor_id: int, hours: Iterable[int]
    ) -> Iterator[tuple[list[dict[str, Any]], dict[str, Any]]]:
        """Minute rows of each of ``hours`` and the matching hour rows."""
        for hour in hours:
            picks = rng.choices(range(len(pool)), k=60)
            minutes = [
                {"monitor_id": monitor_id, "bucket_start": hour + m * MINUTE, **pool_rows[p]}
                for m, p in enumerate(picks)
            ]
            hour_row = merged(pool[p] for p in picks).to_row()
            yield minutes, {"monitor_id": monitor_id, "bucket_start": hour, **hour_row}

    def rows() -> Iterator[tuple[Table, dict[str, Any]]]:
        first_id = ids[names[0]]
        for minutes, hour_row in full_hours(first_id, all_hours):
            yield from ((rollups_minute, row) for row in minutes)
            yield rollups_hour, hour_row
        for name in names[1:]:
            monitor_id = ids[name]
            for hour in all_hours:
                if hour in (first_edge, last_edge):
                    continue
                row = templates[rng.randrange(len(templates))]
                yield rollups_hour, {"monitor_id": monitor_id, "bucket_start": hour, **row}
            for minutes, hour_row in full_hours(monitor_id, (first_edge, last_edge)):
                yield from ((rollups_minute, row) for row in minutes)
                yield rollups_hour, hour_row

    expected = len(all_hours) * (61 + (len(names) - 1)) + (len(names) - 1) * 2 * 60
    with progress_bar() as progress, database.engine.begin() as connection:
        task = progress.add_task("inserting rollup rows", total=expected)
        for chunk in chunked(rows(), INSERT_CHUNK):
            for table in (rollups_minute, rollups_hour):
                batch = [row for t, row in chunk if t is table]
                if batch:
                    connection.execute(insert(table), batch)
                    if table is rollups_minute:
                        fill.minute_rows += len(batch)
                    else:
                        fill.hour_rows += len(batch)
            progress.advance(task, len(chunk))
    fill.description = (
        f"{len(names):,} monitors; {names[0]}: all {len(all_hours) * 60:,} minute rows and "
        f"{len(all_hours)} hour rows of the {len(all_hours)} hours touched; the other "
        f"{len(names) - 1:,}: {len(all_hours)} hour rows each (whole hours from templates) "
        f"plus all 120 minute rows of the 2 edge hours; {fill.minute_rows:,} minute and "
        f"{fill.hour_rows:,} hour rows in all; {sizes.samples_per_minute} log-normal "
        "samples per minute rollup, ~1% of them failed"
    )
    return fill


def checked_answer(database: Database, name: str) -> dict[float, float | None]:
    """The first monitor's 30-day percentiles, checked against merging its minute rows.

    The query reads hour rows for the whole hours; the same range built from the
    43,200 minute rows alone must give the same counts and the same histogram.
    """
    with database.engine.connect() as connection:
        monitor_id = monitor_ids(connection, [name])[name]
        answer = summarize(connection, [monitor_id], SINCE, UNTIL)[monitor_id]
        direct = Rollup()
        rows = connection.execute(
            select(rollups_minute).where(
                rollups_minute.c.monitor_id == monitor_id,
                rollups_minute.c.bucket_start >= SINCE,
                rollups_minute.c.bucket_start < UNTIL,
            )
        ).mappings()
        for row in rows:
            direct.merge(Rollup.from_row(row))
    if (answer.total, answer.good, answer.failures, answer.latency) != (
        direct.total,
        direct.good,
        direct.failures,
        direct.latency,
    ):
        raise RuntimeError("the hour rollups do not answer like the minute rollups")
    return answer.percentiles(QUANTILES)


@dataclass(frozen=True)
class QueryFigures:
    one: tuple[float, float, float]
    many: tuple[float, float, float]
    fill: Fill
    fill_seconds: float
    answer: dict[float, float | None]


def query_benchmark(url: str, sizes: Sizes) -> QueryFigures:
    database = open_database(url)
    try:
        started = time.perf_counter()
        fill = fill_rollups(database, sizes)
        fill_seconds = time.perf_counter() - started
        if database.backend == "postgresql":
            with database.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        answer = checked_answer(database, fill.names[0])
        with database.engine.connect() as connection:

            def one() -> object:
                return latency_percentiles(connection, fill.names[0], SINCE, UNTIL, QUANTILES)

            def many() -> object:
                ids = list(monitor_ids(connection, fill.names).values())
                summaries = summarize(connection, ids, SINCE, UNTIL)
                return {key: s.percentiles(QUANTILES) for key, s in summaries.items()}

            one_times = median_seconds(one, sizes.reps_one)
            many_times = median_seconds(many, sizes.reps_many)
    finally:
        database.dispose()
    return QueryFigures(one_times, many_times, fill, fill_seconds, answer)


# --- report -----------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def spread(times: tuple[float, float, float]) -> str:
    median, fastest, slowest = times
    return f"{ms(median)}  ({ms(fastest)} – {ms(slowest)})"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under a minute")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    began = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="onwatch-bench-") as folder:
        console.print(f"[bold]onwatch store benchmark[/bold]{' (--quick)' if args.quick else ''}")
        console.print(f"date     {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
        console.print(
            f"machine  {cpu_model()}, {os.cpu_count()} cores, {memory_gib()} RAM, "
            f"{platform.system()} {platform.release()}, load average {load_average()} at start"
        )
        console.print(
            f"software Python {platform.python_version()}, SQLite {sqlite3.sqlite_version} "
            f"(WAL, synchronous=NORMAL) on {filesystem_of(Path(folder))} in {folder}"
        )
        results = make_results(sizes.results, sizes.write_monitors)
        figures = RichTable(title="store figures")
        for column in ("backend", "measure", "figure", "target"):
            figures.add_column(column)

        with postgres_server() as (server, pg_note):
            console.print(f"postgres {pg_note}")
            console.print(
                f"\n(a) {sizes.results:,} results for {sizes.write_monitors:,} monitors (one "
                "check per 30 s each) through Writer (max_batch=5000, max_delay=0.2 s)"
            )
            for backend in BACKENDS:
                runs: list[WriteFigures] = []
                for rep in range(sizes.write_reps):
                    with fresh_database(backend, folder, server, f"write{rep}") as url:
                        if url is None:
                            break
                        runs.append(asyncio.run(write_through_writer(url, results, backend)))
                if not runs:
                    figures.add_row(backend, "write results/s", "skipped", "")
                    continue
                rates = ", ".join(f"{run.per_second:,.0f}" for run in runs)
                written = sorted(runs, key=lambda run: run.per_second)[len(runs) // 2]
                console.print(
                    f"    {backend}: {written.per_second:,.0f} results/s, median of "
                    f"{len(runs)} (all runs: {rates}); that run: {written.results:,} in "
                    f"{written.seconds:.2f} s, {written.batches} batches, "
                    f"{written.results / written.cpu_seconds:,.0f} results per CPU-second "
                    "of the benchmark process"
                )
                target = "≥ 20,000/s" if backend == "SQLite" else ""
                figures.add_row(backend, "write results/s", f"{written.per_second:,.0f}/s", target)

            console.print(
                "\n(b) p50/p95/p99 over 30 days, "
                f"{datetime.datetime.fromtimestamp(SINCE, datetime.UTC):%Y-%m-%d %H:%M} to "
                f"{datetime.datetime.fromtimestamp(UNTIL, datetime.UTC):%Y-%m-%d %H:%M} UTC"
            )
            for backend in BACKENDS:
                with fresh_database(backend, folder, server, "query") as url:
                    if url is None:
                        figures.add_row(backend, "30-day percentiles", "skipped", "")
                        continue
                    answer = query_benchmark(url, sizes)
                console.print(
                    f"    {backend}: filled in {answer.fill_seconds:.1f} s: "
                    f"{answer.fill.description}"
                )
                shown = ", ".join(
                    f"p{q * 100:g} {v:.1f} ms" for q, v in answer.answer.items() if v is not None
                )
                console.print(
                    f"    {backend}: {answer.fill.names[0]} answers {shown}; the same from its "
                    "minute rows alone: identical counts and histogram (checked)"
                )
                console.print(
                    f"    {backend}: one monitor {spread(answer.one)}, median (fastest – "
                    f"slowest) of {sizes.reps_one}; {len(answer.fill.names):,} monitors "
                    f"{spread(answer.many)} of {sizes.reps_many}"
                )
                figures.add_row(
                    backend, "30-day p50/p95/p99, 1 monitor", ms(answer.one[0]), "< 50 ms"
                )
                figures.add_row(
                    backend,
                    f"30-day p50/p95/p99, {len(answer.fill.names):,} monitors",
                    ms(answer.many[0]),
                    "",
                )

    console.print()
    console.print(figures)
    console.print(f"total run time {time.perf_counter() - began:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
