"""Never outliving the test process: throwaway servers are stopped however the session ends.

Live servers are stopped at interpreter exit (``atexit``) and on SIGTERM/SIGHUP;
on Linux the server also gets a parent-death signal, so even a test process
killed with SIGKILL takes its server with it.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Protocol

_PR_SET_PDEATHSIG = 1


class Stoppable(Protocol):
    """A server that can be stopped, safely more than once."""

    def stop(self) -> None: ...


_LIVE: set[Stoppable] = set()


def watch(server: Stoppable) -> None:
    """Stop ``server`` if the process exits or is terminated while it still runs."""
    _LIVE.add(server)


def forget(server: Stoppable) -> None:
    """``server`` has stopped; leave it alone."""
    _LIVE.discard(server)


def die_with_parent_hook() -> Callable[[], None] | None:
    """On Linux, a preexec hook that makes the kernel send the server SIGQUIT (immediate
    shutdown) when the process that started it dies, even by SIGKILL."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    parent = os.getpid()

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT)
        if os.getppid() != parent:  # the parent died before the hook ran
            os.kill(os.getpid(), signal.SIGKILL)

    return hook


def _stop_all_live() -> None:
    for server in list(_LIVE):
        with contextlib.suppress(Exception):
            server.stop()


def _stop_all_then_die(signum: int, _frame: FrameType | None) -> None:
    _stop_all_live()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


@functools.cache
def install_guards() -> None:
    """Stop live servers at interpreter exit and on SIGTERM/SIGHUP (unless already handled)."""
    atexit.register(_stop_all_live)
    if threading.current_thread() is not threading.main_thread():
        return
    for signum in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(signum) is signal.SIG_DFL:
            signal.signal(signum, _stop_all_then_die)
