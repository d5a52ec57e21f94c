"""``onwatch demo`` as a real process, for the tests that start it: banner, readiness, stop.

:func:`start_demo` runs the installed console script on a free port with a
SQLite file in the test's folder, reads what it prints line by line (as a
person reads the terminal), and waits, bounded, until the dashboard answers.
:func:`stop_demo` sends SIGTERM and returns the exit code.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx
import pytest

from netutil import free_port

ONWATCH = Path(sys.executable).parent / "onwatch"
STARTUP_SECONDS = 30  # the demo prints its banner and answers /login within this
STOP_SECONDS = 30


@dataclass
class Demo:
    """A running ``onwatch demo``: its process, what it printed, and where it logs."""

    process: subprocess.Popen[str]
    url: str
    password: str | None
    banner: list[str]
    log: Path
    db: Path
    lines: queue.Queue[str] = field(repr=False, default_factory=queue.Queue)


def _pump(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))


def _read_banner(lines: queue.Queue[str], process: subprocess.Popen[str]) -> list[str]:
    """Lines up to the banner's last one ("... Stop: Ctrl-C."), or what came before an exit."""
    banner: list[str] = []
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.2)
        except queue.Empty:
            if process.poll() is not None:
                break
            continue
        banner.append(line)
        if line.endswith("Stop: Ctrl-C."):
            break
    return banner


def _wait_until_answering(url: str, process: subprocess.Popen[str], log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while process.poll() is None:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    pytest.fail(f"{url} did not answer within {STARTUP_SECONDS} s; log:\n{log.read_text()}")


@contextmanager
def start_demo(folder: Path, env: Mapping[str, str] | None = None) -> Iterator[Demo]:
    """``onwatch demo`` with its database in ``folder``; killed at the end if still running."""
    log, db = folder / "demo.log", folder / "demo.db"
    command = [
        str(ONWATCH),
        "demo",
        *("--listen", f"127.0.0.1:{free_port()}"),
        *("--db", f"sqlite:///{db}"),
    ]
    environ = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1", **(env or {})}
    with log.open("a") as stderr:
        process = subprocess.Popen(
            command, cwd=folder, env=environ, stdout=subprocess.PIPE, stderr=stderr, text=True
        )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    try:
        banner = _read_banner(lines, process)
        text = "\n".join(banner)
        url = re.search(r"^dashboard:\s+(http://\S+/)$", text, re.MULTILINE)
        if url is None:
            pytest.fail(f"no dashboard URL printed:\n{text}\nlog:\n{log.read_text()}")
        password = re.search(r"^admin password \(shown once\): (\S+)$", text, re.MULTILINE)
        _wait_until_answering(url.group(1) + "login", process, log)
        yield Demo(process, url.group(1), password and password.group(1), banner, log, db, lines)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=STOP_SECONDS)


def stop_demo(demo: Demo) -> int:
    """SIGTERM, as Ctrl-C or systemd would stop it; the exit code."""
    demo.process.send_signal(signal.SIGTERM)
    try:
        return demo.process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the demo did not stop within {STOP_SECONDS} s; log:\n{demo.log.read_text()}")
