"""The long-running service: policy → probes → scheduler → writer → database, and signals.

:func:`run_service` loads the policy (a :class:`~onwatch.policy.PolicyError`
before anything starts), opens the database, starts the writer and the
scheduler plus any extra tasks (the web app joins as one of those), and runs
until SIGTERM or SIGINT. Then it stops planning, gives running checks their
deadline, flushes the writer and returns. SIGHUP (``onwatch reload``) reloads
the policy atomically: an invalid one is logged issue by issue and the running
one stays. Monitors are identified by name, so a changed monitor keeps its
history.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from onwatch.clock import Clock, wait_until_deadline, within
from onwatch.errors import OnwatchError
from onwatch.leader import Leader, SingleNodeLeader
from onwatch.policy import Policy, PolicyError, load_policy
from onwatch.policy.monitors import MonitorBase, Pool
from onwatch.probes.base import Probe
from onwatch.redact import mask_url_password
from onwatch.scheduler import Scheduler
from onwatch.slo.advice import policy_advice
from onwatch.store.database import Database, open_database
from onwatch.store.writer import Writer, error_reason

if TYPE_CHECKING:
    from onwatch.slo.evaluator import Evaluator

log = logging.getLogger(__name__)
T = TypeVar("T")

FLUSH_TIMEOUT = 60.0  # seconds the writer gets at shutdown before results are given up
TASK_GRACE = 10.0  # seconds extra tasks get to finish after the stop request


class ServiceError(OnwatchError):
    """The service cannot start, or the running instance cannot be reached."""


class UnknownMonitorError(OnwatchError):
    """No monitor of that name in the policy (the message suggests close names)."""


@dataclass
class Service:
    """What tasks running inside the service (the web app, later) share."""

    policy_path: Path
    policy: Policy
    database: Database
    writer: Writer
    scheduler: Scheduler
    clock: Clock
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when the service is asked to stop; extra tasks should return soon after."""
    leader: Leader = field(default_factory=SingleNodeLeader)
    """Asked before once-only work (evaluating, alerting); its epoch goes with each claim."""
    evaluator: Evaluator | None = None
    """The objectives' evaluator once its task runs: the latest evaluations, for the web."""


ServiceTask = Callable[[Service], Coroutine[Any, Any, None]]


async def run_rounds(
    service: Service,
    interval: float,
    step: Callable[[], Coroutine[Any, Any, None]],
    what: str,
) -> None:
    """Await ``step`` every ``interval`` seconds of the service's clock until it is asked to
    stop; a round that fails is logged ("``what`` failed: ...") and the next one runs."""
    clock, stopping = service.clock, service.stopping
    due = clock.now()
    while not stopping.is_set():
        try:
            await step()
        except Exception as exc:  # the next round tries again; the service keeps running
            log.error("%s failed: %s", what, error_reason(exc))
        due = max(due + interval, clock.now())
        waiter = asyncio.ensure_future(stopping.wait())
        alarm = asyncio.ensure_future(clock.sleep_until(due))
        try:
            await asyncio.wait({waiter, alarm}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
            alarm.cancel()


def monitor_entries(policy: Policy) -> dict[str, MonitorBase]:
    """The policy entry behind each scheduled name (a pool is one name per target)."""
    entries: dict[str, MonitorBase] = {monitor.name: monitor for monitor in policy.monitors}
    for pool in policy.pools:
        entries.update({pool.target_monitor_name(i): pool for i in range(len(pool.targets))})
    return entries


def _grace(policy: Policy) -> float:
    """How long running checks get at shutdown: the longest timeout, and a second."""
    timeouts = [entry.timeout.total_seconds() for entry in monitor_entries(policy).values()]
    return max(timeouts, default=0.0) + 1.0


def _schedule(policy: Policy) -> tuple[dict[str, Probe], dict[str, float]]:
    """Every probe of the policy and its interval, by monitor name."""
    from onwatch.probes.registry import build_probes  # probe modules load only when needed

    intervals = {
        name: entry.interval.total_seconds() for name, entry in monitor_entries(policy).items()
    }
    return build_probes(policy), intervals


# -- the pid file --------------------------------------------------------------


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    cmdline = Path(f"/proc/{pid}/cmdline")
    # A recycled pid belongs to some other program: only trust one running onwatch.
    return not cmdline.exists() or b"onwatch" in cmdline.read_bytes()


def running_pid(pid_file: Path) -> int | None:
    """The pid of the onwatch that wrote ``pid_file``, if it still runs."""
    try:
        pid = int(pid_file.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        return None
    except (ValueError, UnicodeDecodeError):
        raise ServiceError(f"{pid_file} does not hold a process id; remove it") from None
    return pid if pid != os.getpid() and _alive(pid) else None


def _write_pid_file(pid_file: Path) -> None:
    partial = pid_file.with_name(pid_file.name + ".tmp")
    partial.write_text(f"{os.getpid()}\n", encoding="ascii")
    partial.replace(pid_file)  # readers never see a half-written file


def _remove_pid_file(pid_file: Path) -> None:
    with contextlib.suppress(OSError, ValueError):
        if int(pid_file.read_text(encoding="ascii").strip()) == os.getpid():
            pid_file.unlink()


def signal_reload(pid_file: Path) -> int:
    """Send SIGHUP to the running onwatch named by ``pid_file``; return its pid."""
    if not pid_file.exists():
        raise ServiceError(
            f"no onwatch is running here: {pid_file} does not exist "
            "(start one with `onwatch serve`, or give its --pid-file)"
        )
    pid = running_pid(pid_file)
    if pid is None:
        raise ServiceError(
            f"stale pid file {pid_file}: the onwatch that wrote it is no longer running"
        )
    os.kill(pid, signal.SIGHUP)
    return pid


# -- the service ---------------------------------------------------------------


async def _reload(service: Service, lock: asyncio.Lock) -> None:
    async with lock:
        path = service.policy_path
        log.info("reloading the policy from %s", path)
        try:
            policy = await asyncio.to_thread(load_policy, path)
            probes, intervals = _schedule(policy)
        except PolicyError as exc:
            for issue in exc.issues:
                log.error("policy reload rejected: %s", issue)
            log.error(
                "policy reload rejected (%d problems); the previous policy keeps running",
                len(exc.issues),
            )
            return
        except Exception as exc:  # a probe that cannot be built; its message may hold secrets
            log.error(
                "policy reload rejected: %s while building probes; the previous policy keeps running",
                type(exc).__name__,
            )
            return
        before, after = monitor_entries(service.policy), monitor_entries(policy)
        change = service.scheduler.replace(probes, intervals)
        service.policy = policy
        changed = sorted(name for name, entry in after.items() if before.get(name, entry) != entry)
        log.info(
            "policy reloaded: %d monitors; added: %s; removed: %s; changed: %s",
            len(probes),
            ", ".join(change.added) or "none",
            ", ".join(change.removed) or "none",
            ", ".join(changed) or "none",
        )
        for advice in policy_advice(policy):
            log.warning("policy: %s", advice)


async def run_service(
    policy_path: str | Path,
    database_url: str,
    *,
    clock: Clock,
    pid_file: Path | None = None,
    extra_tasks: Sequence[ServiceTask] = (),
    on_started: Callable[[Service], None] | None = None,
    leader: Leader | None = None,
    max_concurrency: int = 256,
    per_host: int = 8,
) -> None:
    """Run scheduler, writer and ``extra_tasks`` until SIGTERM/SIGINT; return after a clean stop."""
    path = Path(policy_path)
    policy = await asyncio.to_thread(load_policy, path)
    probes, intervals = _schedule(policy)
    if pid_file is not None and (pid := running_pid(pid_file)) is not None:
        raise ServiceError(f"onwatch is already running (pid {pid}, {pid_file}); stop it first")
    database = await asyncio.to_thread(open_database, database_url)
    try:
        writer = Writer(database)
        leader = leader or SingleNodeLeader()
        scheduler = Scheduler(
            probes,
            intervals,
            writer.submit,
            clock,
            leader=leader,
            max_concurrency=max_concurrency,
            per_host=per_host,
        )
        service = Service(path, policy, database, writer, scheduler, clock, leader=leader)
        await _run(service, pid_file, extra_tasks, on_started)
    finally:
        database.dispose()


async def _run(
    service: Service,
    pid_file: Path | None,
    extra_tasks: Sequence[ServiceTask],
    on_started: Callable[[Service], None] | None,
) -> None:
    loop = asyncio.get_running_loop()
    lock, reloads = asyncio.Lock(), set[asyncio.Task[None]]()

    def stop(name: str) -> None:
        log.info("%s received: stopping, running checks get %gs", name, _grace(service.policy))
        service.stopping.set()

    def reload() -> None:
        if service.stopping.is_set():
            log.info("SIGHUP received while stopping: not reloading")
            return
        task = asyncio.create_task(_reload(service, lock), name="onwatch-reload")
        reloads.add(task)
        task.add_done_callback(reloads.discard)

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop, signum.name)
    loop.add_signal_handler(signal.SIGHUP, reload)
    service.writer.start()
    service.scheduler.start()
    tasks = [asyncio.create_task(task(service)) for task in extra_tasks]
    failure: BaseException | None = None
    try:
        if pid_file is not None:
            _write_pid_file(pid_file)  # only now: a SIGHUP before the handler would kill us
        log.info(
            "started: %d monitors from %s, results to %s",
            len(service.scheduler.monitors),
            service.policy_path,
            mask_url_password(service.database.url),
        )
        if on_started is not None:
            on_started(service)
        failure = await _until_stopped(service.stopping, tasks)
    finally:
        for task in reloads:
            task.cancel()
        try:
            await _shut_down(service, tasks)
        finally:
            # Only now: until the results are flushed, a signal must not kill us.
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                loop.remove_signal_handler(signum)
            if pid_file is not None:
                _remove_pid_file(pid_file)
    if failure is not None:
        raise failure
    log.info("stopped")


async def _until_stopped(
    stopping: asyncio.Event, tasks: list[asyncio.Task[None]]
) -> BaseException | None:
    """Wait for a stop request, or for an extra task to end (which stops the service)."""
    waiter = asyncio.create_task(stopping.wait())
    try:
        done, _ = await asyncio.wait({waiter, *tasks}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    for task in done:
        if task is not waiter:
            failure = task.exception()
            ending = f"with {type(failure).__name__}" if failure else "early"
            log.error("%s ended %s: stopping", task.get_name(), ending)
            stopping.set()
            return failure
    return None


async def _shut_down(service: Service, tasks: list[asyncio.Task[None]]) -> None:
    service.stopping.set()
    await service.scheduler.stop(_grace(service.policy))
    try:
        await within(service.clock, service.writer.stop(), FLUSH_TIMEOUT)
    except TimeoutError:
        raise ServiceError(
            f"{service.writer.queue_depth} results could not be written within {FLUSH_TIMEOUT:g}s"
        ) from None
    late = await wait_until_deadline(service.clock, tasks, service.clock.now() + TASK_GRACE)
    for task in late:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks)


# -- entry points for the command line -----------------------------------------


def configure_logging(level: int = logging.INFO) -> None:
    """One line per event on stderr, with time, level and the module that speaks."""
    line = "%(asctime)s %(levelname)s %(name)s: %(message)s"
    logging.basicConfig(level=level, stream=sys.stderr, format=line)
    # Alembic narrates every migration step at INFO; onwatch logs what matters itself.
    logging.getLogger("alembic").setLevel(logging.WARNING)


def run_blocking(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to the end on uvloop when it is installed, else on asyncio's loop."""
    factory: Callable[[], asyncio.AbstractEventLoop] | None
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(main)


def find_probe(policy: Policy, name: str) -> Probe:
    """Build the one probe named ``name`` (a monitor, or a pool target such as ``api#2``)."""
    from onwatch.probes.registry import build_probes

    entries = monitor_entries(policy)
    entry = entries.get(name)
    if entry is None:
        close = difflib.get_close_matches(name, entries, n=3)
        hint = f"did you mean {' or '.join(close)}?" if close else f"monitors: {', '.join(entries)}"
        raise UnknownMonitorError(f'no monitor named "{name}" in the policy ({hint})')
    # Build only this one: another monitor's probe must not stand in the way.
    pool = isinstance(entry, Pool)
    only = {"monitors": [] if pool else [entry], "pools": [entry] if pool else []}
    return build_probes(policy.model_copy(update=only))[name]
