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
import datetime
import platform
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, func, insert, select, text

from common import (
    chunked,
    console,
    figure_table,
    filesystem_of,
    fresh_database,
    median_run,
    median_seconds,
    merged,
    minute_pool,
    ms,
    postgres_server,
    print_figures,
    print_header,
    progress_bar,
    spread,
    synthetic_results,
)
from onwatch.probes.base import CheckResult
from onwatch.store.database import Database, open_database
from onwatch.store.queries import latency_percentiles, monitor_ids, summarize
from onwatch.store.rollups import HOUR, MINUTE, Rollup
from onwatch.store.tables import check_results, monitors, rollups_hour, rollups_minute
from onwatch.store.writer import CommittedBatch, Writer

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


# --- (a) write throughput ---------------------------------------------------------------


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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, under a minute")
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    began = time.perf_counter()

    with tempfile.TemporaryDirectory(prefix="onwatch-bench-") as folder:
        print_header("onwatch store benchmark", args.quick)
        console.print(
            f"software Python {platform.python_version()}, SQLite {sqlite3.sqlite_version} "
            f"(WAL, synchronous=NORMAL) on {filesystem_of(Path(folder))} in {folder}"
        )
        results = synthetic_results(sizes.results, sizes.write_monitors, UNTIL, CHECK_INTERVAL)
        figures = figure_table("store figures", ("backend", "measure", "figure", "target"))

        with postgres_server(DURABLE_POSTGRES) as (server, pg_note):
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
                written = median_run(runs, key=lambda run: run.per_second)
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

    print_figures(figures, began)
    return 0


if __name__ == "__main__":
    sys.exit(main())
