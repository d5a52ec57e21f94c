"""Claims racing on PostgreSQL (and SQLite): every row is claimed by exactly one claimer."""

from __future__ import annotations

import threading
from collections import Counter

from onwatch.notify.outbox import claim, counts, enqueue
from onwatch.store.database import open_database

ROWS = 400


def test_two_claimers_never_take_the_same_row(database_url: str) -> None:
    database = open_database(database_url)
    with database.engine.begin() as connection:
        for n in range(ROWS):
            enqueue(
                connection,
                key=f"race-{n}",
                contact="alice",
                channel="sms",
                title="t",
                short="s",
                full="f",
                payload={},
                due_at=0.0,
                now=0.0,
            )
    taken: list[tuple[int, int]] = []
    lock = threading.Lock()
    start = threading.Barrier(2)

    def claimer(epoch: int) -> None:
        start.wait()
        while True:
            with database.engine.begin() as connection:
                rows = claim(connection, epoch=epoch, now=1.0, lease=60.0, limit=7)
            if not rows:  # the rows it saw were taken by the other one; any left?
                with database.engine.connect() as connection:
                    if not counts(connection).get("pending"):
                        return
                continue
            with lock:
                taken.extend((row.id, epoch) for row in rows)

    threads = [threading.Thread(target=claimer, args=(epoch,)) for epoch in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    database.dispose()
    per_row = Counter(row for row, _ in taken)
    per_claimer = Counter(epoch for _, epoch in taken)
    print(f"\n[{database.backend}] claims per claimer: {dict(per_claimer)}")
    assert len(per_row) == ROWS
    assert set(per_row.values()) == {1}
