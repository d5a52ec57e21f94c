"""The sender: drains the outbox through the contacts' channels, as the leader only.

:func:`drain_once` is one round, a plain blocking function: claim due rows
(:func:`~onwatch.notify.outbox.claim`), send them at once in a thread pool,
each with a timeout, and store outcomes as they arrive, those arriving
together in one short transaction (:func:`~onwatch.notify.outbox.settle`):
each attempt is stored with its row's new state, or nothing is. A send that outlives its timeout by
:data:`HARD_MARGIN` is recorded as timed out and left to finish alone.

:func:`run_sender` repeats rounds until asked to stop, on its own task with
the rounds in a worker thread, so probing never waits for a provider. Only
the leader claims, and only while its lease outlasts a claim
(:data:`SEND_TIMEOUT` plus margins), so a node about to lose leadership takes
no work it could not finish. On SIGTERM the round in flight finishes (its
sends are bounded by the timeout) and the loop returns: no attempt is ever
half recorded. :func:`sender_task` runs it inside ``onwatch serve``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from onwatch.clock import Clock, wait_until_deadline
from onwatch.leader import Leader
from onwatch.notify.acklinks import AckLinks, with_ack_link
from onwatch.notify.channels import deliver, log_delivery
from onwatch.notify.delivery import Delivery
from onwatch.notify.outbox import OutboxRow, Outcome, claim, settle
from onwatch.policy import Policy
from onwatch.runtime import Service, ServiceTask
from onwatch.settings import InstanceSettings
from onwatch.store.database import Database
from onwatch.store.writer import error_reason

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_WORKERS",
    "HARD_MARGIN",
    "POLL_INTERVAL",
    "SEND_TIMEOUT",
    "DrainReport",
    "drain_once",
    "lease_for",
    "next_channel",
    "run_sender",
    "sender_task",
]

log = logging.getLogger(__name__)

SEND_TIMEOUT = 8.0
"""Seconds one send may take (shorter than the service's grace at shutdown)."""
HARD_MARGIN = 2.0
"""Seconds past the timeout after which a send still running counts as timed out."""
POLL_INTERVAL = 1.0
"""Seconds between looks at the outbox when it had nothing more to send."""
DEFAULT_LIMIT = 100
"""Rows claimed per round."""
DEFAULT_WORKERS = 16
"""Sends in flight at once."""


def lease_for(timeout: float) -> float:
    """How long a claim holds: the send, its hard margin, and time to commit the outcome."""
    return timeout + 2 * HARD_MARGIN


@dataclass
class DrainReport:
    """What one round did."""

    claimed: int = 0
    outcomes: dict[Outcome, int] = field(default_factory=dict)

    def count(self, outcome: Outcome) -> int:
        return self.outcomes.get(outcome, 0)

    @property
    def sent(self) -> int:
        return self.count(Outcome.SENT)


def next_channel(policy: Policy, contact: str, channel: str) -> str | None:
    """The contact's channel after ``channel`` in policy order, or None."""
    person = policy.contact(contact)
    if person is None:
        return None
    names = list(person.channels)
    if channel not in names:
        return None
    index = names.index(channel)
    return names[index + 1] if index + 1 < len(names) else None


def _send(
    policy: Policy,
    row: OutboxRow,
    *,
    timeout: float,
    now: float,
    environ: Mapping[str, str] | None,
    links: AckLinks | None = None,
) -> Delivery:
    """Send one row through its channel as the policy names it now, with its ack link."""
    person = policy.contact(row.contact)
    if person is None:
        return Delivery(ok=False, error=f"no contact {row.contact} in the policy", permanent=True)
    channel = person.channels.get(row.channel)
    if channel is None:
        error = f"contact {row.contact} has no channel {row.channel} in the policy"
        return Delivery(ok=False, error=error, permanent=True)
    message = with_ack_link(row.message, links, now)
    return deliver(channel, message, timeout=timeout, now=now, environ=environ)


def drain_once(
    database: Database,
    policy: Policy,
    *,
    epoch: int,
    now: float,
    limit: int = DEFAULT_LIMIT,
    timeout: float = SEND_TIMEOUT,
    lease: float | None = None,
    executor: concurrent.futures.Executor | None = None,
    environ: Mapping[str, str] | None = None,
    links: AckLinks | None = None,
) -> DrainReport:
    """Claim up to ``limit`` due rows at ``now``, send them, store every outcome (blocking).

    ``lease`` (default :func:`lease_for` the timeout) is how long the claims hold.
    """
    held = lease_for(timeout) if lease is None else lease
    with database.engine.begin() as connection:
        rows = claim(connection, epoch=epoch, now=now, lease=held, limit=limit)
    report = DrainReport(claimed=len(rows))
    if not rows:
        return report
    own = executor is None
    pool = executor or concurrent.futures.ThreadPoolExecutor(min(len(rows), DEFAULT_WORKERS))
    start = time.monotonic()
    try:
        futures = {
            pool.submit(
                _send, policy, row, timeout=timeout, now=now, environ=environ, links=links
            ): row
            for row in rows
        }
        deadline = start + timeout + HARD_MARGIN
        pending = set(futures)
        while pending:
            done, pending = concurrent.futures.wait(
                pending,
                timeout=max(deadline - time.monotonic(), 0.0),
                return_when=concurrent.futures.FIRST_COMPLETED,
            )
            if not done:  # past the deadline: the rest count as timed out
                for future in pending:
                    future.cancel()
                late = Delivery(ok=False, error=f"no answer within {timeout:g}s")
                outcomes = [(futures[future], late) for future in pending]
                _settle(database, policy, outcomes, start, now, epoch, report)
                break
            outcomes = [(futures[future], future.result()) for future in done]
            _settle(database, policy, outcomes, start, now, epoch, report)
    finally:
        if own:
            pool.shutdown(wait=False, cancel_futures=True)
    return report


def _settle(
    database: Database,
    policy: Policy,
    outcomes: list[tuple[OutboxRow, Delivery]],
    start: float,
    now: float,
    epoch: int,
    report: DrainReport,
) -> None:
    """Store the outcomes that arrived together in one transaction, and count them."""
    elapsed = time.monotonic() - start
    for row, delivery in outcomes:
        log_delivery(row.contact, row.channel, row.key, delivery)
    with database.engine.begin() as connection:
        settled = [
            settle(
                connection,
                row,
                delivery,
                started_at=now,
                elapsed_ms=elapsed * 1000.0,
                epoch=epoch,
                now=now + elapsed,
                next_channel=next_channel(policy, row.contact, row.channel),
            )
            for row, delivery in outcomes
        ]
    for (row, _), outcome in zip(outcomes, settled, strict=True):
        if outcome is Outcome.LOST_CLAIM:
            log.warning("notification %s: claim expired before its outcome was stored", row.key)
        report.outcomes[outcome] = report.outcomes.get(outcome, 0) + 1


async def _pause(clock: Clock, stopping: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds`` on ``clock``, or less if asked to stop."""
    waiter = asyncio.ensure_future(stopping.wait())
    try:
        await wait_until_deadline(clock, [waiter], clock.now() + seconds)
    finally:
        waiter.cancel()


async def run_sender(
    database: Database,
    *,
    policy: Callable[[], Policy],
    leader: Leader,
    clock: Clock,
    stopping: asyncio.Event,
    poll: float = POLL_INTERVAL,
    limit: int = DEFAULT_LIMIT,
    timeout: float = SEND_TIMEOUT,
    workers: int = DEFAULT_WORKERS,
    lease: float | None = None,
    environ: Mapping[str, str] | None = None,
    links: AckLinks | None = None,
) -> None:
    """Drain the outbox round after round until ``stopping`` is set; errors are logged."""
    lease = lease_for(timeout) if lease is None else lease
    leading = False
    with concurrent.futures.ThreadPoolExecutor(workers, thread_name_prefix="notify") as pool:
        while not stopping.is_set():
            busy = False
            leadership = leader.current()
            if leadership.is_leader and leadership.remaining >= lease:
                if not leading:
                    log.info("sending notifications (epoch %d)", leadership.epoch)
                leading = True
                try:
                    report = await asyncio.to_thread(
                        drain_once,
                        database,
                        policy(),
                        epoch=leadership.epoch,
                        now=clock.now(),
                        limit=limit,
                        timeout=timeout,
                        lease=lease,
                        executor=pool,
                        environ=environ,
                        links=links,
                    )
                    busy = report.claimed >= limit
                except Exception as exc:  # the next round tries again
                    log.error("sending notifications failed: %s", error_reason(exc))
            elif leading:
                log.info("not sending notifications: leadership lost or ending")
                leading = False
            if not busy:
                await _pause(clock, stopping, poll)


def sender_task(settings: InstanceSettings) -> ServiceTask:
    """A :data:`~onwatch.runtime.ServiceTask` sending notifications until the service stops,
    with acknowledge links under the instance's ``public_url``, signed with its secret key."""
    links = AckLinks(settings.public_url, settings.effective_secret_key())

    async def send(service: Service) -> None:
        await run_sender(
            service.database,
            policy=lambda: service.policy,
            leader=service.leader,
            clock=service.clock,
            stopping=service.stopping,
            links=links,
        )

    return send
