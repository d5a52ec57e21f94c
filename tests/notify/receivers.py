"""Loopback HTTP receivers for notification tests: webhooks, json://, an SMS provider's API.

:class:`Receiver` is a threaded HTTP server on 127.0.0.1 that keeps every
request (path, headers, body) it accepted, answers with :attr:`Receiver.status`
(set it to 500 to play a broken receiver), and calls :attr:`Receiver.on_accept`
after storing a request and before answering: the durability test uses that
moment to kill the sender between "the provider accepted" and "our commit".
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    """One request a receiver accepted."""

    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def key(self) -> str | None:
        return self.headers.get("idempotency-key")


class Receiver:
    """Collects requests; see the module docstring."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.refused = 0
        self.status = 200
        self.on_accept: Callable[[Received], None] | None = None
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                if len(body) < length:  # the sender died mid-request: nothing was accepted
                    return
                headers = {name.lower(): value for name, value in self.headers.items()}
                item = Received(self.path, headers, body)
                with receiver.lock:
                    status = receiver.status
                    if 200 <= status < 300:
                        receiver.requests.append(item)
                    else:
                        receiver.refused += 1
                    hook = receiver.on_accept
                if hook is not None and 200 <= status < 300:
                    hook(item)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def keys(self) -> Counter[str]:
        """How many times each idempotency key arrived."""
        with self.lock:
            return Counter(item.key or "" for item in self.requests)

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextlib.contextmanager
def receiving() -> Iterator[Receiver]:
    """A running :class:`Receiver` for the ``with`` block."""
    receiver = Receiver().start()
    try:
        yield receiver
    finally:
        receiver.stop()
