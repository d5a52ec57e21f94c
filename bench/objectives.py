"""Objectives benchmark: rebuilding trackers from rollups, and CPU per evaluation round.

Run it with ``.venv/bin/python bench/objectives.py`` (about a minute with the
default 10,000 objectives; ``--objectives 1000`` for a quick look). It measures
the SLO maths alone (:class:`~onwatch.slo.tracker.ObjectiveTracker`), without a
database, as the evaluator uses it:

1. Rebuild. Each objective gets a tracker (production resolution: 60 s) fed
   with what the store holds for it: 30 days of hour rollups (one check a
   minute, one in 2,000 failing: half the 0.1% budget) and the last 6 hours as
   minute rollups, the two rollup tables the evaluator reads at start.
   Separately, for a sample, the whole 30 days as minute rollups (43,200
   buckets each), for the cost of a rebuild that reads minutes only.
2. Rounds. Each round is one minute of live checks (one per objective, one in
   2,000 failing, and 1% of the objectives in a full outage so their tiers fire)
   followed by ``evaluate()`` of every tracker: the standing over its window
   and every tier of the SRE Workbook (1h/5m, 6h/30m, 3d/6h). CPU time comes
   from ``time.process_time``.
3. Memory: the resident set after the rebuild (RSS growth from before it), and
   the tracemalloc size of a sample of trackers.

The objectives mix what policies hold: 80% are 99.9% over 30 rolling days,
10% a calendar month in Europe/Brussels that also reports 30 rolling days, and
10% are 99.9% with a softer 99% night from 00:00 to 02:00 in Brussels.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Sequence
from datetime import time as clock_time

from common import console, figure_table, print_figures, print_header, print_targets
from onwatch.slo.model import LenientRange, ObjectiveSpec, WindowSpec
from onwatch.slo.tracker import ObjectiveTracker

NOW = 1_790_000_000 // 3600 * 3600 + 17 * 60  # 2026-09-21 14:17 UTC: partial hours at both ends
HOUR, MINUTE = 3600, 60
HISTORY_DAYS = 30
FINE_HOURS = 6
ROUNDS = 10
THIRTY_DAYS = WindowSpec("rolling", HISTORY_DAYS * 86400)
NIGHT = LenientRange(clock_time(0), clock_time(2), target=0.99)


def spec_for(index: int) -> ObjectiveSpec:
    """The ``index``-th objective of the mix in the module docstring."""
    common = {"service": f"svc-{index // 3}", "name": f"obj-{index}", "kind": "availability"}
    if index % 10 == 8:
        return ObjectiveSpec(
            **common,  # type: ignore[arg-type]
            target=0.999,
            window=WindowSpec("month"),
            timezone="Europe/Brussels",
            also_report=(THIRTY_DAYS,),
        )
    if index % 10 == 9:
        return ObjectiveSpec(
            **common,  # type: ignore[arg-type]
            target=0.999,
            window=THIRTY_DAYS,
            timezone="Europe/Brussels",
            lenient=(NIGHT,),
        )
    return ObjectiveSpec(**common, target=0.999, window=THIRTY_DAYS)  # type: ignore[arg-type]


def rebuilt(index: int, rng: random.Random, minutes_only: bool = False) -> ObjectiveTracker:
    """A tracker fed with 30 days of rollups up to NOW: hours, then the last 6 hours as minutes."""
    tracker = ObjectiveTracker(spec_for(index), start=NOW)
    fine_from = NOW - FINE_HOURS * HOUR
    first_hour = (NOW - HISTORY_DAYS * 86400) // HOUR * HOUR
    if not minutes_only:
        for hour in range(first_hour, fine_from // HOUR * HOUR, HOUR):
            tracker.observe_bucket(hour, HOUR, 60, int(rng.random() < 0.03), MINUTE)
        first_minute = fine_from // HOUR * HOUR
    else:
        first_minute = first_hour
    for minute in range(first_minute, NOW, MINUTE):
        tracker.observe_bucket(minute, MINUTE, 1, int(rng.random() < 0.0005), MINUTE)
    return tracker


def rss_mb() -> float:
    """The process's resident set now (from /proc), in MB."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 1e6


def tracemalloc_kb_per_tracker(sample: int) -> float:
    """Memory held by ``sample`` rebuilt trackers (tracemalloc), per tracker, in kB."""
    rng = random.Random(7)
    tracemalloc.start()
    held = [rebuilt(i, rng) for i in range(sample)]
    size = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del held
    return size / sample / 1e3


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--objectives", type=int, default=10_000, help="trackers to build (default 10000)"
    )
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="evaluation rounds (default 10)")
    parser.add_argument(
        "--minute-sample",
        type=int,
        default=50,
        help="objectives rebuilt from 30 days of minute rollups only (default 50; 0 skips)",
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    print_header("onwatch objectives benchmark", quick=args.objectives < 10_000)
    count = args.objectives
    figures = figure_table("objectives figures", ("measure", "figure", "target"))

    rng = random.Random(1)
    rss_before = rss_mb()
    cpu = time.process_time()
    trackers = [rebuilt(i, rng) for i in range(count)]
    rebuild_cpu = time.process_time() - cpu
    gc.collect()
    rss_growth = rss_mb() - rss_before
    buckets = HISTORY_DAYS * 24 - FINE_HOURS + FINE_HOURS * 60
    console.print(
        f"\nrebuild: {count:,} trackers, ~{buckets:,} rollups each (hours for 30 days, minutes "
        f"for the last 6 h): {rebuild_cpu:.1f} s CPU, {rebuild_cpu / count * 1e3:.2f} ms each"
    )
    figures.add_row(
        f"rebuild {count:,} trackers (hours + 6 h of minutes)", f"{rebuild_cpu:.1f} s CPU", ""
    )

    minutes_each = None
    if args.minute_sample:
        cpu = time.process_time()
        for i in range(args.minute_sample):
            rebuilt(i, rng, minutes_only=True)
        minutes_each = (time.process_time() - cpu) / args.minute_sample
        console.print(
            f"rebuild from minute rollups only (30 days = {HISTORY_DAYS * 1440:,} buckets), "
            f"{args.minute_sample} trackers: {minutes_each * 1e3:.0f} ms each"
        )
        figures.add_row(
            "rebuild 1 tracker from 30 d of minute rollups", f"{minutes_each * 1e3:.0f} ms CPU", ""
        )

    outage = set(range(0, count, 100))  # 1% of the objectives: every check fails
    live_rng = random.Random(2)
    round_cpu, observe_cpu, firing = [], [], Counter[str]()
    for round_index in range(args.rounds):
        minute = NOW + round_index * MINUTE
        cpu = time.process_time()
        for i, tracker in enumerate(trackers):
            good = i not in outage and live_rng.random() >= 0.0005
            tracker.observe(minute + (i % 60), good, MINUTE)
        observe_cpu.append(time.process_time() - cpu)
        cpu = time.process_time()
        evaluations = [tracker.evaluate(minute + 59.5) for tracker in trackers]
        round_cpu.append(time.process_time() - cpu)
        firing = Counter(state.tier.severity for e in evaluations for state in e.firing)
    median_round = statistics.median(round_cpu)
    console.print(
        f"rounds: {args.rounds} × (one check per tracker, then evaluate all {count:,}): "
        f"evaluate {', '.join(f'{c:.3f}' for c in round_cpu)} s CPU; observe "
        f"{statistics.median(observe_cpu) / count * 1e6:.1f} µs per check; "
        f"firing in the last round: {firing['page']:,} pages (the {len(outage):,} objectives in "
        f"outage), {firing['ticket']:,} tickets (random failures above budget over 3 days)"
    )
    figures.add_row(
        f"evaluate {count:,} trackers, CPU per round",
        f"{median_round:.3f} s (median; {min(round_cpu):.3f}–{max(round_cpu):.3f})",
        "< 1 s",
    )
    figures.add_row("evaluate, per tracker", f"{median_round / count * 1e6:.1f} µs", "")
    figures.add_row(
        "observe, per live check", f"{statistics.median(observe_cpu) / count * 1e6:.1f} µs", ""
    )

    per_tracker_kb = tracemalloc_kb_per_tracker(min(200, count))
    console.print(
        f"memory: RSS grew {rss_growth:.0f} MB for {count:,} trackers; tracemalloc "
        f"{per_tracker_kb:.1f} kB per tracker (sample of {min(200, count)})"
    )
    figures.add_row(f"RSS growth, {count:,} trackers", f"{rss_growth:.0f} MB", "")
    figures.add_row("held per tracker (tracemalloc)", f"{per_tracker_kb:.1f} kB", "")

    print_figures(figures, began)
    print_targets(
        [
            (
                f"< 1 s CPU per round of {count:,} evaluations",
                f"{median_round:.3f} s",
                median_round < 1,
            ),
        ]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
