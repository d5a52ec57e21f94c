"""Shared parts of the benchmark scripts in ``bench/``: the machine, the display, test data.

Every script prints the same header (date, machine, load average) so a figure in
BENCHMARKS.md always says where it was measured, uses the same Rich progress bar
while it waits, and ends with a Rich table of its figures. Here too are the tools
more than one benchmark needs: chunking and medians, seeded synthetic results and
rollups, throwaway databases (a SQLite file, or a durable PostgreSQL started from
the machine's binaries), measured steps in their own processes (CPU from /proc),
and local servers. The scripts run as ``.venv/bin/python bench/<name>.py``, which
puts ``bench/`` first on ``sys.path``, so they import this module as ``common``.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from onwatch.probes.base import CheckResult, FailureClass
from onwatch.store.rollups import Rollup

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[1]

console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 120)
"""Where every benchmark prints (120 columns into a file); progress bars only on a terminal."""


# --- machine ----------------------------------------------------------------------------


def _proc_line(path: str, prefix: str) -> str | None:
    """The first line of a /proc file that starts with ``prefix``, if any."""
    with contextlib.suppress(OSError):
        return next(
            (line for line in Path(path).read_text().splitlines() if line.startswith(prefix)), None
        )
    return None


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (or what :mod:`platform` knows)."""
    line = _proc_line("/proc/cpuinfo", "model name")
    return line.split(":", 1)[1].strip() if line else platform.processor() or platform.machine()


def memory_gib() -> str:
    """Total RAM, rounded to whole GiB."""
    line = _proc_line("/proc/meminfo", "MemTotal:")
    return f"{int(line.split()[1]) / 1024**2:.0f} GiB" if line else "?"


def load_average() -> str:
    """The 1-minute load average: other work on the machine skews the figures."""
    with contextlib.suppress(OSError):
        return f"{os.getloadavg()[0]:.2f}"
    return "?"


def filesystem_of(path: Path) -> str:
    """The type of the filesystem holding ``path`` (from /proc/mounts), or ``?``."""
    best, kind = "", "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/mounts").read_text().splitlines():
            _device, mount, fstype, *_ = line.split()
            inside = str(path).startswith(mount.rstrip("/") + "/") or str(path) == mount
            if inside and len(mount) >= len(best):
                best, kind = mount, fstype
    return kind


def print_header(title: str, quick: bool) -> None:
    """The benchmark's name, the date, and the machine with its load average right now."""
    console.print(f"[bold]{title}[/bold]{' (--quick)' if quick else ''}")
    console.print(f"date     {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    console.print(
        f"machine  {cpu_model()}, {os.cpu_count()} cores, {memory_gib()} RAM, "
        f"{platform.system()} {platform.release()}, load average {load_average()} at start"
    )


# --- waiting and showing ----------------------------------------------------------------


def progress_bar() -> Progress:
    """A transient bar (description, bar, done/total, elapsed); silent when not a terminal."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def figure_table(title: str, columns: Sequence[str]) -> Table:
    """An empty Rich table of figures with the given column headings."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    return table


def print_figures(table: Table, began: float) -> None:
    """The table of figures, then how long the whole run took (``began``: perf_counter)."""
    console.print()
    console.print(table)
    console.print(f"total run time {time.perf_counter() - began:.0f} s")


# --- data -------------------------------------------------------------------------------


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` in lists of ``size`` (the last one shorter)."""
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


def median_run(runs: Sequence[T], key: Callable[[T], float]) -> T:
    """The run whose ``key`` is the median (the upper one of an even count)."""
    return sorted(runs, key=key)[len(runs) // 2]


# --- synthetic work for the store -------------------------------------------------------


def synthetic_results(
    count: int, monitor_count: int, until: float, interval: float
) -> list[CheckResult]:
    """``count`` results ending at ``until``: every monitor checked every ``interval`` s.

    Monitors are ``web-0000``, ``web-0001``…; 2% of checks time out, the others
    take a log-normal time (median about 90 ms) split into phases. Seeded: the
    same arguments give the same results.
    """
    rng = random.Random(1)
    start = until - count // monitor_count * interval
    results = []
    for i in range(count):
        round_, monitor = divmod(i, monitor_count)
        at = start + round_ * interval + monitor * interval / monitor_count
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


def minute_pool(rng: random.Random, size: int, samples: int) -> list[Rollup]:
    """Minute rollups of ``samples`` synthetic checks each (log-normal latency, ~1% failures)."""
    pool = []
    for _ in range(size):
        rollup = Rollup()
        scale = rng.uniform(3.8, 5.2)  # minutes differ: some fast, some slow
        for _ in range(samples):
            took = rng.lognormvariate(scale, 0.5)
            if rng.random() < 0.01:
                rollup.add(
                    CheckResult("x", 0.0, ok=False, failure=FailureClass.SLOW, total_ms=took)
                )
            else:
                rollup.add(CheckResult("x", 0.0, ok=True, total_ms=took, first_byte_ms=took * 0.7))
        pool.append(rollup)
    return pool


def merged(rollups: Iterable[Rollup]) -> Rollup:
    total = Rollup()
    for rollup in rollups:
        total.merge(rollup)
    return total


# --- databases --------------------------------------------------------------------------


@contextlib.contextmanager
def postgres_server(settings: Mapping[str, str]) -> Iterator[tuple[Any, str]]:
    """A throwaway PostgreSQL server run with ``settings``, and a description of it.

    It is started from the machine's binaries by ``tests/pgserver.py``. The server
    is None, with the reason as description, when there are no binaries.
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
    with ThrowawayPostgres(bindir, settings=dict(settings)) as server:
        with server.connect() as conn:
            row = conn.execute("SHOW server_version").fetchone()
            version = str(row[0]) if row else "?"
        shown = ", ".join(f"{key} {value}" for key, value in settings.items())
        yield server, f"PostgreSQL {version}, throwaway server on loopback, {shown}"


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


def ms(seconds: float) -> str:
    """Seconds shown as milliseconds with one decimal."""
    return f"{seconds * 1000:,.1f} ms"


def spread(times: tuple[float, float, float]) -> str:
    """``(median, fastest, slowest)`` shown as ``median  (fastest – slowest)``."""
    median, fastest, slowest = times
    return f"{ms(median)}  ({ms(fastest)} – {ms(slowest)})"


# --- processes and local servers --------------------------------------------------------


def machine_ticks() -> tuple[int, int]:
    """Busy and total CPU ticks of the whole machine (all cores), from /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return 0, 0
    return sum(fields) - fields[3] - fields[4], sum(fields)  # idle and iowait are not busy


def process_family(pid: int) -> list[int]:
    """``pid`` and its direct children (an nginx master and its workers), from /proc."""
    family = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                family.append(int(stat.parent.name))
    return family


def cpu_seconds(pids: Iterable[int]) -> float:
    """User plus system CPU seconds used so far by the processes ``pids`` (gone ones: 0)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / os.sysconf("SC_CLK_TCK")


def run_measured(command: list[str], label: str, seconds: float) -> dict[str, Any]:
    """Run one measured step in its own process (so its peak memory is its own).

    The process prints ``warmup`` when it starts warming up, ``measure`` when the
    measured window opens (``seconds`` is both together, for the progress bar),
    and ends with one line ``result {json}``, which is returned.
    """
    lines: list[str] = []
    with tempfile.TemporaryFile("w+") as errors, progress_bar() as progress:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors, text=True)
        reader = threading.Thread(target=lambda: lines.extend(process.stdout or ()), daemon=True)
        reader.start()
        task = progress.add_task(f"{label}: starting", total=seconds)
        began: float | None = None
        while process.poll() is None:
            if began is None and "warmup\n" in lines:
                began = time.monotonic()
            if began is not None:
                phase = "measuring" if "measure\n" in lines else "warming up"
                done = min(time.monotonic() - began, seconds)
                progress.update(task, description=f"{label}: {phase}", completed=done)
            time.sleep(0.2)
        reader.join()
        if process.returncode != 0 or not lines or not lines[-1].startswith("result "):
            errors.seek(0)
            console.print(errors.read()[-3000:])
            raise SystemExit(f"{label}: the measuring process failed ({process.returncode})")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("result "))
    return result


def differences(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``after - before`` for counters: numbers, lists of numbers, and dicts of numbers."""
    result: dict[str, Any] = {}
    for key, value in after.items():
        if isinstance(value, list):
            result[key] = [a - b for a, b in zip(value, before[key], strict=True)]
        elif isinstance(value, dict):
            result[key] = {k: v - before[key].get(k, 0) for k, v in value.items()}
        else:
            result[key] = value - before[key]
    return result


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def server_process(command: list[str], url: str, body: bytes) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server process, wait until ``url`` answers with ``body``; stop it at the end."""
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310
                if answer.read() == body:
                    break
            if server.poll() is not None:
                raise SystemExit(f"the server exited: {' '.join(command)}")
            time.sleep(0.1)
        else:
            raise SystemExit(f"the server does not answer at {url}: {' '.join(command)}")
        yield server
    finally:
        server.terminate()
        server.wait(10)


def print_targets(rows: Iterable[tuple[str, str, bool | None]]) -> None:
    """A table of (target, measured, met); ``None`` for a row that only informs."""
    table = figure_table("targets", ("target", "measured", "met"))
    for name, measured, met in rows:
        table.add_row(name, measured, "" if met is None else ("yes" if met else "[bold red]NO[/]"))
    console.print()
    console.print(table)
