"""A sender process for the durability test: the real sender loop on a real database.

Usage: ``python sender_child.py DATABASE_URL POLICY_FILE``. It drains the
outbox with :func:`onwatch.notify.sender.run_sender` (short timeout and
lease, so a killed process's claims expire quickly) until SIGTERM, then
returns after the round in flight is recorded.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from onwatch.clock import SystemClock
from onwatch.leader import SingleNodeLeader
from onwatch.notify.sender import run_sender
from onwatch.policy import load_policy
from onwatch.store.database import open_database

TIMEOUT = 0.5
LEASE = 1.0


async def main(url: str, policy_file: str) -> None:
    policy = load_policy(policy_file)
    database = open_database(url)
    stopping = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stopping.set)
    print("ready", flush=True)
    try:
        await run_sender(
            database,
            policy=lambda: policy,
            leader=SingleNodeLeader(),
            clock=SystemClock(),
            stopping=stopping,
            poll=0.05,
            limit=8,
            workers=4,
            timeout=TIMEOUT,
            lease=LEASE,
        )
    finally:
        database.dispose()


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main(sys.argv[1], sys.argv[2]))
